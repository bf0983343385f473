# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a programme prints on its passes, and its public list of venues."""

from odoo import models
from odoo.tools import consteq
from odoo.tools.misc import formatLang, hmac

from ..tools.book_pdf import ProgramInfo


class PassProgram(models.Model):
    _inherit = "pass.program"

    def _venues_token(self):
        """Unguessable token of the public venue list of this programme
        (derived from the database secret: nothing to store, nothing to leak)."""
        self.ensure_one()
        # sudo: the database secret is readable by the superuser only.
        return hmac(self.env(su=True), "pass-program-venues", self.id)[:24]

    def _check_venues_token(self, token):
        self.ensure_one()
        return consteq(self._venues_token(), token or "")

    def _venues_url(self):
        self.ensure_one()
        return "%s/pass/lieux/%d/%s" % (
            self.get_base_url(),
            self.id,
            self._venues_token(),
        )

    def _public_venues(self):
        """Qualified venues where this programme's passes may be spent: in its
        territory, offering at least one of its services (or any service when
        the programme allows them all)."""
        self.ensure_one()
        domain = [
            ("is_pass_venue", "=", True),
            ("pass_venue_state", "=", "qualified"),
            ("company_id", "in", [self.company_id.id, False]),
        ]
        if self.service_ids:
            domain.append(("pass_service_ids", "in", self.service_ids.ids))
        venues = self.env["res.partner"].search(domain, order="zip, city, name")
        return venues.filtered(self._covers_venue)

    def _print_info(self):
        """The :class:`ProgramInfo` of this programme, formatted for print."""
        self.ensure_one()
        territory = [
            "%s (%s)" % (department.name, department.code)
            for department in self.department_ids
        ]
        zips = self._territory_zip_list()
        if zips:
            territory.append(self.env._("codes postaux %(zips)s", zips=", ".join(zips)))
        services = self.service_ids.sorted(lambda s: (s.sequence, s.name))
        return ProgramInfo(
            key=str(self.id),
            name=self.name,
            funders=self.funding_ids.sorted(
                lambda f: (-f.share, f.id)
            ).partner_id.mapped("name"),
            face_value=formatLang(
                self.env, self.face_value, currency_obj=self.currency_id
            ),
            territory=", ".join(territory),
            services=", ".join(services.mapped("name")),
            qr_url=self._venues_url() if self.state == "active" else "",
            print_text=self.print_text or "",
        )
