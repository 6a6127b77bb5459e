#!/bin/sh
# Placement benchmarks: the same workflows with the scheduler's components
# placed four ways, side by side (medians of ROUNDS rounds, default 5, the
# placements alternating within each round):
#   inproc   no --place: every component in the scheduler's loop
#   thread   --place '*=thread': each component on a thread of its own
#   process  --place '*=process': each in a child process tock starts
#   tcp      task_pool, store, job_submit, xtriggers, health and events "on
#            another host": tcp://127.0.0.1 ports with CurveZMQ, each started
#            by this script with `tock component NAME --connect ... --keys`
#            (commands, publisher, job_messages and reporter stay in-proc)
#   bench/placement.sh [--quick] [--only SECTION,...] [BUILD_DIR]
#   chain    1,000 sequential `script: true` jobs, live: wall time, a job's
#            exit to its dependent's submission, CPU, peak RSS; target:
#            thread and process within 1.5x of inproc
#   fan      one task, 5,000 in parallel through a queue of 50, one task,
#            live: wall time, CPU, peak RSS
#   sim      100,000 tasks in simulation --fast, scheduler.sh's wide shape:
#            wall time, peak RSS (tcp refused: --fast keeps one virtual clock
#            per host)
# --quick: one round, 100 / 500 / 10,000 tasks. Every tock play has a
# deadline of TIMEOUT seconds (default 600, --quick 120); a run that fails,
# hangs or does not complete every task stops the script with the tail of
# its output, exit status 1.
set -eu
quick=0
only=chain,fan,sim
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
[ -x "$tock" ] || { echo "placement.sh: no $tock" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "placement.sh: needs /usr/bin/time (package time)" >&2; exit 2; }
work=$(mktemp -d)
# Run directories are kept until the end (see scheduler.sh: deleting one
# between rounds makes the next round pay for it).
pids=  # the current run's /usr/bin/time processes: tock play, tock component
cleanup() {
    for p in $pids; do
        if kill -0 "$p" 2>/dev/null; then
            # /usr/bin/time's child is timeout, which passes the signal on
            # to tock and everything tock started.
            for c in $(pgrep -P "$p" 2>/dev/null); do kill -TERM "$c" 2>/dev/null || true; done
            kill -TERM "$p" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ $quick = 1 ]; then chain_n=100; fan_n=500; sim_cycles=100; rounds=1; limit=${TIMEOUT:-120}; else chain_n=1000; fan_n=5000; sim_cycles=1000; rounds=${ROUNDS:-5}; limit=${TIMEOUT:-600}; fi
places="inproc thread process tcp"
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
remote="task_pool store job_submit xtriggers health events"

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.6f\n", (a[NR/2]+a[NR/2+1])/2}'; }
now() { date +%s.%N; }

# Six free TCP ports on 127.0.0.1, for the remote components' publishers.
free_ports() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c '
import socket
s = [socket.socket() for _ in range(6)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))'
    else
        p=$((20000 + ($$ + ${1:-0} * 7) % 20000))
        out=
        n=0
        while [ $n -lt 6 ]; do
            if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then out="$out $p"; n=$((n + 1)); fi
            p=$((p + 1))
        done
        echo "${out# }"
    fi
}

# A run that went wrong: what, and the tail of what tock said.
fail() {  # RUN WHAT
    {
        echo "placement.sh: $2"
        for f in "$1".out "$1".*.out; do
            [ -s "$f" ] || continue
            echo "--- the tail of $f:"
            tail -n 15 "$f"
        done
    } >&2
    exit 1
}

