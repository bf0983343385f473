# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def _pass_portal_context(self):
        """The user's organisation and its Pass roles, for the portal.

        The organisation is the commercial partner of the user's own partner
        (never one sent by a browser), read as the user: the record rules of
        ``res.partner`` let a portal user read their own organisation. The
        public user has no organisation and no role.

        Returns ``{"partner": res.partner, "public": bool, "venue": bool,
        "prescriber": bool, "funder": bool}``.
        """
        self.ensure_one()
        public = self._is_public()
        partner = self.env["res.partner"] if public else self.partner_id
        partner = partner.commercial_partner_id
        return {
            "partner": partner,
            "public": public,
            "venue": bool(partner.is_pass_venue),
            "prescriber": bool(partner.is_pass_prescriber),
            "funder": bool(partner.is_pass_funder),
        }

    def _pass_portal_partner(self, role):
        """The user's organisation if it has ``role`` (venue, prescriber or
        funder), else an empty recordset: the portal answers "not found"."""
        context = self._pass_portal_context()
        return context["partner"] if context.get(role) else self.env["res.partner"]
