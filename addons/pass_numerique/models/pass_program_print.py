# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""What a programme prints on its passes, and its public list of venues."""

from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools import consteq
from odoo.tools.misc import formatLang, hmac

from ..tools.book_pdf import ProgramInfo, print_text_overflow


class PassProgram(models.Model):
    _inherit = "pass.program"

    @api.constrains("print_text")
    def _check_print_text_fits(self):
        """The print text (conditions, legal mention) is printed whole on
        every pass or not accepted: refused at save when it cannot fit, even
        in the smallest print, instead of being cut on the passes."""
        for program in self:
            overflow = print_text_overflow(program.print_text)
            if overflow:
                lines, room, chars = overflow
                raise ValidationError(
                    self.env._(
                        "The text printed on passes is too long: even in small print "
                        "it would take %(lines)s lines, and a pass only has room for "
                        "%(room)s. Shorten it to about %(chars)s characters (it has "
                        "%(length)s).",
                        lines=lines,
                        room=room,
                        chars=chars,
                        length=len(program.print_text),
                    )
                )

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

    def _public_venue_page(self, town=None, service_code=None):
        """What the public venue page of this programme shows, filtered by
        ``town`` (a venue's city, any case) and ``service_code``.

        Returns {"venues": [...], "total": venues before the filters,
        "towns": [...], "services": [(code, name), ...], "town": str,
        "service": str}; each venue has its name, address, opening hours
        (OpenStreetMap syntax) and its services grouped by category
        ({"label", "services"}), only public facts of qualified venues."""
        self.ensure_one()
        venues = self._public_venues()
        categories = dict(
            self.env["pass.service"]
            ._fields["category"]
            ._description_selection(self.env)
        )
        order = list(categories)

        def services_of(venue):
            return (
                venue.pass_service_ids & self.service_ids
                if self.service_ids
                else venue.pass_service_ids
            )

        offered = venues.pass_service_ids
        if self.service_ids:
            offered &= self.service_ids
        towns = sorted({v.city.strip() for v in venues if v.city}, key=str.casefold)
        town = next((t for t in towns if t.casefold() == (town or "").casefold()), "")
        service = offered.filtered(lambda s: s.code == service_code)[:1]
        rows = []
        for venue in venues:
            services = services_of(venue)
            if town and (venue.city or "").strip().casefold() != town.casefold():
                continue
            if service and service not in services:
                continue
            groups = {}
            for item in services.sorted(lambda s: (s.sequence, s.name)):
                groups.setdefault(item.category, []).append(item.name)
            rows.append(
                {
                    "name": venue.name,
                    "street": " ".join(filter(None, [venue.street, venue.street2])),
                    "city": " ".join(filter(None, [venue.zip, venue.city])),
                    "hours": venue.pass_opening_hours or "",
                    "service_count": len(services),
                    "groups": [
                        {"label": categories.get(key, key), "services": names}
                        for key, names in sorted(
                            groups.items(),
                            key=lambda kv: order.index(kv[0])
                            if kv[0] in order
                            else len(order),
                        )
                    ],
                }
            )
        return {
            "venues": rows,
            "total": len(venues),
            "towns": towns,
            "services": [
                (s.code, s.name)
                for s in offered.sorted(lambda s: (s.name or "").casefold())
            ],
            "town": town,
            "service": service.code or "",
        }

    def _print_info(self):
        """The :class:`ProgramInfo` of this programme, formatted for print."""
        self.ensure_one()
        territory = [
            "%s (%s)" % (department.name, department.code)
            for department in self.department_ids
        ]
        zips = self._territory_zip_list()
        if zips:
            territory.append(self.env._("postcodes %(zips)s", zips=", ".join(zips)))
        services = self.service_ids.sorted(lambda s: (s.sequence, s.name))
        return ProgramInfo(
            key=str(self.id),
            name=self.name,
            funders=self._pass_fundings().partner_id.mapped("name"),
            face_value=formatLang(
                self.env, self.face_value, currency_obj=self.currency_id
            ),
            territory=", ".join(territory),
            services=", ".join(services.mapped("name")),
            qr_url=self._venues_url() if self.state == "active" else "",
            print_text=self.print_text or "",
        )
