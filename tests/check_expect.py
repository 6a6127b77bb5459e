#!/usr/bin/env python3
"""Check a finished run against the hand-written statements in its workflow.

A reference record (*.ref) is written by tock itself, so a regression
written into it would pass. Each "# expect: ..." line of a workflow file is
an independent statement, written by hand from Cylc's semantics, of what
must hold; check_ref.sh runs this beside the record. Statements:

  jobs N                 exactly N jobs ran (submitted)
  ran ID...              each of these ran at least once (CYCLE/TASK; globs)
  never ID...            none of these ever ran
  before A B             every job of A ended (succeeded or failed) before
                         any job of B was submitted (A, B: CYCLE/TASK globs)
  max-active GLOB N      at most N, and at some moment exactly N, jobs of
                         tasks named GLOB were active at once (a queue's
                         limit is used, and kept)
  max-points N           at most N, and at some moment exactly N, cycle
                         points had an active job at once (runahead)
  state ID STATE         ID's final state in the run database
  exit N                 the scheduler's exit status
  says TEXT              the scheduler's output has TEXT (the rest of the line)
  never-says TEXT        ... and has not TEXT

Events come from the run database's task_events, in the order recorded:
a job is active from "triggered" until it ends.

    check_expect.py FLOW.yaml RUN_DB EXIT_STATUS OUTPUT_FILE
"""
import fnmatch
import sqlite3
import sys

ENDS = {"succeeded", "failed", "retry", "submit-failed", "submit-retry"}


def main():
    flow, db_path, status, output = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    statements = []
    with open(flow) as f:
        for n, line in enumerate(f, 1):
            if line.startswith("# expect:"):
                statements.append((n, line[len("# expect:"):].split()))
    if not statements:
        return 0
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    events = db.execute(
        "SELECT cycle, name, submit_num, event FROM task_events ORDER BY id").fetchall()
    states = dict(((c + "/" + n), s) for c, n, s in
                  db.execute("SELECT cycle, name, state FROM task_states"))

    def ids_matching(pattern):
        return lambda c, n: fnmatch.fnmatchcase(c + "/" + n, pattern)

    failures = []
    for n, words in statements:
        what, args = words[0], words[1:]
        where = f"{flow}:{n}: expect {' '.join(words)}"
        if what == "jobs":
            got = sum(1 for e in events if e[3] == "submitted")
            if got != int(args[0]):
                failures.append(f"{where}: {got} jobs ran")
        elif what in ("ran", "never"):
            for pattern in args:
                m = ids_matching(pattern)
                ran = any(e[3] == "submitted" and m(e[0], e[1]) for e in events)
                if ran != (what == "ran"):
                    failures.append(f"{where}: {pattern} {'never ran' if not ran else 'ran'}")
        elif what == "before":
            a, b = ids_matching(args[0]), ids_matching(args[1])
            ends_a = [i for i, e in enumerate(events) if e[3] in ENDS and a(e[0], e[1])]
            subs_b = [i for i, e in enumerate(events) if e[3] == "submitted" and b(e[0], e[1])]
            if not ends_a or not subs_b:
                failures.append(f"{where}: {'no job of ' + args[0] + ' ended' if not ends_a else 'no job of ' + args[1] + ' ran'}")
            elif max(ends_a) > min(subs_b):
                failures.append(f"{where}: a job of {args[1]} was submitted before {args[0]} ended")
        elif what in ("max-active", "max-points"):
            glob = args[0] if what == "max-active" else "*"
            want = int(args[-1])
            active = {}
            most = 0
            for c, name, num, ev in events:
                if not fnmatch.fnmatchcase(name, glob):
                    continue
                if ev == "triggered":
                    active[(c, name, num)] = c
                elif ev in ENDS:
                    active.pop((c, name, num), None)
                now = len(active) if what == "max-active" else len(set(active.values()))
                most = max(most, now)
            if most != want:
                failures.append(f"{where}: the most at once was {most}")
        elif what == "state":
            got = states.get(args[0])
            if got != args[1]:
                failures.append(f"{where}: its state is {got}")
        elif what in ("says", "never-says"):
            text = " ".join(args)
            with open(output, errors="replace") as f:
                said = text in f.read()
            if said != (what == "says"):
                failures.append(f"{where}: the scheduler {'did not say' if not said else 'said'} it")
        elif what == "exit":
            if status != int(args[0]):
                failures.append(f"{where}: the scheduler exited {status}")
        else:
            failures.append(f"{where}: unknown statement '{what}'")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
