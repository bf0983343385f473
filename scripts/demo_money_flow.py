# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Check that the demo database of `make run` lets admin run the whole money
flow with no extra set-up, as admin (not as the superuser), in Odoo
Community: order, invoices, payments, redemptions, remittance, clearing with
its SEPA file, end of validity with the refund paid back by the next clearing
run, and the ledger check.

    bash scripts/setup.sh odoo shell -d pass_demo --no-http < scripts/demo_money_flow.py

Rolled back at the end (the demo stays as `make run` made it) unless
PASS_DEMO_FLOW_COMMIT=1. Prints one line per step; stops at the first error.
"""

import os
from datetime import timedelta

from odoo import Command, fields

from odoo.addons.pass_numerique.tools.guard import guarded_write

env = env  # noqa: F821 (given by `odoo shell`)
admin = env.ref("base.user_admin")
company = env.ref("base.main_company")
su = env  # the superuser plays the venue's counter (paper pass codes)
env = env(user=admin.id, context=dict(env.context, allowed_company_ids=company.ids))


def step(message):
    print(f"[demo flow] {message}")


assert admin.has_group("pass_settlement.group_pass_accountant"), (
    "admin is no Pass accountant"
)
step(
    "admin: Pass accountant, Show Full Accounting Features = "
    f"{admin.has_group('account.group_account_user')}"
)
mode = company.pass_venue_payment_mode_id
journal = mode.fixed_journal_id
assert journal.bank_account_id, "the venue payment mode's journal has no bank account"
step(
    f"payment mode {mode.name} on {journal.name} ({journal.bank_account_id.acc_number})"
)

program = env.ref("pass_numerique.pass_program_gironde_demo")
funder = env.ref("pass_numerique.res_partner_funder_gironde_demo")
venue = env.ref("pass_numerique.res_partner_venue_cyberbase_demo")
venue_b = env.ref("pass_numerique.res_partner_venue_medianum_pessac_demo")
service = su["pass.service"].search(
    [("id", "in", (venue.pass_service_ids & venue_b.pass_service_ids).ids)], limit=1
)

# Order, invoices, payments.
order = env["sale.order"].create(
    {
        "partner_id": funder.id,
        "order_line": [
            Command.create({"product_id": program.product_id.id, "product_uom_qty": 1})
        ],
    }
)
order.action_confirm()
invoices = order._create_invoices()
invoices.action_post()
env["account.payment.register"].with_context(
    active_model="account.move", active_ids=invoices.ids
).create({"group_payment": False})._create_payments()
step(
    f"order {order.name}: invoices "
    + ", ".join(f"{i.name} {i.amount_total} {i.payment_state}" for i in invoices)
)

# Redemptions at two venues.
vouchers = su["pass.voucher"].search(
    [("book_id.sale_line_id.order_id", "=", order.id)], order="number"
)
for voucher, where in zip(vouchers[:5], [venue] * 3 + [venue_b] * 2, strict=True):
    res = env["pass.voucher"].redeem_code(voucher.code, where.id, service.code)
    assert res["ok"], res
step("5 passes redeemed (3 at the Cyber-base, 2 at Pessac)")

# A remittance validated by hand.
remittance = env["pass.remittance"].create({"venue_id": venue.id})
remittance.action_add_redeemed()
remittance.action_submit()
remittance.action_validate()
step(
    f"remittance {remittance.name}: {remittance.state}, entry {remittance.move_id.name}"
)

# The month's clearing and its SEPA file.
today = fields.Date.context_today(env["pass.clearing.run"])
run = env["pass.clearing.run"].create(
    {
        "company_id": company.id,
        "period_start": today.replace(day=1),
        "period_end": today,
    }
)
run.action_run()
assert run.state == "done", run.last_error
payment_order = run.payment_order_ids
files = env["ir.attachment"].search(
    [("res_model", "=", "account.payment.order"), ("res_id", "in", payment_order.ids)]
)
assert files, "no SEPA file"
step(
    f"clearing {run.name}: {run.state}; payment order {payment_order.name} "
    f"{payment_order.state}, {len(payment_order.payment_line_ids)} transfer(s), "
    f"SEPA file {files[0].name}"
)

# End of validity: a programme whose validity and grace period are over
# (issued and invoiced last year, then its end date passed: time is
# simulated by moving the end date, a fixture).
ended = env["pass.program"].create(
    {
        "name": "Programme terminé (démo)",
        "code": "DEMO-END",
        "company_id": company.id,
        "face_value": 10.0,
        "date_start": today - timedelta(days=400),
        "date_end": today + timedelta(days=30),
        "grace_months": 1,
        "unused_policy": "refund",
        "funding_ids": [
            Command.create(
                {"partner_id": program.funding_ids[0].partner_id.id, "share": 60}
            ),
            Command.create({"partner_id": funder.id, "share": 40}),
        ],
    }
)
ended.action_activate()
ended.action_create_product()
order2 = env["sale.order"].create(
    {
        "partner_id": funder.id,
        "order_line": [
            Command.create({"product_id": ended.product_id.id, "product_uom_qty": 1})
        ],
    }
)
order2.action_confirm()
invoices2 = order2._create_invoices()
invoices2.action_post()
env["account.payment.register"].with_context(
    active_model="account.move", active_ids=invoices2.ids
).create({"group_payment": False})._create_payments()
with guarded_write():
    ended.sudo().write({"date_end": today - timedelta(days=70)})
ended.action_pass_end_of_validity()
reconciliation = ended.reconciliation_ids
step(
    f"end of validity: {reconciliation.state}, credit notes "
    + ", ".join(
        f"{m.name} {m.partner_id.name} {m.amount_total}"
        for m in reconciliation.line_ids.move_id
    )
)
# The funders had paid: the next clearing run pays their refunds back to
# their checked IBANs, in its payment order.
refund_run = env["pass.clearing.run"].create(
    {
        "company_id": company.id,
        "period_start": today + timedelta(days=1),
        "period_end": today + timedelta(days=1),
    }
)
refund_run.action_run()
assert refund_run.state == "done", refund_run.last_error
refunds = refund_run.line_ids.filtered(lambda line: line.role == "funder")
assert refunds and set(refunds.mapped("state")) == {"paid"}, refunds.mapped("reason")
step(
    f"refunds paid by {refund_run.name}: "
    + ", ".join(f"{line.venue_id.name} {line.amount}" for line in refunds)
    + f" in {refund_run.payment_order_ids.name}"
)
check = env["pass.ledger.check"].run(company.id)
assert check["ok"], check["differences"]
step("ledger check: ok")
if os.environ.get("PASS_DEMO_FLOW_COMMIT") == "1":
    env.cr.commit()
    step("committed")
else:
    env.cr.rollback()
    step("rolled back (PASS_DEMO_FLOW_COMMIT=1 keeps it)")
