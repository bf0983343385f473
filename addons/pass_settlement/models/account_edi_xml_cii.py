# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Factur-X (CII) of the funders' invoices, as EN 16931 wants them.

- Face value (VAT category O, "not subject to VAT"): no VAT rate on its lines
  nor in its breakdown (BR-O-05, BR-48), and no VAT identifier of the seller or
  the buyer (BR-O-02): the seller is identified by its SIRET (BT-30).
- Fee with VAT due on payment (``tax_exigibility = 'on_payment'``, the French
  rule for services, art. 269-2-c CGI): VAT point date code 72 ("paid to
  date") instead of 5 (invoice date).
"""

from lxml import etree

from odoo import models

NS = {
    "ram": "urn:un:unece:uncefact:data:standard:"
    "ReusableAggregateBusinessInformationEntity:100",
}
# UNTDID 2475 (BT-8, VAT point date code): 72 = paid to date.
VAT_ON_PAYMENT_CODE = "72"


class AccountEdiXmlCII(models.AbstractModel):
    _inherit = "account.edi.xml.cii"

    def _export_invoice_vals(self, invoice):
        vals = super()._export_invoice_vals(invoice)
        tax_details = vals["tax_details"]
        groups = list(tax_details["tax_details"].values())
        for record_details in tax_details["tax_details_per_record"].values():
            groups += list(record_details.get("tax_details", {}).values())
        for group in groups:
            if group.get("tax_category_code") == "O":
                # An empty rate is left out of the XML (BR-O-05, BR-48).
                group["amount"] = None
        return vals

    def _export_invoice(self, invoice):
        xml, errors = super()._export_invoice(invoice)
        taxes = invoice.invoice_line_ids.tax_ids
        customer = invoice.commercial_partner_id
        supplier = invoice.company_id.partner_id.commercial_partner_id
        codes = {
            self._get_tax_unece_codes(customer, supplier, tax)["tax_category_code"]
            for tax in taxes
        }
        on_payment = any(tax.tax_exigibility == "on_payment" for tax in taxes)
        if "O" not in codes and not on_payment:
            return xml, errors
        tree = etree.fromstring(xml)
        if "O" in codes:
            for party in ("SellerTradeParty", "BuyerTradeParty"):
                for node in tree.xpath(
                    f".//ram:{party}/ram:SpecifiedTaxRegistration"
                    "[ram:ID/@schemeID='VA']",
                    namespaces=NS,
                ):
                    node.getparent().remove(node)
        if on_payment:
            for node in tree.iterfind(
                ".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax"
                "/ram:DueDateTypeCode",
                NS,
            ):
                node.text = VAT_ON_PAYMENT_CODE
        return (
            etree.tostring(tree, xml_declaration=True, encoding="UTF-8"),
            errors,
        )
