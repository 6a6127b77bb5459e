#!/bin/sh
# `tock play` without --no-detach returns at once, and the detached scheduler
# runs the workflow to completion on its own: its log ends with the outcome,
# its reference record says what ran, and the contact file is gone. And
# when `tock play` returns, the scheduler's contact file is there already,
# naming the pid it printed.
#   check_detach.sh TOCK FLOW
set -u
tock=$1
flow=$2
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
out=$("$tock" play "$flow" --run-dir "$run/run") || { echo "play failed: $out"; exit 1; }
echo "$out"
echo "$out" | grep -q "running in $run/run (pid [0-9]*)" || { echo "no pid line"; exit 1; }
i=0
while ! grep -q "^tock play: workflow .* complete" "$run/run/log/scheduler/log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 300 ] || { echo "the detached run did not complete"; cat "$run/run/log/scheduler/log"; exit 1; }
    sleep 0.1
done
i=0
while [ -e "$run/run/.service/contact" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "the contact file stayed"; exit 1; }
    sleep 0.1
done
cat "$run/run/log/scheduler/reference"
grep -q "^1/b/01 succeeded <- 1/a:succeeded$" "$run/run/log/scheduler/reference" || { echo "b did not run after a"; exit 1; }

# A run that lasts: its contact file exists the moment play returns.
cat >"$run/long.yaml" <<'FLOW'
name: long
scheduling:
  cycling: integer
  final: 1
  graph:
    R1: a
runtime:
  a:
    script: sleep 5
FLOW
out=$("$tock" play "$run/long.yaml" --run-dir "$run/long") || { echo "play failed: $out"; exit 1; }
pid=$(echo "$out" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
[ -n "$pid" ] || { echo "no pid in: $out"; exit 1; }
[ -e "$run/long/.service/contact" ] || { kill -TERM "$pid"; echo "no contact file when play returned"; exit 1; }
grep -q "\"pid\": $pid," "$run/long/.service/contact" || { kill -TERM "$pid"; echo "the contact file names another pid"; cat "$run/long/.service/contact"; exit 1; }
kill -TERM "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "the scheduler did not stop on SIGTERM"; exit 1; }
    sleep 0.1
done
echo "contact file there on return: ok"
