#!/usr/bin/python3
"""A small client of a running tock scheduler: one command, or watch its state.

    client.py NAME ping                       # NAME: the latest ~/tock-run/NAME/runN
    client.py NAME hold --args '{"ids": ["1/a"]}'
    client.py ~/tock-run/NAME/run1 dump       # or a run directory
    client.py --run-dir DIR show --args '{"ids": ["1/a"]}'
    client.py NAME watch --count 5            # the state stream: snapshot + deltas

Over TCP with CurveZMQ when the run listens there (`tock play FLOW --host-port
HOST:PORT`), with the client key in RUN/.service/client.key; else, or with
--local, over the run's ipc:// sockets (this host only). Prints the reply as
JSON; exits 0 when the command was done, 1 when it was refused or failed.
The protocol is in docs/protocol.md. Needs only Debian's python3-zmq.
"""
import argparse
import getpass
import json
import os
import socket
import sys
import time

import zmq


def find_run(target, run_dir):
    """The run directory: --run-dir, a directory given as NAME, or the latest
    ~/tock-run/NAME/runN that has a database (as `tock` finds it)."""
    if run_dir:
        return os.path.abspath(run_dir)
    if os.path.isdir(os.path.join(target, ".service")):
        return os.path.abspath(target)
    base = os.path.join(os.path.expanduser("~"), "tock-run", target)
    runs = []
    for d in os.listdir(base) if os.path.isdir(base) else []:
        if d.startswith("run") and d[3:].isdigit() and os.path.exists(os.path.join(base, d, "db")):
            runs.append((int(d[3:]), os.path.join(base, d)))
    if not runs:
        sys.exit(f"client.py: no run of workflow '{target}' under {base}")
    return max(runs)[1]


def read_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"client.py: cannot read {what} {path} (is the workflow running?): {e}")


class Run:
    """A run's endpoints and keys, from its contact file."""

    def __init__(self, run_dir, local):
        self.dir = run_dir
        self.contact = read_json(os.path.join(run_dir, ".service", "contact"), "the contact file")
        self.tcp = not local and "commands_tcp" in self.contact
        if self.tcp:
            self.key = read_json(os.path.join(run_dir, ".service", "client.key"), "the client key")

    def socket(self, ctx, kind, name):
        """A socket of `kind` connected to endpoint `name` (commands,
        updates, snapshots): with CurveZMQ over TCP, plain over ipc."""
        s = ctx.socket(kind)
        s.linger = 0
        if self.tcp:
            s.curve_serverkey = self.contact["server_public_key"].encode()
            s.curve_publickey = self.key["public"].encode()
            s.curve_secretkey = self.key["secret"].encode()
            # Bound to every interface: reach it by the scheduler's host name.
            host = self.contact["host"]
            s.connect(self.contact[name + "_tcp"].replace("tcp://0.0.0.0:", f"tcp://{host}:"))
        else:
            s.connect(self.contact[name])
        return s


def call(sock, op, args, timeout):
    """One RPC: send a batch of one call, wait for its reply. Returns
    (True, value) or (False, error text)."""
    sock.send(json.dumps([{"id": 1, "op": op, "args": args}]).encode())
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not sock.poll(int(left * 1000)):
            return False, f"no reply within {timeout:g} s (is the workflow running?)"
        for reply in json.loads(sock.recv()):
            if reply.get("id") == 1:
                return ("error" not in reply), reply.get("error", reply.get("ok"))


def command(run, ctx, op, args, timeout):
    if op != "ping":
        args.setdefault("user", f"{getpass.getuser()}@{socket.gethostname()}")  # for the audit
    ok, value = call(run.socket(ctx, zmq.DEALER, "commands"), op, args, timeout)
    if not ok:
        print(f"client.py: {op}: {value}", file=sys.stderr)
        return 1
    print(json.dumps(value, indent=2))
    return 0


def describe(delta):
    """One line for a delta: the tasks that changed, the gone, the workflow."""
    parts = [f"{t['id']} {t['state']}{' (held)' if t.get('held') else ''}" for t in delta["tasks"]]
    parts += [f"{i} gone" for i in delta["gone"]]
    if "workflow" in delta:
        w = delta["workflow"]
        parts.append(f"workflow {w.get('status')}{' (stalled)' if w.get('stalled') else ''}")
    return f"seq {delta['seq']}: " + ", ".join(parts)


def watch(run, ctx, count, timeout):
    """Subscribe first, then take a snapshot; apply the deltas that follow it
    in seq order; on a gap (a lost delta) take a snapshot again."""
    updates = run.socket(ctx, zmq.SUB, "updates")
    updates.setsockopt(zmq.SUBSCRIBE, b"delta")
    snapshots = run.socket(ctx, zmq.DEALER, "snapshots")

    def snapshot():
        ok, snap = call(snapshots, "snapshot", {}, timeout)
        if not ok:
            sys.exit(f"client.py: snapshot: {snap}")
        print(f"snapshot at seq {snap['seq']}: {len(snap['tasks'])} tasks, "
              f"workflow {snap['workflow'].get('status')}", flush=True)
        return snap["seq"], snap["workflow"], {t["id"]: t for t in snap["tasks"]}

    seq, workflow, tasks = snapshot()
    seen = 0
    deadline = time.monotonic() + timeout
    while seen < count:
        left = deadline - time.monotonic()
        if left <= 0 or not updates.poll(int(left * 1000)):
            print(f"client.py: watch: {seen} of {count} deltas within {timeout:g} s", file=sys.stderr)
            return 1
        _topic, body = updates.recv_multipart()
        delta = json.loads(body)
        if delta["seq"] > seq + 1:  # one or more lost (or sent before we subscribed)
            print(f"gap: seq {delta['seq']} after {seq}: new snapshot", flush=True)
            seq, workflow, tasks = snapshot()
        if delta["seq"] != seq + 1:
            continue  # already in the snapshot
        seq = delta["seq"]
        for t in delta["tasks"]:
            tasks[t["id"]] = t
        for i in delta["gone"]:
            tasks.pop(i, None)
        workflow = delta.get("workflow", workflow)
        seen += 1
        print(describe(delta), flush=True)
    states = {}
    for t in tasks.values():
        states[t["state"]] = states.get(t["state"], 0) + 1
    print(f"at seq {seq}: workflow {workflow.get('status')}, tasks {json.dumps(states)}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("words", nargs="+", metavar="RUN_OR_NAME OP",
                   help="a workflow name or run directory (none with --run-dir), then an op "
                        "(ping, pause, hold, show, dump, ... or watch)")
    p.add_argument("--run-dir", help="the run directory")
    p.add_argument("--args", default="{}", help="the op's arguments, a JSON object")
    p.add_argument("--local", action="store_true", help="use the ipc:// endpoints, not TCP")
    p.add_argument("--count", type=int, default=1, help="watch: how many deltas to show")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait (watch: in all)")
    o = p.parse_args()
    if len(o.words) != (1 if o.run_dir else 2):
        p.error("give RUN_OR_NAME OP, or --run-dir DIR OP")
    op = o.words[-1]
    try:
        args = json.loads(o.args)
    except ValueError as e:
        p.error(f"--args is not JSON: {e}")
    if not isinstance(args, dict):
        p.error("--args must be a JSON object")
    run = Run(find_run(o.words[0], o.run_dir), o.local)
    ctx = zmq.Context()
    try:
        if op == "watch":
            return watch(run, ctx, o.count, o.timeout)
        return command(run, ctx, op, args, o.timeout)
    finally:
        ctx.destroy(linger=0)


if __name__ == "__main__":
    sys.exit(main())
