#!/bin/sh
# Run the real `tock play --no-detach` on DIR/NAME.yaml and compare what ran
# with DIR/NAME.ref: the reference record (every job with its final state and
# the prerequisites that triggered it, and the tasks left in the pool), then
# the exit status.
#   check_ref.sh TOCK DIR NAME
# Options for tock play come from a line "# play: OPTIONS" in the workflow
# file (default: --mode simulation --fast). A line "# play-until: TEXT" stops
# the run with SIGTERM once TEXT appears in its output (a held workflow waits
# for an operator; this is the operator).
# A line "# ref: tomorrow" marks a workflow whose cycle points start from
# the wall clock (next(T00)): tomorrow's date (UTC) is written TOMORROW in
# the reference, so that it holds on any day.
# A line "# setup: COMMAND" runs COMMAND (sh, with $RUN the run directory
# to be) before tock play: to plant a fault.
# A line "# bash-env: FILE" runs the jobs with BASH_ENV=DIR/FILE, which bash
# sources before each job's script; FILE finds tock as $TOCK_TEST_BIN.
# Lines "# expect: ..." state by hand what must hold of the run, independently
# of the record (check_expect.py says how).
# With TOCK_UPDATE=1 the expected file is rewritten (then review the diff).
set -u
tock=$1
dir=$2
name=$3
flow="$dir/$name.yaml"
opts=$(sed -n 's/^# play: //p' "$flow" | head -n 1)
[ -n "$opts" ] || opts="--mode simulation --fast"
run=$(mktemp -d)
actual=$(mktemp)
trap 'rm -rf "$run" "$actual" "$actual.out"' EXIT
until=$(sed -n 's/^# play-until: //p' "$flow" | head -n 1)
bash_env=$(sed -n 's/^# bash-env: //p' "$flow" | head -n 1)
if [ -n "$bash_env" ]; then
    BASH_ENV="$dir/$bash_env" TOCK_TEST_BIN=$tock
    export BASH_ENV TOCK_TEST_BIN
fi
setup=$(sed -n 's/^# setup: //p' "$flow" | head -n 1)
[ -z "$setup" ] || RUN="$run/run" sh -c "$setup"
# shellcheck disable=SC2086
"$tock" play "$flow" --no-detach --run-dir "$run/run" $opts >"$actual.out" 2>&1 &
pid=$!
if [ -n "$until" ]; then
    i=0
    while ! grep -q -- "$until" "$actual.out" && kill -0 "$pid" 2>/dev/null && [ $i -lt 600 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -TERM "$pid" 2>/dev/null
fi
wait "$pid"
rc=$?
{
    cat "$run/run/log/scheduler/reference" 2>/dev/null
    echo "exit $rc"
} >"$actual"
if grep -q '^# ref: tomorrow' "$flow"; then
    sed -i "s/$(date -u -d tomorrow +%Y%m%d)/TOMORROW/g" "$actual"
fi
if [ "${TOCK_UPDATE:-0}" = 1 ]; then
    cp "$actual" "$dir/$name.ref"
fi
diff -u "$dir/$name.ref" "$actual" || { cat "$actual.out"; exit 1; }
# The hand-written statements ("# expect: ...") hold too, whatever the record.
python3 "$(dirname "$0")/check_expect.py" "$flow" "$run/run/db" "$rc" "$actual.out" || { cat "$actual.out"; exit 1; }
