#!/bin/bash
# The web page in a real browser (ui/test/e2e.mjs): headless chromium,
# driven by puppeteer-core (ui/package-lock.json), against a real `tock ui`
# and a real workflow, in a scratch HOME.
#   check_ui.sh TOCK SOURCE_DIR [--fuzz]
# With --fuzz, ui/test/fuzz.mjs instead: bad requests, no browser needed.
# Without node, the npm packages or the browser it says so and is skipped
# (77); with TOCK_REQUIRE_BROWSER=1 (CI) that is a failure instead.
set -u
tock=$1 src=$2 what=${3:-}
skip() {
    echo "SKIP: $*"
    [ "${TOCK_REQUIRE_BROWSER:-0}" = 1 ] && { echo "FAIL: TOCK_REQUIRE_BROWSER=1"; exit 1; }
    exit 77
}
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs npm)"
[ -d "$src/ui/node_modules/puppeteer-core" ] || skip "ui/node_modules has no puppeteer-core (the build runs npm ci)"
home=$(mktemp -d)
trap 'HOME=$home "$tock" stop uitest --now >/dev/null 2>&1; rm -rf "$home"' EXIT
if [ "$what" = --fuzz ]; then
    HOME=$home node "$src/ui/test/fuzz.mjs" "$tock" "$src/tests/ui/flow.yaml"
    exit
fi
chromium=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$chromium" ] || skip "no chromium (apt-get install chromium)"
HOME=$home CHROMIUM=$chromium node "$src/ui/test/e2e.mjs" "$tock" "$src/tests/ui/flow.yaml"
rc=$?
[ $rc = 77 ] && skip "the browser cannot start here"
exit $rc
