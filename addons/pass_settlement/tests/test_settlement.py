# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.pass_numerique.tools.guard import guarded_write

from .common import PassSettlementCommon


@tagged("post_install", "-at_install")
class TestSettlement(PassSettlementCommon):
    def test_defaults_created_with_french_chart(self):
        company = self.company
        self.assertEqual(company.chart_template, "fr")
        self.assertEqual(company.pass_liability_account_id.code, "467100")
        self.assertEqual(
            company.pass_liability_account_id.account_type, "liability_current"
        )
        self.assertEqual(company.pass_sale_journal_id.type, "sale")
        self.assertEqual(company.pass_venue_journal_id.type, "purchase")
        fee_tax = company.pass_fee_product_id.taxes_id
        self.assertEqual(
            (fee_tax.amount, fee_tax.tax_exigibility),
            (20.0, "on_payment"),
            "the fee carries VAT, due when the funder pays (art. 269-2-c CGI)",
        )
        voucher_tax = company.pass_voucher_tax_id
        self.assertEqual(
            (
                voucher_tax.ubl_cii_tax_category_code,
                voucher_tax.ubl_cii_tax_exemption_reason_code,
            ),
            ("O", "VATEX_EU_O"),
        )
        self.assertEqual(company.pass_retained_account_id.account_type, "income")

    def test_per_pass_split_is_exact(self):
        program = self._program(
            [
                (self.state_funder, 33.33),
                (self.dept_funder, 33.33),
                (self.city_funder, 33.34),
            ],
            "SPLIT3",
        )
        parts = program._pass_funder_cents()
        self.assertEqual(sum(c for _p, c in parts), 1000)
        self.assertEqual(dict(parts)[self.city_funder], 334)
        program_6040 = self._program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "S6040"
        )
        self.assertEqual(
            dict(program_6040._pass_funder_cents()),
            {self.state_funder: 600, self.dept_funder: 400},
        )

    def test_full_cycle_60_40(self):
        program = self._program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "CYCLE"
        )
        voucher_tax = self.company.pass_voucher_tax_id
        self.assertEqual(
            program.product_id.taxes_id, voucher_tax, "passes are sold without VAT"
        )
        self.assertEqual(voucher_tax.amount, 0.0)
        order = self._order(program, books=2)
        books = order.order_line.pass_book_ids
        self.assertEqual(len(books), 2)
        self.assertEqual(set(books.mapped("holder_id")), {self.state_funder})
        self.assertEqual(set(books.voucher_ids.mapped("state")), {"distributed"})
        fee_lines = order.order_line.filtered("pass_fee_program_id")
        self.assertEqual(
            {line.pass_fee_funder_id: line.price_subtotal for line in fee_lines},
            {self.state_funder: 4.8, self.dept_funder: 3.2},
            "4 % of 200 EUR, split per funder",
        )

        invoices = self._invoice(order)
        self.assertEqual(
            set(invoices.partner_id), {self.state_funder, self.dept_funder}
        )
        state_invoices = invoices.filtered(lambda m: m.partner_id == self.state_funder)
        face = state_invoices.invoice_line_ids.filtered("pass_program_id").filtered(
            lambda sol: sol.account_id == self.company.pass_liability_account_id
        )
        # Face value and fee on two documents (VAT categories O and S).
        state_invoice = face.move_id
        state_fee_invoice = state_invoices - state_invoice
        self.assertEqual(len(state_fee_invoice), 1)
        self.assertEqual(face.price_subtotal, 120.0)
        self.assertEqual(face.tax_ids, voucher_tax, "0 %: no VAT on vouchers")
        self.assertFalse(
            state_invoice.line_ids.filtered(lambda aml: aml.tax_line_id == voucher_tax),
            "the 0 % tax adds no line to the entry",
        )
        self.assertEqual(state_invoice.amount_untaxed, 120.0)
        self.assertEqual(state_invoice.amount_tax, 0.0, "no VAT on the face value")
        self.assertEqual(state_fee_invoice.amount_untaxed, 4.8)
        self.assertEqual(state_fee_invoice.amount_tax, 0.96, "VAT on the fee only")
        self.assertEqual(order.invoice_status, "invoiced")
        balances = self.assertLiabilityInvariant(program)
        self.assertEqual(balances[self.state_funder], 120.0)
        self.assertEqual(balances[self.dept_funder], 80.0)

        self._redeem(books.voucher_ids[:5])
        self.assertLiabilityInvariant(program)
        remittance = self._remit()
        self.assertEqual(remittance.state, "validated")
        self.assertEqual(remittance.amount_total, 50.0)
        self.assertEqual(set(remittance.voucher_ids.mapped("state")), {"settled"})
        lines = remittance.move_id.line_ids
        self.assertEqual(remittance.move_id.state, "posted")
        by_partner = {
            (sol.partner_id, sol.account_id.account_type): (sol.debit, sol.credit)
            for sol in lines
        }
        self.assertEqual(
            by_partner[(self.state_funder, "liability_current")], (30.0, 0.0)
        )
        self.assertEqual(
            by_partner[(self.dept_funder, "liability_current")], (20.0, 0.0)
        )
        self.assertEqual(by_partner[(self.venue, "liability_payable")], (0.0, 50.0))
        balances = self.assertLiabilityInvariant(program)
        self.assertEqual(balances[self.state_funder], 90.0)

    def test_three_funders_rounding(self):
        program = self._program(
            [
                (self.state_funder, 33.33),
                (self.dept_funder, 33.33),
                (self.city_funder, 33.34),
            ],
            "THIRDS",
        )
        order = self._order(program, books=3)
        invoices = self._invoice(order)
        face_total = sum(
            invoices.invoice_line_ids.filtered(
                lambda sol: sol.account_id == self.company.pass_liability_account_id
            ).mapped("price_subtotal")
        )
        self.assertAlmostEqual(
            face_total, 300.0, places=2, msg="no cent created or lost"
        )
        self.assertAlmostEqual(
            sum(
                invoices.invoice_line_ids.filtered(
                    lambda aml: aml.product_id == self.company.pass_fee_product_id
                    and aml.account_id != self.company.pass_liability_account_id
                ).mapped("price_subtotal")
            ),
            12.0,
            places=2,
        )
        self.assertLiabilityInvariant(program)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:7])
        remittance = self._remit()
        move = remittance.move_id
        self.assertAlmostEqual(sum(move.line_ids.mapped("debit")), 70.0, places=2)
        self.assertAlmostEqual(sum(move.line_ids.mapped("credit")), 70.0, places=2)
        self.assertLiabilityInvariant(program)

    def test_double_validation_never_posts_twice(self):
        program = self._program([(self.state_funder, 100)], "TWICE")
        order = self._order(program, books=1)
        self._invoice(order)
        self._redeem(order.order_line.pass_book_ids.voucher_ids[:2])
        remittance = self._remit()
        moves_before = self.env["account.move"].search_count([])
        with self.assertRaises(UserError):
            remittance.with_user(self.accountant).action_validate()
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
        self.assertLiabilityInvariant(program)

    def test_bad_remittances_change_nothing(self):
        program = self._program([(self.state_funder, 100)], "BADREM")
        order = self._order(program, books=1)
        self._invoice(order)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        with guarded_write():
            other_venue = self.venue.copy({"name": "Autre lieu"})
        self._redeem(vouchers[:2])
        remittance = self.env["pass.remittance"].create(
            {"venue_id": other_venue.id, "company_id": self.company.id}
        )
        # passes redeemed by another venue: refused without naming any pass
        with self.assertRaises(UserError) as caught:
            remittance.add_vouchers(vouchers[:1].ids)
        self.assertIn(other_venue.name, str(caught.exception))
        self.assertNotIn(vouchers[0].code, str(caught.exception))
        # a pass that is not redeemed (by this venue or any other)
        mine = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        with self.assertRaises(UserError) as caught:
            mine.add_vouchers(vouchers[5:6].ids)
        self.assertIn(self.venue.name, str(caught.exception))
        # an empty remittance
        with self.assertRaises(UserError):
            mine.action_submit()
        self.assertFalse(vouchers.remittance_id)
        # settled passes cannot go in another remittance
        self._remit()
        again = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        with self.assertRaises(UserError):
            again.add_vouchers(vouchers[:1].ids)
        self.assertLiabilityInvariant(program)

    def test_validation_needs_an_accountant(self):
        program = self._program([(self.state_funder, 100)], "ACCT")
        order = self._order(program, books=1)
        self._invoice(order)
        self._redeem(order.order_line.pass_book_ids.voucher_ids[:1])
        remittance = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        remittance.action_add_redeemed()
        remittance.action_submit()
        clerk = self.env["res.users"].create(
            {
                "name": "Clerk",
                "login": "pass_clerk",
                "groups_id": [
                    Command.set(
                        self.env.ref("pass_numerique.pass_numerique_group_user").ids
                    )
                ],
                "company_id": self.company.id,
                "company_ids": [Command.set(self.company.ids)],
            }
        )
        with self.assertRaises(AccessError):
            remittance.with_user(clerk).action_validate()
        self.assertEqual(remittance.state, "submitted")
        self.assertFalse(remittance.move_id)

    def test_on_payment_activation(self):
        program = self._program(
            [(self.state_funder, 60), (self.dept_funder, 40)],
            "ONPAY",
            activation="on_payment",
        )
        order = self._order(program, books=1)
        voucher = order.order_line.pass_book_ids.voucher_ids[0]
        res = self.env["pass.voucher"].check_code(
            voucher.code, self.venue.id, self.service.code
        )
        self.assertEqual(res["reason"], "not_activated")
        invoices = self._invoice(order)
        state_invoice = invoices.filtered(lambda m: m.partner_id == self.state_funder)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=state_invoice.ids
        ).create({})._create_payments()
        res = self.env["pass.voucher"].check_code(
            voucher.code, self.venue.id, self.service.code
        )
        self.assertEqual(res["reason"], "not_activated", "one funder has not paid yet")
        dept_invoice = invoices - state_invoice
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=dept_invoice.ids
        ).create({})._create_payments()
        res = self.env["pass.voucher"].check_code(
            voucher.code, self.venue.id, self.service.code
        )
        self.assertTrue(res["ok"], res)
        self._redeem(voucher)
        self._remit()
        self.assertLiabilityInvariant(program)

    def test_missing_configuration_is_named(self):
        program = self._program([(self.state_funder, 100)], "NOCONF")
        self.company.pass_venue_journal_id = False
        order = self.env["sale.order"].create(
            {
                "partner_id": self.state_funder.id,
                "company_id": self.company.id,
                "order_line": [
                    Command.create(
                        {"product_id": program.product_id.id, "product_uom_qty": 1}
                    )
                ],
            }
        )
        with self.assertRaises(UserError):
            order.action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertFalse(
            self.env["pass.book"].search([("program_id", "=", program.id)])
        )

    def test_fractional_books_refused(self):
        program = self._program([(self.state_funder, 100)], "FRAC")
        order = self.env["sale.order"].create(
            {
                "partner_id": self.state_funder.id,
                "company_id": self.company.id,
                "order_line": [
                    Command.create(
                        {"product_id": program.product_id.id, "product_uom_qty": 1.5}
                    )
                ],
            }
        )
        with self.assertRaisesRegex(UserError, "whole number of books"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")
