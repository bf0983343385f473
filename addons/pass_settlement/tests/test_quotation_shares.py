# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Each co-funder's share and fee show on the quotation, before
confirmation; the order's VAT is the sum of the VAT of the funders'
invoices (VAT rounded per funder document: 33.33 / 33.33 / 33.34)."""

from odoo import Command
from odoo.tests import tagged

from .common import PassSettlementCommon


@tagged("post_install", "-at_install")
class TestQuotationShares(PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls._program(cls._thirds(), "THIRDS")

    def _quotation(self, books):
        return self.env["sale.order"].create(
            {
                "partner_id": self.state_funder.id,
                "company_id": self.company.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.program.product_id.id,
                            "product_uom_qty": books,
                        }
                    )
                ],
            }
        )

    def test_quotation_shows_each_funder_share_and_fee(self):
        # 7 books of 10 passes of 10 EUR: 700 EUR, fee 4 % = 28.00 EUR, split
        # 9.33 / 9.33 / 9.34: VAT 1.87 each, 5.61 (not 20 % of 28.00 = 5.60).
        order = self._quotation(books=7)
        self.assertEqual(order.state, "draft")
        fee_lines = order.order_line.filtered("pass_fee_program_id")
        self.assertEqual(
            {line.pass_fee_funder_id: line.price_subtotal for line in fee_lines},
            {self.state_funder: 9.33, self.dept_funder: 9.33, self.city_funder: 9.34},
        )
        self.assertAlmostEqual(order.amount_tax, 5.61, places=2)
        rows = {row["funder"]: row for row in order._pass_funder_breakdown()}
        self.assertEqual(
            {
                funder: (row["face"], row["fee"], row["tax"], row["total"])
                for funder, row in rows.items()
            },
            {
                self.state_funder: (233.1, 9.33, 1.87, 244.3),
                self.dept_funder: (233.1, 9.33, 1.87, 244.3),
                self.city_funder: (233.8, 9.34, 1.87, 245.01),
            },
        )
        self.assertIn("Commune", order.pass_funder_breakdown)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("sale.action_report_saleorder", order.ids)[0]
            .decode()
        )
        self.assertIn("o_pass_funder_breakdown", html)
        self.assertIn("245.01", html.replace("\xa0", " ").replace(",", "."))

        # More books on the quotation: the fee lines follow.
        order.order_line.filtered("pass_program_id").product_uom_qty = 1
        self.assertEqual(
            sorted(
                order.order_line.filtered("pass_fee_program_id").mapped(
                    "price_subtotal"
                )
            ),
            [1.33, 1.33, 1.34],
        )

        # Confirmed and invoiced: each funder's documents say what the
        # quotation said, and the order's VAT is the sum of theirs.
        order.order_line.filtered("pass_program_id").product_uom_qty = 7
        order.action_confirm()
        invoices = self._invoice(order)
        self.assertEqual(len(invoices), 6)
        self.assertAlmostEqual(sum(invoices.mapped("amount_tax")), 5.61, places=2)
        self.assertAlmostEqual(order.amount_tax, 5.61, places=2)
        for funder, row in rows.items():
            mine = invoices.filtered(lambda m, f=funder: m.commercial_partner_id == f)
            fee = mine.filtered("amount_tax")
            face = mine - fee
            self.assertEqual(face.amount_total, row["face"])
            self.assertEqual(
                (fee.amount_untaxed, fee.amount_tax), (row["fee"], row["tax"])
            )
        self.assertEqual(order.invoice_status, "invoiced")
        self.assertLiabilityInvariant(self.program)

    def test_confirmed_order_keeps_its_fee_lines(self):
        order = self._quotation(books=1)
        order.action_confirm()
        fee_lines = order.order_line.filtered("pass_fee_program_id")
        self.assertEqual(len(fee_lines), 3)
        order.write({"note": "Livraison le 12"})
        self.assertEqual(order.order_line.filtered("pass_fee_program_id"), fee_lines)
