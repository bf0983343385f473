# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class AccountEdiCommon(models.AbstractModel):
    _inherit = "account.edi.common"

    def _get_tax_unece_codes(self, customer, supplier, tax):
        """The sale of a multi-purpose voucher is outside the scope of VAT
        (art. 30 ter of directive 2006/112/EC, art. 257 ter CGI): the 0 %
        tax of vouchers is VAT category O ("not subject to VAT", exemption
        reason code VATEX-EU-O), not E (exempt, with an article 226 reason
        that would contradict it).

        Odoo's seam for this is the tax's own category code
        (``account_edi_ubl_cii_tax_extension``): a code set on the tax wins;
        the company's voucher tax without one is category O."""
        if (
            tax
            and not tax.ubl_cii_tax_category_code
            and tax == tax.company_id.pass_voucher_tax_id
        ):
            return {
                "tax_category_code": "O",
                "tax_exemption_reason_code": "VATEX-EU-O",
                "tax_exemption_reason": "Not subject to VAT",
            }
        return super()._get_tax_unece_codes(customer, supplier, tax)
