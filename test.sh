#!/usr/bin/env bash
# Set up, build, and run the whole test suite through ctest.
#   ./test.sh              normal build (build/)
#   ./test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   ./test.sh --place WHERE   the functional and reference workflow tests (and the
#                          component-kill test) with every component placed at
#                          WHERE: thread or process (docs/placement.md), on the
#                          normal build
set -euo pipefail
cd "$(dirname "$0")"
if [[ ${1:-} == --place ]]; then
  where=${2:?"--place thread|process"}
  build=$(./setup.sh | tail -n 1)
  export TOCK_PLACE="*=$where"
  # In processes, the year of simulated cycles (play.chain_simulation) is
  # minutes of lockstep virtual time between ten processes (it passes, in
  # about 170 s: docs/performance.md); CI's time goes to the rest.
  skip='^$'
  [[ $where == process ]] && skip='^play\.chain_simulation$'
  ctest --test-dir "$build" --output-on-failure -j 2 --timeout 900 \
    -R '^(play|run|restart|cli|slurm|triggers|placement)\.' -E "$skip"
  exit
fi
build=$(./setup.sh "$@" | tail -n 1)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j 2 --timeout 900
