#!/bin/sh
# On a terminal, `tock play --no-detach` redraws a progress line; its cycle
# span runs from the oldest active cycle point to the newest, in the order of
# the points (integer 9 before 10), not of their text.
#   check_progress.sh TOCK FLOW
set -u
tock=$1
flow=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# script(1) gives the scheduler a terminal, so that it draws the line.
script -qec "\"$tock\" play \"$flow\" --no-detach --run-dir \"$dir/run\"" /dev/null >"$dir/out" ||
    { cat "$dir/out"; echo "play failed"; exit 1; }
tr '\r' '\n' <"$dir/out" | grep -o '\[cycles [^|]*|' | sort -u >"$dir/spans"
cat "$dir/spans"
# Some span crossed from one digit to two, and none ran backwards.
grep -q '^\[cycles [0-9]\.\.1[0-2] |$' "$dir/spans" || { echo "no span from a one-digit cycle to a two-digit one"; exit 1; }
awk '{split($2, p, "\\.\\."); if (p[2] != "" && p[1] + 0 > p[2] + 0) {print "backwards: " $0; bad = 1}} END {exit bad}' "$dir/spans"
