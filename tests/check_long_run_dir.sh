#!/usr/bin/env bash
# A run directory of some 200 characters (a Unix socket's path holds 107
# bytes): the scheduler runs a live workflow to completion, its job's
# message comes by the scheduler's socket, tock status and tock stop reach
# it, a scheduler killed with SIGKILL restarts over its stale sockets, and
# the sockets are private (0700) and gone at the end.
#   check_long_run_dir.sh TOCK DIR   (DIR: tests/long_dir)
set -u
tock=$1
dir=$2
tmp=$(mktemp -d)
HOME=$tmp/home
mkdir -p "$HOME"
export HOME
long=$tmp/$(printf 'd%.0s' $(seq 60))/$(printf 'e%.0s' $(seq 60))/$(printf 'f%.0s' $(seq 60))
mkdir -p "$long"
XDG_RUNTIME_DIR=$tmp/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
trap 'for p in $(cat "$long"/run*/.service/contact 2>/dev/null | sed -n "s/.*\"pid\": \([0-9]*\).*/\1/p"); do kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; for l in "$long"/run*/log/scheduler/log; do echo "== $l"; cat "$l"; done; exit 1; }
expect() {
    local want=$1; shift
    out=$("$tock" "$@" 2>&1); local rc=$?
    [ "$rc" -eq "$want" ] || fail "tock $* exited $rc, not $want: $out"
}
wait_for() {
    for _ in $(seq 200); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    fail "no '$2' in $1"
}
gone() {
    for _ in $(seq 200); do [ -e "$1/.service/contact" ] || return 0; sleep 0.05; done
    fail "the scheduler of $1 did not end"
}
pid_of() { sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "$1/.service/contact"; }
[ ${#long} -ge 190 ] || fail "the run directory is only ${#long} characters"

echo "== a run to completion, status while it runs"
NAP=3 expect 0 play "$dir/quick.yaml" --run-dir "$long/run1"
expect 0 status "$long/run1"
echo "$out" | grep -q "workflow longdir: running" || fail "status: $out"
endpoint=$(sed -n 's/.*"commands": "\(.*\)".*/\1/p' "$long/run1/.service/contact")
case $endpoint in
"ipc://$XDG_RUNTIME_DIR/tock/"*) ;;
*) fail "the commands endpoint is not under \$XDG_RUNTIME_DIR/tock: $endpoint" ;;
esac
sockets=${endpoint#ipc://}
sockets=${sockets%/*}
[ "$(stat -c %a "$XDG_RUNTIME_DIR/tock")" = 700 ] || fail "$XDG_RUNTIME_DIR/tock is not 0700"
[ "$(stat -c %a "$sockets")" = 700 ] || fail "$sockets is not 0700"
for s in commands updates snapshots scheduler; do
    [ -S "$sockets/$s.sock" ] || fail "no socket $sockets/$s.sock"
done
wait_for "$long/run1/log/scheduler/log" "complete: "
gone "$long/run1"
grep -q "^1/b/01 succeeded <- 1/a:x$" "$long/run1/log/scheduler/reference" ||
    fail "b did not run on a's message: $(cat "$long/run1/log/scheduler/reference")"
[ -e "$sockets" ] && fail "the sockets stayed: $(ls -la "$sockets")"

echo "== tock stop"
NAP=3 expect 0 play "$dir/quick.yaml" --run-dir "$long/run2"
wait_for "$long/run2/log/scheduler/log" "1/a  running"
expect 0 stop "$long/run2"
gone "$long/run2"
grep -q "^1/a/01 succeeded" "$long/run2/log/scheduler/reference" || fail "run2's 1/a did not finish"
[ -d "$long/run2/log/job/1/b" ] && fail "1/b ran after tock stop"

echo "== killed with SIGKILL, restarted over its stale sockets"
NAP=3 expect 0 play "$dir/quick.yaml" --run-dir "$long/run3"
wait_for "$long/run3/log/scheduler/log" "1/a  running"
pid=$(pid_of "$long/run3")
sockets=$(sed -n 's/.*"commands": "ipc:\/\/\(.*\)\/commands.sock".*/\1/p' "$long/run3/.service/contact")
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
[ -S "$sockets/commands.sock" ] || fail "no stale socket to restart over"
expect 0 play --run-dir "$long/run3"
wait_for "$long/run3/log/scheduler/log" "complete: "
gone "$long/run3"
grep -q "^1/b/01 succeeded" "$long/run3/log/scheduler/reference" || fail "run3's 1/b did not run after the restart"
[ -e "$sockets" ] && fail "the restarted run's sockets stayed"

echo "== a runtime directory open to others is not used"
chmod 755 "$XDG_RUNTIME_DIR"
expect 0 play "$dir/quick.yaml" --run-dir "$long/run4"
grep -q "\"commands\": \"ipc:///tmp/tock-$(id -u)/" "$long/run4/.service/contact" ||
    fail "not under /tmp/tock-$(id -u): $(cat "$long/run4/.service/contact")"
expect 0 status "$long/run4"
wait_for "$long/run4/log/scheduler/log" "complete: "
gone "$long/run4"

echo "== tock clean takes the sockets a killed scheduler left"
chmod 700 "$XDG_RUNTIME_DIR"
NAP=5 expect 0 play "$dir/quick.yaml" --run-dir "$long/run5"
pid=$(pid_of "$long/run5")
sockets=$(sed -n 's/.*"commands": "ipc:\/\/\(.*\)\/commands.sock".*/\1/p' "$long/run5/.service/contact")
kill -9 "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
[ -S "$sockets/commands.sock" ] || fail "no stale socket in $sockets"
# Its job too (a process group of its own), before its run goes.
jp=$(sed -n 's/^TOCK_JOB_PID=//p' "$long/run5/log/job/1/a/01/job.status")
[ -n "$jp" ] && kill -9 -- "-$jp" 2>/dev/null
expect 0 clean --run-dir "$long/run5" --yes
[ -e "$sockets" ] && fail "tock clean left $sockets"
[ -e "$long/run5" ] && fail "tock clean left the run"
echo ok
