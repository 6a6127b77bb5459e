"""Fuzz `tock import` with the workflows of tests/import, mutated.

Each round takes one workflow, damages it at random (characters deleted,
inserted from the ones the format gives meaning to, lines repeated, swapped
or cut), and runs the real `tock import` on it, then `tock validate` on what
it wrote. Whatever the input, tock import must end with 0 (and YAML that
loads, with a graph), 1 (no graph) or 2 (a message naming the file), never
crash, never hang, never report an internal error; tock validate must end
with 0 or 1.

    fuzz_import.py TOCK IMPORT_DIR [--rounds N] [--seed S]
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

SPECIAL = list('[]"\'=#\\%{}<>,:?!&|()-\n\t ') + ['"""', "'''", '{{', '{%', '%}', '=>', '[[', ']]']


def mutate(text, rng):
    lines = text.split('\n')
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        if kind == 0 and text:
            at = rng.randrange(len(text))
            text = text[:at] + text[at + rng.randint(1, 5):]
        elif kind == 1:
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(SPECIAL) + text[at:]
        elif kind == 2 and lines:
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = '\n'.join(lines)
        elif kind == 3 and len(lines) > 1:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = '\n'.join(lines)
        elif kind == 4 and text:
            text = text[:rng.randrange(len(text))]
        else:
            at = rng.randrange(len(text) + 1)
            text = text[:at] + chr(rng.choice([0x7f, 0x01, 0xe9, 0x263a, 0x09])) + text[at:]
        lines = text.split('\n')
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('tock')
    ap.add_argument('import_dir')
    ap.add_argument('--rounds', type=int, default=150)
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()
    args.tock = os.path.abspath(args.tock)
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix='tock-fuzz-import-')
    try:
        shutil.copytree(args.import_dir, os.path.join(work, 'import'))
        base = os.path.join(work, 'import')
        flows = sorted(f for f in os.listdir(base) if f.endswith('.cylc'))
        counts = {0: 0, 1: 0, 2: 0}
        failures = []
        for r in range(args.rounds):
            name = rng.choice(flows)
            with open(os.path.join(base, name), encoding='utf-8') as f:
                text = mutate(f.read(), rng)
            target = os.path.join(base, 'fuzzed.cylc')
            with open(target, 'w', encoding='utf-8', errors='surrogateescape') as f:
                f.write(text)
            argv = [args.tock, 'import', 'fuzzed.cylc', '-o', 'fuzzed.yaml']
            if text.startswith('#!jinja2'):
                argv += ['--set', 'N=2', '--set', 'LABEL="x"', '--set-file', 'jinja_setfile.vars']
            try:
                p = subprocess.run(argv, cwd=base, capture_output=True, timeout=30)
            except subprocess.TimeoutExpired:
                failures.append((r, name, 'tock import hung', text))
                continue
            err = p.stderr.decode(errors='replace')
            problem = None
            if p.returncode not in (0, 1, 2):
                problem = f'tock import exited {p.returncode}: {err}'
            elif 'internal error' in err:
                problem = f'internal error: {err}'
            elif p.returncode == 2 and not re.search(r'\.cylc(:\d+|: line \d+ of the Jinja2 output[^:]*)?: error: ', err) \
                    and '--set' not in err:
                problem = f'exit 2 without naming the file: {err}'
            elif p.returncode == 1 and 'no graph' not in err:
                problem = f'exit 1 without saying why: {err}'
            elif p.returncode == 0:
                with open(os.path.join(base, 'fuzzed.yaml'), encoding='utf-8',
                          errors='replace') as f:
                    out = f.read()
                if 'graph:' not in out:
                    problem = 'exit 0 without a graph'
                else:
                    v = subprocess.run([args.tock, 'validate', 'fuzzed.yaml'], cwd=base,
                                       capture_output=True, timeout=30)
                    if v.returncode not in (0, 1):
                        problem = (f'tock validate exited {v.returncode} on the output: '
                                   f'{v.stderr.decode(errors="replace")}')
            if problem:
                failures.append((r, name, problem, text))
            else:
                counts[p.returncode] += 1
        print(f'seed {args.seed}: {args.rounds} rounds: {counts[0]} imported, '
              f'{counts[1]} without a graph, {counts[2]} refused; {len(failures)} failures')
        for r, name, problem, text in failures[:5]:
            print(f'--- round {r} ({name}): {problem}\n{text}\n')
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
