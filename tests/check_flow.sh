#!/bin/sh
# Run the real `tock` on one workflow of tests/flows and compare with what is
# expected of it.
#   check_flow.sh TOCK NAME            NAME.yaml must validate; its expansion
#                                      (tock graph --format text) must equal NAME.expected
#   check_flow.sh TOCK bad/NAME        validation must fail (exit 1) with exactly
#                                      the errors in bad/NAME.expected
# A flow may set the graph range on a line "# range: --from X --to Y".
# With TOCK_UPDATE=1 the expected file is rewritten (then review the diff).
set -u
tock=$1
name=$2
cd "$(dirname "$0")/flows" || exit 2
flow=$name.yaml
expected=$name.expected
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
case $name in
bad/*)
    "$tock" validate "$flow" >/dev/null 2>"$actual"
    rc=$?
    if [ "$rc" -ne 1 ]; then
        echo "expected exit 1 from tock validate $flow, got $rc"
        cat "$actual"
        exit 1
    fi
    ;;
*)
    range=$(sed -n 's/^# range: //p' "$flow")
    {
        "$tock" validate "$flow" && "$tock" graph "$flow" --format text $range
    } >"$actual" 2>&1 || { cat "$actual"; exit 1; }
    ;;
esac
if [ "${TOCK_UPDATE:-0}" = 1 ]; then
    cp "$actual" "$expected"
fi
diff -u "$expected" "$actual"
