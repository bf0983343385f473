#!/usr/bin/env bash
# `make test-odoo`: the plugin never breaks the ERP it plugs into.
#
# Runs a selection of Odoo's and OCA's own tests (account: out-invoice,
# payment register, reconcile; sale: order, flow, refund, to-invoice;
# l10n_fr_account; account_payment_order) twice, on two fresh databases
# without demo data:
#   without  the modules our addons depend on, without our addons;
#   with     the same modules plus pass_numerique and pass_settlement;
# then compares the failures. A test failing with our addons and passing
# without them is a regression (exit 1). Failures of both runs are upstream's:
# they are expected to be listed, once, with their cause, in
# scripts/odoo_tests_known_failures.txt (one "module.Class.test_method" per line,
# "# cause" after it); an unlisted one is reported, not counted as ours.
#
# Environment: ODOO_TESTS_PARALLEL=0 runs the two sides one after the other
# (default: at once); ODOO_TESTS_DEMO=1 installs demo data (slower);
# ODOO_TESTS_KEEP=1 keeps the databases and logs; ODOO_TESTS_ONLY=with|without
# runs one side only (no comparison).
set -uo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
SETUP="bash scripts/setup.sh"

$SETUP env || exit 1
eval "$($SETUP vars)"

# The modules pass_numerique and pass_settlement depend on (not ours).
BASE_MODULES="portal,base_geolocalize,l10n_fr,l10n_fr_department,l10n_fr_account"
BASE_MODULES+=",sale_management,account_banking_sepa_credit_transfer"
BASE_MODULES+=",account_edi_ubl_cii_tax_extension,l10n_fr_chorus_account"
BASE_MODULES+=",l10n_fr_chorus_facturx,l10n_fr_chorus_sale"
OUR_MODULES="pass_numerique,pass_settlement"
TAGS="/account:TestAccountMoveOutInvoiceOnchanges"
TAGS+=",/account:TestAccountPaymentRegister,/account:TestAccountMoveReconcile"
TAGS+=",/sale:TestSaleOrder,/sale:TestSaleOrderInvoicing,/sale:TestSalesTeam"
TAGS+=",/sale:TestSaleMailComposerUI,/sale:TestSaleFlow,/sale:TestSaleRefund"
TAGS+=",/sale:TestSaleToInvoice,/l10n_fr_account,/account_payment_order"
KNOWN="$REPO/scripts/odoo_tests_known_failures.txt"

PREFIX="pass_odoo_tests_$$"
OUT="$(mktemp -d)"
cleanup() {
  if [ "${ODOO_TESTS_KEEP:-0}" = 1 ]; then
    echo "[test-odoo] kept databases ${PREFIX}_* and logs in $OUT"
    return
  fi
  for side in without with; do $SETUP dropdb "${PREFIX}_$side" >/dev/null 2>&1; done
  rm -rf "$OUT"
}
trap cleanup EXIT

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

demo_flag=(--without-demo=all)
[ "${ODOO_TESTS_DEMO:-0}" = 1 ] && demo_flag=()

# run SIDE MODULES: install on a fresh database, then run the selection.
run_side() {
  local side="$1" modules="$2" db="${PREFIX}_$1" t0
  t0=$(date +%s)
  $SETUP dropdb "$db" >/dev/null 2>&1 || true
  echo "[test-odoo] $side: installing $modules"
  if ! $SETUP odoo -d "$db" -i "$modules" "${demo_flag[@]}" --stop-after-init \
      --log-level=warn >"$OUT/$side.install.log" 2>&1; then
    tail -n 40 "$OUT/$side.install.log"
    echo "[test-odoo] $side: installation failed"
    return 1
  fi
  echo "[test-odoo] $side: installed in $(( $(date +%s) - t0 )) s, running the tests"
  t0=$(date +%s)
  # No -i/-u: Odoo runs the at_install and post_install tests of the
  # installed modules that the tags select.
  $SETUP odoo -d "$db" --test-tags "$TAGS" --stop-after-init \
    --http-port="$(free_port)" --gevent-port="$(free_port)" --workers=0 \
    --max-cron-threads=0 --log-level=info >"$OUT/$side.log" 2>&1
  # "FAIL: Class.test" / "ERROR: Subtest Class.test (k=v)" logged by the
  # test's module logger, "ERROR: setUpClass (odoo.addons.m.tests.f.Class)":
  # keep "module.Class.test".
  "$PY" - "$OUT/$side.log" >"$OUT/$side.failed" <<'PYEOF'
import re, sys
line_re = re.compile(
    r" ERROR \S+ (?:odoo\.addons\.(\w+)\.tests\S*|\S+): (?:FAIL|ERROR): "
    r"(?:Subtest )?(?:(\w+) \(odoo\.addons\.(\w+)\.tests\.\w+\.(\w+)\)|(\w+)\.(\w+))"
)
names = set()
with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
    for line in log:
        m = line_re.search(line)
        if not m:
            continue
        if m.group(2):  # setUpClass / tearDownClass of a class
            names.add(f"{m.group(3)}.{m.group(4)}.{m.group(2)}")
        elif m.group(1):
            names.add(f"{m.group(1)}.{m.group(5)}.{m.group(6)}")
print("\n".join(sorted(names)))
PYEOF
  sed -i '/^$/d' "$OUT/$side.failed"
  grep -E "odoo\.tests\.result: .* tests" "$OUT/$side.log" | tail -n 1 |
    sed -E 's/.*odoo\.tests\.result: //' >"$OUT/$side.summary"
  [ -s "$OUT/$side.summary" ] || grep -E "odoo\.tests\.(stats|result)" "$OUT/$side.log" | tail -n 3 >"$OUT/$side.summary"
  echo "[test-odoo] $side: $(cat "$OUT/$side.summary") ($(( $(date +%s) - t0 )) s)"
  sed 's/^/    failed: /' "$OUT/$side.failed"
}

