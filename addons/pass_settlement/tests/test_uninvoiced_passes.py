# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Passes never invoiced are never settled against funders' money: books
issued without a sale order (``pass.program.issue_books``, the README's API
example), redeemed and remitted, debit each funder's "to invoice"
receivable (4181) by its share, not its money account (467); the
accountant then invoices the funders for them (4181 back to zero, the debt
on 411). Passes of invoiced books still go to 467."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.pass_numerique.tests.common import USER_GROUP, make_company_user

from .common import PassSettlementCommon


@tagged("post_install", "-at_install")
class TestUninvoicedPasses(PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)], "UNINV"
        )
        cls.thirds = cls._program(cls._thirds(), "THIRDS")
        cls.to_invoice = cls.company.pass_to_invoice_account_id

    # ------------------------------------------------------------------ helpers
    def _issued_passes(self, program, books=1, passes_per_book=10):
        """Books issued without any sale order, handed to a funder."""
        book_ids = program.issue_books(books, passes_per_book)
        books = self.env["pass.book"].browse(book_ids)
        books.distribute(program.funding_ids[0].partner_id.id)
        return books.voucher_ids.sorted("id")

    def _balances(self, account):
        """{funder: balance (debit - credit)} of the posted items on account."""
        groups = self.env["account.move.line"]._read_group(
            [
                ("account_id", "=", account.id),
                ("parent_state", "=", "posted"),
                ("company_id", "=", self.company.id),
            ],
            ["partner_id"],
            ["balance:sum"],
        )
        return {
            partner: self.eur.round(balance)
            for partner, balance in groups
            if not self.eur.is_zero(balance)
        }

    def _receivables(self, funders):
        """{funder: balance of its posted items on its receivable (411)}."""
        result = {}
        for funder in funders:
            lines = self.env["account.move.line"].search(
                [
                    ("partner_id", "=", funder.id),
                    ("account_id", "=", funder.property_account_receivable_id.id),
                    ("parent_state", "=", "posted"),
                    ("company_id", "=", self.company.id),
                ]
            )
            result[funder] = self.eur.round(sum(lines.mapped("balance")))
        return result

    def _invoice_settled(self, user=None):
        action = (
            self.env["pass.remittance"]
            .with_user(user or self.accountant)
            .action_invoice_settled_passes()
        )
        return self.env["account.move"].search(action["domain"])

    # ------------------------------------------------------------------ tests
    def test_account_is_a_4181_of_the_settlement_defaults(self):
        self.assertEqual(self.to_invoice.code, "418110")
        self.assertEqual(self.to_invoice.account_type, "asset_current")

    def test_never_invoiced_book_settles_on_4181(self):
        vouchers = self._issued_passes(self.program)
        self._redeem(vouchers[:3])
        remittance = self._remit()
        self.assertEqual(remittance.state, "validated")
        self.assertEqual(set(vouchers[:3].mapped("state")), {"settled"})
        # Nobody's money is touched: no funder's 467 moves.
        self.assertEqual(self._liability_balances(), {})
        # Each funder owes its share of the 30.00 paid to the venue.
        self.assertEqual(
            self._balances(self.to_invoice),
            {self.state_funder: 18.0, self.dept_funder: 12.0},
        )
        payable = remittance.payable_line_id
        self.assertAlmostEqual(payable.credit, 30.0)
        self.assertLedgerOk()

        invoices = self._invoice_settled()
        self.assertEqual(len(invoices), 2, "one invoice per funder")
        self.assertEqual(
            set(invoices.mapped("state")), {"posted"}, "invoices are posted"
        )
        self.assertEqual(invoices.journal_id, self.company.pass_sale_journal_id)
        self.assertEqual(set(invoices.mapped("move_type")), {"out_invoice"})
        amounts = {inv.partner_id: inv.amount_total for inv in invoices}
        self.assertEqual(amounts, {self.state_funder: 18.0, self.dept_funder: 12.0})
        self.assertEqual(invoices.invoice_line_ids.mapped("pass_voucher_count"), [3, 3])
        # 4181 is back to zero per funder, the debt is on 411.
        self.assertEqual(self._balances(self.to_invoice), {})
        self.assertEqual(
            self._receivables(self.state_funder | self.dept_funder),
            {self.state_funder: 18.0, self.dept_funder: 12.0},
        )
        self.assertEqual(self._liability_balances(), {})
        self.assertLedgerOk()
        # Nothing left to invoice: a second run creates nothing.
        self.assertFalse(self._invoice_settled())

        # Later redemptions of the same book go on 4181 again.
        self._redeem(vouchers[3:5])
        self._remit()
        self.assertEqual(
            self._balances(self.to_invoice),
            {self.state_funder: 12.0, self.dept_funder: 8.0},
        )
        self.assertLedgerOk()

    def test_three_funders_split_to_the_cent(self):
        vouchers = self._issued_passes(self.thirds)
        self._redeem(vouchers)
        self._remit()
        # 10 € per pass: 3.33 / 3.33 / 3.34, times 10 passes.
        self.assertEqual(
            self._balances(self.to_invoice),
            {self.state_funder: 33.3, self.dept_funder: 33.3, self.city_funder: 33.4},
        )
        self.assertEqual(self._liability_balances(), {})
        self.assertLedgerOk()
        invoices = self._invoice_settled()
        self.assertEqual(
            {inv.partner_id: inv.amount_total for inv in invoices},
            {self.state_funder: 33.3, self.dept_funder: 33.3, self.city_funder: 33.4},
        )
        self.assertEqual(self._balances(self.to_invoice), {})
        funders = self.state_funder | self.dept_funder | self.city_funder
        self.assertEqual(
            self._receivables(funders),
            {self.state_funder: 33.3, self.dept_funder: 33.3, self.city_funder: 33.4},
        )
        self.assertLedgerOk()

    def test_invoiced_book_still_settles_on_467(self):
        order = self._order(self.program, books=1)
        self._invoice(order)
        vouchers = order.order_line.pass_book_ids.voucher_ids.sorted("id")
        self._redeem(vouchers[:4])
        self._remit()
        self.assertEqual(self._balances(self.to_invoice), {})
        # 100.00 invoiced, 40.00 settled: 36.00 / 24.00 still held.
        self.assertEqual(
            self._liability_balances(),
            {self.state_funder: 36.0, self.dept_funder: 24.0},
        )
        self.assertLiabilityInvariant(self.program)
        self.assertFalse(self._invoice_settled(), "nothing to invoice")

    def test_one_remittance_with_invoiced_and_uninvoiced_passes(self):
        order = self._order(self.program, books=1)
        self._invoice(order)
        invoiced = order.order_line.pass_book_ids.voucher_ids.sorted("id")
        issued = self._issued_passes(self.program)
        self._redeem(invoiced[:2] | issued[:3])
        remittance = self._remit()
        self.assertEqual(remittance.voucher_count, 5)
        lines = remittance.move_id.line_ids
        self.assertEqual(
            sorted(
                (line.account_id.code, line.partner_id.name, line.debit)
                for line in lines
                if line.debit
            ),
            [
                ("418110", "Département", 12.0),
                ("418110", "État", 18.0),
                ("467100", "Département", 8.0),
                ("467100", "État", 12.0),
            ],
        )
        self.assertEqual(
            self._liability_balances(),
            {self.state_funder: 48.0, self.dept_funder: 32.0},
        )
        self.assertLiabilityInvariant(self.program)
        self._invoice_settled()
        self.assertEqual(self._balances(self.to_invoice), {})
        self.assertLedgerOk()

    def test_hand_entry_on_4181_is_a_difference(self):
        vouchers = self._issued_passes(self.program)
        self._redeem(vouchers[:1])
        remittance = self._remit()
        misc = self.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", self.company.id)], limit=1
        )
        move = self.env["account.move"].create(
            {
                "journal_id": misc.id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": self.to_invoice.id,
                            "partner_id": self.state_funder.id,
                            "credit": 6.0,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": remittance.payable_line_id.account_id.id,
                            "partner_id": self.state_funder.id,
                            "debit": 6.0,
                        }
                    ),
                ],
            }
        )
        move.action_post()
        result = self._ledger_check()
        self.assertFalse(result["ok"])
        self.assertIn(
            (self.state_funder.id, "funder", 6.0),
            [
                (d["partner_id"], d["role"], d["ledger"] - d["expected"])
                for d in result["differences"]
            ],
        )

    def test_invoicing_is_for_accountants(self):
        vouchers = self._issued_passes(self.program)
        self._redeem(vouchers[:2])
        self._remit()
        clerk = make_company_user(self.env, "pass_clerk_uninv", USER_GROUP)
        with self.assertRaises(AccessError):
            self._invoice_settled(clerk)
        # Nothing changed: still to invoice, no invoice.
        self.assertEqual(
            self._balances(self.to_invoice),
            {self.state_funder: 12.0, self.dept_funder: 8.0},
        )
        self.assertFalse(
            self.env["account.move"].search(
                [
                    ("line_ids.account_id", "=", self.to_invoice.id),
                    ("move_type", "=", "out_invoice"),
                ]
            )
        )
        self.assertLedgerOk()
