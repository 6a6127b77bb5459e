#!/bin/sh
# Scheduler benchmarks: each prints a table (medians of ROUNDS runs, the
# scheduler and its baseline measured side by side, alternating).
#   bench/scheduler.sh [--quick] [--only SECTION,...] [BUILD_DIR]
#   chain    1,000 sequential `script: true` jobs vs 1,000 `bash -c true`
#            spawned one after another (the floor); target <= 1.5x. Each
#            round runs it on disk and again in /dev/shm (tmpfs).
#   latency  a job's exit to its dependent's submission, from the chain runs'
#            job-times; target median < 2 ms
#   store    the chain with the run database on disk vs in memory; target
#            <= 1.2x
#   fan      one task, 5,000 in parallel through a queue of 50, one task:
#            wall time and the scheduler's own CPU
#   scale    100,000 tasks in simulation --fast, in a wide and a sequential
#            shape: wall time, peak RSS; targets < 5 s, < 300 MB
#   idle     a workflow waiting on a clock trigger one hour ahead: voluntary
#            context switches of every scheduler thread over 10 s; target 0
set -eu
quick=0
only=chain,store,fan,scale,idle
while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1; shift ;;
    --only) only=$2; shift 2 ;;
    *) break ;;
    esac
done
want() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
build=${1:-build}
tock="$(cd "$build" && pwd)/tools/tock"
work=$(mktemp -d)
# Run directories are kept until the end. Deleting one between rounds would
# make the next round pay for it: ext4 skips inodes deleted in the last
# minutes when it allocates new ones, checking each on disk, so the next
# run's thousands of job files would each scan past the last run's.
# The chain also runs with its run directory in memory (/dev/shm), beside
# the same run on disk: what the job files cost this filesystem.
shm=
if [ -d /dev/shm ] && [ -w /dev/shm ]; then shm=$(mktemp -d /dev/shm/tock-bench.XXXXXX); fi
trap 'rm -rf "$work" ${shm:+"$shm"}' EXIT
if [ $quick = 1 ]; then chain_n=100; fan_n=500; rounds=1; idle_s=2; else chain_n=1000; fan_n=5000; rounds=${ROUNDS:-5}; idle_s=10; fi

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.6f\n", (a[NR/2]+a[NR/2+1])/2}'; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if (i<1) i=1; print a[i]}'; }
now() { date +%s.%N; }

# The chain workflow, run by the chain and store sections.
{
    printf 'name: chain\nscheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: |\n'
    i=1
    while [ $i -lt "$chain_n" ]; do printf '      t%d => t%d\n' $((i - 1)) $i; i=$((i + 1)); done
    printf 'runtime:\n  root:\n    script: "true"\n'
} >"$work/chain.yaml"

# --- chain -------------------------------------------------------------------
if want chain; then
: >"$work/chain.t"
: >"$work/floor.t"
: >"$work/latency.us"
r=0
while [ $r -lt $rounds ]; do
    t0=$(now)
    i=0
    while [ $i -lt "$chain_n" ]; do bash -c true; i=$((i + 1)); done
    t1=$(now)
    awk -v a="$t0" -v b="$t1" "BEGIN {print b - a}" >>"$work/floor.t"
    t0=$(now)
    "$tock" play "$work/chain.yaml" --no-detach --run-dir "$work/chain$r" >/dev/null
    t1=$(now)
    awk -v a="$t0" -v b="$t1" "BEGIN {print b - a}" >>"$work/chain.t"
    if [ -n "$shm" ]; then
        t0=$(now)
        "$tock" play "$work/chain.yaml" --no-detach --run-dir "$shm/chain$r" >/dev/null
        t1=$(now)
        awk -v a="$t0" -v b="$t1" "BEGIN {print b - a}" >>"$work/chain_shm.t"
    fi
    # Latency: t(i)'s exit to t(i+1)'s submission.
    awk -F'\t' '{split($1, p, "/"); n = substr(p[2], 2); if ($2 == "exited") ex[n] = $3; else sub_[n] = $3}
        END {for (n in ex) if ((n + 1) in sub_) print (sub_[n + 1] - ex[n]) / 1000}' \
        "$work/chain$r/log/scheduler/job-times" >>"$work/latency.us"
    r=$((r + 1))
