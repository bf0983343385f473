# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Qualified venues exported in the national open-data standard of
digital-mediation venues (see ``tools/open_data.py``)."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import open_data

# Prefix of the open-data id of a venue that never came from an open-data file.
EXPORT_ID_PREFIX = "pass-numerique-"


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _pass_open_data_id_for_export(self):
        self.ensure_one()
        return self.pass_open_data_id or "%s%s" % (EXPORT_ID_PREFIX, self.id)

    def _pass_open_data_export_rows(self):
        """One row of the schema (dict by column) per venue of ``self``."""
        source = self.env.company.name
        rows = []
        for venue in self:
            rows.append(
                open_data.venue_export_row(
                    {
                        "open_data_id": venue._pass_open_data_id_for_export(),
                        "siret": venue.siret,
                        "name": venue.name,
                        "street": venue.street,
                        "street2": venue.street2,
                        "zip": venue.zip,
                        "city": venue.city,
                        "latitude": venue.partner_latitude,
                        "longitude": venue.partner_longitude,
                        "phone": venue.phone,
                        "email": venue.email,
                        "website": venue.website,
                        "opening_hours": venue.pass_opening_hours,
                        "categories": venue.pass_service_ids.mapped("category"),
                        "source": source,
                        "date_maj": fields.Date.to_string(
                            (venue.write_date or fields.Datetime.now()).date()
                        ),
                    }
                )
            )
        return rows

    @api.model
    def _pass_open_data_venues(self, venue_ids=None):
        """The qualified venues to publish (among ``venue_ids`` if given)."""
        domain = [("is_pass_venue", "=", True), ("pass_venue_state", "=", "qualified")]
        if venue_ids:
            domain.append(("id", "in", list(venue_ids)))
        return self.search(domain, order="zip, name, id")

    @api.model
    def pass_open_data_export(self, file_format="csv", venue_ids=None):
        """The qualified venues (all, or those among ``venue_ids``) as the text
        of a file in the open-data standard v1.0.2: ``csv`` (UTF-8, comma,
        every column of the schema, multiple values joined by ``|``) or
        ``json`` (list of objects with the schema's keys)."""
        if file_format not in ("csv", "json"):
            raise UserError(
                self.env._(
                    "Format d'export inconnu : %(format)s "
                    "(formats possibles : csv, json).",
                    format=file_format,
                )
            )
        rows = self._pass_open_data_venues(venue_ids)._pass_open_data_export_rows()
        if file_format == "json":
            return open_data.dump_json(rows)
        return open_data.dump_csv(rows)
