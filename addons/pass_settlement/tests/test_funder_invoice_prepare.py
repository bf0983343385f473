# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Funders' invoices are built from sale's own ``_prepare_invoice`` and
``_prepare_invoice_line``, then split per co-funder: the order's salesperson,
team and origin, each funder's payment term, fiscal position and reference,
and what other addons add in those hooks reach the invoices."""

from unittest.mock import patch

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.pass_numerique.tests.common import make_company_user

from .common import PassSettlementCommon


@tagged("post_install", "-at_install")
class TestFunderInvoicePrepare(PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)], "PREP"
        )
        PaymentTerm = cls.env["account.payment.term"]
        cls.term_order = PaymentTerm.create(
            {
                "name": "45 jours (commande)",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100, "nb_days": 45}
                    )
                ],
            }
        )
        cls.term_state = PaymentTerm.create(
            {
                "name": "30 jours (délai légal public)",
                "line_ids": [
                    Command.create(
                        {"value": "percent", "value_amount": 100, "nb_days": 30}
                    )
                ],
            }
        )
        fee_tax = cls.company.pass_fee_product_id.taxes_id
        cls.other_tax = fee_tax.copy({"name": "TVA 10 % (test)", "amount": 10.0})
        cls.fpos_state = cls.env["account.fiscal.position"].create(
            {
                "name": "Financeur public (test)",
                "company_id": cls.company.id,
                "tax_ids": [
                    Command.create(
                        {"tax_src_id": fee_tax.id, "tax_dest_id": cls.other_tax.id}
                    )
                ],
            }
        )
        cls.state_funder.with_company(cls.company).write(
            {
                "property_payment_term_id": cls.term_state.id,
                "property_account_position_id": cls.fpos_state.id,
            }
        )
        cls.salesperson = make_company_user(
            cls.env, "pass_salesperson", "sales_team.group_sale_salesman"
        )
        cls.team = cls.env["crm.team"].create(
            {"name": "Financeurs publics", "company_id": cls.company.id}
        )
        plan = cls.env["account.analytic.plan"].create({"name": "Programmes"})
        cls.analytic = cls.env["account.analytic.account"].create(
            {"name": "Pass PREP", "plan_id": plan.id, "company_id": cls.company.id}
        )

    def _dept_order(self):
        """The Département places the order (its legal commitment as
        reference); the State co-funds 60 %."""
        order = self.env["sale.order"].create(
            {
                "partner_id": self.dept_funder.id,
                "company_id": self.company.id,
                "user_id": self.salesperson.id,
                "team_id": self.team.id,
                "payment_term_id": self.term_order.id,
                "client_order_ref": "EJ-CD15-2026-0042",
                "note": "Commande du Département",
                "order_line": [
                    Command.create(
                        {"product_id": self.program.product_id.id, "product_uom_qty": 2}
                    )
                ],
            }
        )
        order.action_confirm()
        return order

    def _documents(self, invoices, funder):
        mine = invoices.filtered(lambda m: m.commercial_partner_id == funder)
        face = mine.filtered(
            lambda m: m.invoice_line_ids.account_id
            == self.company.pass_liability_account_id
        )
        return face, mine - face

    def test_order_and_funder_values_reach_the_invoices(self):
        order = self._dept_order()
        SaleOrder = type(self.env["sale.order"])
        SaleOrderLine = type(self.env["sale.order.line"])
        prepare_invoice = SaleOrder._prepare_invoice
        prepare_line = SaleOrderLine._prepare_invoice_line
        analytic = {str(self.analytic.id): 100.0}

        # What another addon would add in sale's hooks.
        def hooked_invoice(order_self):
            vals = prepare_invoice(order_self)
            vals["narration"] = "Ajouté par un autre module"
            return vals

        def hooked_line(line_self, **optional_values):
            vals = prepare_line(line_self, **optional_values)
            vals["analytic_distribution"] = analytic
            return vals

        with (
            patch.object(SaleOrder, "_prepare_invoice", hooked_invoice),
            patch.object(SaleOrderLine, "_prepare_invoice_line", hooked_line),
        ):
            invoices = self._invoice(order)
        self.assertEqual(len(invoices), 4, "face value and fee, per funder")

        dept_face, dept_fee = self._documents(invoices, self.dept_funder)
        state_face, state_fee = self._documents(invoices, self.state_funder)
        for move in invoices:
            self.assertEqual(len(move), 1)
            self.assertEqual(move.invoice_user_id, self.salesperson)
            self.assertEqual(move.team_id, self.team)
            self.assertEqual(move.invoice_origin, order.name)
            self.assertEqual(move.journal_id, self.company.pass_sale_journal_id)
            self.assertIn("Ajouté par un autre module", str(move.narration))
            for line in move.invoice_line_ids:
                self.assertEqual(line.analytic_distribution, analytic)
                self.assertTrue(line.sale_line_ids <= order.order_line)
                self.assertTrue(line.sale_line_ids)

        # The orderer: the order's payment term and purchase reference.
        for move in dept_face | dept_fee:
            self.assertEqual(move.invoice_payment_term_id, self.term_order)
            self.assertEqual(move.ref, "EJ-CD15-2026-0042")
            self.assertEqual(move.fiscal_position_id, order.fiscal_position_id)
            self.assertNotEqual(move.fiscal_position_id, self.fpos_state)
        # The co-funder: its own payment term and fiscal position, and not
        # the Département's legal commitment.
        for move in state_face | state_fee:
            self.assertEqual(move.invoice_payment_term_id, self.term_state)
            self.assertEqual(move.fiscal_position_id, self.fpos_state)
            self.assertEqual(move.ref, order.name)
        self.assertEqual(state_fee.invoice_line_ids.tax_ids, self.other_tax)
        self.assertEqual(
            dept_fee.invoice_line_ids.tax_ids,
            self.company.pass_fee_product_id.taxes_id,
        )
        # The face value stays out of VAT whatever the fiscal position.
        self.assertEqual(
            state_face.invoice_line_ids.tax_ids, self.company.pass_voucher_tax_id
        )
        self.assertEqual(
            (state_face.amount_total, dept_face.amount_total), (120.0, 80.0)
        )
        self.assertEqual((state_fee.amount_untaxed, state_fee.amount_tax), (4.8, 0.48))
        self.assertEqual((dept_fee.amount_untaxed, dept_fee.amount_tax), (3.2, 0.64))
        self.assertEqual(
            order.amount_tax, sum(invoices.mapped("amount_tax")), "VAT per funder"
        )
        self.assertEqual(order.invoice_status, "invoiced")
        self.assertLiabilityInvariant(self.program)

    def test_credit_note_reopens_only_that_share(self):
        order = self._dept_order()
        invoices = self._invoice(order)
        state_face, _state_fee = self._documents(invoices, self.state_funder)
        with self.assertRaises(UserError):
            order._create_invoices()
        credit_note = self._credit_note(state_face, "Chorus")
        credit_note.action_post()
        self.assertLedgerOk()

        again = self._invoice(order)
        self.assertEqual(len(again), 1, "only the State's face value again")
        self.assertEqual(again.commercial_partner_id, self.state_funder)
        self.assertEqual(again.amount_total, 120.0)
        self.assertEqual(again.invoice_payment_term_id, self.term_state)
        self.assertEqual(again.fiscal_position_id, self.fpos_state)
        self.assertEqual(again.invoice_user_id, self.salesperson)
        with self.assertRaises(UserError):
            order._create_invoices()
        self.assertLiabilityInvariant(self.program)
