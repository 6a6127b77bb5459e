#!/usr/bin/env bash
# Operator commands against real, detached runs, through the real `tock`:
# each command's effect on what runs (the reference record, the job logs,
# the run database), its exit status, and what a restart keeps.
#   check_commands.sh TOCK DIR   (DIR: tests/commands)
set -u
tock=$1
dir=$2
HOME=$(mktemp -d)
export HOME
trap 'for p in $(cat "$HOME"/tock-run/*/run*/.service/contact "$HOME"/r*/.service/contact 2>/dev/null | sed -n "s/.*\"pid\": \([0-9]*\).*/\1/p"); do kill -9 $p 2>/dev/null; done; rm -rf "$HOME"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
fail() { echo "FAIL: $*"; for l in "$HOME"/tock-run/*/run*/log/scheduler/log; do echo "== $l"; cat "$l"; done; exit 1; }
# wait_for FILE PATTERN: until the file has a line matching (10 s at most).
wait_for() {
    for _ in $(seq 200); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    fail "no '$2' in $1"
}
# expect RC CMD...: run a tock command, check its exit status, keep its output in $out.
expect() {
    local want=$1; shift
    out=$("$tock" "$@" 2>&1); local rc=$?
    [ "$rc" -eq "$want" ] || fail "tock $* exited $rc, not $want: $out"
}
gone() {  # the scheduler of run $1 has ended
    for _ in $(seq 200); do [ -e "$1/.service/contact" ] || return 0; sleep 0.05; done
    fail "the scheduler of $1 did not end"
}

echo "== pause, hold, broadcast, resume, set"
expect 0 play "$dir/ops.yaml" --pause
run=$HOME/tock-run/ops/run1
log=$run/log/scheduler/log
[ "$(stat -c %a "$run/.service")" = 700 ] || fail ".service is not 0700: $(stat -c %a "$run/.service")"
for f in contact server.key client.key; do
    [ "$(stat -c %a "$run/.service/$f")" = 600 ] || fail ".service/$f is not 0600"
done
expect 0 status ops
echo "$out" | grep -q "workflow ops: paused" || fail "status does not say paused: $out"
echo "$out" | grep -q "a:waiting" || fail "status does not show the waiting tasks: $out"
[ -d "$run/log/job/1" ] && fail "a job ran while paused"
expect 0 scan
echo "$out" | grep -q "^ops .* paused " || fail "scan does not say ops is paused: $out"
expect 0 hold ops//2/a
expect 0 broadcast ops --namespace b --set environment.GREETING=hello
expect 0 broadcast ops --display
echo "$out" | grep -q GREETING || fail "broadcast --display: $out"
expect 0 show ops//2/a
echo "$out" | grep -q "state: waiting, held" || fail "2/a is not shown held: $out"
expect 0 resume ops
wait_for "$log" "1/c  succeeded"
grep -q "B:hello" "$run/log/job/1/b/01/job.out" || fail "the broadcast did not reach 1/b's job"
[ -d "$run/log/job/2/a" ] && fail "held 2/a ran"
# 2/a done by hand: 2/b follows without a job for 2/a.
expect 0 set ops//2/a --out succeeded
wait_for "$log" "complete: "
gone "$run"
[ -d "$run/log/job/2/a" ] && fail "2/a ran a job after set --out succeeded"
grep -q "^2/b/01 succeeded" "$run/log/scheduler/reference" || fail "2/b did not run after set"
sqlite3 "$run/db" "select op || ' ' || ok from commands" > "$HOME/audit"
for c in "hold 1" "broadcast 1" "resume 1" "set 1"; do
    grep -qx "$c" "$HOME/audit" || fail "no '$c' in the commands table: $(cat "$HOME/audit")"
done

echo "== errors: bad usage 2, refused 1"
expect 2 hold
expect 2 hold ops
expect 1 hold nosuchflow//1/a
echo "$out" | grep -q "no run of workflow 'nosuchflow'" || fail "$out"
expect 1 hold ops//1/a
echo "$out" | grep -q "not running" || fail "$out"

