# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, models

from .sale_order import PUBLIC_FUNDER_TYPES


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.onchange("pass_funder_type")
    def _onchange_pass_funder_type_chorus(self):
        """Public bodies are invoiced through Chorus Pro: a public funder's
        form proposes it (the SIRET and service code are then asked for)."""
        for partner in self:
            if (
                partner.is_pass_funder
                and partner.pass_funder_type in PUBLIC_FUNDER_TYPES
                and not partner.invoice_sending_method
            ):
                partner.invoice_sending_method = "fr_chorus"

    def _inverse_siret(self):
        """OCA's l10n_fr_siret splits a SIRET into SIREN and NIC and refuses
        an invalid one with its own English sentence; an invalid SIRET is
        left to pass_numerique's constraint, which says it in French."""
        valid = self.filtered(lambda p: self._pass_siret_acceptable(p.siret))
        return super(ResPartner, valid)._inverse_siret()
