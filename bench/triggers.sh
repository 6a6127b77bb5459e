#!/bin/sh
# External triggers: what N pending triggers cost while none is due, and how
# fast a file's arrival starts the job waiting on it.
#   bench/triggers.sh [--quick] [BUILD_DIR]
#   pending  N file_exists triggers (one per cycle point, files that do not
#            exist) and N wall_clock triggers (a year ahead), each in a run
#            of its own: voluntary context switches of every scheduler
#            thread and CPU over 10 s once all are armed (target 0), and the
#            run's RSS against the same workflow with no trigger, per
#            pending trigger
#   latency  a file_exists trigger's file written, to the submission of the
#            job that waits on it: median and p90 of 20 (target median < 5 ms);
#            and a plugin's satisfied sent (tests/plugins/tock-trigger-behave,
#            which stamps the moment), to the submission of its job
set -eu
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
build=${1:-build}
tock="$(cd "$build" && pwd)/tools/tock"
work=$(mktemp -d)
trap 'for p in $(cat "$work"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
if [ $quick = 1 ]; then n=500; idle_s=2; lat_n=5; settle=2; else n=${N:-10000}; idle_s=10; lat_n=20; settle=8; fi

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if (i<1) i=1; print a[i]}'; }

# flow KIND: N cycle points of one task waiting on a trigger of KIND (file,
# clock or none: the baseline, run paused), all within the runahead limit.
flow() {
    case $1 in
    file) trig='    obs: file_exists(path=%(workflow_run_dir)s/in/obs-%(point)s)'; dep='"@obs => use"' ;;
    clock) trig='    obs: wall_clock(offset=P1Y)'; dep='"@obs => use"' ;;
    none) trig=''; dep='use' ;;
    esac
    cat <<FLOW
name: pending-$1
scheduling:
  cycling: datetime
  initial: 2026-01-01T00Z
  final: +PT$((n - 1))H
  runahead: P$n
$( [ -n "$trig" ] && printf '  xtriggers:\n%s\n' "$trig" )
  graph:
    PT1H: $dep
runtime:
  root:
    script: "true"
FLOW
}

