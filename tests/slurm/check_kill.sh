#!/bin/bash
# `tock kill` cancels a queued and a running Slurm job: both are CANCELLED in
# Slurm, both tasks fail (their failure handlers run), the workflow ends.
#   check_kill.sh TOCK CLUSTER_DIR FLOW
tock=$1 cluster=$2 flow=$3
. "$(dirname "$0")/lib.sh"
"$tock" play "$flow" --no-detach --run-dir "$run" >"$work/out" 2>&1 &
pid=$!
wait_for 30 is_state running running || fail "the running job did not start"
wait_for 10 is_state queued submitted || fail "the queued job was not submitted"
q=$(slurm_id queued) r=$(slurm_id running)
[ "$(squeue -h -j "$q" -o %T)" = PENDING ] || fail "job $q is not pending in Slurm"
"$tock" kill "$run//1/queued" "1/running" >"$work/kill.out" 2>&1 || {
    cat "$work/kill.out"; fail "tock kill failed"; }
wait $pid || { tail -20 "$work/out"; fail "the workflow did not end well"; }
for id in "$q" "$r"; do
    state=$(squeue -h -t all -j "$id" -o %T)
    [ "$state" = CANCELLED ] || fail "Slurm job $id is $state, not CANCELLED"
done
[ "$(task_state queued)" = failed ] || fail "queued is $(task_state queued)"
[ "$(task_state running)" = failed ] || fail "running is $(task_state running)"
[ "$(task_state after_queued)" = succeeded ] || fail "after_queued did not run"
[ "$(task_state after_running)" = succeeded ] || fail "after_running did not run"
grep -q "scancel $q" "$run/log/job/1/queued/01/job-activity.log" || fail "no scancel of $q logged"
grep -q "scancel $r" "$run/log/job/1/running/01/job-activity.log" || fail "no scancel of $r logged"
echo "a queued and a running job killed: both CANCELLED in Slurm, both tasks failed"
