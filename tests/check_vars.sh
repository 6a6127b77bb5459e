#!/bin/sh
# Play-time variables: --set gives the file's vars their values, the run
# records them, and a restart uses them again (and refuses a new --set).
#   check_vars.sh TOCK EXAMPLES_DIR
set -u
tock=$1
flow=$2/ensemble.yaml
HOME=$(mktemp -d)
export HOME
trap 'rm -rf "$HOME"' EXIT
run=$HOME/run
fail() { echo "FAIL: $*"; "$tock" stop "$run" --now >/dev/null 2>&1; exit 1; }
out=$("$tock" validate "$flow" --set members=1..2 2>&1) || fail "validate: $out"
echo "$out" | grep -q "valid: workflow 'ensemble', 8 tasks" || fail "validate --set: $out"
out=$("$tock" validate "$flow" --set member=2 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -q "error: --set member: the workflow has no variable 'member' (did you mean 'members'?)" ||
    fail "an unknown variable: $out"
out=$("$tock" validate "$flow" --set members 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q "tock validate: --set 'members': write KEY=VALUE" || fail "a malformed --set: $out"
printf '# a test run\nmembers=1..2\n' >"$HOME/vars"
out=$("$tock" validate "$flow" --set-file "$HOME/vars" 2>&1) || fail "--set-file: $out"
echo "$out" | grep -q "8 tasks" || fail "--set-file: $out"
# A run with two members, stopped at once and restarted: the restart keeps them.
"$tock" play "$flow" --set members=1..2 --run-dir "$run" --pause >/dev/null || fail "play"
"$tock" stop "$run" --now >/dev/null || fail "stop"
i=0
while [ -e "$run/.service/contact" ]; do
    i=$((i + 1)); [ $i -lt 200 ] || fail "the run did not stop"; sleep 0.05
done
out=$("$tock" play --run-dir "$run" --set members=1..3 2>&1)
[ $? -eq 2 ] && echo "$out" | grep -q -- "--set cannot be given to a restart" || fail "a restart took --set: $out"
# It was paused: the restart is too, until resumed.
"$tock" play --run-dir "$run" >/dev/null || fail "restart"
"$tock" resume "$run" >/dev/null || fail "resume"
i=0
while [ -e "$run/.service/contact" ]; do
    i=$((i + 1)); [ $i -lt 1200 ] || fail "the restarted run did not end"; sleep 0.05
done
grep -q "complete: 16 jobs, 16 succeeded" "$run/log/scheduler/log" ||
    fail "the restart ran another ensemble: $(tail -3 "$run/log/scheduler/log")"
echo "vars: ok"
