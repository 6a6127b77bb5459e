#!/bin/bash
# examples/client.py against a real, detached run that listens on TCP with
# CurveZMQ (--host-port 127.0.0.1:0): ping, hold, show, release, dump, a
# refusal, watch (snapshot + deltas); then that a client with no CurveZMQ or
# with another key gets no reply at all on the commands and snapshots
# endpoints and nothing from the updates, while the run's key does; the
# commands table; and tock stop --kill.
#   check_client_py.sh TOCK EXAMPLES_DIR
# HOME is a temporary directory: nothing touches the real ~/tock-run.
set -u
tock=$1
examples=$2
client=$examples/client.py
tmp=$(mktemp -d)
export HOME=$tmp/home
mkdir -p "$HOME"
pid=
cleanup() {
    if [ -n "$pid" ]; then
        kill -KILL "$pid" 2>/dev/null
        # The jobs it left: each in a process group of its own.
        # shellcheck disable=SC2013
        for g in $(sed -n 's/^TOCK_JOB_PID=//p' "$HOME"/tock-run/*/run*/log/job/*/*/*/job.status 2>/dev/null); do
            kill -KILL -- "-$g" 2>/dev/null
        done
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    [ -s "$tmp/out" ] && { echo "--- stdout"; cat "$tmp/out"; }
    [ -s "$tmp/err" ] && { echo "--- stderr"; cat "$tmp/err"; }
    [ -n "${run:-}" ] && [ -f "$run/log/scheduler/log" ] && { echo "--- scheduler log"; tail -20 "$run/log/scheduler/log"; }
    exit 1
}

# Debian's python3-zmq belongs to /usr/bin/python3; a python3 earlier in PATH
# (pyenv, a venv) may not have it.
py=
for p in /usr/bin/python3 "$(command -v python3)"; do
    if [ -x "$p" ] && "$p" -c 'import zmq; assert zmq.has("curve")' 2>/dev/null; then
        py=$p
        break
    fi
done
[ -n "$py" ] || fail "no python3 with zmq and CurveZMQ (apt-get install python3-zmq)"
command -v sqlite3 >/dev/null || fail "no sqlite3 (apt-get install sqlite3)"

# expect RC WHAT ARGS...: client.py ARGS exits RC; its output in $tmp/out and $tmp/err.
expect() {
    local want=$1 what=$2
    shift 2
    "$py" "$client" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    [ "$rc" -eq "$want" ] || fail "$what: client.py $*: exit $rc, not $want"
}
# check WHAT PYTHON: PYTHON, with the last reply as `r`, asserts what it must.
check() {
    "$py" -c "import json, sys; r = json.load(open('$tmp/out')); $2" || fail "$1"
}

# a runs one at a time (queue of 1), four cycle points ahead (runahead P3):
# 2/a..4/a wait in the pool for seconds, and something changes every ~3 s.
cat >"$tmp/clientpy.yaml" <<'FLOW'
name: clientpy
scheduling:
  cycling: integer
  final: 100
  runahead: P3
  queues:
    one: {limit: 1, members: [a]}
  graph:
    P1: a => b
runtime:
  a:
    script: sleep 3
  b:
    script: "true"
FLOW