# /proc/PID/stat and VmHWM of the tock processes a run has every 0.2 s while
# the first of the /usr/bin/time processes TIME_PID... runs (the first:
# tock play's, with its children if CHILDREN is 1), appended to OUT: their
# own CPU (the components' without their jobs) and peak RSS. The processes
# are looked for until all EXPECT are there, then only read (a sampler that
# scans /proc each time costs a good part of a CPU).
sample() {  # OUT EXPECT CHILDREN TIME_PID...
    out=$1 expect_procs=$2 children=$3
    shift 3
    stats=
    statuses=
    n=0
    while kill -0 "$1" 2>/dev/null; do
        if [ "$n" -lt "$expect_procs" ]; then
            procs=
            for t in "$@"; do
                o=$(pgrep -P "$t" 2>/dev/null || true)                  # timeout
                [ -z "$o" ] || procs="$procs $(pgrep -P "$o" 2>/dev/null || true)"  # tock
            done
            kids=
            if [ "$children" = 1 ]; then
                play_pid=${procs# }
                play_pid=${play_pid%% *}
                [ -z "$play_pid" ] || kids=$(pgrep -P "$play_pid" 2>/dev/null || true)
            fi
            stats=
            statuses=
            n=0
            for q in $procs $kids; do
                stats="$stats /proc/$q/stat"
                statuses="$statuses /proc/$q/status"
                n=$((n + 1))
            done
        fi
        if [ -n "$stats" ]; then
            # shellcheck disable=SC2086
            { cat $stats; grep -H '^VmHWM' $statuses; } >>"$out" 2>/dev/null || true
        fi
        sleep 0.2
    done
}

# play PLACE FLOW RUN [ARGS...]: tock play FLOW in RUN with its components
# placed as PLACE; writes "wall cpu peak_kB sum_kB own" to RUN.m: cpu, user
# + system of tock play and every process it or this script started for it
# (jobs included, from /usr/bin/time); peak, the largest process's peak RSS;
# sum, the peaks of tock play and its component processes added up; own,
# the CPU of tock's processes alone (jobs not included): the scheduler's own
# getrusage for inproc and thread, sampled from /proc for process and tcp.
# Fails unless all $expect jobs succeeded.
play() {
    place=$1 flow=$2 rd=$3
    shift 3
    case $place in
    inproc) ;;
    thread) set -- "$@" --place '*=thread' ;;
    process) set -- "$@" --place '*=process' ;;
    tcp)
        ports=$(free_ports "$r")
        set -- "$@" --place host=127.0.0.1
        for c in $remote; do
            p=${ports%% *}
            ports=${ports#* }
            set -- "$@" --place "$c=tcp://127.0.0.1:$p"
        done
        ;;
    esac
    : >"$rd.procs"
    t0=$(now)
    /usr/bin/time -f '%e %U %S %M' -o "$rd.time" timeout -k 10 "$limit" \
        "$tock" play "$flow" --no-detach --run-dir "$rd" "$@" >"$rd.out" 2>&1 &
    pid=$!
    pids="$pids $pid"
    spid=
    if [ "$place" = process ]; then
        sample "$rd.procs" 11 1 "$pid" &
        spid=$!
    fi
    cpids=
    if [ "$place" = tcp ]; then
        # The scheduler says where its components join: RUN/.service/placement
        # (or, from a tock that does not write it, the hint on its stderr).
        ep=
        deadline=$(awk "BEGIN {printf \"%.3f\", $(now) + 60}")
        while [ -z "$ep" ]; do
            if [ -s "$rd/.service/placement" ]; then
                ep=$(head -n 1 "$rd/.service/placement")
            else
                ep=$(sed -n 's/^ *tock component [a-z_]* --connect \(tcp:[^ ]*\) .*/\1/p' "$rd.out" | head -n 1)
            fi
            [ -n "$ep" ] && break
            kill -0 "$pid" 2>/dev/null || fail "$rd" "tock play ($place) ended before it said where its components join"
            awk "BEGIN {exit !($(now) > $deadline)}" && fail "$rd" "tock play ($place) did not say where its components join in 60 s"
            sleep 0.05
        done
        # The wall time of a tcp run starts here: before, the scheduler
        # waits for its operator.
        t0=$(now)
        for c in $remote; do
            /usr/bin/time -f '%e %U %S %M' -o "$rd.$c.time" timeout -k 10 "$limit" \
                "$tock" component "$c" --connect "$ep" --keys "$rd/.service" >"$rd.$c.out" 2>&1 &
            cpids="$cpids $!"
        done
        pids="$pids $cpids"
        # shellcheck disable=SC2086
        sample "$rd.procs" 7 0 "$pid" $cpids &
        spid=$!
    fi
    rc=0
    wait "$pid" || rc=$?
    t1=$(now)
    if [ -n "$spid" ]; then wait "$spid" || true; fi
    [ $rc = 124 ] && fail "$rd" "tock play ($place, ${flow##*/}) still running after $limit s: killed"
    [ $rc = 0 ] || fail "$rd" "tock play ($place, ${flow##*/}) exited with status $rc"
    # The remote components end when the scheduler stops them.
    for c in $cpids; do
        i=0
        while kill -0 "$c" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done
        kill -0 "$c" 2>/dev/null && fail "$rd" "a tock component still running 15 s after tock play ($place) ended"
        crc=0
        wait "$c" || crc=$?
        [ $crc = 0 ] || fail "$rd" "a tock component ($place) exited with status $crc"
    done
    grep -q "complete: $expect jobs, $expect succeeded, 0 failed" "$rd.out" ||
        fail "$rd" "tock play ($place, ${flow##*/}) did not end with all $expect jobs succeeded"
    # Every process's /usr/bin/time line (the last: the first says so when
    # the status is not 0).
    : >"$rd.times"
    for f in "$rd.time" "$rd".*.time; do
        if [ -f "$f" ]; then tail -n 1 "$f" >>"$rd.times"; fi
    done
    [ "$(grep -c '^[0-9.]* [0-9.]* [0-9.]* [0-9]*$' "$rd.times")" -eq $((1 + $(echo "$cpids" | wc -w))) ] ||
        fail "$rd" "tock play ($place, ${flow##*/}): /usr/bin/time did not measure every process"
    pids=  # all ended
    awk -v wall="$(awk "BEGIN {print $t1 - $t0}")" -v procs="$rd.procs" -v hz="$hz" \
        -v place="$place" -v own="$(own_cpu "$rd")" '
            {cpu += $2 + $3; if ($4 > peak) peak = $4; sum += $4}
            END {
                # The samples of /proc, for process and tcp.
                while ((getline l < procs) > 0) {
                    if (l ~ /^\/proc\//) {
                        n = split(l, f, /[\/: \t]+/)
                        if (f[n - 1] + 0 > hwm[f[3]]) hwm[f[3]] = f[n - 1] + 0
                    } else {
                        split(l, f, " ")
                        c = (f[14] + f[15]) / hz
                        if (c > self[f[1]]) self[f[1]] = c
                    }
                }
                n = 0; s = 0
                for (p in self) {n++; s += self[p]}
                if (n) own = s
                n = 0; s = 0
                for (p in hwm) {n++; s += hwm[p]}
                if (place == "process" && n) sum = s
                printf "%s %.3f %d %d %.3f\n", wall, cpu, peak, sum, own
            }' "$rd.times" >"$rd.m"
}

