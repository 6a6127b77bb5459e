#!/usr/bin/env bash
# The main job: set up, build, and run the quick-start workflow to completion
# in the foreground, with its progress. Its run directory is
# ~/tock-run/quickstart/runN (a new N each time).
#   ./run.sh [FLOW.yaml]      default examples/quickstart.yaml
set -euo pipefail
cd "$(dirname "$0")"
build=$(./setup.sh | tail -n 1)
exec "$build/tools/tock" play "${1:-examples/quickstart.yaml}" --no-detach
