#!/usr/bin/env bash
# `make bench`: set up, create a throw-away database with both addons (no
# demo data) plus Odoo's loyalty addon (the gift-card generator is the yard
# stick of bench_issue.py), run every scripts/bench_*.py on it, each printing
# its table, then drop the database.
#
#   BENCH_SCALE=0.1 make bench     a quick run at a tenth of the full size
#   BENCH_DB=name make bench       the database name (dropped at the end)
#
# Every benchmark takes --db NAME --conf ODOO_CONF --odoo-src ODOO_SRC.
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
SETUP="bash scripts/setup.sh"

$SETUP env || exit 1
eval "$($SETUP vars)"
DB="${BENCH_DB:-pass_bench_$$}"
export PASS_BENCH_DB="$DB" PASS_ODOO_CONF="$CONF" PASS_ODOO_SRC="$ODOO_SRC" PASS_PYTHON="$PY"
export BENCH_SCALE="${BENCH_SCALE:-1}"
cleanup() { $SETUP dropdb "$DB" >/dev/null 2>&1 || true; }
trap cleanup EXIT

start=$(date +%s)
$SETUP dropdb "$DB" >/dev/null 2>&1 || true
$SETUP db "$DB" nodemo || { echo "make bench: could not create the database $DB"; exit 1; }
$SETUP odoo -d "$DB" -i loyalty --stop-after-init --log-level=warn ||
  { echo "make bench: could not install loyalty in $DB"; exit 1; }
echo "[bench] database $DB ready in $(( $(date +%s) - start )) s (BENCH_SCALE=$BENCH_SCALE)"

rc=0
for script in scripts/bench_*.py; do
  case "$(basename "$script")" in bench_common.py) continue ;; esac
  echo
  echo "[bench] $script"
  t0=$(date +%s)
  "$PY" "$script" --db "$DB" --conf "$CONF" --odoo-src "$ODOO_SRC" || { rc=1; echo "[bench] $script FAILED"; }
  echo "[bench] $script took $(( $(date +%s) - t0 )) s"
done
echo "[bench] total time $(( $(date +%s) - start )) s"
exit $rc