# The scheduler's own CPU (the reporter's getrusage(RUSAGE_SELF)), from its log.
own_cpu() { sed -n 's/^scheduler cpu \([0-9.]*\) s.*/\1/p' "$1/log/scheduler/log"; }

# bench NAME FLOW [ARGS...]: ROUNDS rounds of the placements in
# $bench_places; per placement, files NAME.PLACE.{wall,cpu,tock,peak,sum},
# one value a round.
bench() {
    name=$1 flow=$2
    shift 2
    for place in $places; do for m in wall cpu tock peak sum; do : >"$work/$name.$place.$m"; done; done
    : >"$work/$name.latency"
    r=0
    while [ $r -lt "$rounds" ]; do
        for place in $bench_places; do
            rd="$work/$name.$place.$r"
            play "$place" "$flow" "$rd" "$@"
            read -r wall cpu peak sum own <"$rd.m"
            echo "$wall" >>"$work/$name.$place.wall"
            echo "$cpu" >>"$work/$name.$place.cpu"
            echo "$own" >>"$work/$name.$place.tock"
            echo "$peak" >>"$work/$name.$place.peak"
            echo "$sum" >>"$work/$name.$place.sum"
            if [ "$name" = chain ]; then
                # t(i)'s exit to t(i+1)'s submission, as scheduler.sh reads it.
                awk -F'\t' '{split($1, p, "/"); n = substr(p[2], 2); if ($2 == "exited") ex[n] = $3; else sub_[n] = $3}
                    END {for (n in ex) if ((n + 1) in sub_) print (sub_[n + 1] - ex[n]) / 1000}' \
                    "$rd/log/scheduler/job-times" >"$rd.lat"
                [ "$(wc -l <"$rd.lat")" -eq $((chain_n - 1)) ] ||
                    fail "$rd" "tock play ($place): job-times holds $(wc -l <"$rd.lat") hops, not $((chain_n - 1))"
                sed "s/^/$place /" "$rd.lat" >>"$work/$name.latency"
            fi
        done
        r=$((r + 1))
    done
}

# med NAME PLACE MEASURE
med() { median <"$work/$1.$2.$3"; }

# row NAME PLACE LATENCY(0/1) JOBS(0/1): a table row of medians.
row() {
    wall=$(med "$1" "$2" wall)
    base=$(med "$1" inproc wall)
    printf '| %s | %.2f | %.2f |' "$2" "$wall" "$(awk "BEGIN {print $wall / $base}")"
    if [ "$3" = 1 ]; then
        printf ' %.3f |' "$(awk -v p="$2" '$1 == p {print $2}' "$work/$1.latency" | median)"
    fi
    if [ "$4" = 1 ]; then printf ' %.2f |' "$(med "$1" "$2" tock)"; fi
    printf ' %.2f | %d | %d |\n' "$(med "$1" "$2" cpu)" \
        $(($(med "$1" "$2" peak | cut -d. -f1) / 1024)) $(($(med "$1" "$2" sum | cut -d. -f1) / 1024))
}