out=$("$tock" play "$tmp/clientpy.yaml" --host-port 127.0.0.1:0) || fail "play: $out"
pid=$(echo "$out" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
[ -n "$pid" ] || fail "no pid in: $out"
run=$HOME/tock-run/clientpy/run1
"$py" - "$run/.service" <<'PY' || fail "contact file or client key"
import json, os, stat, sys
d = sys.argv[1]
c = json.load(open(d + "/contact"))
for k in ("commands", "updates", "snapshots"):
    assert c[k].startswith("ipc://"), (k, c)
    assert c[k + "_tcp"].startswith("tcp://127.0.0.1:"), (k, c)
assert len(c["server_public_key"]) == 40, c
k = json.load(open(d + "/client.key"))
assert len(k["public"]) == 40 and len(k["secret"]) == 40, k
assert stat.S_IMODE(os.stat(d + "/client.key").st_mode) == 0o600
PY

echo "== ping, hold, show, release, dump, a refusal"
expect 0 "ping" clientpy ping
check "ping" "assert r['workflow'] == 'clientpy' and r['pid'] == $pid and r['status'] == 'running', r"
expect 0 "hold" clientpy hold --args '{"ids": ["4/a"]}'
check "hold" "assert r == {'done': ['4/a'], 'refused': []}, r"
expect 0 "show" clientpy show --args '{"ids": ["4/a"]}'
check "show held" "t = r['tasks'][0]; assert t['id'] == '4/a' and t['held'] is True and t['state'] == 'waiting', t"
expect 0 "release" clientpy release --args '{"ids": ["4/a"]}'
check "release" "assert r == {'done': ['4/a'], 'refused': []}, r"
# The run directory, and ipc (--local), work as well as the name.
expect 0 "show --local" "$run" show --local --args '{"ids": ["4/a"]}'
check "show released" "assert r['tasks'][0]['held'] is False, r"
expect 0 "dump" --run-dir "$run" dump
check "dump" "assert r['workflow']['name'] == 'clientpy' and any(t['task'] == 'a' for t in r['tasks']), r"
expect 1 "release of a task not held" clientpy release --args '{"ids": ["4/a"]}'
grep -q "release: nothing done: 4/a: it is not held" "$tmp/err" || fail "the refusal's reason"
expect 1 "an unknown op" clientpy frob
grep -q "unknown operation 'frob'" "$tmp/err" || fail "the unknown op's error"

echo "== watch: a snapshot, then deltas in seq order"
expect 0 "watch" clientpy watch --count 2 --timeout 30
grep -q "^snapshot at seq [0-9]" "$tmp/out" || fail "watch took no snapshot"
[ "$(grep -c "^seq [0-9]*: " "$tmp/out")" -eq 2 ] || fail "watch did not print 2 deltas"

echo "== CurveZMQ: no key, a wrong key, the right key"
"$py" - "$run/.service" <<'PY' || fail "CurveZMQ admission"
import json, sys, time
import zmq
d = sys.argv[1]
contact = json.load(open(d + "/contact"))
key = json.load(open(d + "/client.key"))
ctx = zmq.Context()
keys = {
    "plain": None,
    "wrong": zmq.curve_keypair(),
    "right": (key["public"].encode(), key["secret"].encode()),
}

def sock(kind, endpoint, k):
    s = ctx.socket(kind)
    s.linger = 0
    if k:
        s.curve_serverkey = contact["server_public_key"].encode()
        s.curve_publickey, s.curve_secretkey = k
    s.connect(endpoint)
    return s

def ask(endpoint, op, k):
    """The reply to one call within 2 s, or None."""
    s = sock(zmq.DEALER, endpoint, k)
    s.send(json.dumps([{"id": 1, "op": op, "args": {}}]).encode())
    reply = json.loads(s.recv()) if s.poll(2000) else None
    s.close()
    return reply

for name, op in (("commands_tcp", "ping"), ("snapshots_tcp", "snapshot")):
    for who in ("plain", "wrong"):
        r = ask(contact[name], op, keys[who])
        assert r is None, f"{name}: a client with {who} key got a reply: {r}"
    r = ask(contact[name], op, keys["right"])
    assert r and r[0]["id"] == 1 and "ok" in r[0], f"{name}: the right key got {r}"
    print(f"{name}: no reply without a key or with a wrong one; the right key's {op} answered")

# The updates: the right key's subscriber gets deltas, the others none.
subs = {}
for who, k in keys.items():
    subs[who] = sock(zmq.SUB, contact["updates_tcp"], k)
    subs[who].setsockopt(zmq.SUBSCRIBE, b"")
got = dict.fromkeys(subs, 0)
deadline = time.monotonic() + 20
while time.monotonic() < deadline and got["right"] < 2:
    for who, s in subs.items():
        while s.poll(0):
            s.recv_multipart()
            got[who] += 1
    time.sleep(0.05)
assert got["right"] >= 2 and got["plain"] == got["wrong"] == 0, got
print(f"updates_tcp: deltas received {got}")

r = ask(contact["commands_tcp"], "ping", keys["right"])
assert r[0]["ok"]["refused_clients"] >= 1, r
ctx.destroy(linger=0)
PY

echo "== the commands table"
sqlite3 "$run/db" "select op || ' ' || ok from commands order by id" >"$tmp/out" || fail "sqlite3"
[ "$(tr '\n' ' ' <"$tmp/out")" = "hold 1 show 1 release 1 show 1 dump 1 release 0 " ] ||
    fail "the commands table does not list hold, show, release, show, dump, release (refused)"
# Over TCP, who asked names the client's key; over ipc, local.
ckey=$("$py" -c "import json; print(json.load(open('$run/.service/client.key'))['public'])")
who_tcp=$(sqlite3 "$run/db" "select who from commands where op = 'hold'")
case $who_tcp in *@*" ($ckey)") ;; *) fail "hold's who: '$who_tcp', not USER@HOST ($ckey)" ;; esac
who_ipc=$(sqlite3 "$run/db" "select who from commands where op = 'show' order by id desc limit 1")
case $who_ipc in *@*" (local)") ;; *) fail "show --local's who: '$who_ipc', not USER@HOST (local)" ;; esac

echo "== tock stop --kill"
"$tock" stop clientpy --kill >"$tmp/out" 2>"$tmp/err" || fail "tock stop --kill"
for _ in $(seq 400); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
done
kill -0 "$pid" 2>/dev/null && fail "the scheduler did not end within 20 s of tock stop --kill"
pid=
[ -e "$run/.service/contact" ] && fail "the contact file outlived the scheduler"
expect 1 "ping of a stopped run" clientpy ping
echo "PASS: client.py"
