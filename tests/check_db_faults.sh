#!/bin/bash
# The run database in trouble, while tests/restart/faults.yaml runs:
#   locked  another process holds the database's write lock for 10 s: the
#           scheduler stops with status 1 and says the database is locked;
#           once the lock is gone, `tock play --run-dir` completes the run
#   full    the database lives on a small tmpfs (RUN_DIR/db links there),
#           which a filler fills: the scheduler stops with status 1 and says
#           the disk is full; once the filler is gone, the restart completes
# Either way every job runs exactly once. Mounting the tmpfs needs root:
# without it only the locked case is checked, and the output says so.
#   check_db_faults.sh TOCK FLOW
set -u
tock=$1 flow=$2
work=$(mktemp -d)
mnt=$work/small
cleanup() {
    mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
events() { [ -s "$1/db" ] && sqlite3 "$1/db" "SELECT count(*) FROM task_events" 2>/dev/null || echo 0; }
wait_events() {  # until the run has recorded $2 events, or its scheduler ended
    for _ in $(seq 1 200); do
        [ "$(events "$1")" -ge "$2" ] && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
finish_and_check() {  # restart the run in $1; it must complete, each job once
    "$tock" play --run-dir "$1" --no-detach >"$1.restart" 2>&1 || {
        tail -5 "$1.restart"
        fail "$2: the restart did not complete"
    }
    [ "$(sqlite3 "$1/db" "PRAGMA integrity_check")" = ok ] || fail "$2: integrity_check"
    twice=$(sort "$1/side" | uniq -d)
    [ -z "$twice" ] || fail "$2: jobs ran twice: $twice"
    [ "$(sort -u "$1/side" | wc -l)" = 200 ] || fail "$2: $(sort -u "$1/side" | wc -l) jobs ran, not 200"
    echo "$2: stopped cleanly, restarted, 200 jobs each ran once"
}

# --- locked ------------------------------------------------------------------
run=$work/locked
"$tock" play "$flow" --no-detach --run-dir "$run" >"$run.out" 2>&1 &
pid=$!
wait_events "$run" 50 $pid || fail "locked: the run ended before the lock was taken"
# The locker waits out the scheduler's own short transactions (.timeout), so
# that its BEGIN IMMEDIATE takes the lock rather than failing on a busy one.
(echo ".timeout 5000"; echo "BEGIN IMMEDIATE;"; sleep 10; echo "COMMIT;") | sqlite3 "$run/db" &
locker=$!
wait $pid
rc=$?
[ $rc = 1 ] || fail "locked: the scheduler ended with status $rc, not 1"
grep -q "database is locked (another process holds the database" "$run.out" ||
    fail "locked: no clear message: $(tail -2 "$run.out")"
wait $locker
finish_and_check "$run" locked

# --- full --------------------------------------------------------------------
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=16m tmpfs "$mnt" 2>/dev/null; then
    echo "full: not checked: cannot mount a tmpfs (needs root); the locked case passed"
    exit 0
fi
run=$work/full
mkdir -p "$run"
ln -s "$mnt/db" "$run/db"
"$tock" play "$flow" --no-detach --run-dir "$run" >"$run.out" 2>&1 &
pid=$!
wait_events "$run" 50 $pid || fail "full: the run ended before the disk was filled"
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
wait $pid
rc=$?
[ $rc = 1 ] || fail "full: the scheduler ended with status $rc, not 1"
grep -q "full (the disk is full" "$run.out" || fail "full: no clear message: $(tail -2 "$run.out")"
rm -f "$mnt/filler"
finish_and_check "$run" full
