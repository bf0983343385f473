# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Funders' invoices sent as Factur-X (CII), EN 16931: the face value of the
books and the fee are two documents, because the face value is out of the
scope of VAT (category O, multi-purpose vouchers) and BR-O-11..14 forbid
mixing O with another category; the fee carries the standard VAT (S), due on
payment. Both XML files pass the Factur-X XSD of the ``factur-x`` package and
the EN 16931 business rules on VAT categories checked here."""

from facturx import xml_check_xsd
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
                "company_registry": "33417522100017",
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
            {
                "country_id": cls.env.ref("base.fr").id,
                "is_company": True,
                "vat": "FR40303265045",
            }
        )
        # The fee's VAT is due on payment (services, art. 269-2-c CGI): the
        # French chart's "20 % S" sale tax (chart data of the fee product).
        cls.fee_tax = (
            cls.env["account.chart.template"]
            .with_company(cls.company)
            .ref("tva_normale_encaissement")
        )

    def _text(self, node, path):
        return node.findtext(path, namespaces=NS)

    def _export(self, invoice):
        xml, errors = self.env["account.edi.xml.cii"]._export_invoice(invoice)
        self.assertEqual(errors, set())
        self.assertTrue(xml_check_xsd(xml, flavor="factur-x", level="en16931"))
        self.assertTrue(xml_check_xsd(xml))  # the level it declares
        return etree.fromstring(xml)

    def _categories(self, tree):
        """Per line: (category, rate or None, net amount); per breakdown:
        category -> (basis, tax, rate, reason, reason code, point code)."""
        lines = []
        for item in tree.findall(".//ram:IncludedSupplyChainTradeLineItem", NS):
            taxes = item.findall(
                ".//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax", NS
            )
            self.assertEqual(len(taxes), 1, "one VAT category per line")
            rate = self._text(taxes[0], "ram:RateApplicablePercent")
            lines.append(
                (
                    self._text(taxes[0], "ram:CategoryCode"),
                    rate and float(rate),
                    float(self._text(item, ".//ram:LineTotalAmount")),
                )
            )
        settlement = tree.find(".//ram:ApplicableHeaderTradeSettlement", NS)
        breakdown = {}
        for tax in settlement.findall("ram:ApplicableTradeTax", NS):
            rate = self._text(tax, "ram:RateApplicablePercent")
            breakdown[self._text(tax, "ram:CategoryCode")] = (
                float(self._text(tax, "ram:BasisAmount")),
                float(self._text(tax, "ram:CalculatedAmount")),
                rate and float(rate),
                self._text(tax, "ram:ExemptionReason"),
                self._text(tax, "ram:ExemptionReasonCode"),
                self._text(tax, "ram:DueDateTypeCode"),
            )
        return lines, breakdown

    def _vat_ids(self, tree, party):
        return [
            node.text
            for node in tree.iterfind(
                f".//ram:{party}/ram:SpecifiedTaxRegistration/ram:ID", NS
            )
            if node.get("schemeID") == "VA"
        ]

    def test_voucher_tax_is_a_zero_sale_tax(self):
        tax = self.company.pass_voucher_tax_id
        self.assertEqual((tax.type_tax_use, tax.amount_type), ("sale", "percent"))
        self.assertEqual(tax.amount, 0.0)
        self.assertFalse(
            tax.invoice_repartition_line_ids.tag_ids,
            "the sale of a voucher is reported on no line of the VAT return",
        )
        program = self._program([(self.state_funder, 100)], "TAX0")
        self.assertEqual(program.product_id.taxes_id, tax)
        codes = self.env["account.edi.xml.cii"]._get_tax_unece_codes(
            self.state_funder, self.company.partner_id, tax
        )
        self.assertEqual(
            (codes["tax_category_code"], codes["tax_exemption_reason_code"]),
            ("O", "VATEX-EU-O"),
            "out of the scope of VAT, not exempt",
        )
        # A category set on the tax itself (Odoo's tax extension) wins.
        tax.ubl_cii_tax_category_code = "E"
        codes = self.env["account.edi.xml.cii"]._get_tax_unece_codes(
            self.state_funder, self.company.partner_id, tax
        )
        self.assertEqual(codes["tax_category_code"], "E")

    def test_face_value_and_fee_export_as_two_documents(self):
        program = self._program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "FACTX"
        )
        voucher_tax = self.company.pass_voucher_tax_id
        order = self._order(program, books=2)
        invoices = self._invoice(order)
        self.assertEqual(len(invoices), 4, "two documents per funder")
        state_invoices = invoices.filtered(lambda m: m.partner_id == self.state_funder)
        face = state_invoices.filtered(
            lambda m: m.invoice_line_ids.account_id
            == self.company.pass_liability_account_id
        )
        fee = state_invoices - face
        self.assertEqual((len(face), len(fee)), (1, 1))
        self.assertEqual(face.invoice_line_ids.tax_ids, voucher_tax)
        self.assertEqual(fee.invoice_line_ids.tax_ids, self.fee_tax)
        self.assertEqual(self.fee_tax.tax_exigibility, "on_payment")

        # The face value: 120.00 on the funders' money account, no tax line.
        self.assertEqual((face.amount_untaxed, face.amount_tax), (120.0, 0.0))
        self.assertFalse(face.line_ids.filtered("tax_line_id"))
        # The fee: 4.80 + 0.96 VAT, on the VAT-awaiting-payment account.
        self.assertEqual((fee.amount_untaxed, fee.amount_tax), (4.8, 0.96))
        self.assertEqual(
            fee.line_ids.filtered("tax_line_id").account_id,
            self.fee_tax.cash_basis_transition_account_id,
        )
        self.assertLiabilityInvariant(program)

        # Face value: category O only, no rate, the O reason, no VAT ids.
        tree = self._export(face)
        lines, breakdown = self._categories(tree)
        self.assertEqual(lines, [("O", None, 120.0)])
        self.assertEqual(list(breakdown), ["O"], "BR-O-11: O alone")
        basis, tax, rate, reason, code, _point = breakdown["O"]
        self.assertEqual((basis, tax, rate), (120.0, 0.0, None))  # BR-O-08/09
        self.assertEqual(code, "VATEX-EU-O")  # BR-O-10
        self.assertNotIn("226", reason or "", "no exemption article for O")
        self.assertEqual(self._vat_ids(tree, "SellerTradeParty"), [])  # BR-O-02
        self.assertEqual(self._vat_ids(tree, "BuyerTradeParty"), [])
        self.assertEqual(
            self._text(
                tree, ".//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"
            ),
            "33417522100017",
            "the seller is identified by its SIRET (BR-CO-26)",
        )
        self.assertEqual(
            float(self._text(tree, ".//ram:GrandTotalAmount")), face.amount_total
        )

        # Fee: category S at 20 %, VAT due on payment (code 72), VAT ids.
        tree = self._export(fee)
        lines, breakdown = self._categories(tree)
        self.assertEqual(lines, [("S", 20.0, 4.8)])
        self.assertEqual(list(breakdown), ["S"])
        basis, tax, rate, reason, code, point = breakdown["S"]
        self.assertEqual(
            (basis, tax, rate, reason, code), (4.8, 0.96, 20.0, None, None)
        )
        self.assertEqual(point, "72", "VAT on payment: paid to date")
        self.assertEqual(self._vat_ids(tree, "SellerTradeParty"), [self.company.vat])
        self.assertEqual(
            float(self._text(tree, ".//ram:TaxTotalAmount")), fee.amount_tax
        )

        # No document of the order is category E.
        for invoice in invoices:
            _lines, breakdown = self._categories(self._export(invoice))
            self.assertNotIn("E", breakdown)

    def test_fee_vat_is_due_when_paid(self):
        """Before payment the fee's VAT waits on 44574; the payment makes it
        due (cash basis entry to 44571)."""
        program = self._program([(self.state_funder, 100)], "CABA")
        invoices = self._invoice(self._order(program, books=1))
        fee = invoices.filtered(lambda m: m.amount_tax)
        self.assertEqual(len(fee), 1)
        self.assertFalse(fee.tax_cash_basis_created_move_ids)
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=fee.ids
        ).create({})._create_payments()
        caba = fee.tax_cash_basis_created_move_ids
        self.assertEqual(len(caba), 1)
        due = caba.line_ids.filtered(lambda aml: aml.tax_line_id == self.fee_tax)
        self.assertAlmostEqual(-sum(due.mapped("balance")), fee.amount_tax, places=2)
        self.assertNotEqual(
            due.account_id, self.fee_tax.cash_basis_transition_account_id
        )
        self.assertLedgerOk()
