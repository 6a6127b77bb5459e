#!/bin/sh
# Run the real `tock import` on one Cylc workflow of tests/import and check
# what comes out.
#   check_import.sh TOCK NAME       NAME.cylc imports (exit 0); the YAML
#                                   validates; its expansion (tock graph
#                                   --format text) equals NAME.graph, which
#                                   is written by hand from what Cylc would
#                                   run
#   check_import.sh TOCK bad/NAME   tock import must fail with the exit status
#                                   and the message the file names
# Lines of NAME.cylc (comments to Cylc) steer the check:
#   # import-args: ARGS     more arguments for tock import (--set ...)
#   # range: ARGS           the range for tock graph (--from X --to Y)
#   # expect-yaml: TEXT     a line of the YAML must contain TEXT
#   # exit: N / # message: TEXT (bad/ only): the status, and text stderr must hold
set -u
tock=$1
name=$2
cd "$(dirname "$0")/import" || exit 2
flow=$name.cylc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
directive() { sed -n "s/^# $1: //p" "$flow"; }

case $name in
bad/*)
    want_exit=$(directive exit)
    eval "set -- $(directive import-args)"
    "$tock" import "$flow" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    status=0
    if [ "$rc" != "$want_exit" ]; then
        echo "expected exit $want_exit from tock import $flow, got $rc"
        status=1
    fi
    directive message >"$tmp/messages"
    while IFS= read -r m; do
        grep -qF -- "$m" "$tmp/err" || { echo "stderr lacks: $m"; status=1; }
    done <"$tmp/messages"
    [ -s "$tmp/out" ] && { echo "expected nothing on stdout"; status=1; }
    [ "$status" = 0 ] || { echo "--- stderr:"; cat "$tmp/err"; }
    exit $status
    ;;
esac

eval "set -- $(directive import-args)"
yaml=$tmp/$(basename "$name").yaml
if ! "$tock" import "$flow" "$@" -o "$yaml" 2>"$tmp/err"; then
    echo "tock import $flow failed:"
    cat "$tmp/err"
    exit 1
fi
status=0
directive expect-yaml >"$tmp/expect"
while IFS= read -r m; do
    grep -qF -- "$m" "$yaml" || { echo "the YAML lacks: $m"; status=1; }
done <"$tmp/expect"
eval "set -- $(directive range)"
if ! { "$tock" validate "$yaml" && "$tock" graph "$yaml" --format text "$@"; } >"$tmp/out" 2>&1; then
    cat "$tmp/out"
    echo "--- the YAML:"
    cat "$yaml"
    exit 1
fi
sed 1d "$tmp/out" >"$tmp/graph"
diff -u "$name.graph" "$tmp/graph" || { echo "--- the YAML:"; cat "$yaml"; status=1; }
exit $status