noted=0
note_tcp() {
    echo
    if [ $noted = 1 ]; then
        echo "tcp, CPU and RSS: as for the chain."
        return
    fi
    noted=1
    echo "tcp: task_pool, store, job_submit, xtriggers, health and events each in a \`tock component\`"
    echo "joined over 127.0.0.1 with CurveZMQ, started by this script once tock play waits for them (its"
    echo "wall time starts there); commands, publisher, job_messages and reporter cannot be remote and stay"
    echo "in-proc. CPU with jobs: user + system of tock play, its component processes and the jobs"
    echo "(/usr/bin/time); tock CPU: tock's processes alone (inproc, thread: the scheduler's getrusage;"
    echo "process, tcp: /proc/PID/stat of each, sampled every 0.2 s). Peak RSS: the largest process;"
    echo "sum: tock play and its component processes added up (process: VmHWM, sampled)."
}

# --- chain -------------------------------------------------------------------
if want chain; then
{
    printf 'name: chain\nscheduling:\n  cycling: integer\n  final: 1\n  graph:\n    R1: |\n'
    i=1
    while [ $i -lt "$chain_n" ]; do printf '      t%d => t%d\n' $((i - 1)) $i; i=$((i + 1)); done
    printf 'runtime:\n  root:\n    script: "true"\n'
} >"$work/chain.yaml"
expect=$chain_n
bench_places=$places
bench chain "$work/chain.yaml"
echo "## chain: $chain_n sequential jobs, live, components placed four ways (median of $rounds)"
echo
echo "| placement | wall s | ratio to inproc | exit to next submission ms | tock CPU s | CPU s with jobs | peak RSS MB | RSS sum MB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for place in $places; do row chain "$place" 1 1; done
note_tcp
base=$(med chain inproc wall)
echo
printf 'target: thread and process within 1.5x of inproc on the chain (thread %.2fx, process %.2fx: %s%s)\n' \
    "$(awk "BEGIN {print $(med chain thread wall) / $base}")" \
    "$(awk "BEGIN {print $(med chain process wall) / $base}")" \
    "$(awk "BEGIN {print ($(med chain thread wall) <= 1.5 * $base && $(med chain process wall) <= 1.5 * $base) ? \"met\" : \"missed\"}")" \
    "$([ $quick = 1 ] && echo "; --quick: too few jobs to judge")"
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
expect=$((fan_n + 2))
bench_places=$places
# As in scheduler.sh, at most 3 rounds of the fan.
all_rounds=$rounds
rounds=$((rounds < 3 ? rounds : 3))
bench fan "$work/fan.yaml"
echo
echo "## fan: 1 + $fan_n (queue of 50) + 1 jobs, live (median of $rounds)"
echo
echo "| placement | wall s | ratio to inproc | tock CPU s | CPU s with jobs | peak RSS MB | RSS sum MB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for place in $places; do row fan "$place" 0 1; done
note_tcp
rounds=$all_rounds
fi

# --- sim ---------------------------------------------------------------------
if want sim; then
# scheduler.sh's wide shape: prep[-P1] => prep => 98 members => post, 100
# tasks a cycle.
{
    printf 'name: wide\nscheduling:\n  cycling: integer\n  final: %d\n  graph:\n    P1: |\n' $sim_cycles
    printf '      prep[-P1] => prep => ENS\n      ENS:succeed-all => post\nruntime:\n  ENS: {}\n'
    i=0
    while [ $i -lt 98 ]; do printf '  m%d: {inherit: [ENS]}\n' $i; i=$((i + 1)); done
} >"$work/wide.yaml"
expect=$((sim_cycles * 100))
bench_places="inproc thread process"
bench sim "$work/wide.yaml" --mode simulation --fast
# tcp with --fast: tock must refuse it, at once.
rd="$work/sim.tcp.refused"
set -- --place host=127.0.0.1
for c in $remote; do set -- "$@" --place "$c=tcp://127.0.0.1:1"; done
rc=0
timeout -k 5 30 "$tock" play "$work/wide.yaml" --mode simulation --fast --no-detach --run-dir "$rd" "$@" >"$rd.out" 2>&1 || rc=$?
case $rc in
0 | 124 | 137) fail "$rd" "tock play (tcp) did not refuse --fast with components on other hosts (status $rc)" ;;
esac
grep -q -- "--fast" "$rd.out" || fail "$rd" "tock play (tcp, --fast) failed, but not for --fast"
echo
echo "## sim: $expect tasks ($sim_cycles cycles of 100), simulation --fast (median of $rounds)"
echo
echo "| placement | wall s | ratio to inproc | CPU s | peak RSS MB | RSS sum MB |"
echo "|---|---:|---:|---:|---:|---:|"
for place in inproc thread process; do row sim "$place" 0 0; done
echo "| tcp | refused (--fast keeps one virtual clock per host) | | | | |"
echo
echo "CPU: user + system of tock play and its component processes (no jobs in simulation). Peak RSS:"
echo "the largest process; sum: tock play and its component processes added up (process: VmHWM,"
echo "sampled every 0.2 s)."
fi
