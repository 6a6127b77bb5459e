#!/usr/bin/env python3
"""Fuzz the commands endpoint of a running scheduler (seeded, bounded): raw
frames of random bytes, JSON of every shape, calls of every op with random
arguments, ids of random forms. The scheduler must answer every call that
has an id (ok or error, never silence), drop and count the rest, stay up,
and still run its workflow to the end that a run without the fuzz has.
    fuzz_commands.py TOCK FLOW [--seed N] [--count N]"""
import argparse, json, os, random, subprocess, sys, tempfile, time
import zmq

ap = argparse.ArgumentParser()
ap.add_argument("tock")
ap.add_argument("flow")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--count", type=int, default=3000)
a = ap.parse_args()
rng = random.Random(a.seed)
home = os.environ.get("FUZZ_HOME") or tempfile.mkdtemp()
env = dict(os.environ, HOME=home)
run = os.path.join(home, "run")


def fail(why):
    print("FAIL (seed %d):" % a.seed, why)
    subprocess.run([a.tock, "stop", run, "--now"], env=env, capture_output=True)
    sys.exit(1)


r = subprocess.run([a.tock, "play", a.flow, "--run-dir", run, "--pause"], env=env,
                   capture_output=True, text=True)
if r.returncode:
    fail("play: " + r.stderr)
contact = json.load(open(os.path.join(run, ".service", "contact")))
ctx = zmq.Context()
sock = ctx.socket(zmq.DEALER)
sock.connect(contact["commands"])

OPS = ["pause", "resume", "stop", "hold", "release", "trigger", "kill", "poll", "set",
       "remove", "broadcast", "show", "dump", "reload", "ping", "nosuch", "", "$ping"]
SAFE = ["hold", "release", "show", "dump", "ping", "broadcast", "nosuch", "poll", "set", "trigger"]
WORDS = ["1/a", "2/b", "*", "*/*", "1", "1/*:running", "[", "]", "::", "1/a/01", "1/nope", "x/y",
         "1/a:bogus", "", "//", "1/ROOT", "\u00e9", "\udcff"[:0], "9" * 30, "-1/a"]


def value(depth=0):
    k = rng.randrange(9 if depth < 3 else 6)
    if k == 0: return None
    if k == 1: return rng.random() < 0.5
    if k == 2: return rng.randint(-2**63, 2**64)
    if k == 3: return rng.random() * 1e300
    if k == 4: return rng.choice(WORDS)
    if k == 5: return "".join(chr(rng.randrange(1, 0x3000)) for _ in range(rng.randrange(8)))
    if k == 6: return [value(depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["ids", "out", "pre", "set", "mode", "after", "all", "point", "namespace",
                        "clear", "display", "wall_clock", "user", "file", "x"]): value(depth + 1)
            for _ in range(rng.randrange(4))}


def args():
    if rng.random() < 0.2:
        return value()
    d = {}
    if rng.random() < 0.7:
        d["ids"] = [rng.choice(WORDS) for _ in range(rng.randrange(4))] if rng.random() < 0.8 else value()
    for key in ["out", "pre", "set", "point", "namespace", "all", "clear", "after", "mode"]:
        if rng.random() < 0.15:
            d[key] = value()
    return d


def ping(alone=True):
    """The scheduler's counters. alone: nothing else may be answered first."""
    sock.send(json.dumps([{"id": 0, "op": "ping", "args": {}}]).encode())
    while sock.poll(5000):
        replies = json.loads(sock.recv())
        if len(replies) == 1 and replies[0].get("id") == 0:
            return replies[0]["ok"]
        if alone:
            fail("ping: expected its answer alone, got %s" % replies)
    fail("no answer to ping")


# A call without an id is dropped and counted, never run: its reply could not
# be matched to it, so its effect would reach the operator unconfirmed.
before = ping()["malformed"]
sock.send(json.dumps([{"op": "hold", "args": {"ids": ["1/a"]}}]).encode())
after = ping()["malformed"]  # a reply to the hold would come first and fail here
if after != before + 1:
    fail("a call without an id was not counted malformed (%d, then %d)" % (before, after))
