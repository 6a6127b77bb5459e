#!/bin/bash
# A restart with trigger plugins (tests/restart/plugins.yaml): the scheduler
# is killed with SIGKILL once `first` has run, while `late` is still watched.
# The restart must send `late`'s watch again, not ask for `early` again, and
# give `third` the results `early` returned before the restart.
#   check_restart_plugins.sh TOCK FLOW
set -u
tock=$1 flow=$2
. "$(dirname "$0")/restart_lib.sh"
first_start_killed_when first succeeded
# The plugin the killed scheduler started notices it is gone, or is ended
# here; either way the restart starts its own.
pkill -f "$run/.*behave" 2>/dev/null
touch "$run/go"
"$tock" play --run-dir "$run" --no-detach >"$work/restart.out" 2>&1 || {
    tail -5 "$work/restart.out"
    fail "the restart did not complete"
}
n=$(sqlite3 "$run/db" "SELECT count(*) FROM task_states WHERE state = 'succeeded'")
[ "$n" = 3 ] || fail "$n tasks succeeded, not 3"
early=$(grep '"type": "watch"' "$run/behave.seen" | grep -c '"tag": "early"')
late=$(grep '"type": "watch"' "$run/behave.seen" | grep -c '"tag": "late"')
[ "$early" = 1 ] || fail "early was watched $early times, not once"
[ "$late" = 2 ] || fail "late was watched $late times, not twice (before and after the restart)"
echo "restarted: late watched again, early not asked again, its results kept"
