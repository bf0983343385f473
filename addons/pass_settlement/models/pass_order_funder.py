# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What each co-funder of an order wants on ITS invoices for that order: the
address (a contact of the funder, which carries its Chorus Pro service code)
and its legal commitment number ("engagement juridique", EJ).

A public funder commits its money per programme and per order: the EJ of the
Département for an order is not the State's, nor the Département's on the
next order. So the commitment lives on the order, one line per co-funder;
the funder's SIRET, Chorus sending method and services stay on the funder
(OCA's ``l10n_fr_chorus_account`` fields), where every order finds them.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError


class PassOrderFunder(models.Model):
    _name = "pass.order.funder"
    _description = "Co-funder of a pass order (Chorus Pro data)"
    _order = "order_id, sequence, id"
    _check_company_auto = True

    order_id = fields.Many2one(
        "sale.order", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    funder_id = fields.Many2one(
        "res.partner",
        string="Funder",
        required=True,
        readonly=True,
        ondelete="restrict",
        index=True,
    )
    is_orderer = fields.Boolean(
        string="Orderer", compute="_compute_is_orderer", store=False
    )
    partner_invoice_id = fields.Many2one(
        "res.partner",
        string="Invoice address",
        domain="[('commercial_partner_id', '=', funder_id)]",
        help="The funder's contact its invoices for this order are addressed "
        "to. For Chorus Pro, the contact of the funder's service: its "
        "service code is the buyer reference of the invoices.",
    )
    chorus_service_id = fields.Many2one(
        related="partner_invoice_id.fr_chorus_service_id",
        string="Chorus service",
    )
    invoice_sending_method = fields.Selection(
        related="funder_id.invoice_sending_method", string="Invoice sending"
    )
    siret = fields.Char(related="funder_id.siret", string="SIRET")
    commitment_ref = fields.Char(
        string="Legal commitment",
        help="The funder's legal commitment number (engagement juridique) "
        "for this order: the buyer's order reference of its invoices, "
        "checked by Chorus Pro when the funder requires one.",
    )

    _sql_constraints = [
        (
            "order_funder_unique",
            "unique(order_id, funder_id)",
            "A funder appears only once among the co-funders of an order.",
        ),
    ]

    @api.depends("order_id.partner_id", "funder_id")
    def _compute_is_orderer(self):
        for line in self:
            line.is_orderer = bool(line.order_id) and line.order_id._pass_is_orderer(
                line.funder_id
            )

    @api.constrains("partner_invoice_id", "funder_id")
    def _check_partner_invoice(self):
        for line in self:
            contact = line.partner_invoice_id
            if contact and contact.commercial_partner_id != line.funder_id:
                raise UserError(
                    self.env._(
                        "Invoice address %(contact)s is not an address of funder "
                        "%(funder)s.",
                        contact=contact.display_name,
                        funder=line.funder_id.display_name,
                    )
                )