start=$(date +%s)
only="${ODOO_TESTS_ONLY:-}"
rc=0
if [ -z "$only" ] && [ "${ODOO_TESTS_PARALLEL:-1}" = 1 ]; then
  # Both sides at once (two databases, two processes: one per core).
  echo "[test-odoo] both sides in parallel (ODOO_TESTS_PARALLEL=0: one after the other)"
  run_side without "$BASE_MODULES" >"$OUT/without.out" 2>&1 &
  pid_without=$!
  run_side with "$BASE_MODULES,$OUR_MODULES" >"$OUT/with.out" 2>&1 &
  pid_with=$!
  wait "$pid_without"; rc_without=$?
  wait "$pid_with"; rc_with=$?
  cat "$OUT/without.out" "$OUT/with.out"
  [ "$rc_without" = 0 ] && [ "$rc_with" = 0 ] || exit 1
else
  if [ "$only" != with ]; then run_side without "$BASE_MODULES" || exit 1; fi
  if [ "$only" != without ]; then run_side with "$BASE_MODULES,$OUR_MODULES" || exit 1; fi
fi
[ -n "$only" ] && { echo "[test-odoo] total time $(( $(date +%s) - start )) s"; exit 0; }

known() { grep -vE '^\s*(#|$)' "$KNOWN" 2>/dev/null | sed -E 's/\s*#.*//; s/\s+$//' | sort -u; }
regressions="$(comm -13 "$OUT/without.failed" "$OUT/with.failed")"
fixed="$(comm -23 "$OUT/without.failed" "$OUT/with.failed")"
upstream="$(comm -12 "$OUT/without.failed" "$OUT/with.failed")"
unlisted="$(comm -23 <(echo "$upstream" | sed '/^$/d') <(known))"
echo
if [ -n "$regressions" ]; then
  echo "[test-odoo] FAILING ONLY WITH OUR ADDONS (regressions):"
  echo "$regressions" | sed 's/^/    /'
  rc=1
fi
[ -n "$fixed" ] && { echo "[test-odoo] failing only without our addons:"; echo "$fixed" | sed 's/^/    /'; }
if [ -n "$upstream" ]; then
  echo "[test-odoo] failing with and without our addons (upstream):"
  while read -r name; do
    [ -z "$name" ] && continue
    cause="$(grep -F "$name" "$KNOWN" 2>/dev/null | sed -nE 's/.*#\s*//p' | head -n 1)"
    echo "    $name${cause:+  # $cause}"
  done <<<"$upstream"
fi
if [ -n "$unlisted" ]; then
  echo "[test-odoo] upstream failures not listed in ${KNOWN#"$REPO"/} (add them with their cause):"
  echo "$unlisted" | sed 's/^/    /'
fi
n_with="$(sed -nE 's/.* of ([0-9]+) tests.*/\1/p' "$OUT/with.summary")"
n_bad="$(echo "$regressions" | sed '/^$/d' | wc -l)"
n_upstream="$(echo "$upstream" | sed '/^$/d' | wc -l)"
echo
echo "[test-odoo] $n_upstream upstream failure(s), failing without our addons too"
echo "make test-odoo: $(( ${n_with:-0} - n_bad - n_upstream )) passed, $n_bad failed"
echo "[test-odoo] total time $(( $(date +%s) - start )) s"
exit $rc
