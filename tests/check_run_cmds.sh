#!/bin/bash
# tock scan, tock cat-log and tock clean on real runs, as an operator uses
# them: a live run and its files, following a job's output and the
# scheduler log until they end, a scheduler killed by SIGKILL (its contact
# file left behind), the refusals and every exit status.
#   check_run_cmds.sh TOCK TESTS_DIR
# HOME is a temporary directory: nothing touches the real ~/tock-run.
set -u
tock=$1
tests=$2
tmp=$(mktemp -d)
export HOME=$tmp/home
mkdir -p "$HOME"
pids=()    # schedulers and background commands this script started
groups=()  # the process groups of jobs left running
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
    rm -rf "$tmp"
}
# forget PID: it has ended, and cleanup must not signal its number again.
forget() {
    local p keep=()
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]}")
    keep=()
    for p in "${groups[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    groups=("${keep[@]}")
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    [ -s "$tmp/out" ] && { echo "--- stdout"; cat "$tmp/out"; }
    [ -s "$tmp/err" ] && { echo "--- stderr"; cat "$tmp/err"; }
    exit 1
}
# expect RC WHAT CMD...: CMD exits RC; its output in $tmp/out and $tmp/err.
expect() {
    local want=$1 what=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "$what: exit $rc, not $want"
}
out_has() { grep -q -- "$1" "$tmp/out" || fail "stdout lacks '$1'"; }
err_has() { grep -q -- "$1" "$tmp/err" || fail "stderr lacks '$1'"; }
out_lacks() { ! grep -q -- "$1" "$tmp/out" || fail "stdout has '$1'"; }
# wait_for WHAT CMD...: until CMD succeeds, checked every 0.05 s for 20 s.
wait_for() {
    local what=$1 i=0
    shift
    until "$@"; do
        i=$((i + 1))
        [ $i -lt 400 ] || fail "timed out waiting for $what"
        sleep 0.05
    done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
# exited_0 PID WHAT: the background command PID, which has ended, exited 0.
exited_0() {
    wait "$1"
    local rc=$?
    forget "$1"
    [ "$rc" -eq 0 ] || fail "$2: exit $rc, not 0"
}

# a waits at a gate (a fifo it makes) for a word, says succeeded, and its
# EXIT trap waits for another word: a's process outlives its job's end. c
# fails on its first try.
cat >"$tmp/runcmds.yaml" <<'FLOW'
name: runcmds
scheduling:
  cycling: integer
  final: 1
  graph:
    R1: a => b & c
runtime:
  a:
    script: |
      echo "a says hello"
      echo "a complains" >&2
      mkfifo "$TOCK_RUN_DIR/gate"
      exec 3<>"$TOCK_RUN_DIR/gate"
      trap 'read -t 60 -r word <&3; echo "a trap got $word"' EXIT
      read -t 60 -r word <&3
      echo "a got $word"
  b:
    script: echo "b ran"
  c:
    script: |
      if [ "$TOCK_TASK_JOB" = 1/c/01 ]; then echo "c first try"; exit 1; fi
      echo "c second try"
    retries:
      execution: [PT0S]
FLOW
host=$(uname -n)
runs=$HOME/tock-run/runcmds
run1=$runs/run1

# Nothing yet.
expect 0 "scan of no runs" "$tock" scan
[ ! -s "$tmp/out" ] || fail "scan of no runs printed a table"
expect 0 "scan --json of no runs" "$tock" scan --json
[ "$(tr -d ' \n' <"$tmp/out")" = "[]" ] || fail "scan --json of no runs is not []"
expect 1 "cat-log of no run" "$tock" cat-log runcmds
err_has "no workflow 'runcmds' under $HOME/tock-run"

# Run 1, detached; a is running once it has said hello.
out=$("$tock" play "$tmp/runcmds.yaml") || fail "play: $out"
pid1=$(echo "$out" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
[ -n "$pid1" ] || fail "no pid in: $out"
pids+=("$pid1")
wait_for "a's output" grep -q "a says hello" "$run1/log/job/1/a/01/job.out"
wait_for "a's gate" test -p "$run1/gate"
job1=$(sed -n 's/^TOCK_JOB_PID=//p' "$run1/log/job/1/a/01/job.status")
groups+=("$job1")

# scan: the live run, its state and host:pid.
expect 0 "scan" "$tock" scan
out_has "^NAME  *RUN DIR  *STATE  *HOST:PID"
grep -q "^runcmds  *$run1  *running  *$host:$pid1$" "$tmp/out" || fail "scan has no live row for run1"
expect 0 "scan --json" "$tock" scan --json
python3 - "$tmp/out" "$run1" "$pid1" <<'PY' || fail "scan --json"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1, rows
r = rows[0]
assert r["name"] == "runcmds" and r["run_dir"] == sys.argv[2], r
assert r["state"] == "running" and r["live"] is True and r["pid"] == int(sys.argv[3]), r
PY

# cat-log: the scheduler log, and each of a job's files.
expect 0 "cat-log NAME" "$tock" cat-log runcmds
out_has "1/a"
expect 0 "cat-log a" "$tock" cat-log runcmds//1/a
out_has "^a says hello$"
out_lacks "a complains"
expect 0 "cat-log -f err" "$tock" cat-log runcmds//1/a -f err
out_has "^a complains$"
expect 0 "cat-log -f job" "$tock" cat-log runcmds//1/a/01 -f job
out_has "^#!/bin/bash"
expect 0 "cat-log -f status" "$tock" cat-log runcmds//1/a/NN -f status
out_has "^TOCK_JOB_PID=[0-9]"
expect 0 "cat-log --run-dir" "$tock" cat-log --run-dir "$run1" 1/a/1
out_has "^a says hello$"
expect 0 "cat-log --run-dir //" "$tock" cat-log --run-dir "$run1" //1/a -f err
out_has "^a complains$"
expect 0 "cat-log NAME/runN" "$tock" cat-log runcmds/run1//1/a
out_has "^a says hello$"

# A live scheduler's run is not deleted.
expect 1 "clean of a live run" "$tock" clean runcmds --yes
err_has "pid $pid1"
[ -d "$run1" ] || fail "clean deleted a live run"
expect 1 "clean --run-dir of a live run" "$tock" clean --run-dir "$run1" --yes
err_has "pid $pid1"

# --tail: a's output as it comes, to its end; the scheduler log to the
# scheduler's end.
"$tock" cat-log runcmds//1/a --tail >"$tmp/tail_a" 2>&1 &
tail_a=$!
pids+=("$tail_a")
"$tock" cat-log runcmds --tail >"$tmp/tail_log" 2>&1 &
tail_log=$!
pids+=("$tail_log")
wait_for "the tail of a's output" grep -q "a says hello" "$tmp/tail_a"
kill -0 "$tail_a" 2>/dev/null || fail "cat-log --tail of a running job ended at once"
timeout 10 sh -c "echo go >'$run1/gate'" || fail "a did not take its word"
# The tail ends when job.status says the job has ended, although a's
# process is still in its EXIT trap.
wait_for "the end of a's tail" gone "$tail_a"
exited_0 "$tail_a" "cat-log --tail of a"
grep -q "^a got go$" "$tmp/tail_a" || { cat "$tmp/tail_a"; fail "the tail of a lacks a's last line"; }
kill -0 "$job1" 2>/dev/null || fail "a's process ended before its EXIT trap had its word"
timeout 10 sh -c "echo bye >'$run1/gate'" || fail "a's EXIT trap did not take its word"
wait_for "the end of a's process" gone "$job1"
forget "$job1"
wait_for "the end of the scheduler log's tail" gone "$tail_log"
exited_0 "$tail_log" "cat-log --tail of the log"
grep -q "complete" "$tmp/tail_log" || { cat "$tmp/tail_log"; fail "the log's tail lacks the end"; }
wait_for "run 1's scheduler to end" gone "$pid1"
forget "$pid1"
[ ! -e "$run1/.service/contact" ] || fail "run 1's contact file stayed"

# The run has ended: scan shows it with --all only; c's two jobs.
expect 0 "scan after the end" "$tock" scan
out_lacks "runcmds"
expect 0 "scan --all" "$tock" scan --all
grep -q "^runcmds  *$run1  *complete  *-$" "$tmp/out" || fail "scan --all: run1 not complete"
expect 0 "cat-log a after its end" "$tock" cat-log runcmds//1/a
out_has "^a trap got bye$"
expect 0 "cat-log c (latest job)" "$tock" cat-log runcmds//1/c
out_has "^c second try$"
expect 0 "cat-log c/01" "$tock" cat-log runcmds//1/c/01
out_has "^c first try$"
expect 0 "cat-log c/NN" "$tock" cat-log runcmds//1/c/NN
out_has "^c second try$"
expect 0 "cat-log --tail of an ended job" "$tock" cat-log runcmds//1/b --tail
out_has "^b ran$"
expect 0 "cat-log --tail of an ended run's log" "$tock" cat-log runcmds --tail
out_has "complete"

# A scheduler's log, rotated while it is followed, and the follower's end
# when the contact file goes: a stand-in scheduler, this shell, holds the
# run's lock (fd 9) and writes its contact file.
fake=$HOME/tock-run/fake/run1
mkdir -p "$fake/.service" "$fake/log/scheduler"
: >"$fake/db"
exec 9>"$fake/.service/lock"
flock -x 9 || fail "cannot take the stand-in's lock"
expect 0 "scan of a locked run without a contact file" "$tock" scan
out_lacks "fake"
expect 0 "scan --all of a locked run without a contact file" "$tock" scan --all
grep -q "^fake  *$fake  *starting or stopping  *$host:$$$" "$tmp/out" || fail "scan --all: the stand-in is not starting"
printf '{"workflow": "fake", "pid": %d, "host": "%s", "commands": "ipc://%s/.service/commands.sock"}\n' \
    $$ "$host" "$fake" >"$fake/.service/contact"
echo "line 1" >"$fake/log/scheduler/log"
expect 0 "scan of the stand-in" "$tock" scan
grep -q "^fake  *$fake  *not answering  *$host:$$$" "$tmp/out" || fail "scan: the stand-in (which answers no ping) is not live and silent"
"$tock" cat-log fake --tail >"$tmp/tail_fake" 2>&1 9>&- &
tail_fake=$!
pids+=("$tail_fake")
wait_for "line 1" grep -q "^line 1$" "$tmp/tail_fake"
echo "line 2" >>"$fake/log/scheduler/log"
wait_for "line 2" grep -q "^line 2$" "$tmp/tail_fake"
mv "$fake/log/scheduler/log" "$fake/log/scheduler/log.1"
echo "line 3" >"$fake/log/scheduler/log"
wait_for "line 3, in the new log" grep -q "^line 3$" "$tmp/tail_fake"
kill -0 "$tail_fake" 2>/dev/null || fail "the tail of the stand-in's log ended early"
rm "$fake/.service/contact"
wait_for "the end of the stand-in's tail" gone "$tail_fake"
exited_0 "$tail_fake" "cat-log --tail of the stand-in's log"
[ "$(cat "$tmp/tail_fake")" = "$(printf 'line 1\nline 2\nline 3')" ] ||
    { cat "$tmp/tail_fake"; fail "the tail of the rotated log is not lines 1 to 3"; }
exec 9>&-
expect 0 "scan --all of an unfinished run" "$tock" scan --all
grep -q "^fake  *$fake  *stopped (unfinished)  *-$" "$tmp/out" || fail "scan --all: the stand-in is not unfinished"
rm -rf "$HOME/tock-run/fake"

# Missing things: exit 1, naming what is missing.
expect 1 "cat-log of no task" "$tock" cat-log runcmds//1/nope
err_has "no task 'nope'"
expect 1 "cat-log of a cycle without jobs" "$tock" cat-log runcmds//7/a
err_has "7/a has no job"
expect 1 "cat-log of no such job" "$tock" cat-log runcmds//1/c/05
err_has "1/c has no job 05.*its jobs: 01, 02"
expect 1 "cat-log of no such workflow" "$tock" cat-log nosuch//1/a
err_has "no workflow 'nosuch'"
expect 1 "cat-log of no such run" "$tock" cat-log runcmds/run9
err_has "runcmds/run9"
expect 1 "cat-log --run-dir of no run" "$tock" cat-log --run-dir "$tmp/nowhere" 1/a
err_has "$tmp/nowhere is not a run directory"
rm "$run1/log/job/1/b/01/job.err"
expect 1 "cat-log of a missing file" "$tock" cat-log runcmds//1/b -f err
err_has "job 1/b/01 has no job.err"
# Bad usage: exit 2.
expect 2 "cat-log -f bogus" "$tock" cat-log runcmds//1/a -f bogus
err_has "-f must be log, out, err, job or status, not 'bogus'"
expect 2 "cat-log -f log of a job" "$tock" cat-log runcmds//1/a -f log
expect 2 "cat-log -f out of the workflow" "$tock" cat-log runcmds -f out
for id in "runcmds//" "runcmds//1" "runcmds//1/a/x" "runcmds//1/a/01/02" "runcmds//1//a" "//1/a" \
    "../x" "/abs//1/a"; do
    expect 2 "cat-log $id" "$tock" cat-log "$id"
done
expect 2 "cat-log NAME and --run-dir" "$tock" cat-log runcmds//1/a --run-dir "$run1"
expect 2 "cat-log of no id" "$tock" cat-log

# Run 2: its scheduler killed by SIGKILL while a runs. Both tails end: the
# log's when the scheduler dies (its contact file stays), a's when its job
# is killed too.
out=$("$tock" play "$tmp/runcmds.yaml") || fail "play 2: $out"
pid2=$(echo "$out" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
pids+=("$pid2")
run2=$runs/run2
wait_for "run 2's a" grep -q "^TOCK_JOB_PID=" "$run2/log/job/1/a/01/job.status"
job2=$(sed -n 's/^TOCK_JOB_PID=//p' "$run2/log/job/1/a/01/job.status")
groups+=("$job2")
"$tock" cat-log runcmds//1/a --tail >"$tmp/tail_a2" 2>&1 &
tail_a2=$!
pids+=("$tail_a2")
"$tock" cat-log runcmds --tail >"$tmp/tail_log2" 2>&1 &
tail_log2=$!
pids+=("$tail_log2")
wait_for "the tail of run 2's a" grep -q "a says hello" "$tmp/tail_a2"
kill -KILL "$pid2"
wait_for "run 2's scheduler to die" gone "$pid2"
forget "$pid2"
wait_for "the end of run 2's log tail" gone "$tail_log2"
exited_0 "$tail_log2" "cat-log --tail of a killed scheduler's log"
kill -0 "$tail_a2" 2>/dev/null || fail "a's tail ended with the scheduler, its job still running"
kill -KILL -- "-$job2"
wait_for "the end of run 2's a tail" gone "$tail_a2"
forget "$job2"
exited_0 "$tail_a2" "cat-log --tail of a killed job"
[ -e "$run2/.service/contact" ] || fail "the killed scheduler's contact file is gone"

expect 0 "scan with a dead scheduler's contact file" "$tock" scan
out_lacks "run2"
expect 0 "scan --all with a dead scheduler's contact file" "$tock" scan --all
grep -q "^runcmds  *$run2  *stopped (contact file left by a dead scheduler)  *-$" "$tmp/out" ||
    fail "scan --all: run2 is not a dead scheduler's leftover"
grep -q "^runcmds  *$run1  *complete" "$tmp/out" || fail "scan --all: run1 missing"
expect 0 "scan --all --json" "$tock" scan --all --json
python3 - "$tmp/out" <<'PY' || fail "scan --all --json"
import json, sys
rows = {r["run_dir"].rsplit("/", 1)[1]: r for r in json.load(open(sys.argv[1]))}
assert rows["run1"]["status"] == "complete" and rows["run1"]["live"] is False, rows
assert rows["run2"]["state"].startswith("stopped (contact file left") and rows["run2"]["pid"] is None, rows
PY

# clean: bad usage, no confirmation, not a run, then the latest run, then all.
expect 2 "clean of nothing" "$tock" clean
expect 2 "clean NAME and --run-dir" "$tock" clean runcmds --run-dir "$run1" --yes
expect 2 "clean --run-dir --all" "$tock" clean --run-dir "$run1" --all --yes
expect 2 "clean --all of a run" "$tock" clean runcmds/run1 --all --yes
expect 2 "clean ../" "$tock" clean ../x --yes
expect 2 "clean without --yes, off a terminal" "$tock" clean runcmds
err_has "$run2"
[ -d "$run2" ] || fail "clean without --yes deleted"
mkdir -p "$HOME/notarun/log"
expect 1 "clean of a directory that is not a run" "$tock" clean --run-dir "$HOME/notarun" --yes
err_has "not a tock run directory"
[ -d "$HOME/notarun" ] || fail "clean deleted a directory that is not a run"
expect 1 "clean of no workflow" "$tock" clean nosuch --yes
expect 0 "clean of the latest run" "$tock" clean runcmds --yes
out_has "deleted $run2$"
[ ! -e "$run2" ] && [ -d "$run1" ] || fail "clean did not delete run2 alone"
expect 0 "clean NAME/runN" "$tock" clean runcmds/run1 -y
out_has "deleted $run1$"
out_has "deleted $runs (no run left in it)"
[ ! -e "$runs" ] || fail "the workflow's directory stayed"

# clean --all, and --run-dir of a run elsewhere.
for n in 1 2; do
    "$tock" play "$tests/play/detached.yaml" --no-detach --run-dir "$HOME/tock-run/detached/run$n" \
        >"$tmp/out" 2>&1 || fail "play detached run$n"
done
expect 0 "scan --all of two runs" "$tock" scan --all
[ "$(grep -c '^detached .* complete  *-$' "$tmp/out")" -eq 2 ] || fail "scan --all: not two complete runs"
expect 0 "clean --all" "$tock" clean detached --all --yes
out_has "deleted $HOME/tock-run/detached/run1$"
out_has "deleted $HOME/tock-run/detached/run2$"
[ ! -e "$HOME/tock-run/detached" ] || fail "clean --all left the workflow's directory"
"$tock" play "$tests/play/detached.yaml" --no-detach --run-dir "$tmp/elsewhere/run" >"$tmp/out" 2>&1 ||
    fail "play --run-dir"
ln -s "$tmp/elsewhere/run" "$tmp/link"
expect 0 "cat-log --run-dir of a link" "$tock" cat-log --run-dir "$tmp/link" 1/b -f status
out_has "TOCK_JOB_EXIT=SUCCEEDED"
expect 0 "clean --run-dir of a link" "$tock" clean --run-dir "$tmp/link/" --yes
out_has "deleted $tmp/elsewhere/run$"
[ ! -e "$tmp/elsewhere/run" ] && [ ! -L "$tmp/link" ] || fail "clean --run-dir left the run or its link"
expect 0 "scan --all of nothing left" "$tock" scan --all
[ ! -s "$tmp/out" ] || fail "scan --all after clean still lists runs"
echo "tock scan, cat-log and clean: ok"
