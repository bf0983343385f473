# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""End-of-validity refunds are paid: the credit note is offset against the
funder's open invoices it reverses (never its other invoices), and what is
left is paid back by the next clearing run, in the same SEPA payment order
as the venues, to a trusted IBAN only; a funder without one is held back
with the reason; a returned transfer is paid again by the next run. The
statement shows the refund offset, paid back or still owed, and the passes
settled before being invoiced (4181)."""

from datetime import timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import PassPaymentsMixin
from .common_expiry import PassExpiryCommon


@tagged("post_install", "-at_install")
class TestRefundPayment(PassPaymentsMixin, PassExpiryCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.venue_iban = cls._bank_account(cls.venue, 31, trusted=True)
        # The State's IBAN was checked; the département's was not.
        cls.state_iban = cls._bank_account(cls.state_funder, 32, trusted=True)
        cls.dept_iban = cls._bank_account(cls.dept_funder, 33)
        cls._setup_payments(company_account=97)
        cls.months = iter(range(1, 13))

    # ------------------------------------------------------------------ helpers
    def _run(self):
        """A clearing run of a month of its own (2031: no pass redeemed then),
        run by the accountant; it pays whatever is due."""
        month = next(self.months)
        start = self.today.replace(year=2031, month=month, day=1)
        run = self.env["pass.clearing.run"].create(
            {
                "company_id": self.company.id,
                "period_start": start,
                "period_end": start + timedelta(days=27),
            }
        )
        run.with_user(self.accountant).action_run()
        self.assertEqual(run.state, "done", run.last_error)
        return run

    def _lines(self, run):
        return {
            (line.venue_id, line.role, line.origin, line.state, line.amount)
            for line in run.line_ids
        }

    def _assert_run_pays(self, run, lines, order_total, refund_paid):
        """``run``'s lines (partner, role, origin, state, amount), its payment
        order's total and the refunds it paid."""
        self.assertEqual(self._lines(run), lines)
        self.assertAlmostEqual(
            run.payment_order_id.total_company_currency, order_total, places=2
        )
        self.assertAlmostEqual(run.amount_refund_paid, refund_paid, places=2)

    def _statement_totals(self, funder, date_to=None):
        return self.env["pass.statement"]._funder_statement(
            funder,
            self.today - timedelta(days=10),
            date_to or self.today + timedelta(days=400),
            self.program,
            self.company,
        )["totals"]

    def _refund_figures(self, funder):
        totals = self._statement_totals(funder)
        return (
            totals["refunded"],
            totals["refund_offset"],
            totals["refund_paid"],
            totals["refund_due"],
        )

    def _assert_held_is_ledger(self, *funders):
        balances = self._liability_balances()
        for funder in funders:
            totals = self._statement_totals(funder)
            self.assertEqual(totals["due"], 0.0, funder.name)
            self.assertEqual(totals["held"], balances.get(funder, 0.0), funder.name)
        self.assertLedgerOk()

    # ------------------------------------------------------------------ tests
    def test_refunds_paid_by_the_run_to_trusted_ibans_only(self):
        self.program = self._ending_program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "REFPAY"
        )
        order = self._order(self.program, books=1)
        invoices = self._invoice(order)
        self._pay(invoices)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:4])
        remittance = self._remit()
        self.assertHeldInvariant(self.program)
        reconciliation = self._run_end_of_validity(self.program)
        notes = {line.partner_id: line.move_id for line in reconciliation.line_ids}
        state_note, dept_note = notes[self.state_funder], notes[self.dept_funder]
        # Both funders paid: the credit notes (36.00 and 24.00) are owed back.
        self.assertEqual(
            (state_note.amount_residual, dept_note.amount_residual), (36.0, 24.0)
        )
        self.assertEqual(
            self._refund_figures(self.state_funder), (36.0, 0.0, 0.0, 36.0)
        )
        self._assert_held_is_ledger(self.state_funder, self.dept_funder)

        # The run pays the venue and the State's refund in one order; the
        # département's IBAN is not trusted: held back, with the reason.
        run = self._run()
        order_1 = run.payment_order_id
        self.assertEqual(
            self._lines(run),
            {
                (self.venue, "venue", "earlier", "paid", 40.0),
                (self.state_funder, "funder", "run", "paid", 36.0),
                (self.dept_funder, "funder", "run", "held", 24.0),
            },
        )
        dept_line = run.line_ids.filtered(lambda line: line.role == "funder")
        dept_line = dept_line.filtered(lambda line: line.state == "held")
        self.assertEqual(dept_line.reason, "untrusted")
        self.assertEqual(dept_line.reconciliation_id, reconciliation)
        self.assertEqual(dept_line.move_id, dept_note)
        self.assertEqual(run.skipped_venue_ids, self.env["res.partner"])
        self.assertEqual(order_1.state, "generated")
        self.assertEqual(order_1.payment_type, "outbound")
        # The summary, the lines and the payment order agree.
        self.assertAlmostEqual(order_1.total_company_currency, 76.0, places=2)
        self.assertAlmostEqual(run.amount_paid, 76.0, places=2)
        self.assertAlmostEqual(run.amount_refund_paid, 36.0, places=2)
        self.assertAlmostEqual(run.amount_held, 24.0, places=2)
        by_partner = {line.partner_id: line for line in order_1.payment_line_ids}
        self.assertEqual(set(by_partner), {self.venue, self.state_funder})
        self.assertEqual(
            (
                by_partner[self.state_funder].partner_bank_id,
                by_partner[self.state_funder].communication,
                by_partner[self.state_funder].amount_currency,
                by_partner[self.state_funder].move_line_id.move_id,
            ),
            (self.state_iban, state_note.name, 36.0, state_note),
        )
        self.assertEqual(
            (
                by_partner[self.venue].partner_bank_id,
                by_partner[self.venue].communication,
            ),
            (self.venue_iban, remittance.name),
        )
        for text in (state_note.name, self.dept_funder.name, order_1.name):
            self.assertIn(text, run.summary)
        self.assertLedgerOk()

        # The bank file is sent: the credit note is paid back.
        order_1.generated2uploaded()
        self.assertTrue(state_note.currency_id.is_zero(state_note.amount_residual))
        self.assertIn(state_note.payment_state, ("paid", "in_payment"))
        self.assertEqual(
            self._refund_figures(self.state_funder), (36.0, 0.0, 36.0, 0.0)
        )
        self.assertEqual(self._refund_figures(self.dept_funder), (24.0, 0.0, 0.0, 24.0))
        # The dashboard, once the credit note's date is reached.
        with freeze_time(self._after_grace(self.program) + timedelta(days=1)):
            money = self.env["pass.funder.report"]._funder_money(
                self.state_funder, self.program
            )
        self.assertEqual((money["refund_paid"], money["refund_due"]), (36.0, 0.0))
        self._assert_held_is_ledger(self.state_funder, self.dept_funder)

        # The State's transfer comes back: recorded from the run line; the
        # refund is owed again (the payment entry is reversed, not deleted).
        state_line = run.line_ids.filtered(
            lambda line: line.venue_id == self.state_funder
        )
        payment = state_line.payment_line_id.payment_ids
        with self.assertRaises(AccessError):
            state_line.with_user(self._pass_user()).action_record_return()
        state_line.with_user(self.accountant).action_record_return()
        self.assertEqual(state_line.state, "returned")
        self.assertEqual(payment.move_id.state, "posted")
        self.assertTrue(payment.move_id.reversal_move_ids)
        self.assertAlmostEqual(state_note.amount_residual, 36.0, places=2)
        self.assertEqual(
            self._refund_figures(self.state_funder), (36.0, 0.0, 0.0, 36.0)
        )
        self.assertTrue(
            run.message_ids.filtered(
                lambda m: self.state_funder.name in (m.body or "")
                and "returned" in (m.body or "")
            )
        )
        self._assert_held_is_ledger(self.state_funder, self.dept_funder)
        # A refund not sent to the bank cannot be declared returned.
        with self.assertRaises(UserError):
            dept_line.with_user(self.accountant).action_record_return()

        # The département's IBAN is checked and trusted: the next run pays
        # both refunds again, and the first run's lines point to it.
        self.dept_iban.allow_out_payment = True
        later = self._run()
        self._assert_run_pays(
            later,
            {
                (self.state_funder, "funder", "earlier", "paid", 36.0),
                (self.dept_funder, "funder", "earlier", "paid", 24.0),
            },
            order_total=60.0,
            refund_paid=60.0,
        )
        self.assertAlmostEqual(later.amount_paid_again, 0.0, places=2)
        self.assertEqual(
            {(line.venue_id, line.state) for line in run.line_ids},
            {
                (self.venue, "paid"),
                (self.state_funder, "returned"),
                (self.dept_funder, "carried"),
            },
        )
        self.assertEqual(run.line_ids.filtered("later_run_id").later_run_id, later)
        self.assertLedgerOk()
        later.payment_order_id.generated2uploaded()
        for funder, amount in ((self.state_funder, 36.0), (self.dept_funder, 24.0)):
            self.assertEqual(self._refund_figures(funder), (amount, 0.0, amount, 0.0))
        self.assertTrue(state_note.currency_id.is_zero(dept_note.amount_residual))
        self._assert_held_is_ledger(self.state_funder, self.dept_funder)
        # Nothing left to pay: running again pays nobody twice.
        orders = later.payment_order_ids
        later.with_user(self.accountant).action_run()
        self.assertEqual(later.payment_order_ids, orders)
        self.assertFalse(self._run().payment_order_ids)
        self.assertLedgerOk()

    def test_offset_against_its_invoice_first_then_rest_paid(self):
        self.program = self._ending_program([(self.state_funder, 100)], "REFOFF")
        other = self._program([(self.state_funder, 100)], "REFOTHER")
        order = self._order(self.program, books=1)
        # Two documents: the face value (100) and the fee (4.80 with VAT).
        invoice = self._invoice(order).filtered(
            lambda m: m.invoice_line_ids.filtered("pass_voucher_count")
        )
        # The State paid 50.00 of its face-value invoice; another programme's
        # invoice of its is open.
        (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"amount": 50.0})
            ._create_payments()
        )
        other_invoice = self._invoice(self._order(other, books=1)).filtered(
            lambda m: m.invoice_line_ids.filtered("pass_voucher_count")
        )
        other_residual = other_invoice.amount_residual
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:4])
        self._remit()
        self.assertHeldInvariant(self.program | other)

        reconciliation = self._run_end_of_validity(self.program)
        self.assertHeldInvariant(self.program | other)
        note = reconciliation.line_ids.move_id
        self.assertEqual(note.amount_total, 60.0)
        # Offset against the invoice it reverses (50.00 still open there),
        # not against the other invoice: 10.00 is owed back to the State.
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertEqual(other_invoice.amount_residual, other_residual)
        self.assertAlmostEqual(note.amount_residual, 10.0, places=2)
        self.assertEqual(
            self._refund_figures(self.state_funder), (60.0, 50.0, 0.0, 10.0)
        )
        totals = self._statement_totals(self.state_funder)
        # Paid 50.00 of face value, 50.00 offset: nothing due, nothing held,
        # as on its 467.
        self.assertEqual(
            (totals["paid"], totals["due"], totals["held"]), (50.0, 0.0, 0.0)
        )
        self.assertHeldInvariant(self.program | other)
        self.assertLedgerOk()

        # The run pays the venue's 40.00 and the State's 10.00.
        run = self._run()
        self._assert_run_pays(
            run,
            {
                (self.venue, "venue", "earlier", "paid", 40.0),
                (self.state_funder, "funder", "run", "paid", 10.0),
            },
            order_total=50.0,
            refund_paid=10.0,
        )
        refund_line = run.payment_order_id.payment_line_ids.filtered(
            lambda line: line.partner_id == self.state_funder
        )
        self.assertEqual(refund_line.move_line_id.move_id, note)
        self.assertEqual(refund_line.partner_bank_id, self.state_iban)
        run.payment_order_id.generated2uploaded()
        self.assertTrue(note.currency_id.is_zero(note.amount_residual))
        self.assertEqual(other_invoice.amount_residual, other_residual)
        self.assertEqual(
            self._refund_figures(self.state_funder), (60.0, 50.0, 10.0, 0.0)
        )
        self.assertLedgerOk()

    def test_retained_value_is_never_paid(self):
        self.program = self._ending_program(
            [(self.state_funder, 100)], "REFKEEP", unused_policy="retain"
        )
        order = self._order(self.program, books=1)
        self._pay(self._invoice(order))
        self._run_end_of_validity(self.program)
        run = self._run()
        self.assertFalse(run.line_ids)
        self.assertFalse(run.payment_order_ids)
        self.assertLedgerOk()

    def test_statement_shows_passes_settled_before_invoicing(self):
        self.program = self._program([(self.state_funder, 100)], "REF4181")
        books = self.env["pass.book"].browse(self.program.issue_books(1, 10))
        books.distribute(self.state_funder.id)
        vouchers = books.voucher_ids.sorted("id")
        self._redeem(vouchers[:3])
        self._remit()
        self.assertLedgerOk()
        statement = self.env["pass.statement"]._funder_statement(
            self.state_funder,
            self.today - timedelta(days=1),
            self.today,
            self.program,
            self.company,
        )
        totals = statement["totals"]
        self.assertEqual(
            (
                totals["settled"],
                totals["settled_to_invoice"],
                totals["settled_to_invoice_count"],
                totals["to_invoice"],
                totals["invoiced"],
            ),
            (30.0, 30.0, 3, 30.0, 0.0),
        )
        html = str(
            self.env["ir.qweb"]._render(
                "pass_settlement.pass_statement_funder_body", {"statement": statement}
            )
        )
        self.assertIn("o_pass_statement_to_invoice", html)
        self.assertIn(self.company.pass_to_invoice_account_id.code, html)

        # Invoiced, then paid: nothing left to invoice, nothing held, and
        # the held figure is the ledger's (467 and 4181 together).
        invoices = (
            self.env["pass.remittance"]
            .with_user(self.accountant)
            .action_invoice_settled_passes()
        )
        invoice = self.env["account.move"].search(invoices["domain"])
        self._pay(invoice)
        statement = self.env["pass.statement"]._funder_statement(
            self.state_funder,
            self.today - timedelta(days=1),
            self.today,
            self.program,
            self.company,
        )
        totals = statement["totals"]
        self.assertEqual(
            (
                totals["invoiced"],
                totals["paid"],
                totals["due"],
                totals["to_invoice"],
                totals["held"],
            ),
            (30.0, 30.0, 0.0, 0.0, 0.0),
        )
        self.assertLedgerOk()

    def _pass_user(self):
        """A plain Pass user: may read the run, not record returns."""
        return new_test_user(
            self.env,
            login="refund_pass_user",
            groups="pass_numerique.pass_numerique_group_user",
            company_id=self.company.id,
        )
