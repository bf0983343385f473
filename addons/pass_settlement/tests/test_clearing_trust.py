# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Clearing runs: every venue's claim on the ledger at the period end, with
or without a bank account; payments only to trusted IBANs; the run's summary,
remittances and payment order agree; bank returns paid again; overlapping
periods refused; months cut in Paris time."""

import ast
from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import format_date

from odoo.addons.pass_numerique.tools.guard import guarded_write

from .common import PassPaymentsMixin, PassSettlementCommon

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


@tagged("post_install", "-at_install")
class TestClearingTrust(PassPaymentsMixin, PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.venue.name = "Médiathèque Alpha"
        cls.venue_b = cls._copy_venue("Tiers-lieu Bêta")
        cls.venue_c = cls._copy_venue("Espace Gamma")
        # A: checked IBAN, trusted. B: IBAN entered, nobody checked it. C: none.
        cls.iban_a = cls._bank_account(cls.venue, 11, trusted=True)
        cls.iban_b = cls._bank_account(cls.venue_b, 12)
        cls._setup_payments(company_account=98)
        cls.program = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)], "TRUST6040"
        )
        cls.passes = cls._sold_passes(cls.program, books=3)

    def setUp(self):
        super().setUp()
        self.paid_to = {}  # what the bank actually paid each venue

    # ------------------------------------------------------------------ helpers
    def _redeem_on(self, venue, vouchers, when):
        """Redeem at ``venue``, then date the redemptions at ``when`` (naive
        UTC: the redemption stamps the database's clock)."""
        for voucher in vouchers:
            res = self.env["pass.voucher"].redeem_code(
                voucher.code, venue.id, self.service.code
            )
            self.assertTrue(res["ok"], res)
        with guarded_write():
            vouchers.write({"redeemed_at": when})

    def _run(self, period, **kwargs):
        run = self.env["pass.clearing.run"].create(
            {
                "company_id": self.company.id,
                "period_start": period[0],
                "period_end": period[1],
            }
        )
        run.with_user(self.accountant).action_run()
        self.assertEqual(run.state, "done", run.last_error)
        return run

    def _upload(self, run):
        """The SEPA file went to the bank: the payments are posted."""
        order = run.payment_order_id
        order.generated2uploaded()
        for line in order.payment_line_ids:
            self.paid_to[line.partner_id] = (
                self.paid_to.get(line.partner_id, 0.0) + line.amount_currency
            )
        return order

    def _return(self, venue, order):
        """The bank returned the transfer to ``venue``."""
        self.paid_to[venue] -= sum(
            order.payment_line_ids.filtered(
                lambda line: line.partner_id == venue
            ).mapped("amount_currency")
        )

    def assertVenuesOwed(self):
        """Each venue's payable equals what its passes say it is owed: the
        face value of its settled passes less what the bank paid it."""
        for venue in self.venue | self.venue_b | self.venue_c:
            settled = self.env["pass.voucher"].search(
                [("venue_id", "=", venue.id), ("state", "=", "settled")]
            )
            owed = sum(settled.mapped("amount")) - self.paid_to.get(venue, 0.0)
            lines = self.env["account.move.line"].search(
                [
                    ("partner_id", "=", venue.id),
                    ("account_id.account_type", "=", "liability_payable"),
                    ("parent_state", "=", "posted"),
                    ("company_id", "=", self.company.id),
                ]
            )
            self.assertAlmostEqual(
                -sum(lines.mapped("balance")), owed, places=2, msg=venue.name
            )
        self.assertLiabilityInvariant(self.program)

    def _line(self, run, venue):
        return run.line_ids.filtered(lambda line: line.venue_id == venue)

    # ------------------------------------------------------------------ tests
    @freeze_time("2026-11-26 09:00:00")
    def test_claims_posted_and_only_trusted_ibans_paid(self):
        self._redeem_on(self.venue, self.passes[:2], datetime(2026, 10, 5, 10))
        self._redeem_on(self.venue_b, self.passes[2:5], datetime(2026, 10, 6, 10))
        self._redeem_on(self.venue_c, self.passes[5:7], datetime(2026, 10, 7, 10))
        self.assertVenuesOwed()

        run = self._run(OCTOBER)

        # Every venue's claim is on the ledger, dated on the period's last
        # day, with or without a usable bank account.
        self.assertEqual(
            run.remittance_ids.venue_id, self.venue | self.venue_b | self.venue_c
        )
        self.assertEqual(set(run.remittance_ids.mapped("state")), {"validated"})
        self.assertEqual(set(run.remittance_ids.mapped("date")), {OCTOBER[1]})
        self.assertEqual(set(self.passes[:7].mapped("state")), {"settled"})
        self.assertAlmostEqual(run.amount_total, 70.0, places=2)
        self.assertVenuesOwed()

        # Only the trusted IBAN is paid; the others are held back, with why.
        order = run.payment_order_id
        self.assertEqual(order.payment_line_ids.partner_id, self.venue)
        self.assertEqual(order.payment_line_ids.partner_bank_id, self.iban_a)
        self.assertEqual(
            {(line.venue_id, line.state, line.reason) for line in run.line_ids},
            {
                (self.venue, "paid", False),
                (self.venue_b, "held", "untrusted"),
                (self.venue_c, "held", "no_bank"),
            },
        )
        self.assertEqual(run.skipped_venue_ids, self.venue_b | self.venue_c)
        self.assertEqual(run.held_line_ids.venue_id, self.venue_b | self.venue_c)
        # The summary, the remittances and the payment order agree.
        self.assertAlmostEqual(order.total_company_currency, 20.0, places=2)
        self.assertAlmostEqual(run.amount_paid, 20.0, places=2)
        self.assertAlmostEqual(run.amount_held, 50.0, places=2)
        self.assertEqual(
            self._line(run, self.venue).payment_line_id, order.payment_line_ids
        )
        self.assertEqual(run.line_ids.move_line_id, run.remittance_ids.payable_line_id)
        for text in ("Espace Gamma", "Tiers-lieu Bêta", order.name):
            self.assertIn(text, run.summary)
        # The chatter says who ran it.
        self.assertTrue(
            run.message_ids.filtered(
                lambda m: self.accountant.name in (m.body or "")
                and order.name in (m.body or "")
            )
        )
        # Nobody edits what the run did.
        with self.assertRaises(UserError):
            self._line(run, self.venue_b).write({"state": "paid"})
        with self.assertRaises(UserError):
            self._line(run, self.venue_b).write({"partner_bank_id": self.iban_a.id})
        # "Venues held back", from the clearing menu, lists them.
        action = self.env.ref("pass_settlement.pass_clearing_run_line_action_held")
        held = self.env["pass.clearing.run.line"].search([("state", "=", "held")])
        self.assertEqual(held.venue_id, self.venue_b | self.venue_c)
        self.assertIn("search_default_held", action.context)
        # Open venue payables: all three until the bank file is sent, then B
        # and C only.
        payables_domain = ast.literal_eval(
            self.env.ref(
                "pass_settlement.account_move_line_action_venue_payable"
            ).domain
        )
        payables = self.env["account.move.line"].search(payables_domain)
        self.assertEqual(payables.partner_id, self.venue | self.venue_b | self.venue_c)
        self._upload(run)
        payables = self.env["account.move.line"].search(payables_domain)
        self.assertEqual(payables.partner_id, self.venue_b | self.venue_c)
        self.assertVenuesOwed()

        # B's IBAN checked and trusted: November's run pays it October's
        # claim (due again) with November's; C stays held back.
        self.iban_b.allow_out_payment = True
        self._redeem_on(self.venue_b, self.passes[7:8], datetime(2026, 11, 3, 10))
        with freeze_time("2026-12-02 09:00:00"):
            november = self._run(NOVEMBER)
        order = november.payment_order_id
        self.assertEqual(order.payment_line_ids.partner_id, self.venue_b)
        self.assertAlmostEqual(order.total_company_currency, 40.0, places=2)
        self.assertAlmostEqual(november.amount_paid, 40.0, places=2)
        self.assertAlmostEqual(november.amount_paid_again, 30.0, places=2)
        self.assertEqual(
            {(line.venue_id, line.origin, line.state) for line in november.line_ids},
            {
                (self.venue_b, "run", "paid"),
                (self.venue_b, "earlier", "paid"),
                (self.venue_c, "earlier", "held"),
            },
        )
        # October's held-back lines are carried to November's run, which
        # "Venues held back" now lists alone.
        self.assertEqual(
            set((run.line_ids - self._line(run, self.venue)).mapped("state")),
            {"carried"},
        )
        self.assertEqual(
            (run.line_ids - self._line(run, self.venue)).later_run_id, november
        )
        held = self.env["pass.clearing.run.line"].search([("state", "=", "held")])
        self.assertEqual((held.run_id, held.venue_id), (november, self.venue_c))
        self._upload(november)
        self.assertVenuesOwed()

    @freeze_time("2026-11-26 09:00:00")
    def test_returned_transfer_is_paid_again_by_next_run(self):
        self.iban_b.allow_out_payment = True
        self._redeem_on(self.venue, self.passes[:2], datetime(2026, 10, 5, 10))
        self._redeem_on(self.venue_b, self.passes[2:5], datetime(2026, 10, 6, 10))
        october = self._run(OCTOBER)
        order = self._upload(october)
        rem_a = october.remittance_ids.filtered(lambda r: r.venue_id == self.venue)
        rem_b = october.remittance_ids.filtered(lambda r: r.venue_id == self.venue_b)
        self.assertEqual(rem_a.payment_state, "paid")
        self.assertVenuesOwed()

        # A's transfer comes back: recorded from the run (the payment entry
        # is reversed, not deleted); A's payable is open again.
        payment_a = order.payment_ids.filtered(lambda p: p.partner_id == self.venue)
        self._line(october, self.venue).with_user(
            self.accountant
        ).action_record_return()
        self._return(self.venue, order)
        self.assertEqual(self._line(october, self.venue).state, "returned")
        self.assertEqual(payment_a.move_id.state, "posted")
        self.assertTrue(payment_a.move_id.reversal_move_ids)
        self.assertAlmostEqual(rem_a.payable_line_id.amount_residual, -20.0, places=2)
        self.assertVenuesOwed()
        # B's payment is cancelled by hand in Odoo (the other way to record a
        # return): B's payable is open again too.
        payment_b = order.payment_ids.filtered(lambda p: p.partner_id == self.venue_b)
        payment_b.action_draft()
        payment_b.action_cancel()
        self._return(self.venue_b, order)
        self.assertAlmostEqual(rem_b.payable_line_id.amount_residual, -30.0, places=2)
        self.assertVenuesOwed()

        # November's run pays both again, with November's claims, and says so.
        self._redeem_on(self.venue, self.passes[5:6], datetime(2026, 11, 10, 10))
        with freeze_time("2026-12-02 09:00:00"):
            november = self._run(NOVEMBER)
        new_order = november.payment_order_id
        self.assertAlmostEqual(new_order.total_company_currency, 60.0, places=2)
        self.assertEqual(
            {
                (line.venue_id, line.origin, line.state, line.amount)
                for line in november.line_ids
            },
            {
                (self.venue, "run", "paid", 10.0),
                (self.venue, "earlier", "paid", 20.0),
                (self.venue_b, "earlier", "paid", 30.0),
            },
        )
        self.assertAlmostEqual(november.amount_paid_again, 50.0, places=2)
        self.assertEqual(
            (october.line_ids.mapped("state"), october.line_ids.later_run_id),
            (["returned", "returned"], november),
        )
        self._upload(november)
        self.assertEqual(rem_a.payment_state, "paid")
        self.assertEqual(rem_b.payment_state, "paid")
        self.assertVenuesOwed()
        # Nothing left to pay: running again pays nobody twice.
        november.with_user(self.accountant).action_run()
        self.assertEqual(november.payment_order_ids, new_order)

    @freeze_time("2026-11-26 09:00:00")
    def test_overlapping_period_refused(self):
        self._redeem_on(self.venue, self.passes[:1], datetime(2026, 10, 5, 10))
        draft = self.env["pass.clearing.run"].create(
            {
                "company_id": self.company.id,
                "period_start": date(2026, 10, 15),
                "period_end": date(2026, 11, 15),
            }
        )
        october = self._run(OCTOBER)
        moves = self.env["account.move"].search_count([])
        with self.assertRaises(UserError):
            self.env["pass.clearing.run"].create(
                {
                    "company_id": self.company.id,
                    "period_start": date(2026, 10, 20),
                    "period_end": date(2026, 11, 20),
                }
            )
        # A run drafted before October was done is refused when run.
        self._redeem_on(self.venue, self.passes[1:2], datetime(2026, 11, 2, 10))
        with self.assertRaises(UserError):
            draft.with_user(self.accountant).action_run()
        self.assertEqual(draft.state, "draft")
        self.assertEqual(self.passes[1].state, "redeemed")
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        with self.assertRaises(UserError):
            draft.period_start = date(2026, 10, 31)
        # Running October again is fine (same run), and so is November.
        october.with_user(self.accountant).action_run()
        draft.period_start = date(2026, 11, 1)
        draft.with_user(self.accountant).action_run()
        self.assertEqual(draft.state, "done", draft.last_error)
        self.assertEqual(self.passes[1].state, "settled")
        self.assertVenuesOwed()

    @freeze_time("2026-11-26 09:00:00")
    def test_month_cut_in_paris_time_and_entries_dated_at_period_end(self):
        # 31 October 23:30 in Paris (22:30 UTC) is October; 1 November 00:30
        # in Paris (31 October 23:30 UTC) is November.
        self._redeem_on(self.venue, self.passes[:1], datetime(2026, 10, 31, 22, 30))
        self._redeem_on(self.venue, self.passes[1:2], datetime(2026, 10, 31, 23, 30))
        october = self._run(OCTOBER)
        self.assertEqual(october.remittance_ids.voucher_ids, self.passes[:1])
        self.assertEqual(self.passes[1].state, "redeemed")
        remittance = october.remittance_ids
        self.assertEqual(remittance.date, OCTOBER[1])
        self.assertEqual(remittance.move_id.date, OCTOBER[1])
        self.assertNotIn("lock date", october.summary)
        self.assertVenuesOwed()

    @freeze_time("2026-12-02 09:00:00")
    def test_lock_date_moves_entry_and_summary_says_so(self):
        self._redeem_on(self.venue, self.passes[:2], datetime(2026, 11, 10, 10))
        self.company.fiscalyear_lock_date = NOVEMBER[1]
        november = self._run(NOVEMBER)
        remittance = november.remittance_ids
        self.assertEqual(remittance.state, "validated")
        # Odoo's rule for an entry in a locked period: the first open day,
        # not before today when that is in the same month.
        self.assertEqual(remittance.move_id.date, date(2026, 12, 2))
        self.assertIn("lock date", november.summary)
        self.assertIn(format_date(self.env, date(2026, 12, 2)), november.summary)
        self.assertVenuesOwed()
