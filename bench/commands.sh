#!/bin/sh
# Operator-command benchmarks: each prints a table.
#   bench/commands.sh [--quick] [BUILD_DIR]
#   roundtrip  ping and show over one persistent connection to a paused run:
#              p50 / p99 (target p50 < 200 us)
#   process    `tock hold NAME//1/a` as a process, start to exit, against a
#              paused run: median of 30 (target < 20 ms)
#   busy       show's p50 / p99 while a 5,000-task fan runs live jobs
#              through a queue of 50 (target p99 < 10 ms)
#   bulk       `tock hold NAME//1` and `tock set NAME//1` on a cycle of 1,000
#              waiting tasks, as processes, while another client pings: the
#              bulk command's time and the pings' p99 meanwhile (target
#              < 100 ms; Cylc 8 takes about 67 s for `cylc set` on a cycle
#              of its "complex" workflow, cylc-flow #7183)
set -eu
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
build=${1:-build}
tock="$(cd "$build" && pwd)/tools/tock"
bench="$(cd "$build" && pwd)/bench/tock_bench_commands"
work=$(mktemp -d)
HOME=$work
export HOME
trap 'for c in "$work"/*/.service/contact; do [ -e "$c" ] && "$tock" stop "$(dirname "$(dirname "$c")")" --now >/dev/null 2>&1; done; rm -rf "$work"' EXIT
if [ $quick = 1 ]; then n=200; fan_n=500; bulk_n=100; reps=5; else n=5000; fan_n=5000; bulk_n=1000; reps=30; fi
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

cat >"$work/idle.yaml" <<'FLOW'
name: idle
scheduling:
  cycling: integer
  final: 1
  graph:
    R1: a => b
FLOW
"$tock" play "$work/idle.yaml" --run-dir "$work/idle" --pause >/dev/null

echo "## roundtrip (one connection, a paused run)"
echo
echo "| op | n | p50 us | p99 us | max us |"
echo "|---|---|---|---|---|"
for op in ping show; do
    args='{}'
    [ $op = show ] && args='{"ids": ["1/a"]}'
    r=$("$bench" "$work/idle" roundtrip $n $op "$args")
    echo "| $op | $n | $(echo "$r" | field p50_us) | $(echo "$r" | field p99_us) | $(echo "$r" | field max_us) |"
done
echo

echo "## process (tock hold as a process, start to exit)"
echo
: >"$work/hold.ms"
i=0
while [ $i -lt $reps ]; do
    t0=$(date +%s%N)
    "$tock" hold "$work/idle//1/a" >/dev/null
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000 ))" | awk '{printf "%.3f\n", $1/1000}' >>"$work/hold.ms"
    i=$((i + 1))
done
echo "| command | runs | median ms | max ms |"
echo "|---|---|---|---|"
echo "| tock hold idle//1/a | $reps | $(median <"$work/hold.ms") | $(sort -n "$work/hold.ms" | tail -1) |"
echo

echo "## busy (show while a $fan_n-task fan runs live jobs, queue of 50)"
echo
echo "(ping is answered by the commands component alone; show goes through the"
echo "task pool and the store's commit, behind the job events before it)"
echo
{
    printf 'name: fan\nscheduling:\n  cycling: integer\n  final: 1\n  queues:\n    q: {limit: 50, members: [FAN]}\n  graph:\n    R1: |\n      start => FAN:succeed-all => end\n'
    printf 'runtime:\n  root:\n    script: "true"\n  FAN: {}\n'
    i=0
    while [ $i -lt "$fan_n" ]; do printf '  f%d: {inherit: [FAN]}\n' $i; i=$((i + 1)); done
} >"$work/fan.yaml"
"$tock" play "$work/fan.yaml" --run-dir "$work/fan" >/dev/null
r=$("$bench" "$work/fan" roundtrip 100 show '{"ids": ["1/start"]}')
p=$("$bench" "$work/fan" roundtrip 2000 ping)
running=no
[ -e "$work/fan/.service/contact" ] && running=yes
echo "| op | calls while the fan ran | p50 us | p99 us | max us | fan still running at the end |"
echo "|---|---|---|---|---|---|"
echo "| show | $(echo "$r" | field n) | $(echo "$r" | field p50_us) | $(echo "$r" | field p99_us) | $(echo "$r" | field max_us) | |"
echo "| ping | $(echo "$p" | field n) | $(echo "$p" | field p50_us) | $(echo "$p" | field p99_us) | $(echo "$p" | field max_us) | $running |"
echo

echo "## bulk (a cycle of $bulk_n waiting tasks, while another client pings)"
echo
{
    # Cycle 2 keeps the run alive once cycle 1 is set done.
    printf 'name: bulk\nscheduling:\n  cycling: integer\n  final: 2\n  graph:\n    P1: |\n'
    i=0
    while [ $i -lt "$bulk_n" ]; do printf '      t%d\n' $i; i=$((i + 1)); done
} >"$work/bulk.yaml"
echo "| command | tasks | ms | pings during it | ping p99 us | ping max us |"
echo "|---|---|---|---|---|---|"
for cmd in hold set; do
    rm -rf "$work/bulk"
    "$tock" play "$work/bulk.yaml" --run-dir "$work/bulk" --pause --mode simulation >/dev/null
    "$bench" "$work/bulk" roundtrip 3000 ping >"$work/pings" &
    pinger=$!
    sleep 0.2
    t0=$(date +%s%N)
    "$tock" $cmd "$work/bulk//1" >/dev/null
    t1=$(date +%s%N)
    wait $pinger
    ms=$(echo "$(( (t1 - t0) / 1000 ))" | awk '{printf "%.1f\n", $1/1000}')
    echo "| tock $cmd bulk//1 | $bulk_n | $ms | 3000 | $(field p99_us <"$work/pings") | $(field max_us <"$work/pings") |"
    "$tock" stop "$work/bulk" --now >/dev/null
    while [ -e "$work/bulk/.service/contact" ]; do sleep 0.05; done
done
