#!/bin/sh
# Scale: a workflow of 100 chained tasks a cycle over 1,000 integer cycles
# (100,000 tasks), run by `tock play` in simulation mode on the virtual
# clock. Prints wall time and peak memory.
#   bench/scale.sh [BUILD_DIR]
set -eu
build=${1:-build}
flow=$(mktemp --suffix=.yaml)
trap 'rm -f "$flow" "$flow.time"' EXIT
{
    printf 'scheduling:\n  cycling: integer\n  final: 1000\n  graph:\n    P1: |\n'
    i=1
    while [ $i -lt 100 ]; do printf '      t%d => t%d\n' $((i - 1)) $i; i=$((i + 1)); done
    printf '      t99[-P1] => t0\n'
} >"$flow"
/usr/bin/time -f '%e %M' -o "$flow.time" "$build/tools/tock" play "$flow" --mode simulation --fast --no-detach >/dev/null
read -r secs kb <"$flow.time"
echo "| what | tasks | wall seconds | peak RSS MB | targets |"
echo "|---|---:|---:|---:|---|"
echo "| simulation --fast | 100000 | $secs | $((kb / 1024)) | < 5 s, < 300 MB |"