shown = subprocess.run([a.tock, "show", run + "//1/a"], env=env, capture_output=True, text=True)
if "state: waiting\n" not in shown.stdout:
    fail("a hold without an id was carried out:\n" + shown.stdout + shown.stderr)

calls = {}
next_id = 1
sent_frames = 0
for i in range(a.count):
    kind = rng.randrange(10)
    if kind == 0:
        frames = [bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
                  for _ in range(rng.randrange(1, 3))]
        sock.send_multipart(frames)
        continue
    if kind == 1:
        sock.send(json.dumps(value()).encode())
        continue
    batch = []
    for _ in range(rng.randrange(1, 4)):
        # Never a real stop, reload or kill/remove of everything: the workflow must finish.
        op = rng.choice(SAFE if rng.random() < 0.9 else OPS)
        if op in ("stop", "reload", "remove", "kill", "pause", "resume"):
            op = "show"
        m = {"op": op, "args": args()}
        if op == "set" and isinstance(m["args"], dict):
            m["args"]["ids"] = ["9/zz"]  # an id that matches nothing: set is refused
        if op == "trigger" and isinstance(m["args"], dict):
            m["args"]["ids"] = ["1/nope"]
        if rng.random() < 0.05:
            m = value()  # not a message at all
        elif rng.random() < 0.9 and op != "$ping":  # $ping's answer carries no id
            m["id"] = next_id
            calls[next_id] = m
            next_id += 1
        elif rng.random() < 0.5:
            m["id"] = value()
        batch.append(m)
    sock.send(json.dumps(batch).encode())

# Every call with an id is answered exactly once.
answered = {}
deadline = time.time() + 60
while len(answered) < len(calls) and time.time() < deadline:
    if not sock.poll(1000):
        continue
    for r in json.loads(sock.recv()):
        if "id" in r and r["id"] in calls:
            if r["id"] in answered:
                fail("call %d answered twice" % r["id"])
            answered[r["id"]] = r
missing = [i for i in calls if i not in answered]
if missing:
    fail("%d calls never answered, e.g. %s" % (len(missing), [json.dumps(calls[i])[:300] for i in missing[:3]]))
pong = ping(alone=False)
if pong["malformed"] == before + 1:
    fail("nothing was counted malformed")
# The state stream's snapshots endpoint, and its updates PUB, take the same.
snap = ctx.socket(zmq.DEALER)
snap.connect(contact["snapshots"])
pub = ctx.socket(zmq.XSUB)
pub.connect(contact["updates"])
for i in range(a.count // 10):
    junk = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
    snap.send_multipart([junk] * rng.randrange(1, 3))
    snap.send(json.dumps([{"op": rng.choice(["snapshot", "x", ""]), "args": value(), "id": value()}]).encode())
    pub.send(junk)  # subscriptions and garbage
snap.send(json.dumps([{"id": 1, "op": "snapshot", "args": {}}]).encode())
deadline = time.time() + 10
while time.time() < deadline:
    if snap.poll(1000):
        reply = [r for r in json.loads(snap.recv()) if r.get("id") == 1 and "ok" in r]
        if reply and "tasks" in reply[0]["ok"]:
            break
else:
    fail("no snapshot after the fuzz")
# The workflow still runs to its end.
subprocess.run([a.tock, "release", run, "--all"], env=env, capture_output=True)
subprocess.run([a.tock, "broadcast", run, "--clear"], env=env, capture_output=True)
r = subprocess.run([a.tock, "resume", run], env=env, capture_output=True, text=True)
if r.returncode:
    fail("resume: " + r.stdout + r.stderr)
deadline = time.time() + 60
log = os.path.join(run, "log", "scheduler", "log")
while time.time() < deadline and os.path.exists(os.path.join(run, ".service", "contact")):
    time.sleep(0.1)
text = open(log).read()
if "complete: 6 jobs, 6 succeeded" not in text:
    fail("the workflow did not complete as without the fuzz:\n" + text[-2000:])
print("fuzz: %d messages, %d calls answered, %d malformed dropped; the workflow completed"
      % (a.count, len(answered), pong["malformed"]))