echo "== kill (no retry), trigger, set --pre, families, remove, stall kept up"
expect 0 play "$dir/long.yaml"
run=$HOME/tock-run/long/run1
log=$run/log/scheduler/log
wait_for "$log" "1/sleeper  running"
expect 0 kill long//1/sleeper
wait_for "$log" "1/sleeper  failed"
grep -q "will retry" "$log" && fail "a killed job retried"
expect 1 kill long//1/after
echo "$out" | grep -q "no active job\|matches no task" || fail "$out"
# m1 and m2 by their family, and a state selector.
expect 0 show "long//1/MEMBERS"
echo "$out" | grep -q "^1/m1" && echo "$out" | grep -q "^1/m2" || fail "family id: $out"
expect 0 kill "long//*/*:running"
wait_for "$log" "1/m1  failed"
wait_for "$log" "1/m2  failed"
# Nothing left to run: stalled, and kept up past the stall timeout.
wait_for "$log" "stall_timeout: .*staying up"
# Re-run a failed task: a second job.
expect 0 set long//1/x --out succeeded
wait_for "$log" "1/y  succeeded"
expect 0 broadcast long --namespace m1 --set "script=true"
expect 0 trigger long//1/m1
wait_for "$log" "1/m1  succeeded"
[ -f "$run/log/job/1/m1/02/job" ] || fail "trigger did not make job 02 of 1/m1"
expect 0 hold long//1/z
expect 0 set long//1/z --pre 1/m2:succeeded
expect 0 show long//1/z
echo "$out" | grep -q "\[x\] 1/m2:succeeded" || fail "set --pre not shown met: $out"
echo "$out" | grep -q "\[x\] 1/m1:succeeded" || fail "1/m1:succeeded not shown met: $out"
expect 0 release long//1/z
wait_for "$log" "1/z  succeeded"
expect 0 remove long//1/sleeper
wait_for "$log" "1/sleeper  removed"
wait_for "$log" "complete: "

echo "== stop (clean, --now with a restart, --after, --kill)"
expect 0 play "$dir/long.yaml" --run-dir "$HOME/r2"
wait_for "$HOME/r2/log/scheduler/log" "1/sleeper  running"
expect 0 hold "$HOME/r2//1/after"
expect 0 pause "$HOME/r2"
expect 0 broadcast "$HOME/r2" --namespace after --set environment.KEPT=yes
expect 0 stop "$HOME/r2" --after 1
expect 0 stop "$HOME/r2" --now
gone "$HOME/r2"
grep -q "stopped by an operator" "$HOME/r2/log/scheduler/log" || fail "no stop in the log"
kill -0 "$(cat "$HOME/r2/log/job/1/sleeper/01/job.status" | sed -n 's/^TOCK_JOB_PID=//p')" 2>/dev/null || true
expect 0 play --run-dir "$HOME/r2"
expect 0 dump "$HOME/r2" --json
echo "$out" | grep -q '"paused": true' || fail "the restart lost the pause: $out"
expect 0 dump "$HOME/r2"
echo "$out" | grep -q '"holds":\["1/after"\]' || fail "no holds after the restart: $out"
echo "$out" | grep -q '"stop_after":"1"' || fail "the restart lost the stop point: $out"
expect 0 broadcast "$HOME/r2" --display
echo "$out" | grep -q "KEPT" || fail "the restart lost the broadcast: $out"
expect 0 status "$HOME/r2"
echo "$out" | grep -q "sleeper:running" || fail "the restart did not adopt the running job: $out"
expect 0 stop "$HOME/r2" --kill
gone "$HOME/r2"
grep -q "stopped: stopped by an operator" "$HOME/r2/log/scheduler/log" || fail "stop --kill did not stop"
expect 0 play "$dir/ops.yaml" --pause --run-dir "$HOME/r3"
expect 0 stop "$HOME/r3" --after 1
expect 0 resume "$HOME/r3"
gone "$HOME/r3"
grep -q "stopped after the stop point 1" "$HOME/r3/log/scheduler/log" || fail "stop --after"
[ -d "$HOME/r3/log/job/2" ] && fail "a task after the stop point ran"
# The stop point is cleared once reached: a restart goes on to the end.
# (A failure up to the stop point is not a clean stop: see below.)
expect 0 play --run-dir "$HOME/r3" --no-detach
echo "$out" | grep -q "complete" || fail "the restart after the stop point: $out"
echo "== a scheduler in the foreground (--no-detach) takes commands too"
"$tock" play "$dir/ops.yaml" --pause --no-detach --run-dir "$HOME/r6" >"$HOME/r6.out" 2>&1 &
fg=$!
for _ in $(seq 200); do [ -e "$HOME/r6/.service/contact" ] && break; sleep 0.05; done
expect 0 hold "$HOME/r6//2/a"
expect 0 resume "$HOME/r6"
wait_for "$HOME/r6/log/scheduler/log" "1/c  succeeded"
expect 0 set "$HOME/r6//2/a"
wait $fg || fail "the foreground run ended with $?: $(tail -3 "$HOME/r6.out")"
grep -q "complete" "$HOME/r6.out" || fail "the foreground run: $(tail -3 "$HOME/r6.out")"

