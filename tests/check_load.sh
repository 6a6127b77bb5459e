#!/bin/sh
# Load: 10 clients x 10,000 commands at once against a scheduler while its
# workflow runs. Every call is answered exactly once (none lost, none twice),
# and the workflow ends as it does alone: every job of its 20 cycles
# succeeded, in order.
#   check_load.sh TOCK BENCH_COMMANDS FLOW
set -u
tock=$1
bench=$2
flow=$3
HOME=$(mktemp -d)
export HOME
trap 'rm -rf "$HOME"' EXIT
run=$HOME/run
# The last cycle waits (held) until the load is over, so that the workflow
# is running for the whole of it however fast the machine is.
"$tock" play "$flow" --run-dir "$run" --hold-after 19 >/dev/null || { echo "play failed"; exit 1; }
out=$("$bench" "$run" load 10 10000 show '{"ids": ["1/a"]}') || { echo "FAIL: $out"; "$tock" stop "$run" --now; exit 1; }
echo "$out"
echo "$out" | grep -q "answered=100000 errors=0 lost=0 unmatched=0" || { echo "FAIL: not every call answered once"; "$tock" stop "$run" --now; exit 1; }
"$tock" release "$run" --all >/dev/null || { echo "FAIL: release"; exit 1; }
i=0
while [ -e "$run/.service/contact" ]; do
    i=$((i + 1))
    [ $i -lt 1200 ] || { echo "FAIL: the workflow did not end"; "$tock" stop "$run" --now; exit 1; }
    sleep 0.05
done
grep -q "complete: 40 jobs, 40 succeeded, 0 failed" "$run/log/scheduler/log" || { echo "FAIL: the workflow's result changed"; tail "$run/log/scheduler/log"; exit 1; }
for n in $(seq 20); do printf '%d/a/01 succeeded\n%d/b/01 succeeded <- %d/a:succeeded\n' $n $n $n; done | sort >"$HOME/expected"
diff "$HOME/expected" "$run/log/scheduler/reference" || { echo "FAIL: the reference record differs from the run without load"; exit 1; }
echo "load: ok"
