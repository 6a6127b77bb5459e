#!/bin/bash
# A restart while parentless tasks wait (tests/restart/waiting.yaml): the
# scheduler is killed with SIGKILL once `first` has run and the `obs` tasks
# wait on a file that is not there yet; the restart must spawn them again
# (they have no rows of their own), and once the file appears every task runs.
#   check_restart_waiting.sh TOCK FLOW
set -u
tock=$1 flow=$2
. "$(dirname "$0")/restart_lib.sh"
first_start_killed_when first succeeded
( sleep 1; touch "$run/go" ) &
"$tock" play --run-dir "$run" --no-detach >"$work/restart.out" 2>&1 || {
    tail -5 "$work/restart.out"
    fail "the restart did not complete"
}
n=$(sqlite3 "$run/db" "SELECT count(*) FROM task_states WHERE state = 'succeeded'")
[ "$n" = 7 ] || fail "$n tasks succeeded, not 7"
echo "restarted with the waiting tasks spawned again: 7 tasks succeeded"
