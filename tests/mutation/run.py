#!/usr/bin/env python3
"""Mutation check: does the test suite catch small, plausible bugs?

Each mutant in mutants.txt is one textual change to tock's core (a file, a
piece of code that must occur exactly once, its replacement), the tests
that should catch it, and a sentence on what it breaks. For each mutant this
script applies the change to a scratch copy of the tracked sources, builds,
runs the named tests through ctest, and restores the file. A mutant is
killed when a test fails, survives when all pass, and is invalid when it
does not build (fix the mutant: it measures nothing).

    tests/mutation/run.py [--scratch DIR] [--only N[,N...]] [--timeout S]

Not part of ctest: a full run takes most of an hour on two cores. Its
score and the survivors are written up in docs/testing.md.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def parse_mutants(path):
    """Blocks separated by blank lines; each has the keys file, find,
    replace, tests, why. '\\n' in find/replace stands for a newline."""
    mutants, cur = [], {}
    with open(path) as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines + [""], 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                missing = {"file", "find", "replace", "tests", "why"} - cur.keys()
                if missing:
                    sys.exit(f"{path}:{n}: mutant lacks {', '.join(sorted(missing))}")
                mutants.append(cur)
                cur = {}
            continue
        key, sep, value = line.partition(":")
        if not sep or key.strip() not in ("file", "find", "replace", "tests", "why"):
            sys.exit(f"{path}:{n}: expected 'file|find|replace|tests|why: VALUE', got {line!r}")
        value = value[1:] if value.startswith(" ") else value
        if key.strip() in ("find", "replace"):
            value = value.replace("\\n", "\n")
        cur[key.strip()] = value
    return mutants


def run(cmd, cwd, timeout=None, log=None):
    with open(log, "w") if log else open(os.devnull, "w") as out:
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return 124


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scratch", default="/tmp/tock-mutants")
    ap.add_argument("--only", default="", help="comma-separated mutant numbers (1-based)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per mutant's tests")
    ap.add_argument("--check", action="store_true",
                    help="only check that every mutant's code occurs exactly once")
    a = ap.parse_args()
    mutants = parse_mutants(os.path.join(HERE, "mutants.txt"))
    bad = []
    for i, m in enumerate(mutants, 1):
        with open(os.path.join(REPO, m["file"])) as f:
            count = f.read().count(m["find"])
        if count != 1:
            bad.append(f"mutant {i} ({m['file']}): its code occurs {count} times, not once")
    if bad:
        sys.exit("\n".join(bad))
    if a.check:
        print(f"{len(mutants)} mutants, each code found once")
        return
    only = {int(x) for x in a.only.split(",") if x}

    src, build = os.path.join(a.scratch, "src"), os.path.join(a.scratch, "build")
    os.makedirs(a.scratch, exist_ok=True)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        dst = os.path.join(src, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if not os.path.exists(dst) or open(os.path.join(REPO, rel), "rb").read() != open(dst, "rb").read():
            shutil.copy2(os.path.join(REPO, rel), dst)
    print(f"building the unmutated copy in {build} ...", flush=True)
    if run(["cmake", "-S", src, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
           a.scratch) or run(["cmake", "--build", build], a.scratch,
                              log=os.path.join(a.scratch, "build.log")):
        sys.exit(f"the unmutated copy does not build: see {a.scratch}/build.log")

    rows, killed, survived = [], 0, 0
    for i, m in enumerate(mutants, 1):
        if only and i not in only:
            continue
        path = os.path.join(src, m["file"])
        with open(path) as f:
            original = f.read()
        t0 = time.time()
        try:
            with open(path, "w") as f:
                f.write(original.replace(m["find"], m["replace"], 1))
            log = os.path.join(a.scratch, f"mutant{i}.log")
            if run(["cmake", "--build", build], a.scratch, log=log):
                result = "INVALID (does not build)"
            else:
                rc = run(["ctest", "--test-dir", build, "-R", m["tests"], "-j", "2",
                          "--timeout", str(a.timeout), "--output-on-failure"],
                         a.scratch, timeout=a.timeout * 3, log=log)
                if rc == 0:
                    # ctest passes when no test matched: that is a broken mutant.
                    out = open(log).read()
                    if re.search(r"No tests were found", out):
                        result = "INVALID (no test matches)"
                    else:
                        result = "survived"
                        survived += 1
                else:
                    result = "killed"
                    killed += 1
        finally:
            with open(path, "w") as f:
                f.write(original)
        rows.append((i, m["file"], m["tests"], result, int(time.time() - t0), m["why"]))
        print(f"{i:3}  {result:9}  {int(time.time() - t0):4} s  {m['file']}: {m['why']}", flush=True)

    print()
    print("| # | file | tests | result | s | what the mutant breaks |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| {} | {} | `{}` | {} | {} | {} |".format(*r))
    total = killed + survived
    if total:
        print(f"\nmutation score: {killed}/{total} killed = {100 * killed / total:.0f}%")
    sys.exit(0 if survived == 0 else 1)


if __name__ == "__main__":
    main()
