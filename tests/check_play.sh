#!/bin/sh
# Run the real `tock play` on tests/play/NAME.yaml and compare what ran with
# tests/play/NAME.expected: the final state of every job (sorted), then the
# exit status.
#   check_play.sh TOCK NAME [tock play options...]
# With TOCK_UPDATE=1 the expected file is rewritten (then review the diff).
set -u
tock=$1
name=$2
shift 2
dir=$(cd "$(dirname "$0")/play" && pwd)
run=$(mktemp -d)
actual=$(mktemp)
trap 'rm -rf "$run" "$actual" "$actual.out"' EXIT
"$tock" play "$dir/$name.yaml" --no-detach --run-dir "$run/run" "$@" >"$actual.out" 2>&1
rc=$?
{
    sed -n 's/^+[0-9:]*  \([^ ]*\)  \(succeeded\|failed.*\|submit-failed.*\)$/\1 \2/p' "$actual.out" | sort
    echo "exit $rc"
} >"$actual"
if [ "${TOCK_UPDATE:-0}" = 1 ]; then
    cp "$actual" "$dir/$name.expected"
fi
diff -u "$dir/$name.expected" "$actual" || { cat "$actual.out"; exit 1; }
