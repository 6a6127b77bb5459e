# Shared by the restart tests: sourced after `tock` and `flow` are set. It
# makes the scratch folder $work, removed at exit.
#   first_start_killed_when TASK STATE
# starts `flow` in $work/run, waits (up to 10 s) until TASK's row in the run
# database says STATE, and kills the scheduler with SIGKILL there. The run
# directory is $run.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run=$work/run
first_start_killed_when() {
    "$tock" play "$flow" --no-detach --run-dir "$run" >"$work/first.out" 2>&1 &
    local pid=$!
    for _ in $(seq 1 200); do
        [ "$(sqlite3 "$run/db" "SELECT state FROM task_states WHERE name = '$1'" 2>/dev/null)" = "$2" ] && break
        sleep 0.05
    done
    kill -9 $pid || fail "the first start ended by itself: $(tail -1 "$work/first.out")"
    wait $pid 2>/dev/null
}
