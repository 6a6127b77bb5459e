#!/bin/bash
# The scheduler is killed with SIGKILL while Slurm jobs are queued and
# running, and restarted: it reconciles every job with Slurm (those that
# ended while it was down end from their job.status; the others are tracked
# to their end) and none is submitted twice.
#   check_restart.sh TOCK CLUSTER_DIR FLOW
tock=$1 cluster=$2 flow=$3
. "$(dirname "$0")/lib.sh"
"$tock" play "$flow" --no-detach --run-dir "$run" >"$work/first.out" 2>&1 &
pid=$!
active() {
    [ "$(sqlite3 "$run/db" "SELECT count(*) FROM task_states WHERE name GLOB 'a_*' AND state IN ('submitted', 'running')" 2>/dev/null)" -ge 10 ]
}
wait_for 30 active || { kill -9 $pid; tail "$work/first.out"; fail "the jobs were not submitted"; }
pending=$(squeue -h -t PENDING -o %o | grep -c "$run/log/job")
kill -9 $pid
wait $pid 2>/dev/null
[ "$pending" -ge 1 ] || fail "no job was pending in Slurm when the scheduler died"
sleep 4  # some jobs end while no scheduler listens
"$tock" play --run-dir "$run" --no-detach >"$work/restart.out" 2>&1 || {
    tail -20 "$work/restart.out"; fail "the restart did not complete"; }
n=$(sqlite3 "$run/db" "SELECT count(*) FROM task_states WHERE state = 'succeeded'")
[ "$n" = 14 ] || fail "$n tasks succeeded, not 14"
again=$(sqlite3 "$run/db" "SELECT count(*) FROM jobs WHERE submit_num > 1")
[ "$again" = 0 ] || fail "$again jobs were submitted again"
for log in "$run"/log/job/1/*/01/job-activity.log; do
    subs=$(grep -c "submit: sbatch" "$log")
    [ "$subs" = 1 ] || fail "$log: $subs submissions"
done
in_slurm=$(squeue -h -t all -o %o | grep -c "$run/log/job")
[ "$in_slurm" = 14 ] || fail "Slurm ran $in_slurm jobs of this run, not 14"
echo "killed with $pending jobs pending in Slurm; restarted: 14 jobs, each submitted once"
