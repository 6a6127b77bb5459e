#!/bin/bash
# Slurm jobs that report over TCP (CurveZMQ) and by job.status only: both
# complete their custom outputs and the workflow completes. The TCP one's
# messages reach the scheduler while it runs; the job.status one's when it
# ends. Both are in the jobs' job.status files, for a restart to read. A job told to report over TCP where no run gives it an endpoint and
# keys says so and fails.
#   check_comms.sh TOCK CLUSTER_DIR FLOW
tock=$1 cluster=$2 flow=$3
. "$(dirname "$0")/lib.sh"
"$tock" play "$flow" --no-detach --run-dir "$run" --host-port 127.0.0.1:0 >"$work/out" 2>&1 || {
    tail -20 "$work/out"; fail "the workflow did not complete"; }
for t in over_tcp by_status after_tcp after_status; do
    is_state $t succeeded || fail "$t is $(task_state $t)"
done
grep -q "1/over_tcp  output made completed" "$work/out" || fail "over_tcp's output was not reported"
grep -q "1/by_status  output made completed" "$work/out" || fail "by_status's output was not reported"
grep -q "made it" "$run/log/job/1/by_status/01/job.status" || fail "by_status's message is not in its job.status"
grep -q "made it" "$run/log/job/1/over_tcp/01/job.status" || fail "over_tcp's message is not in its job.status"
! grep -q "tock message:" "$run/log/job/1/over_tcp/01/job.err" || fail "over_tcp: $(cat "$run/log/job/1/over_tcp/01/job.err")"
# No contact file, no keys: a clear refusal, not a hang.
(cd "$work" && TOCK_SCHEDULER=tcp TOCK_RUN_DIR=/nonexistent TOCK_TASK_JOB=1/over_tcp/01 \
    "$tock" message hello >"$work/msg.out" 2>&1) && fail "a message without keys was accepted"
grep -q "gives no TCP message endpoint" "$work/msg.out" || fail "unclear refusal: $(cat "$work/msg.out")"
echo "over TCP with CurveZMQ and by job.status: both jobs' outputs arrived"
