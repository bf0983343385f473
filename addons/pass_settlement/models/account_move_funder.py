# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A funder's invoices carry its own Chorus Pro data, and its money stays
its own.

- Buyer reference (BT-10) of the Factur-X (Odoo's CII) and UBL exports: the
  Chorus Pro service code of the invoice's contact (OCA's
  ``fr_chorus_service_id``), as OCA's own Factur-X generator
  (``l10n_fr_chorus_facturx``) writes it; the legal commitment is the
  invoice's reference (BT-13, buyer's order reference).
- A credit note of a funder's invoice goes to that funder: a credit note
  addressed to another partner than the invoice it reverses is refused.
- A funder's invoice is paid by that funder: reconciling its receivable with
  a payment or credit note of another partner is refused.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    buyer_reference = fields.Char(
        compute="_compute_buyer_reference",
        help="Buyer reference of the electronic invoice (BT-10): the Chorus "
        "Pro service code of the customer's contact.",
    )

    @api.depends("partner_id.fr_chorus_service_id.code")
    def _compute_buyer_reference(self):
        for move in self:
            move.buyer_reference = move.partner_id.fr_chorus_service_id.code or False

    def _xml_format_in_pdf_invoice(self):
        """One Factur-X, Odoo's (``account_edi_ubl_cii``, with the voucher's
        category O and VAT on payments, validated in the tests), embedded
        when the invoice is sent: OCA's second generator
        (``account_invoice_facturx``, pulled in by ``l10n_fr_chorus_facturx``)
        does not embed a different XML in the printed PDF."""
        xml_format = super()._xml_format_in_pdf_invoice()
        return False if xml_format == "factur-x" else xml_format

    def _chorus_get_invoice(self, chorus_invoice_format):
        """The file OCA's Chorus Pro transmission deposits: Odoo's Factur-X
        (CII D16B) XML, or the Factur-X PDF Odoo made when the invoice was
        sent (its factur-x.xml embedded)."""
        self.ensure_one()
        if chorus_invoice_format == "xml_cii":
            xml, errors = self.env["account.edi.xml.cii"]._export_invoice(self)
            if errors:
                raise UserError(
                    self.env._(
                        "Invoice %(invoice)s cannot be sent as Factur-X: %(errors)s",
                        invoice=self.name,
                        errors=" ".join(sorted(errors)),
                    )
                )
            return xml
        if chorus_invoice_format == "pdf_factur-x":
            if not self.invoice_pdf_report_id:
                raise UserError(
                    self.env._(
                        "Invoice %(invoice)s has no Factur-X PDF yet: send it first "
                        '(Send button) or choose the "CII 16B XML" format for '
                        "Chorus Pro.",
                        invoice=self.name,
                    )
                )
            return self.invoice_pdf_report_id.raw
        return super()._chorus_get_invoice(chorus_invoice_format)

    def _pass_is_funder_document(self):
        self.ensure_one()
        return (
            self.move_type in ("out_invoice", "out_refund")
            and self.journal_id == self.company_id.pass_sale_journal_id
        )

    def _post(self, soft=True):
        self._pass_check_credit_note_partner()
        # A credit note sent to Chorus Pro has no payment method (OCA's
        # check): Odoo gives one from the customer's incoming method.
        self.filtered(
            lambda m: m.move_type == "out_refund"
            and m.invoice_sending_method == "fr_chorus"
            and m.preferred_payment_method_line_id
            and m._pass_is_funder_document()
        ).preferred_payment_method_line_id = False
        return super()._post(soft=soft)

    def _pass_check_credit_note_partner(self):
        for move in self.filtered(
            lambda m: m.move_type == "out_refund" and m.reversed_entry_id
        ):
            invoice = move.reversed_entry_id
            if not invoice._pass_is_funder_document():
                continue
            if move.commercial_partner_id != invoice.commercial_partner_id:
                raise UserError(
                    self.env._(
                        "Credit note %(refund)s cancels invoice %(invoice)s of "
                        "%(funder)s but is addressed to %(partner)s: a funder's "
                        "credit note goes to that funder.",
                        refund=move.name or move.display_name,
                        invoice=invoice.name,
                        funder=invoice.commercial_partner_id.display_name,
                        partner=move.commercial_partner_id.display_name,
                    )
                )


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def reconcile(self):
        self._pass_check_funder_reconcile()
        return super().reconcile()

    def _pass_check_funder_reconcile(self):
        receivables = self.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        funder_lines = receivables.filtered(
            lambda line: line.move_id._pass_is_funder_document()
        )
        if not funder_lines:
            return
        for funder_line in funder_lines:
            funder = funder_line.partner_id.commercial_partner_id
            other = receivables.filtered(
                lambda line, f=funder: line.partner_id
                and line.partner_id.commercial_partner_id != f
            )[:1]
            if other:
                raise UserError(
                    self.env._(
                        "Invoice %(invoice)s of %(funder)s cannot be reconciled with "
                        "%(move)s of %(partner)s: a funder pays its own invoices.",
                        invoice=funder_line.move_id.name,
                        funder=funder.display_name,
                        move=other.move_id.name,
                        partner=other.partner_id.commercial_partner_id.display_name,
                    )
                )


class AccountEdiXmlUBL21(models.AbstractModel):
    _inherit = "account.edi.xml.ubl_21"

    def _export_invoice_vals(self, invoice):
        """UBL's BuyerReference (BT-10) is the Chorus Pro service code of the
        invoice's contact, as in the Factur-X."""
        vals = super()._export_invoice_vals(invoice)
        if invoice.buyer_reference:
            vals["vals"]["buyer_reference"] = invoice.buyer_reference
        return vals
