# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The funder's figures say what happened to its money: invoiced is not
received; received is what it paid (matched with a payment); held is what
it paid minus what was paid to venues and refunded or retained, and equals
its balance on the funders' money account (467) once its invoices are
paid."""

import re
from datetime import timedelta

from odoo.tests import HttpCase, tagged

from .common_expiry import PassExpiryCommon


@tagged("post_install", "-at_install")
class TestTruthfulFigures(PassExpiryCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 60/40, 1 book of 10 passes of 10 EUR: 60.00 for the State, 40.00
        # for the département (face value; the fee is on top, with VAT).
        cls.program = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)],
            "TRUTH",
            date_end=cls.today + timedelta(days=40),
        )

    def _money(self, funder):
        money = self.env["pass.funder.report"]._funder_money(funder, self.program)
        return {
            key: money[key]
            for key in ("invoiced", "received", "due", "spent", "refunded", "held")
        }

    def _row(self, funder, date_from=None, date_to=None):
        statement = self.env["pass.statement"]._funder_statement(
            funder,
            date_from or self.today - timedelta(days=10),
            date_to or self.today,
            self.program,
            self.company,
        )
        return statement, statement["rows"][0]

    def _ledger(self, funder):
        return self._liability_balances().get(funder, 0.0)

    def _setup_invoiced(self):
        order = self._order(self.program, books=1)
        invoices = self._invoice(order)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        return invoices, vouchers

    def _of(self, invoices, funder):
        return invoices.filtered(lambda m: m.partner_id == funder)

    def test_invoiced_not_paid_then_paid_then_remitted(self):
        invoices, vouchers = self._setup_invoiced()
        # Invoiced, nothing paid: nothing received, nothing held, all due,
        # although the 467 is credited with the invoiced face value.
        self.assertEqual(
            self._money(self.state_funder),
            {
                "invoiced": 60.0,
                "received": 0.0,
                "due": 60.0,
                "spent": 0.0,
                "refunded": 0.0,
                "held": 0.0,
            },
        )
        self.assertEqual(self._ledger(self.state_funder), 60.0)
        statement, row = self._row(self.state_funder)
        self.assertEqual(
            (row["invoiced"], row["invoiced_count"], row["paid"], row["due"]),
            (60.0, 10, 0.0, 60.0),
        )
        self.assertEqual(row["held"], 0.0)
        html = self._render(statement)
        self.assertIn("o_pass_statement_due", html, "the amount still due is said")

        # The State pays: received = invoiced, held = its 467 balance. The
        # département has not paid: still nothing held for it.
        self._pay(self._of(invoices, self.state_funder))
        state = self._money(self.state_funder)
        self.assertEqual(
            (state["invoiced"], state["received"], state["due"], state["held"]),
            (60.0, 60.0, 0.0, 60.0),
        )
        self.assertEqual(state["held"], self._ledger(self.state_funder))
        dept = self._money(self.dept_funder)
        self.assertEqual(
            (dept["invoiced"], dept["received"], dept["due"], dept["held"]),
            (40.0, 0.0, 40.0, 0.0),
        )
        statement, row = self._row(self.state_funder)
        self.assertEqual((row["paid"], row["due"], row["held"]), (60.0, 0.0, 60.0))
        self.assertNotIn("o_pass_statement_due", self._render(statement))

        # The département pays too; 3 passes are used and remitted: each
        # funder's share was paid to the venue, held = 467 balance.
        self._pay(self._of(invoices, self.dept_funder))
        self._redeem(vouchers[:3])
        self._remit()
        state = self._money(self.state_funder)
        dept = self._money(self.dept_funder)
        self.assertEqual((state["spent"], state["held"]), (18.0, 42.0))
        self.assertEqual((dept["spent"], dept["held"]), (12.0, 28.0))
        self.assertEqual(state["held"], self._ledger(self.state_funder))
        self.assertEqual(dept["held"], self._ledger(self.dept_funder))
        _statement, row = self._row(self.state_funder)
        self.assertEqual(
            (row["settled"], row["settled_count"], row["redeemed_count"]),
            (18.0, 3, 3),
        )
        self.assertEqual(row["held"], 42.0)
        # The next period opens with what was held at the end of this one.
        _statement, later = self._row(
            self.state_funder,
            self.today + timedelta(days=1),
            self.today + timedelta(days=2),
        )
        self.assertEqual(
            (later["opening"], later["paid"], later["held"]), (42.0, 0.0, 42.0)
        )
        self.assertLedgerOk()

    def test_end_of_validity_refund(self):
        invoices, vouchers = self._setup_invoiced()
        self._pay(invoices)
        self._redeem(vouchers[:4])
        self._remit()
        self._run_end_of_validity(self.program)
        after = self._after_grace(self.program)
        # 6 unused passes refunded: 36.00 to the State, 24.00 to the
        # département, by credit notes dated after the grace period; nothing
        # held any more, as on the 467.
        _statement, state = self._row(self.state_funder, date_to=after)
        self.assertEqual(
            (state["paid"], state["settled"], state["refunded"], state["held"]),
            (60.0, 24.0, 36.0, 0.0),
        )
        self.assertEqual(state["held"], self._ledger(self.state_funder))
        # Today's dashboard does not show it yet: still held until then.
        self.assertEqual(self._money(self.state_funder)["held"], 36.0)
        _statement, row = self._row(self.dept_funder, date_to=after)
        self.assertEqual(
            (row["refunded"], row["refunded_count"], row["settled"], row["held"]),
            (24.0, 6, 16.0, 0.0),
        )
        self.assertEqual(row["held"], self._ledger(self.dept_funder))
        self.assertHeldInvariant(self.program)
        self.assertLedgerOk()

    def test_all_consumed_then_end_of_validity(self):
        invoices, vouchers = self._setup_invoiced()
        self._pay(invoices)
        self._redeem(vouchers)
        self._remit()
        self._run_end_of_validity(self.program)
        for funder, share in ((self.state_funder, 60.0), (self.dept_funder, 40.0)):
            money = self._money(funder)
            self.assertEqual(
                (money["received"], money["spent"], money["refunded"]),
                (share, share, 0.0),
            )
            self.assertEqual(money["held"], 0.0)
            self.assertEqual(self._ledger(funder), 0.0)
        self.assertLedgerOk()

    def test_partial_payment(self):
        invoices, _vouchers = self._setup_invoiced()
        state_invoices = self._of(invoices, self.state_funder)
        # The State pays half of each of its invoices (face value and fee
        # alike): half of its face value is received, half still due.
        for invoice in state_invoices:
            (
                self.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"amount": invoice.amount_total / 2})
                ._create_payments()
            )
        self.assertTrue(
            all(m.payment_state == "partial" for m in state_invoices),
            state_invoices.mapped("payment_state"),
        )
        money = self._money(self.state_funder)
        self.assertEqual(
            (money["invoiced"], money["received"], money["due"], money["held"]),
            (60.0, 30.0, 30.0, 30.0),
        )
        statement, row = self._row(self.state_funder)
        self.assertEqual((row["paid"], row["due"]), (30.0, 30.0))
        self.assertIn("o_pass_statement_due", self._render(statement))
        self.assertLedgerOk()

    def test_credit_note_is_no_payment(self):
        """A credit note matched with the invoice pays nothing: it cancels
        what was invoiced."""
        invoices, _vouchers = self._setup_invoiced()
        invoice = self._of(invoices, self.dept_funder)[:1]
        refund = self._credit_note(invoice, "Chorus Pro")
        if refund.state == "draft":
            refund.action_post()
        money = self._money(self.dept_funder)
        self.assertEqual(money["received"], 0.0)
        self.assertEqual(money["held"], 0.0)
        self.assertEqual(money["invoiced"], money["due"])

    def _render(self, statement):
        return str(
            self.env["ir.qweb"]._render(
                "pass_settlement.pass_statement_funder_body", {"statement": statement}
            )
        )


@tagged("post_install", "-at_install")
class TestTruthfulDashboard(PassExpiryCommon, HttpCase):
    def test_dashboard_says_invoiced_is_not_received(self):
        program = self._program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "TRUTHD"
        )
        invoices = self._invoice(self._order(program, books=1))
        self._portal_user(self.state_funder, "truth_funder")
        self.authenticate("truth_funder", "truth_funder-pwd-2026")

        def figure(html, css_class):
            match = re.search(css_class + r'">\s*<div[^>]*>([^<]+)<', html)
            self.assertTrue(match, css_class)
            return re.sub(r"[^0-9,.]", "", match.group(1)).replace(",", ".")

        page = self.url_open("/my/pass-funding").text
        self.assertEqual(figure(page, "o_pass_money_invoiced"), "60.00")
        self.assertEqual(figure(page, "o_pass_money_received"), "0.00")
        self.assertEqual(figure(page, "o_pass_money_due"), "60.00")
        self.assertEqual(figure(page, "o_pass_money_held"), "0.00")
        self.assertIn("o_pass_money_due_note", page)
        self._pay(invoices.filtered(lambda m: m.partner_id == self.state_funder))
        page = self.url_open("/my/pass-funding").text
        self.assertEqual(figure(page, "o_pass_money_received"), "60.00")
        self.assertEqual(figure(page, "o_pass_money_held"), "60.00")
        self.assertNotIn("o_pass_money_due_note", page)
