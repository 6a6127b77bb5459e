#!/bin/bash
# A node drained under a queued job: its Slurm reason is reported in the log;
# once the node returns the job runs. A node that goes down under a running
# job: the job fails with Slurm's NODE_FAIL.
#   check_drain.sh TOCK CLUSTER_DIR FLOW
tock=$1 cluster=$2 flow=$3
. "$(dirname "$0")/lib.sh"
"$tock" play "$flow" --no-detach --run-dir "$run" >"$work/out" 2>&1 &
pid=$!
wait_for 30 is_state waiter submitted || fail "waiter was not submitted"
scontrol update nodename="$host" state=drain reason=tock-test || fail "cannot drain $host"
wait_for 30 grep -Eq "waiter.*slurm job.*PENDING \(.*(DRAINED|ReqNodeNotAvail)" "$work/out" ||
    { tail "$work/out"; fail "the drained node was not reported"; }
scontrol update nodename="$host" state=resume 2>/dev/null || true
wait_for 30 is_state waiter succeeded || fail "waiter did not run once the node returned"
wait_for 30 is_state victim running || fail "victim did not start"
scontrol update nodename="$host" state=down reason=tock-test-down
wait $pid || { tail -20 "$work/out"; fail "the workflow did not end well"; }
scontrol update nodename="$host" state=resume 2>/dev/null || true
[ "$(task_state victim)" = failed ] || fail "victim is $(task_state victim), not failed"
sqlite3 "$run/db" "SELECT detail FROM task_events WHERE name = 'victim' AND event = 'failed'" |
    grep -q "NODE_FAIL" || fail "the failure does not say NODE_FAIL: $(sqlite3 "$run/db" "SELECT detail FROM task_events WHERE name = 'victim'")"
[ "$(task_state mourn)" = succeeded ] || fail "mourn did not run"
echo "drained node reported, the job ran once it returned; NODE_FAIL reported as the failure"
