#!/bin/bash
# Component faults: with every component in a process of its own
# (--place '*=process'), kill -9 one component's process at a random moment
# while the workflow of tests/restart/faults.yaml runs. The scheduler must
# notice, stop, and start again in place from the run database, by itself.
# Then, against an uninterrupted run of the same workflow (in-proc):
#   - the set of jobs that ran is the same and no job ran twice (each job
#     appends its id to RUN_DIR/side);
#   - PRAGMA integrity_check is ok;
#   - the final task states in the run database are the same.
#   check_placement_kill.sh TOCK FLOW [COMPONENT...]   (default: all ten)
set -u
tock=$1 flow=$2
shift 2
components=${*:-task_pool store job_submit job_messages xtriggers health events commands publisher reporter}
work=$(mktemp -d)
trap 'pkill -9 -f "$work/" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
states() { sqlite3 "$1/db" "SELECT cycle, name, state FROM task_states ORDER BY point, name"; }

unset TOCK_PLACE
"$tock" play "$flow" --no-detach --run-dir "$work/ref" >"$work/ref.out" 2>&1 || {
    cat "$work/ref.out"
    fail "the uninterrupted run failed"
}
sort "$work/ref/side" >"$work/ref.jobs"
states "$work/ref" >"$work/ref.states"
echo "uninterrupted: $(wc -l <"$work/ref.jobs") jobs, $(wc -l <"$work/ref.states") tasks"

printf '| component killed | recoveries | jobs | ran twice | integrity | states |\n|---|---:|---:|---:|---|---|\n'
for c in $components; do
    run="$work/$c"
    "$tock" play "$flow" --no-detach --run-dir "$run" --place '*=process' >"$run.out" 2>&1 &
    pid=$!
    # A random moment 0.5 to 2.5 s into the run, once the component runs.
    sleep "$(awk -v r=$RANDOM 'BEGIN {printf "%.2f", 0.5 + 2 * r / 32768}')"
    victim=
    for _ in $(seq 1 100); do
        victim=$(pgrep -P "$pid" -f "tock component $c " | head -n 1)
        [ -n "$victim" ] && break
        sleep 0.05
    done
    [ -n "$victim" ] || { tail -20 "$run.out"; fail "$c: no process of component $c under the scheduler"; }
    kill -9 "$victim"
    # The scheduler (the same pid: it starts again in place) must finish.
    for _ in $(seq 1 1200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; tail -30 "$run.out"; fail "$c: the run did not end in 120 s"; }
    wait "$pid"
    rc=$?
    [ $rc = 0 ] || { tail -30 "$run.out"; fail "$c: the run ended with status $rc"; }
    recoveries=$(grep -c "recovering: starting again from the run database" "$run.out")
    sort "$run/side" >"$run.jobs"
    twice=$(uniq -d "$run.jobs" | wc -l)
    integrity=$(sqlite3 "$run/db" "PRAGMA integrity_check")
    states "$run" >"$run.states"
    same_states=yes
    cmp -s "$run.states" "$work/ref.states" || same_states=no
    printf '| %s | %d | %d | %d | %s | %s |\n' "$c" "$recoveries" "$(wc -l <"$run.jobs")" "$twice" "$integrity" "$same_states"
    [ "$recoveries" -ge 1 ] || { tail -30 "$run.out"; fail "$c: killing its process led to no recovery"; }
    [ "$twice" = 0 ] || fail "$c: jobs ran twice: $(uniq -d "$run.jobs" | tr '\n' ' ')"
    [ "$integrity" = ok ] || fail "$c: integrity_check: $integrity"
    uniq "$run.jobs" | cmp -s - "$work/ref.jobs" || {
        diff <(uniq "$run.jobs") "$work/ref.jobs" | head
        fail "$c: a different set of jobs ran"
    }
    [ $same_states = yes ] || {
        diff "$run.states" "$work/ref.states" | head
        fail "$c: final states differ from the uninterrupted run"
    }
done
echo "every component killed once: each run recovered, every job ran exactly once, the same final states"
