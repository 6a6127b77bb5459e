#!/bin/sh
# The long fault-injection run: the scheduler killed with SIGKILL at random
# moments and restarted until the workflow completes, TRIALS times (default
# 200, about 10 s each); prints a table, one row per trial, and fails at the
# first trial where a job ran twice, a job is missing, the database is not
# intact or the final states differ from an uninterrupted run.
#   bench/faults.sh [TRIALS] [BUILD_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
trials=${1:-200}
build=${2:-build}
exec bash "$here/../tests/check_faults.sh" "$build/tools/tock" "$here/../tests/restart/faults.yaml" "$trials"