echo "== stop --after with a failure before it: a stall, not a clean stop"
cat >"$HOME/fails.yaml" <<'FLOW'
name: fails
scheduling:
  cycling: integer
  final: 3
  graph:
    P1: a => b
runtime:
  a:
    script: "false"
FLOW
expect 0 play "$HOME/fails.yaml" --pause --run-dir "$HOME/r5"
expect 0 stop "$HOME/r5" --after 1
expect 0 resume "$HOME/r5"
gone "$HOME/r5"
grep -q "stalled" "$HOME/r5/log/scheduler/log" || fail "stop --after hid a failure: $(tail -3 "$HOME/r5/log/scheduler/log")"
grep -q "stopped after the stop point" "$HOME/r5/log/scheduler/log" && fail "stop --after reported a clean stop over a failure"

echo "== reload: a bad file is refused and changes nothing; a good one takes effect"
cp "$dir/ops.yaml" "$HOME/rl.yaml"
expect 0 play "$HOME/rl.yaml" --pause --run-dir "$HOME/r4"
pid=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "$HOME/r4/.service/contact")
expect 0 hold "$HOME/r4//2/a"
printf '  bad: [\n' >>"$HOME/rl.yaml"
expect 1 reload "$HOME/r4"
echo "$out" | grep -q "rl.yaml:[0-9]*:[0-9]*: error" || fail "reload of a bad file: $out"
cp "$dir/ops.yaml" "$HOME/rl.yaml"
sed -i 's/B:\${GREETING:-unset}/B:reloaded/; s/a => b => c/a => b => c => d/' "$HOME/rl.yaml"
expect 0 reload "$HOME/r4"
for _ in $(seq 100); do grep -q "reloaded in" "$HOME/r4/log/scheduler/out" && [ -e "$HOME/r4/.service/contact" ] && break; sleep 0.05; done
grep -q "\"pid\": $pid," "$HOME/r4/.service/contact" || fail "the reloaded scheduler is not the same process"
expect 0 dump "$HOME/r4"
echo "$out" | grep -q '"paused":true' || fail "reload lost the pause: $out"
expect 0 resume "$HOME/r4"
wait_for "$HOME/r4/log/scheduler/log" "1/d  succeeded"
grep -q "B:reloaded" "$HOME/r4/log/job/1/b/01/job.out" || fail "1/b did not run the reloaded script"
expect 0 show "$HOME/r4//2/a"
echo "$out" | grep -q "held" || fail "reload lost the hold of 2/a: $out"
expect 0 stop "$HOME/r4"
gone "$HOME/r4"
echo "all command checks passed"