# start KIND: the run in the background; its pid once every point is armed.
start() {
    flow "$1" >"$work/$1.yaml"
    mkdir -p "$work/$1/in"
    # The baseline is paused: its tasks wait in the pool as the others do,
    # with nothing to wait for.
    pause=
    [ "$1" = none ] && pause=--pause
    "$tock" play "$work/$1.yaml" --run-dir "$work/$1" $pause >/dev/null
    pid=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "$work/$1/.service/contact")
    echo "$pid" >"$work/$1.pid"
    # Armed: every point's task spawned and its trigger wanted, which the
    # pool does in its first turns; then a settling second.
    sleep "$settle"
}
switches() { cat /proc/"$1"/task/*/status | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s}'; }
cpu_ticks() { awk '{print $14 + $15}' /proc/"$1"/stat; }
rss_kb() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status; }

echo
echo "## pending: $n triggers of a kind, none due, over $idle_s s"
echo
echo "| trigger | threads | voluntary context switches | CPU ticks | RSS MB | RSS per trigger |"
echo "|---|---:|---:|---:|---:|---:|"
base_rss=
for kind in none file clock; do
    start $kind
    pid=$(cat "$work/$kind.pid")
    a=$(switches "$pid"); c=$(cpu_ticks "$pid")
    sleep "$idle_s"
    b=$(switches "$pid"); d=$(cpu_ticks "$pid")
    rss=$(rss_kb "$pid")
    [ -n "$base_rss" ] || base_rss=$rss
    per=$(echo "$rss $base_rss $n" | awk '{printf "%.0f B", ($1 - $2) * 1024 / $3}')
    [ $kind = none ] && per="(baseline)"
    echo "| $kind | $(ls /proc/"$pid"/task | wc -l) | $((b - a)) | $((d - c)) | $(echo "$rss" | awk '{printf "%.1f", $1 / 1024}') | $per |"
    kill -TERM "$pid"
done

# --- latency: the file written, to the dependent job's submission -----------
cat >"$work/lat.yaml" <<'FLOW'
name: latency
scheduling:
  cycling: integer
  initial: 1
  final: 100
  runahead: P100
  xtriggers:
    obs: file_exists(path=%(workflow_run_dir)s/in/obs-%(point)s)
  graph:
    P1: "@obs => use"
runtime:
  use:
    script: "true"
FLOW
mkdir -p "$work/lat/in"
"$tock" play "$work/lat.yaml" --run-dir "$work/lat" >/dev/null
pid=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "$work/lat/.service/contact")
echo "$pid" >"$work/lat.pid"
sleep 1
: >"$work/lat.ms"
i=1
while [ $i -le "$lat_n" ]; do
    t0=$(date +%s%6N)
    : >"$work/lat/in/obs-$i"
    # The job's submission time, from the scheduler's job-times record.
    k=0
    while ! grep -q "^$i/use/01	submitted" "$work/lat/log/scheduler/job-times" 2>/dev/null; do
        sleep 0.01; k=$((k + 1)); [ $k -lt 1000 ] || { echo "bench: point $i never ran" >&2; exit 1; }
    done
    t1=$(grep "^$i/use/01	submitted" "$work/lat/log/scheduler/job-times" | cut -f3)
    echo "$t0 $t1" | awk '{printf "%.3f\n", ($2 - $1) / 1000}' >>"$work/lat.ms"
    sleep 0.2
    i=$((i + 1))
done
kill -TERM "$pid"

# --- plugin latency: satisfied sent, to the dependent job's submission ------
cat >"$work/plat.yaml" <<FLOW
name: plugin-latency
scheduling:
  cycling: integer
  initial: 1
  final: 100
  runahead: P100
  xtriggers:
    obs: behave(do=file, path=%(workflow_run_dir)s/in/obs-%(point)s, stamp=%(workflow_run_dir)s/in/sent-%(point)s)
  graph:
    P1: "@obs => use"
plugins:
  path: [$(cd "$(dirname "$0")/../tests/plugins" && pwd)]
runtime:
  use:
    script: "true"
FLOW
mkdir -p "$work/plat/in"
"$tock" play "$work/plat.yaml" --run-dir "$work/plat" >/dev/null
ppid_=$(sed -n 's/.*"pid": \([0-9]*\).*/\1/p' "$work/plat/.service/contact")
echo "$ppid_" >"$work/plat.pid"
sleep 1
: >"$work/plat.ms"
i=1
while [ $i -le "$lat_n" ]; do
    : >"$work/plat/in/obs-$i"
    k=0
    while ! grep -q "^$i/use/01	submitted" "$work/plat/log/scheduler/job-times" 2>/dev/null; do
        sleep 0.01; k=$((k + 1)); [ $k -lt 1000 ] || { echo "bench: plugin point $i never ran" >&2; exit 1; }
    done
    t0=$(cat "$work/plat/in/sent-$i")
    t1=$(grep "^$i/use/01	submitted" "$work/plat/log/scheduler/job-times" | cut -f3)
    echo "$t0 $t1" | awk '{printf "%.3f\n", ($2 - $1) / 1000}' >>"$work/plat.ms"
    sleep 0.2
    i=$((i + 1))
done
kill -TERM "$ppid_"
echo
echo "## latency: a file written, to its dependent job's submission ($lat_n files)"
echo
echo "| median ms | p90 ms | target |"
echo "|---:|---:|---|"
echo "| $(median <"$work/lat.ms") | $(pct 90 <"$work/lat.ms") | median < 5 ms |"
echo
echo "## latency: a plugin's satisfied sent, to its dependent job's submission ($lat_n watches)"
echo
echo "| median ms | p90 ms | target |"
echo "|---:|---:|---|"
echo "| $(median <"$work/plat.ms") | $(pct 90 <"$work/plat.ms") | median < 5 ms |"
