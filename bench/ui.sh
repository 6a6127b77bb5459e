#!/bin/sh
# The web page's speed (docs/performance.md, "The web page"): a workflow of
# 10,000 active tasks followed by `tock ui` in headless chromium; the first
# full render and each update of 100 tasks (target: under 100 ms each), and
# the server's CPU and memory with 1 and 10 pages open.
#   bench/ui.sh [ROUNDS] [BUILD_DIR]      (default 20 updates, build/)
set -eu
rounds=${1:-20}
build=${2:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'HOME=$work "$here/$build/tools/tock" stop big --now >/dev/null 2>&1; rm -rf "$work"' EXIT
HOME=$work node "$here/ui/test/perf.mjs" "$here/$build/tools/tock" "$work" "$rounds"
