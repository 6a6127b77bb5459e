#!/bin/bash
# Jobs through Slurm beside the same jobs through the background runner: N
# trivial independent jobs (`script: "true"`), medians of ROUNDS runs
# alternating the two. Prints wall time, the submission rate (jobs from the
# first submission to the last, per second), and the CPU of `tock play` and
# the children it waits for (sbatch and squeue for Slurm; the jobs
# themselves for the background runner), and the ratios. Cylc 8 runs the same
# workflow if `cylc` is installed; it is not on a machine set up by
# ./setup.sh, and the table says so.
#   bench/slurm.sh [--quick] [BUILD_DIR] [CLUSTER_DIR]
# CLUSTER_DIR: a cluster tests/slurm/cluster.sh started (default: one is
# started in a scratch directory and stopped after; that needs root).
set -eu
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
build=${1:-build}
tock="$(cd "$build" && pwd)/tools/tock"
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
cluster=${2:-}
own_cluster=
if [ -z "$cluster" ]; then
    cluster=$work/cluster
    "$here/tests/slurm/cluster.sh" start "$cluster" >/dev/null
    own_cluster=1
fi
if [ ! -f "$cluster/slurm.conf" ]; then
    echo "SKIP: no Slurm cluster in $cluster"
    exit 77
fi
trap '[ -n "$own_cluster" ] && "$here/tests/slurm/cluster.sh" stop "$cluster"; rm -rf "$work"' EXIT
export SLURM_CONF=$cluster/slurm.conf
if [ $quick = 1 ]; then n=40; rounds=1; else n=${N:-500}; rounds=${ROUNDS:-3}; fi

for runner in slurm background; do
    {
        printf 'name: bench-%s\n' "$runner"
        [ $runner = slurm ] && printf 'platforms:\n  cluster:\n    job_runner: slurm\n    poll_interval: PT1S\n'
        printf 'parameters:\n  i: 1..%d\nscheduling:\n  graph:\n    R1: a<i>\nruntime:\n  root:\n    script: "true"\n' "$n"
        [ $runner = slurm ] && printf '    platform: cluster\n'
    } >"$work/$runner.yaml"
done

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.6f\n", (a[NR/2]+a[NR/2+1])/2}'; }

r=0
while [ $r -lt $rounds ]; do
    for runner in slurm background; do
        run=$work/$runner-$r
        /usr/bin/time -f "%e %U %S" -o "$work/time" \
            "$tock" play "$work/$runner.yaml" --no-detach --run-dir "$run" >"$work/out" 2>&1 || {
            tail -5 "$work/out"; echo "bench: the $runner run failed" >&2; exit 1; }
        read -r wall user sys <"$work/time"
        echo "$wall" >>"$work/$runner.wall"
        echo "$user $sys" | awk '{print $1 + $2}' >>"$work/$runner.cpu"
        sqlite3 "$run/db" "SELECT (julianday(max(submitted_at)) - julianday(min(submitted_at))) * 86400 FROM jobs" |
            awk -v n="$n" '{ if ($1 > 0) printf "%.1f\n", (n - 1) / $1; else print 0 }' >>"$work/$runner.rate"
    done
    r=$((r + 1))
done

printf '\n%d trivial jobs, median of %d rounds (Slurm: single node, %s CPUs)\n\n' "$n" "$rounds" "$(nproc)"
printf '| runner | wall s | submissions/s | scheduler CPU s |\n|---|---|---|---|\n'
for runner in slurm background; do
    printf '| %s | %.2f | %.1f | %.2f |\n' "$runner" "$(median <"$work/$runner.wall")" \
        "$(median <"$work/$runner.rate")" "$(median <"$work/$runner.cpu")"
done
sw=$(median <"$work/slurm.wall") bw=$(median <"$work/background.wall")
sc=$(median <"$work/slurm.cpu") bc=$(median <"$work/background.cpu")
printf '\nslurm / background: wall %.1fx, scheduler CPU %.1fx\n' \
    "$(echo "$sw $bw" | awk '{print $1 / $2}')" "$(echo "$sc $bc" | awk '{print ($2 > 0 ? $1 / $2 : 0)}')"
if command -v cylc >/dev/null 2>&1; then
    echo "Cylc 8 is installed: compare by hand with the same workflow (cylc vip); not automated here"
else
    echo "Cylc 8: not installed on this machine, no Cylc column"
fi
