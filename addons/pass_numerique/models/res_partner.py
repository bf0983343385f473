# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..tools import open_data
from ..tools.guard import guarded_write
from ..tools.opening_hours import french_opening_hours

FUNDER_TYPES = [
    ("state", "State"),
    ("region", "Region"),
    ("departement", "Département"),
    ("commune", "Municipality / EPCI"),
    ("social", "Social body (CAF, CCAS, ...)"),
    ("company", "Company"),
    ("association", "Association"),
    ("other", "Other"),
]

# Prefix of the open-data id of a venue that never came from an open-data file.
EXPORT_ID_PREFIX = "pass-numerique-"

VENUE_STATES = [
    ("candidate", "Candidate"),
    ("qualified", "Qualified"),
    ("suspended", "Suspended"),
]


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "pass.guarded.mixin"]
    # Qualification is what lets a venue redeem and be paid: only the
    # manager's qualify / suspend actions change it.
    _pass_guarded_fields = frozenset({"pass_venue_state", "pass_qualified_date"})

    is_pass_funder = fields.Boolean(string="Pass funder", index=True)
    pass_funder_type = fields.Selection(FUNDER_TYPES, string="Funder type")
    is_pass_prescriber = fields.Boolean(string="Pass prescriber", index=True)
    is_pass_venue = fields.Boolean(string="Pass venue", index=True)
    pass_venue_state = fields.Selection(
        VENUE_STATES,
        string="Venue status",
        default="candidate",
        tracking=True,
        index=True,
    )
    pass_service_ids = fields.Many2many(
        "pass.service",
        "res_partner_pass_service_rel",
        "partner_id",
        "service_id",
        string="Services offered",
    )
    pass_qualified_date = fields.Date(string="Qualified on", readonly=True)
    pass_opening_hours = fields.Char(
        string="Opening hours",
        help="OpenStreetMap opening_hours syntax, e.g. 'Mo-Fr 09:00-12:00'.",
    )
    pass_opening_hours_display = fields.Text(
        string="Opening hours (as read)",
        compute="_compute_pass_opening_hours_display",
        help="The opening hours as the public venue page shows them.",
    )
    pass_open_data_id = fields.Char(
        string="Open-data id",
        index="btree_not_null",
        help="Identifier of the venue in the national open-data standard.",
    )
    # Open data (see ``pass.venue.import.job``): a venue is identified by the
    # publisher's ``source`` and its ``id`` in that publisher's files.
    pass_open_data_source = fields.Char(
        string="Open-data source",
        index="btree_not_null",
        help="Publisher (the schema's 'source') whose file the venue comes from; "
        "empty for venues of the cooperative itself.",
    )
    pass_open_data_aliases = fields.Json(
        string="Open-data ids at other publishers",
        copy=False,
        help="[source, id] pairs of other publishers' rows confirmed to be this venue.",
    )
    pass_open_data_date = fields.Date(
        string="Open-data update date",
        copy=False,
        help="The publisher's date of the data (date_maj), exported back while "
        "the venue is not changed here.",
    )
    pass_open_data_extra = fields.Json(
        string="Other open-data columns",
        copy=False,
        help="Columns of the standard the product does not use, as published; "
        "exported back.",
    )
    pass_open_data_digest = fields.Char(copy=False)
    pass_rna = fields.Char(
        string="RNA",
        size=10,
        help="Number of the association in the Répertoire national des "
        "associations (W + 9 digits).",
    )
    pass_services_declared = fields.Boolean(
        string="Services declared, to confirm",
        help="The services come from open data (declared by the publisher); "
        "qualifying the venue confirms them.",
    )
    pass_funding_ids = fields.One2many(
        "pass.program.funding", "partner_id", string="Programme shares"
    )

    @api.depends("pass_opening_hours")
    @api.depends_context("lang")
    def _compute_pass_opening_hours_display(self):
        """In French, the days and ranges as the public page writes them
        ("lun.\u2013ven. 09:00\u201318:00"); in another language the OSM text."""
        french = (self.env.lang or "").startswith("fr")
        for partner in self:
            hours = partner.pass_opening_hours or ""
            partner.pass_opening_hours_display = (
                "\n".join(french_opening_hours(hours)) if french else hours
            )

    @api.model
    def _pass_siret_acceptable(self, siret):
        """Empty, a SIRET with a correct check digit, or "<SIREN>*****", which
        OCA's l10n_fr_siret (installed with the settlement's Chorus support)
        writes on a contact or an office whose NIC is unknown, with a valid
        SIREN."""
        if not siret or stdnum_siret.is_valid(siret):
            return True
        return (
            len(siret) == 14
            and siret.endswith("*****")
            and stdnum_siren.is_valid(siret[:9])
        )

    @api.constrains("siret")
    def _check_pass_siret(self):
        for partner in self:
            if not self._pass_siret_acceptable(partner.siret):
                raise ValidationError(
                    self.env._(
                        "SIRET %(siret)s of %(partner)s is not valid: it must have 14 "
                        "digits and a correct check digit.",
                        siret=partner.siret,
                        partner=partner.display_name,
                    )
                )

    @api.constrains("is_pass_funder", "pass_funder_type")
    def _check_pass_funder_type(self):
        for partner in self:
            if partner.is_pass_funder and not partner.pass_funder_type:
                raise ValidationError(
                    self.env._(
                        "Funder %(partner)s must have a funder type.",
                        partner=partner.display_name,
                    )
                )

    def write(self, vals):
        if vals.get("pass_venue_state") == "qualified":
            vals.setdefault("pass_qualified_date", fields.Date.context_today(self))
        return super().write(vals)

    def _check_pass_manager(self):
        if not self.env.user.has_group("pass_numerique.pass_numerique_group_manager"):
            raise AccessError(
                self.env._(
                    "Only a Pass Numérique manager can qualify or suspend a venue."
                )
            )

    def action_pass_qualify(self):
        self._check_pass_manager()
        with guarded_write():
            self.write({"pass_venue_state": "qualified", "is_pass_venue": True})
        # Qualification confirms the services declared in open data.
        self.filtered("pass_services_declared").write({"pass_services_declared": False})

    def action_pass_suspend(self):
        self._check_pass_manager()
        with guarded_write():
            self.write({"pass_venue_state": "suspended"})

    # ------------------------------------------------------------ open data
    # Qualified venues exported in the national open-data standard of
    # digital-mediation venues (see ``tools/open_data.py``).

    def _pass_open_data_id_for_export(self):
        self.ensure_one()
        return self.pass_open_data_id or "%s%s" % (EXPORT_ID_PREFIX, self.id)

    def _pass_open_data_values(self):
        """The venue as a plain dict with the keys of ``open_data.VenueRecord``
        (and ``categories``), as the open-data helpers take it."""
        self.ensure_one()
        return {
            "siret": self.siret,
            "rna": self.pass_rna,
            "name": self.name,
            "street": self.street,
            "street2": self.street2,
            "zip": self.zip,
            "city": self.city,
            "latitude": self.partner_latitude,
            "longitude": self.partner_longitude,
            "phone": self.phone,
            "email": self.email,
            "website": self.website,
            "opening_hours": self.pass_opening_hours,
            "categories": self.pass_service_ids.mapped("category"),
        }

    def _pass_open_data_export_rows(self):
        """One row of the schema (dict by column) per venue of ``self``.

        A venue unchanged here since its import keeps its publisher's
        ``source`` and ``date_maj``; a venue changed here (or created here) is
        published by the cooperative, dated of its last change. Ids are unique
        in the file: a venue whose publisher's id another exported venue
        already uses is published under the cooperative's own id."""
        own_source = self.env.company.name
        rows, used_ids = [], set()
        for venue in self:
            values = venue._pass_open_data_values()
            cells = open_data.product_cells(values)
            unchanged = bool(
                venue.pass_open_data_source
                and venue.pass_open_data_digest == open_data.cells_digest(cells)
            )
            open_data_id = venue._pass_open_data_id_for_export()
            if open_data_id in used_ids:
                open_data_id, unchanged = "%s%s" % (EXPORT_ID_PREFIX, venue.id), False
            used_ids.add(open_data_id)
            changed_on = (venue.write_date or fields.Datetime.now()).date()
            values.update(
                {
                    "open_data_id": open_data_id,
                    "source": venue.pass_open_data_source if unchanged else own_source,
                    "date_maj": fields.Date.to_string(
                        (unchanged and venue.pass_open_data_date) or changed_on
                    ),
                    "extra": venue.pass_open_data_extra or {},
                }
            )
            rows.append(open_data.venue_export_row(values))
        return rows

    @api.model
    def _pass_open_data_venues(self, venue_ids=None):
        """The qualified venues to publish (among ``venue_ids`` if given)."""
        domain = [
            ("is_pass_venue", "=", True),
            ("pass_venue_state", "=", "qualified"),
            # The schema requires both: a venue without them cannot be
            # published.
            ("zip", "!=", False),
            ("city", "!=", False),
        ]
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
                    "Unknown export format: %(format)s (possible formats: csv, json).",
                    format=file_format,
                )
            )
        rows = self._pass_open_data_venues(venue_ids)._pass_open_data_export_rows()
        if file_format == "json":
            return open_data.dump_json(rows)
        return open_data.dump_csv(rows)
