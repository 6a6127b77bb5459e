#!/bin/bash
# A restart adopts a running job and keeps its execution time limit
# (tests/restart/time_limit.yaml): the scheduler is killed with SIGKILL once
# `long` (sleep 120, limit PT8S) runs, and restarted only after the job has
# run longer than its limit. The limit counts from when the job started, so
# the restart must kill it at once (within 5 s, for a loaded machine): a
# limit counted from the restart would let it run 8 s more, and none at all
# for two minutes.
#   check_restart_limit.sh TOCK FLOW
set -u
tock=$1 flow=$2
. "$(dirname "$0")/restart_lib.sh"
first_start_killed_when long running
sleep 9
start=$(date +%s)
timeout 60 "$tock" play --run-dir "$run" --no-detach >"$work/restart.out" 2>&1 || {
    tail -5 "$work/restart.out"
    fail "the restart did not complete"
}
took=$(($(date +%s) - start))
[ "$took" -le 5 ] ||
    fail "the restart took $took s: the adopted job's time limit did not count from its start"
states=$(sqlite3 "$run/db" "SELECT name || ' ' || state FROM task_states ORDER BY name" | tr '\n' ,)
[ "$states" = "after succeeded,long failed," ] || fail "final states: $states"
grep -q "1/long  failed" "$run/log/scheduler/log" ||
    fail "the kill was not logged: $(tail -5 "$run/log/scheduler/log")"
job_pid=$(sed -n 's/^TOCK_JOB_PID=//p' "$run/log/job/1/long/01/job.status")
# Its parent died with the first scheduler: a zombie waiting for init to
# reap it is not alive.
alive=$(ps -eo pgid=,stat= | awk -v g="$job_pid" '$1 == g && $2 !~ /^Z/' | wc -l)
[ "$alive" = 0 ] || fail "$alive processes of the job are still alive"
echo "the adopted job, past its time limit, was killed $took s after the restart; long failed, after ran"
