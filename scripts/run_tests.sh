#!/usr/bin/env bash
# `make test`: set up, create a throw-away database with both addons (no demo
# data: tests build their own fixtures), run the addons' Odoo tests with
# pytest-odoo, then the integration tests of tests/ against a live server,
# and print one closing summary line.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
SETUP="bash scripts/setup.sh"

$SETUP env || exit 1
eval "$($SETUP vars)"
export PASS_TEST_DB="${TEST_DB:-pass_test_$$}"
export PASS_ODOO_CONF="$CONF" PASS_ODOO_SRC="$ODOO_SRC" PASS_PYTHON="$PY"
RESULTS="$(mktemp -d)"
cleanup() {
  $SETUP dropdb "$PASS_TEST_DB" >/dev/null 2>&1 || true
  rm -rf "$RESULTS"
}
trap cleanup EXIT

start=$(date +%s)
$SETUP dropdb "$PASS_TEST_DB" >/dev/null 2>&1 || true
$SETUP db "$PASS_TEST_DB" nodemo || { echo "make test: could not create the test database"; exit 1; }
echo "[test] database $PASS_TEST_DB ready in $(( $(date +%s) - start )) s"

addon_tests=()
for d in addons/*/tests; do
  ls "$d"/test_*.py >/dev/null 2>&1 && addon_tests+=("$d")
done

rc=0
echo "[test] Odoo tests of the addons (pytest-odoo): ${addon_tests[*]}"
"$PY" -m pytest -p no:cacheprovider -q \
  --odoo-database="$PASS_TEST_DB" --odoo-config="$CONF" --odoo-http \
  --odoo-log-level=warn --junitxml="$RESULTS/odoo.xml" \
  "${addon_tests[@]}" || rc=$?

if ls tests/test_*.py >/dev/null 2>&1; then
  echo "[test] integration tests through a live server (tests/)"
  "$PY" -m pytest -p no:odoo -p no:cacheprovider -q \
    --junitxml="$RESULTS/rpc.xml" tests || rc=$?
fi

"$PY" - "$RESULTS" <<'PYEOF'
import glob, sys
import xml.etree.ElementTree as ET
tot = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for path in glob.glob(sys.argv[1] + "/*.xml"):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for s in suites:
        for k in tot:
            tot[k] += int(s.get(k, 0))
passed = tot["tests"] - tot["failures"] - tot["errors"] - tot["skipped"]
print()
print(f"make test: {passed} passed, {tot['failures'] + tot['errors']} failed, {tot['skipped']} skipped")
PYEOF
echo "[test] total time $(( $(date +%s) - start )) s"
# pytest exits 5 when it collected nothing: that is a failure here too.
exit $rc
