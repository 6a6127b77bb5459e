#!/bin/bash
# A job Slurm refuses is submit-failed with Slurm's own message, tried again
# at its submission retry delays (three tries), then its submit-fail path runs.
#   check_bad_directive.sh TOCK CLUSTER_DIR FLOW
tock=$1 cluster=$2 flow=$3
. "$(dirname "$0")/lib.sh"
"$tock" play "$flow" --no-detach --run-dir "$run" >"$work/out" 2>&1 || {
    tail -20 "$work/out"; fail "the workflow did not end well"; }
tries=$(sqlite3 "$run/db" "SELECT count(*) FROM task_events WHERE name = 'greedy' AND event IN ('submit-retry', 'submit-failed')")
[ "$tries" = 3 ] || fail "$tries submission failures, not 3"
sqlite3 "$run/db" "SELECT detail FROM task_events WHERE name = 'greedy' AND event = 'submit-failed'" |
    grep -q "Requested node configuration is not available" || fail "Slurm's reason is not recorded"
grep -q "Requested node configuration is not available" "$run/log/job/1/greedy/01/job-activity.log" ||
    fail "Slurm's reason is not in the job's activity log"
[ "$(task_state cleanup)" = succeeded ] || fail "cleanup did not run"
echo "refused by Slurm three times, with its reason; the submit-fail path ran"
