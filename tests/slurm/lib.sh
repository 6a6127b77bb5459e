# Shared by the Slurm tests: sourced with $tock and $cluster (the cluster
# directory tests/slurm/cluster.sh started) set. Skips (exit 77) where no
# cluster runs; makes the scratch folder $work, removed at exit; jobs report
# to the scheduler as the platform in each flow says.
set -u
fail() { echo "FAIL: $*"; exit 1; }
if [[ ! -f $cluster/slurm.conf ]] || ! SLURM_CONF=$cluster/slurm.conf sinfo -h >/dev/null 2>&1; then
    if [[ -n ${TOCK_REQUIRE_SLURM-} ]]; then
        echo "FAIL: TOCK_REQUIRE_SLURM is set and no Slurm cluster runs in $cluster"
        exit 1
    fi
    echo "SKIP: no Slurm cluster runs here (tests/slurm/cluster.sh start needs root)"
    exit 77
fi
export SLURM_CONF=$cluster/slurm.conf
host=$(hostname -s)
work=$(mktemp -d)
cleanup() {
    # A scheduler a failed test left running goes with it.
    local j
    for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
    # Leave the node usable for the next test, whatever happened.
    scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
    # ... and so do the Slurm jobs of this test's run.
    local ids
    ids=$(squeue -h -o '%i %o' 2>/dev/null | awk -v w="$work/" 'index($2, w) == 1 {print $1}')
    [ -z "$ids" ] || scancel $ids >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
# The flow, with its platform's poll interval and the test's workflow name.
run=$work/run
# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
    local n=$(($1 * 10)); shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
    return 1
}
is_state() {  # TASK STATE: task TASK is in STATE now
    [ "$(task_state "$1")" = "$2" ]
}
task_state() {
    sqlite3 "$run/db" "SELECT state FROM task_states WHERE name = '$1'" 2>/dev/null
}
slurm_id() {  # the Slurm job id of task $1's latest job
    sqlite3 "$run/db" "SELECT job_id FROM jobs WHERE name = '$1' ORDER BY submit_num DESC LIMIT 1" 2>/dev/null
}
