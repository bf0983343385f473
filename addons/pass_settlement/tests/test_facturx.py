# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Funders' invoices sent as Factur-X (CII): the face value of the books is
classified as exempt (0 % tax of multi-purpose vouchers), the fee carries the
standard VAT, and the 0 % tax changes no amount of the journal entry."""

from lxml import etree

from odoo.tests import tagged

from .common import PassSettlementCommon

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:"
    "ReusableAggregateBusinessInformationEntity:100",
}


@tagged("post_install", "-at_install")
class TestFacturX(PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "vat": "FR23334175221",
                "email": "compta@pass-numerique.example",
                "phone": "+33 5 56 00 00 00",
            }
        )
        # sudo: bank accounts are created by payment managers; the test user
        # is an accountant of the cooperative.
        cls.env["res.partner.bank"].sudo().create(
            {
                "acc_number": "FR7630006000011234567890189",
                "partner_id": cls.company.partner_id.id,
                "company_id": cls.company.id,
                "allow_out_payment": True,
            }
        )
        (cls.state_funder | cls.dept_funder).write(
            {"country_id": cls.env.ref("base.fr").id, "is_company": True}
        )

    def _text(self, node, path):
        return node.findtext(path, namespaces=NS)

    def test_voucher_tax_is_a_zero_sale_tax(self):
        tax = self.company.pass_voucher_tax_id
        self.assertEqual(tax.name, "TVA 0 % - bons à usages multiples (hors champ)")
        self.assertEqual((tax.type_tax_use, tax.amount_type), ("sale", "percent"))
        self.assertEqual(tax.amount, 0.0)
        self.assertFalse(
            tax.invoice_repartition_line_ids.tag_ids,
            "the sale of a voucher is reported on no line of the VAT return",
        )
        program = self._program([(self.state_funder, 100)], "TAX0")
        self.assertEqual(program.product_id.taxes_id, tax)
        # Defaults are idempotent: running them again creates no second tax.
        self.company._pass_setup_settlement_defaults()
        self.assertEqual(
            self.env["account.tax"].search_count(
                [("company_id", "=", self.company.id), ("name", "=", tax.name)]
            ),
            1,
        )

    def test_cofunded_invoice_exports_facturx(self):
        program = self._program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "FACTX"
        )
        voucher_tax = self.company.pass_voucher_tax_id
        fee_tax = self.company.pass_fee_product_id.taxes_id
        self.assertEqual(fee_tax.amount, 20.0)
        order = self._order(program, books=2)
        invoices = self._invoice(order)
        invoice = invoices.filtered(lambda m: m.partner_id == self.state_funder)
        self.assertEqual(invoice.state, "posted")

        # The 0 % tax changes nothing in the entry: no tax line for it, the
        # face value stays on the funders' money account, VAT on the fee only.
        face = invoice.invoice_line_ids.filtered(
            lambda aml: aml.account_id == self.company.pass_liability_account_id
        )
        fee = invoice.invoice_line_ids - face
        self.assertEqual(face.tax_ids, voucher_tax)
        self.assertEqual(fee.tax_ids, fee_tax)
        self.assertFalse(
            invoice.line_ids.filtered(lambda aml: aml.tax_line_id == voucher_tax)
        )
        self.assertEqual(face.credit, 120.0)
        self.assertEqual(invoice.amount_tax, 0.96)
        self.assertAlmostEqual(invoice.amount_total, 125.76, places=2)
        self.assertLiabilityInvariant(program)

        xml, errors = self.env["account.edi.xml.cii"]._export_invoice(invoice)
        self.assertEqual(errors, set())
        tree = etree.fromstring(xml)

        items = tree.findall(".//ram:IncludedSupplyChainTradeLineItem", NS)
        self.assertEqual(len(items), 2)
        by_category = {}
        for item in items:
            tax = item.find(
                ".//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax", NS
            )
            by_category[self._text(tax, "ram:CategoryCode")] = (
                float(self._text(tax, "ram:RateApplicablePercent")),
                float(self._text(item, ".//ram:LineTotalAmount")),
            )
        self.assertEqual(by_category, {"E": (0.0, 120.0), "S": (20.0, 4.8)})

        settlement = tree.find(".//ram:ApplicableHeaderTradeSettlement", NS)
        breakdown = {}
        for tax in settlement.findall("ram:ApplicableTradeTax", NS):
            breakdown[self._text(tax, "ram:CategoryCode")] = (
                float(self._text(tax, "ram:BasisAmount")),
                float(self._text(tax, "ram:CalculatedAmount")),
                self._text(tax, "ram:ExemptionReason"),
            )
        self.assertEqual(breakdown["E"][:2], (120.0, 0.0))
        self.assertTrue(breakdown["E"][2], "an exempt category states its reason")
        self.assertEqual(breakdown["S"][:2], (4.8, 0.96))
        self.assertEqual(set(breakdown), {"E", "S"})

        totals = settlement.find(
            "ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS
        )
        self.assertEqual(
            float(self._text(totals, "ram:GrandTotalAmount")), invoice.amount_total
        )
        self.assertEqual(
            float(self._text(totals, "ram:TaxTotalAmount")), invoice.amount_tax
        )
        self.assertEqual(
            self._text(
                tree, ".//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"
            ),
            "FR23334175221",
        )
