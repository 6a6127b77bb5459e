#!/usr/bin/env bash
# The main job: set up, build, and run the runtime demo in the foreground.
#   ./run.sh [demo options]     e.g. ./run.sh --ticks 10 --period 0.5
set -euo pipefail
cd "$(dirname "$0")"
build=$(./setup.sh | tail -n 1)
exec "$build/tools/tock" demo "$@"
