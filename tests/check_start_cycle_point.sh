#!/bin/sh
# tock play --start-cycle-point (Cylc's --startcp): refused before the
# initial point, after the final point, with --start-task and on a restart,
# each with its reason; and a warm-started run that stops keeps its start
# point when it restarts: nothing before it runs then either.
#   check_start_cycle_point.sh TOCK FLOW   (FLOW: tests/play/warm_start.yaml)
set -u
tock=$1
flow=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# refused RC PATTERN ARGS...: tock play ARGS exits RC and says PATTERN.
refused() {
    want=$1 pattern=$2
    shift 2
    out=$("$tock" play "$@" 2>&1)
    rc=$?
    [ "$rc" -eq "$want" ] || fail "tock play $* exited $rc, not $want: $out"
    echo "$out" | grep -q -- "$pattern" || fail "tock play $*: no '$pattern' in: $out"
    echo "$out"
}
refused 1 "start-cycle-point 0: 0 is before the initial cycle point 1" \
    "$flow" --no-detach --mode simulation --fast --run-dir "$tmp/r0" --start-cycle-point 0
refused 1 "start-cycle-point 6: 6 is after the final cycle point 5" \
    "$flow" --no-detach --mode simulation --fast --run-dir "$tmp/r0" --start-cycle-point 6
refused 1 "start-cycle-point x: " \
    "$flow" --no-detach --mode simulation --fast --run-dir "$tmp/r0" --start-cycle-point x
refused 1 "give a start point or start tasks (--start-task), not both" \
    "$flow" --no-detach --mode simulation --fast --run-dir "$tmp/r0" --start-cycle-point 3 --start-task 3/foo
[ -e "$tmp/r0" ] && fail "a refused start made a run directory"

# The same workflow on the real clock with one-second jobs, stopped once
# point 3 is done, then restarted.
sed 's/PT1M/PT1S/' "$flow" >"$tmp/flow.yaml"
"$tock" play "$tmp/flow.yaml" --mode simulation --run-dir "$tmp/r1" --start-cycle-point 3 \
    >"$tmp/out" 2>&1 || fail "the first start: $(cat "$tmp/out")"
i=0
until grep -q "3/bar  succeeded" "$tmp/r1/log/scheduler/log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 200 ] || fail "3/bar did not succeed: $(cat "$tmp/r1/log/scheduler/log")"
    sleep 0.05
done
"$tock" stop "$tmp/r1" --now >"$tmp/out" 2>&1 || fail "tock stop: $(cat "$tmp/out")"
i=0
while [ -e "$tmp/r1/.service/contact" ]; do
    i=$((i + 1))
    [ $i -lt 200 ] || fail "the scheduler did not stop"
    sleep 0.05
done
refused 2 "start-cycle-point cannot be given to a restart" --run-dir "$tmp/r1" --no-detach --start-cycle-point 4
"$tock" play --run-dir "$tmp/r1" --no-detach >"$tmp/out" 2>&1 || fail "the restart: $(cat "$tmp/out")"
grep -q "complete" "$tmp/out" || fail "the restart did not complete: $(cat "$tmp/out")"
ran=$(sqlite3 "$tmp/r1/db" "select cycle || '/' || name || ' ' || state from task_states order by point, name") ||
    fail "cannot read the run database"
echo "$ran"
expected="3/bar succeeded
3/baz succeeded
3/foo succeeded
4/bar succeeded
4/baz succeeded
4/foo succeeded
5/bar succeeded
5/baz succeeded
5/foo succeeded"
[ "$ran" = "$expected" ] || fail "the warm start and its restart ran another set of tasks"