done
chain=$(median <"$work/chain.t")
floor=$(median <"$work/floor.t")
echo "## chain: $chain_n sequential jobs (median of $rounds)"
echo
echo "| what | wall s | per job ms | ratio to floor | target |"
echo "|---|---:|---:|---:|---|"
printf '| floor: %d x bash -c true | %.2f | %.2f | 1.00 | |\n' "$chain_n" "$floor" "$(awk "BEGIN {print $floor * 1000 / $chain_n}")"
printf '| tock play, script: true | %.2f | %.2f | %.2f | <= 1.5 |\n' "$chain" "$(awk "BEGIN {print $chain * 1000 / $chain_n}")" "$(awk "BEGIN {print $chain / $floor}")"
if [ -n "$shm" ]; then
    chain_shm=$(median <"$work/chain_shm.t")
    printf '| the same, run directory in /dev/shm | %.2f | %.2f | %.2f | |\n' "$chain_shm" "$(awk "BEGIN {print $chain_shm * 1000 / $chain_n}")" "$(awk "BEGIN {print $chain_shm / $floor}")"
fi
echo
echo "## latency: a job's exit to its dependent's submission ($(wc -l <"$work/latency.us") hops)"
echo
echo "| median ms | p99 ms | target |"
echo "|---:|---:|---|"
printf '| %.3f | %.3f | median < 2 ms |\n' "$(median <"$work/latency.us")" "$(pct 99 <"$work/latency.us")"

fi

# --- store -------------------------------------------------------------------
if want store; then
# The chain again, with the run database on disk (the default) beside the
# same run with the store writing to an in-memory database, alternating;
# target: on disk within 1.2x of in memory.
: >"$work/disk.t"
: >"$work/mem.t"
r=0
while [ $r -lt $rounds ]; do
    for db in disk mem; do
        flag=
        [ $db = mem ] && flag=--db-in-memory
        t0=$(now)
        "$tock" play "$work/chain.yaml" --no-detach --run-dir "$work/$db$r" $flag >/dev/null
        t1=$(now)
        awk -v a="$t0" -v b="$t1" "BEGIN {print b - a}" >>"$work/$db.t"
    done
    r=$((r + 1))
done
disk=$(median <"$work/disk.t")
mem=$(median <"$work/mem.t")
echo
echo "## store: the chain with the run database on disk and in memory (median of $rounds)"
echo
echo "| run database | wall s | per job ms | ratio | target |"
echo "|---|---:|---:|---:|---|"
printf '| in memory | %.2f | %.2f | 1.00 | |\n' "$mem" "$(awk "BEGIN {print $mem * 1000 / $chain_n}")"
printf '| on disk (WAL) | %.2f | %.2f | %.2f | <= 1.2 |\n' "$disk" "$(awk "BEGIN {print $disk * 1000 / $chain_n}")" "$(awk "BEGIN {print $disk / $mem}")"

fi

# --- fan ---------------------------------------------------------------------
if want fan; then
{
    printf 'name: fan\nscheduling:\n  cycling: integer\n  final: 1\n'
    printf '  queues:\n    wide: {limit: 50, members: [FAN]}\n'
    printf '  graph:\n    R1: start => FAN:succeed-all => finish\n'
    printf 'runtime:\n  root:\n    script: "true"\n  FAN: {}\n'
    i=0
    while [ $i -lt "$fan_n" ]; do printf '  m%d: {inherit: [FAN]}\n' $i; i=$((i + 1)); done
} >"$work/fan.yaml"
: >"$work/fan.t"
: >"$work/fan.cpu"
fan_rounds=$((rounds < 3 ? rounds : 3))
r=0
while [ $r -lt $fan_rounds ]; do
    t0=$(now)
    "$tock" play "$work/fan.yaml" --no-detach --run-dir "$work/fan$r" >/dev/null
    t1=$(now)
    awk -v a="$t0" -v b="$t1" "BEGIN {print b - a}" >>"$work/fan.t"
    sed -n 's/^scheduler cpu \([0-9.]*\) s.*/\1/p' "$work/fan$r/log/scheduler/log" >>"$work/fan.cpu"
    r=$((r + 1))
