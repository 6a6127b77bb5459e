#!/bin/bash
# Jobs through `at`: they run under atd (not as the scheduler's children),
# report by `tock message`, and a running one is killed by `tock kill`.
#   check_at.sh TOCK FLOW
set -u
tock=$1 flow=$2
fail() { echo "FAIL: $*"; exit 1; }
if ! command -v at >/dev/null || ! command -v atd >/dev/null; then
    echo "SKIP: at is not installed"; exit 77
fi
started_atd=
if ! pgrep -x atd >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "SKIP: atd is not running and this is not root"; exit 77; }
    atd -l 100 || fail "cannot start atd"
    started_atd=1
fi
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$started_atd" ] && pkill -x atd; rm -rf "$work"' EXIT
run=$work/run
state() { sqlite3 "$run/db" "SELECT state FROM task_states WHERE name = '$1'" 2>/dev/null; }
"$tock" play "$flow" --no-detach --run-dir "$run" >"$work/out" 2>&1 &
pid=$!
for _ in $(seq 300); do [ "$(state long)" = running ] && break; sleep 0.1; done
[ "$(state long)" = running ] || { kill $pid; cat "$work/out"; fail "long did not start"; }
# Polled twice more (every second), it is still running: atq still has it.
sleep 2.5
[ "$(state long)" = running ] || { cat "$work/out"; fail "long was taken for over while it ran"; }
"$tock" kill "$run//1/long" >/dev/null || fail "tock kill failed"
wait $pid || { tail -20 "$work/out"; fail "the workflow did not end well"; }
for t in first second after_long; do
    [ "$(state $t)" = succeeded ] || fail "$t is $(state $t)"
done
[ "$(state long)" = failed ] || fail "long is $(state long), not failed"
# The kill reached the job's own process group, not atd's.
pgrep -x atd >/dev/null || fail "atd died with the killed job"
[ -f "$run/log/job/1/first/01/job.at" ] || fail "first did not go through at"
grep -q "submitted (job 01, at job" "$work/out" || fail "the log does not name the at jobs"
echo "at: two jobs succeeded through atd, a running one killed"
