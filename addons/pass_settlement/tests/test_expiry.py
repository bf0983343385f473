# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_expiry import PassExpiryCommon


@tagged("post_install", "-at_install")
class TestExpiry(PassExpiryCommon):
    def _reminder_messages(self, program):
        return program.message_ids.filtered(
            lambda m: m.message_type == "comment" and program.name in (m.subject or "")
        )

    def test_reminders_sent_once_each(self):
        program = self._ending_program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "REMIND"
        )
        order = self._order(program, books=2)
        books = order.order_line.pass_book_ids
        books[0].distribute(self.prescriber.id)
        Program = self.env["pass.program"]
        # 31 days before: nothing yet.
        Program._cron_pass_end_of_validity(today=program.date_end - timedelta(days=31))
        self.assertFalse(self._reminder_messages(program))
        # J-30: the two funders and the prescriber, one activity.
        Program._cron_pass_end_of_validity(today=program.date_end - timedelta(days=30))
        messages = self._reminder_messages(program)
        self.assertEqual(len(messages), 3)
        self.assertEqual(
            set(messages.partner_ids),
            {self.state_funder, self.dept_funder, self.prescriber},
        )
        to_prescriber = messages.filtered(lambda m: self.prescriber in m.partner_ids)
        self.assertIn("10 pass non utilisés", to_prescriber.body)
        to_state = messages.filtered(lambda m: self.state_funder in m.partner_ids)
        self.assertIn("20 pass non utilisés", to_state.body)
        self.assertIn("avoir", to_state.body)
        self.assertEqual(
            program.pass_reminder_30_date, program.date_end - timedelta(days=30)
        )
        self.assertEqual(len(program.activity_ids), 1)
        self.assertIn("30", program.activity_ids.summary)
        # The next days, and a second run the same day: nothing more.
        for days in (30, 29, 16):
            Program._cron_pass_end_of_validity(
                today=program.date_end - timedelta(days=days)
            )
        self.assertEqual(len(self._reminder_messages(program)), 3)
        self.assertEqual(len(program.activity_ids), 1)
        # J-15 once.
        for days in (15, 15, 10, 1):
            Program._cron_pass_end_of_validity(
                today=program.date_end - timedelta(days=days)
            )
        self.assertEqual(len(self._reminder_messages(program)), 6)
        self.assertEqual(len(program.activity_ids), 2)
        self.assertTrue(program.pass_reminder_15_date)
        # Mails really go out to the recipients.
        mails = self.env["mail.mail"].search([("mail_message_id", "in", messages.ids)])
        self.assertTrue(mails)
        self.assertIn(self.state_funder, mails.recipient_ids)

    def test_reminder_in_each_recipient_language(self):
        """Each recipient reads the reminder in their own language."""
        program = self._ending_program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "LANG"
        )
        self._order(program, books=1)
        self.state_funder.lang = "en_US"
        self.dept_funder.lang = "fr_FR"
        self.env["pass.program"]._cron_pass_end_of_validity(
            today=program.date_end - timedelta(days=30)
        )
        messages = self._reminder_messages(program)
        to_state = messages.filtered(lambda m: self.state_funder in m.partner_ids)
        to_dept = messages.filtered(lambda m: self.dept_funder in m.partner_ids)
        self.assertIn("ends in 30 days", to_state.subject)
        self.assertIn("unused passes", to_state.body)
        self.assertIn("se termine dans 30 jours", to_dept.subject)
        self.assertIn("pass non utilisés", to_dept.body)

    def test_nothing_expires_before_end_of_grace(self):
        program = self._ending_program([(self.state_funder, 100)], "GRACE")
        order = self._order(program, books=1)
        self._invoice(order)
        deadline = program._pass_expiry_deadline()
        self.assertEqual(deadline, program.date_end + relativedelta(months=1))
        self.env["pass.program"]._cron_pass_end_of_validity(today=deadline)
        self.assertFalse(program.reconciliation_ids)
        self.assertEqual(
            set(order.order_line.pass_book_ids.voucher_ids.mapped("state")),
            {"distributed"},
        )
        with self.assertRaises(UserError):
            program.action_pass_end_of_validity()
        self.assertFalse(program.reconciliation_ids)
        self.assertHeldInvariant(program)

    def test_refund_by_credit_note_three_funders(self):
        program = self._ending_program(self._thirds(), "REF3")
        order = self._order(program, books=1)
        invoices = self._invoice(order)
        self._pay(invoices)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:3])
        self._remit()
        self.assertHeldInvariant(program)
        reconciliation = self._run_end_of_validity(program)
        self.assertEqual(reconciliation.state, "done")
        self.assertEqual(reconciliation.unused_policy, "refund")
        self.assertEqual(set(vouchers[3:].mapped("state")), {"expired"})
        self.assertEqual(vouchers[3:].reconciliation_id, reconciliation)
        self.assertEqual(program.state, "closed")
        lines = {line.partner_id: line for line in reconciliation.line_ids}
        # 7 unused passes: 7 x 3.33, 7 x 3.33 and 7 x 3.34 = 70.00 exactly.
        self.assertEqual(lines[self.city_funder].unit_amount, 3.34)
        self.assertEqual(lines[self.state_funder].amount_unused, 23.31)
        self.assertEqual(lines[self.city_funder].amount_unused, 23.38)
        self.assertAlmostEqual(
            sum(reconciliation.line_ids.mapped("amount_unused")), 70.0, places=2
        )
        for line in reconciliation.line_ids:
            self.assertEqual(
                (
                    line.count_bought,
                    line.count_redeemed,
                    line.count_settled,
                    line.count_unused,
                ),
                (10, 3, 3, 7),
            )
            credit_note = line.move_id
            self.assertEqual(credit_note.move_type, "out_refund")
            self.assertEqual(credit_note.state, "posted")
            self.assertEqual(credit_note.partner_id, line.partner_id)
            self.assertEqual(
                credit_note.invoice_line_ids.tax_ids,
                self.company.pass_voucher_tax_id,
                "face value, no VAT (0 % tax of vouchers), no fee",
            )
            self.assertFalse(credit_note.line_ids.filtered("tax_line_id"))
            # The face value's invoice (the fee has its own document).
            invoice = invoices.filtered(
                lambda m, p=line.partner_id: m.partner_id == p
                and m.invoice_line_ids.filtered("pass_voucher_count")
            )
            self.assertEqual(credit_note.reversed_entry_id, invoice)
            receivable = line.partner_id.property_account_receivable_id.code
            self.assertEqual(
                self._entry_lines(credit_note),
                sorted(
                    [
                        ("467100", line.partner_id.name, line.amount_unused, 0.0),
                        (receivable, line.partner_id.name, 0.0, line.amount_unused),
                    ]
                ),
            )
            # The funder paid: the credit note is money to give back.
            self.assertEqual(credit_note.amount_residual, line.amount_unused)
        balances = self.assertHeldInvariant(program)
        self.assertEqual(
            {
                balances[f]
                for f in (self.state_funder, self.dept_funder, self.city_funder)
            },
            {0.0},
        )
        # The reconciliation statement both sides check.
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "pass_settlement.pass_reconciliation_report", reconciliation.ids
        )
        html = html.decode()
        self.assertEqual(html.count("o_pass_reconciliation_line"), 3)
        self.assertIn("refunded by credit note", html)
        for line in reconciliation.line_ids:
            self.assertIn(line.move_id.name, html)

    def test_credit_note_matches_an_unpaid_invoice(self):
        program = self._ending_program([(self.state_funder, 100)], "UNPAID")
        order = self._order(program, books=1)
        invoices = self._invoice(order)
        # The face value's invoice (the fee 4.80 + VAT has its own document).
        invoice = invoices.filtered(lambda m: not m.amount_tax)
        self._redeem(order.order_line.pass_book_ids.voucher_ids[:4])
        self._remit()
        reconciliation = self._run_end_of_validity(program)
        credit_note = reconciliation.line_ids.move_id
        self.assertEqual(credit_note.amount_total, 60.0)
        self.assertEqual(credit_note.payment_state, "paid", "matched with the invoice")
        self.assertAlmostEqual(invoice.amount_residual, 100.0 - 60.0, places=2)
        self.assertHeldInvariant(program)

    def test_retain_as_revenue(self):
        program = self._ending_program(
            [(self.state_funder, 60), (self.dept_funder, 40)],
            "RETAIN",
            unused_policy="retain",
        )
        order = self._order(program, books=1)
        invoices = self._invoice(order)
        self._pay(invoices)
        self._redeem(order.order_line.pass_book_ids.voucher_ids[:5])
        self._remit()
        refunds_before = self.env["account.move"].search_count(
            [("move_type", "=", "out_refund")]
        )
        reconciliation = self._run_end_of_validity(program)
        self.assertEqual(reconciliation.unused_policy, "retain")
        self.assertEqual(
            self.env["account.move"].search_count([("move_type", "=", "out_refund")]),
            refunds_before,
            "no credit note when the programme retains",
        )
        retained = self.company.pass_retained_account_id
        for line in reconciliation.line_ids:
            move = line.move_id
            self.assertEqual(move.move_type, "entry")
            self.assertEqual(
                self._entry_lines(move),
                sorted(
                    [
                        ("467100", line.partner_id.name, line.amount_unused, 0.0),
                        (retained.code, line.partner_id.name, 0.0, line.amount_unused),
                    ]
                ),
            )
        self.assertEqual(
            {line.partner_id: line.amount_unused for line in reconciliation.line_ids},
            {self.state_funder: 30.0, self.dept_funder: 20.0},
        )
        self.assertTrue(retained.code.startswith("7"), "kept as revenue")
        self.assertHeldInvariant(program)

    def test_never_twice(self):
        program = self._ending_program([(self.state_funder, 100)], "TWICE2")
        order = self._order(program, books=1)
        self._invoice(order)
        reconciliation = self._run_end_of_validity(program)
        moves = self.env["account.move"].search_count([])
        # The cron again, the button again, validating again: nothing new.
        self._run_end_of_validity(program)
        self.assertEqual(program.reconciliation_ids, reconciliation)
        program._pass_expire_and_reconcile(
            self._after_grace(program) + timedelta(days=3)
        )
        self.assertEqual(program.reconciliation_ids, reconciliation)
        with self.assertRaises(UserError):
            reconciliation.action_validate()
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        self.assertHeldInvariant(program)

    def test_cancelled_passes_refunded_with_expired_ones(self):
        program = self._ending_program([(self.state_funder, 100)], "LOST")
        order = self._order(program, books=1)
        self._invoice(order)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        vouchers[:2].action_cancel("lost")
        # Until the end of validity, the money of lost passes is still held.
        self.assertHeldInvariant(program)
        self.assertEqual(self._liability_balances()[self.state_funder], 100.0)
        reconciliation = self._run_end_of_validity(program)
        self.assertEqual(reconciliation.line_ids.count_unused, 10)
        self.assertEqual(set(vouchers[:2].mapped("state")), {"cancelled"})
        self.assertEqual(reconciliation.line_ids.move_id.amount_total, 100.0)
        self.assertHeldInvariant(program)

    def test_missing_configuration_posts_nothing(self):
        program = self._ending_program([(self.state_funder, 100)], "NOCONF2")
        order = self._order(program, books=1)
        self._invoice(order)
        self.company.pass_retained_account_id = False
        moves = self.env["account.move"].search_count([])
        with self.assertRaises(UserError):
            program._pass_expire_and_reconcile(self._after_grace(program))
        self.assertEqual(self.env["account.move"].search_count([]), moves)
        self.assertFalse(program.reconciliation_ids)
        self.assertLedgerOk()