done
echo
echo "## fan: 1 + $fan_n (queue of 50) + 1 jobs (median of $fan_rounds)"
echo
echo "| wall s | scheduler CPU s | scheduler CPU per job ms |"
echo "|---:|---:|---:|"
fcpu=$(median <"$work/fan.cpu")
printf '| %.2f | %.2f | %.3f |\n' "$(median <"$work/fan.t")" "$fcpu" "$(awk "BEGIN {print $fcpu * 1000 / ($fan_n + 2)}")"

fi

# --- scale -------------------------------------------------------------------
if want scale; then
# Two shapes of 100,000 tasks (1,000 integer cycles of 100 tasks):
#   wide:       prep[-P1] => prep => 98 ensemble members => post (the usual
#               shape of a cycling workflow: work in parallel within a cycle,
#               five cycles in flight under the default runahead)
#   sequential: t0 => t1 => ... => t99 => the next cycle's t0: one task at a
#               time, so the time is 100,000 x one task's trip through the
#               components, with nothing to batch
scale_cycles=1000
[ $quick = 1 ] && scale_cycles=10
{
    printf 'name: wide\nscheduling:\n  cycling: integer\n  final: %d\n  graph:\n    P1: |\n' $scale_cycles
    printf '      prep[-P1] => prep => ENS\n      ENS:succeed-all => post\nruntime:\n  ENS: {}\n'
    i=0
    while [ $i -lt 98 ]; do printf '  m%d: {inherit: [ENS]}\n' $i; i=$((i + 1)); done
} >"$work/wide.yaml"
{
    printf 'name: sequential\nscheduling:\n  cycling: integer\n  final: %d\n  graph:\n    P1: |\n' $scale_cycles
    i=1
    while [ $i -lt 100 ]; do printf '      t%d => t%d\n' $((i - 1)) $i; i=$((i + 1)); done
    printf '      t99[-P1] => t0\n'
} >"$work/sequential.yaml"
echo
echo "## scale: 100 tasks x $scale_cycles cycles, simulation --fast"
echo
echo "| shape | tasks | wall s | peak RSS MB | per task us | targets |"
echo "|---|---:|---:|---:|---:|---|"
for shape in wide sequential; do
    /usr/bin/time -f '%e %M' -o "$work/scale.time" "$tock" play "$work/$shape.yaml" --mode simulation --fast --no-detach --run-dir "$work/$shape" >/dev/null
    read -r secs kb <"$work/scale.time"
    n=$(grep -c succeeded "$work/$shape/log/scheduler/reference")
    printf '| %s | %d | %s | %d | %.0f | < 5 s, < 300 MB |\n' "$shape" "$n" "$secs" $((kb / 1024)) "$(awk "BEGIN {print $secs * 1e6 / $n}")"
done

fi

# --- idle --------------------------------------------------------------------
if want idle; then
cat >"$work/idle.yaml" <<'FLOW'
name: idle
scheduling:
  cycling: datetime
  initial: now
  special_tasks:
    clock_trigger: {later: PT1H}
  graph:
    R1: later
FLOW
"$tock" play "$work/idle.yaml" --run-dir "$work/idle" >/dev/null
pid=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "$work/idle/.service/contact")
sleep 1
switches() { cat /proc/"$pid"/task/*/status | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s}'; }
threads=$(ls /proc/"$pid"/task | wc -l)
a=$(switches)
sleep "$idle_s"
b=$(switches)
kill -TERM "$pid"
echo
echo "## idle: waiting on a clock trigger one hour ahead"
echo
echo "| seconds | threads | voluntary context switches | target |"
echo "|---:|---:|---:|---|"
echo "| $idle_s | $threads | $((b - a)) | 0 |"

fi
