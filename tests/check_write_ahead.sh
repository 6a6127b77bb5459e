#!/bin/bash
# The store publishes nothing of a batch before it is committed
# (tests/restart/write_ahead.yaml): when the batch that submits b fails to
# commit, the scheduler stops with status 1 naming the database error, and
# b's job was never launched: no job directory, no side effect. A store that
# published first would have let job submission launch it.
#   check_write_ahead.sh TOCK FLOW
set -u
tock=$1 flow=$2
. "$(dirname "$0")/restart_lib.sh"
timeout 60 "$tock" play "$flow" --no-detach --run-dir "$run" >"$work/out" 2>&1
rc=$?
[ $rc = 1 ] || { cat "$work/out"; fail "the scheduler ended with status $rc, not 1"; }
grep -q "b refused by the test" "$work/out" || fail "the database error is not named: $(tail -3 "$work/out")"
grep -q "^TOCK_JOB_EXIT=SUCCEEDED" "$run/log/job/1/a/01/job.status" ||
    fail "a's job did not succeed: $(tail -3 "$work/out")"
[ ! -e "$run/log/job/1/b" ] || fail "b's job was launched from an uncommitted batch"
[ ! -e "$run/side" ] || fail "b's job ran from an uncommitted batch"
echo "the batch that submits b did not commit, and b was never launched"
