#!/bin/bash
# Fault injection: kill -9 the scheduler at random moments while the
# workflow of tests/restart/faults.yaml runs, restart it with
# `tock play --run-dir DIR`, and repeat until it completes. Then check, against
# an uninterrupted run of the same workflow:
#   - the set of jobs that ran (each job appends its id to RUN_DIR/side) is
#     the same, and no job ran twice (a job is launched again only when its
#     record proves it never started, and a job that never started leaves no
#     side effect);
#   - PRAGMA integrity_check is ok;
#   - the final task states in the run database are the same.
#   check_faults.sh TOCK FLOW TRIALS [MAX_KILL_SECONDS]
set -u
tock=$1 flow=$2 trials=$3 max_kill=${4:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
states() { sqlite3 "$1/db" "SELECT cycle, name, state FROM task_states ORDER BY point, name"; }

"$tock" play "$flow" --no-detach --run-dir "$work/ref" >"$work/ref.out" 2>&1 || {
    cat "$work/ref.out"
    fail "the uninterrupted run failed"
}
sort "$work/ref/side" >"$work/ref.jobs"
states "$work/ref" >"$work/ref.states"
[ -s "$work/ref.jobs" ] || fail "the uninterrupted run ran no jobs"
echo "uninterrupted: $(wc -l <"$work/ref.jobs") jobs, $(wc -l <"$work/ref.states") tasks"

printf '| trial | kills | jobs | ran twice | integrity | states |\n|---:|---:|---:|---:|---|---|\n'
total_kills=0
for trial in $(seq 1 "$trials"); do
    run="$work/run$trial"
    kills=0
    "$tock" play "$flow" --no-detach --run-dir "$run" >>"$work/trial.out" 2>&1 &
    pid=$!
    # The run exists (its database is made at install) before the first kill.
    for _ in $(seq 1 100); do
        [ -s "$run/db" ] && break
        sleep 0.05
    done
    for attempt in $(seq 1 100); do
        # A random moment: 0.1 to MAX_KILL seconds into this start.
        sleep "$(awk -v r=$RANDOM -v m="$max_kill" 'BEGIN {printf "%.2f", 0.1 + (m - 0.1) * r / 32768}')"
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid"
            wait "$pid" 2>/dev/null
            kills=$((kills + 1))
            "$tock" play --run-dir "$run" --no-detach >>"$work/trial.out" 2>&1 &
            pid=$!
        else
            break
        fi
    done
    wait "$pid"
    rc=$?
    if [ $rc != 0 ]; then
        tail -20 "$work/trial.out"
        fail "trial $trial: the last start ended with status $rc"
    fi
    sort "$run/side" >"$run.jobs"
    twice=$(uniq -d "$run.jobs" | wc -l)
    integrity=$(sqlite3 "$run/db" "PRAGMA integrity_check")
    states "$run" >"$run.states"
    same_states=yes
    cmp -s "$run.states" "$work/ref.states" || same_states=no
    printf '| %d | %d | %d | %d | %s | %s |\n' "$trial" "$kills" "$(wc -l <"$run.jobs")" "$twice" "$integrity" "$same_states"
    [ "$twice" = 0 ] || fail "trial $trial: jobs ran twice: $(uniq -d "$run.jobs" | tr '\n' ' ')"
    [ "$integrity" = ok ] || fail "trial $trial: integrity_check: $integrity"
    uniq "$run.jobs" | cmp -s - "$work/ref.jobs" || {
        diff <(uniq "$run.jobs") "$work/ref.jobs" | head
        fail "trial $trial: a different set of jobs ran"
    }
    [ $same_states = yes ] || {
        diff "$run.states" "$work/ref.states" | head
        fail "trial $trial: final states differ from the uninterrupted run"
    }
    total_kills=$((total_kills + kills))
    rm -rf "$run"
done
echo "$trials trials, $total_kills kills: every job ran exactly once, the same final states"
[ "$total_kills" -gt 0 ] || fail "no trial was ever killed: make MAX_KILL_SECONDS shorter"
