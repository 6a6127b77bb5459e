#!/bin/bash
# 50 jobs with dependencies through Slurm complete; each ran as a Slurm job
# once (its SLURM_JOB_ID set, one sbatch per job) and the run database holds
# each job's Slurm id.
#   check_fifty.sh TOCK CLUSTER_DIR FLOW
tock=$1 cluster=$2 flow=$3
. "$(dirname "$0")/lib.sh"
"$tock" play "$flow" --no-detach --run-dir "$run" >"$work/out" 2>&1 || {
    tail -20 "$work/out"
    fail "the workflow did not complete"
}
grep -q "50 jobs, 50 succeeded" "$work/out" || fail "not 50 jobs: $(tail -1 "$work/out")"
n=$(sqlite3 "$run/db" "SELECT count(DISTINCT job_id) FROM jobs WHERE runner = 'slurm' AND job_id GLOB '[0-9]*'")
[ "$n" = 50 ] || fail "$n jobs have a Slurm id, not 50"
subs=$(cat "$run"/log/job/*/*/*/job-activity.log | grep -c "submit: sbatch")
[ "$subs" = 50 ] || fail "$subs sbatch calls, not 50"
grep -q "slurm job" "$work/out" || fail "the log does not name the Slurm jobs"
echo "50 jobs through Slurm: each submitted once, each with its Slurm id"
