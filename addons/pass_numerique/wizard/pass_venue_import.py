# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Import and export of venues in the national open-data schema."""

import base64
import json
import logging
import re
import unicodedata
from collections import Counter, defaultdict

import psycopg2

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

from ..tools import open_data
from ..tools.guard import guarded_write

_logger = logging.getLogger(__name__)

ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 avec BOM",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252 (Latin-1)",
    "latin-1": "Latin-1 (ISO-8859-1)",
}
DELIMITER_LABELS = {",": "virgule", ";": "point-virgule", "\t": "tabulation"}

# Partner fields an open-data row sets, in the order changes are listed.
IMPORTED_FIELDS = [
    "name",
    "street",
    "street2",
    "zip",
    "city",
    "country_id",
    "partner_latitude",
    "partner_longitude",
    "phone",
    "email",
    "website",
    "pass_opening_hours",
    "siret",
    "pass_open_data_id",
    "pass_service_ids",
    "is_pass_venue",
]
ADDRESS_FIELDS = ("street", "zip", "city", "country_id")


class PassVenueImport(models.TransientModel):
    _name = "pass.venue.import"
    _description = "Import venues from the open-data standard"

    state = fields.Selection(
        [("upload", "Fichier"), ("preview", "Aperçu"), ("done", "Terminé")],
        default="upload",
        required=True,
    )
    data_file = fields.Binary(string="Fichier", attachment=False)
    filename = fields.Char(string="Nom du fichier")
    file_format = fields.Selection(
        [("csv", "CSV"), ("json", "JSON")], string="Format détecté", readonly=True
    )
    file_summary = fields.Text(string="Lecture du fichier", readonly=True)
    line_ids = fields.One2many("pass.venue.import.line", "wizard_id", string="Lignes")
    create_line_ids = fields.One2many(
        "pass.venue.import.line",
        "wizard_id",
        domain=[("action", "=", "create")],
        string="Lieux à créer",
    )
    update_line_ids = fields.One2many(
        "pass.venue.import.line",
        "wizard_id",
        domain=[("action", "=", "update")],
        string="Lieux à mettre à jour",
    )
    reject_line_ids = fields.One2many(
        "pass.venue.import.line",
        "wizard_id",
        domain=[("action", "=", "reject")],
        string="Lignes rejetées",
    )
    create_count = fields.Integer(string="À créer", compute="_compute_counts")
    update_count = fields.Integer(string="À mettre à jour", compute="_compute_counts")
    unchanged_count = fields.Integer(string="Déjà à jour", compute="_compute_counts")
    reject_count = fields.Integer(string="Rejetées", compute="_compute_counts")

    @api.depends("line_ids.action", "line_ids.changes")
    def _compute_counts(self):
        for wizard in self:
            counts = Counter(wizard.line_ids.mapped("action"))
            wizard.create_count = counts["create"]
            wizard.update_count = counts["update"]
            wizard.reject_count = counts["reject"]
            wizard.unchanged_count = len(
                wizard.line_ids.filtered(
                    lambda line: line.action == "update" and not line.changes
                )
            )

    # ------------------------------------------------------------------
    # Actions

    def action_preview(self):
        """Read the file and show what the import would do; changes nothing."""
        self.ensure_one()
        plan, summary, file_format = self._analyse()
        self._write_report(plan, summary, file_format, "preview")
        return self._reopen()

    def action_import(self):
        """Create and update the venues of the valid rows, in one go: either
        every valid row is written, or (on an unexpected error) none is."""
        self.ensure_one()
        # The file is read and matched again: venues may have changed since
        # the preview.
        plan, summary, file_format = self._analyse()
        self._apply(plan)
        self._write_report(plan, summary, file_format, "done")
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self.line_ids.unlink()
        self.write({"state": "upload", "file_summary": False, "file_format": False})
        return self._reopen()

    def action_open_venues(self):
        self.ensure_one()
        partners = self.line_ids.filtered(
            lambda line: line.action != "reject"
        ).partner_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Lieux importés"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", partners.ids)],
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "name": self.env._("Importer des lieux (open data)"),
        }

    # ------------------------------------------------------------------
    # Reading and matching

    def _analyse(self):
        """``(plan, summary, file_format)``: one plan entry per row, with its
        record, action (create / update / reject), matched partner, values to
        write and the names of the changed fields."""
        if not self.data_file:
            raise UserError(self.env._("Choisissez un fichier CSV ou JSON à importer."))
        try:
            result = open_data.parse_file(
                base64.b64decode(self.data_file), self.filename or ""
            )
        except open_data.OpenDataFileError as error:
            raise UserError(self._file_error_message(error)) from None
        if not result.records:
            raise UserError(
                self.env._(
                    "Le fichier ne contient aucune ligne de lieu après l'en-tête."
                )
            )
        # The referential: a few dozen services at most.
        services = self.env["pass.service"].search([("active", "=", True)])
        referential = {service.code: service.category for service in services}
        service_ids = {service.code: service.id for service in services}
        valid = [record for record in result.records if record.valid]
        matches = self._match_partners(valid)
        countries = self._countries({record.country_code for record in valid})
        plan = []
        for record in result.records:
            entry = {"record": record, "partner": None, "match_by": False, "vals": {}}
            if not record.valid:
                entry["action"] = "reject"
            elif record.line in matches:
                partner, match_by = matches[record.line]
                entry.update(action="update", partner=partner, match_by=match_by)
                if not partner.active:
                    record.warnings.append(("archived_venue", {}))
                entry["vals"] = self._update_vals(
                    record, partner, referential, service_ids, countries
                )
            else:
                entry["action"] = "create"
                entry["vals"] = self._create_vals(
                    record, referential, service_ids, countries
                )
            plan.append(entry)
        return plan, self._summary(result), result.file_format

    def _match_partners(self, records):
        """``{record.line: (partner, match_by)}`` for the rows matching an
        existing partner: by open-data id, else by SIRET, else by name and
        postcode. SIRET and name only match when they point to one partner and
        one row without ambiguity (a town's SIRET may cover several venues);
        a partner is matched by one row at most."""
        open_data_ids = {
            record.open_data_id for record in records if record.open_data_id
        }
        sirets = {record.siret for record in records if record.siret}
        zips = {record.zip for record in records if record.zip}
        # Archived partners too: a venue the cooperative archived must not
        # come back as a duplicate at the next import of the national file.
        candidates = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search(
                [
                    ("parent_id", "=", False),
                    "|",
                    "|",
                    ("pass_open_data_id", "in", list(open_data_ids)),
                    ("siret", "in", list(sirets)),
                    ("zip", "in", list(zips)),
                ],
                order="id",
            )
        )
        by_id, by_siret, by_name = {}, defaultdict(list), defaultdict(list)
        for partner in candidates:
            if partner.pass_open_data_id:
                by_id.setdefault(partner.pass_open_data_id, partner)
            if partner.siret:
                by_siret[partner.siret].append(partner)
            by_name[(open_data.normalize_name(partner.name), partner.zip)].append(
                partner
            )
        rows_by_siret = Counter(record.siret for record in records if record.siret)
        rows_by_name = Counter(
            (open_data.normalize_name(r.name), r.zip) for r in records
        )

        def by_open_data_id(record):
            return by_id.get(record.open_data_id) if record.open_data_id else None

        def by_unique_siret(record):
            found = by_siret.get(record.siret, []) if record.siret else []
            unique = len(found) == 1 and rows_by_siret[record.siret] == 1
            return found[0] if unique else None

        def by_name_and_zip(record):
            key = (open_data.normalize_name(record.name), record.zip)
            found = by_name.get(key, [])
            return found[0] if len(found) == 1 and rows_by_name[key] == 1 else None

        matches, claimed = {}, set()
        for match_by, finder in (
            ("id", by_open_data_id),
            ("siret", by_unique_siret),
            ("name_zip", by_name_and_zip),
        ):
            for record in records:
                if record.line in matches:
                    continue
                partner = finder(record)
                if partner and partner.id not in claimed:
                    claimed.add(partner.id)
                    matches[record.line] = (partner, match_by)
        return matches

    def _countries(self, codes):
        countries = self.env["res.country"].search([("code", "in", list(codes - {""}))])
        return {country.code: country.id for country in countries}

    def _record_vals(self, record, countries):
        vals = {
            "name": record.name,
            "street": record.street,
            "street2": record.street2,
            "zip": record.zip,
            "city": record.city,
            "country_id": countries.get(record.country_code, False),
            "phone": record.phone,
            "email": record.email,
            "website": record.website,
            "pass_opening_hours": record.opening_hours,
            "siret": record.siret,
            "pass_open_data_id": record.open_data_id,
        }
        if record.latitude is not None:
            vals["partner_latitude"] = record.latitude
            vals["partner_longitude"] = record.longitude
        return vals

    def _create_vals(self, record, referential, service_ids, countries):
        vals = {
            key: value
            for key, value in self._record_vals(record, countries).items()
            if value
        }
        codes = open_data.map_services(record.categories, referential)
        vals.update(
            {
                "is_company": True,
                "is_pass_venue": True,
                # Never qualified by an import: qualification is checked by
                # the cooperative (SIRET, charter, IBAN...).
                "pass_venue_state": "candidate",
                "pass_service_ids": [
                    Command.set([service_ids[code] for code in codes])
                ],
            }
        )
        if "partner_latitude" in vals or "partner_longitude" in vals:
            vals["date_localization"] = fields.Date.context_today(self)
        return vals

    def _update_vals(self, record, partner, referential, service_ids, countries):
        """The values that change on ``partner``: a row's empty cells never
        erase what the cooperative knows, the qualification state is kept,
        and a venue's open-data id is set only if it had none."""
        new = {
            key: value
            for key, value in self._record_vals(record, countries).items()
            if value
        }
        if partner.pass_open_data_id:
            new.pop("pass_open_data_id", None)
        vals = {}
        for name, value in new.items():
            current = partner[name]
            if name == "country_id":
                current = current.id
            if name in ("partner_latitude", "partner_longitude"):
                if float_compare(current or 0.0, value, precision_digits=6) == 0:
                    continue
            elif name == "phone" and open_data.normalize_phone(current or "") == value:
                continue  # the same number, written differently
            elif (current or "") == value:
                continue
            vals[name] = value
        if any(name in vals for name in ADDRESS_FIELDS) and record.latitude is not None:
            # base_geolocalize resets the coordinates of a moved address
            # unless they are written along with it.
            vals["partner_latitude"] = record.latitude
            vals["partner_longitude"] = record.longitude
        if record.categories:
            current_codes = partner.pass_service_ids.mapped("code")
            codes = open_data.map_services(
                record.categories, referential, current_codes
            )
            if set(codes) != set(current_codes):
                vals["pass_service_ids"] = [
                    Command.set([service_ids[code] for code in codes])
                ]
        if "partner_latitude" in vals:
            vals["date_localization"] = fields.Date.context_today(self)
        if not partner.is_pass_venue:
            vals.update({"is_pass_venue": True, "pass_venue_state": "candidate"})
        return vals

    # ------------------------------------------------------------------
    # Writing

    def _apply(self, plan):
        """One batch create, and writes grouped by identical values, inside a
        savepoint: an unexpected error rolls every venue back."""
        Partner = self.env["res.partner"]
        creates = [entry for entry in plan if entry["action"] == "create"]
        updates = defaultdict(lambda: Partner)
        for entry in plan:
            if entry["action"] == "update" and entry["vals"]:
                key = json.dumps(entry["vals"], sort_keys=True, default=str)
                updates[key] |= entry["partner"]
        vals_by_key = {
            json.dumps(entry["vals"], sort_keys=True, default=str): entry["vals"]
            for entry in plan
            if entry["action"] == "update" and entry["vals"]
        }
        try:
            # New venues start as candidates (never qualified by an import).
            with self.env.cr.savepoint(), guarded_write():
                created = Partner.create([entry["vals"] for entry in creates])
                for entry, partner in zip(creates, created, strict=True):
                    entry["partner"] = partner
                for key, partners in updates.items():
                    partners.write(vals_by_key[key])
        except (
            UserError,
            ValidationError,
            psycopg2.IntegrityError,
            psycopg2.DataError,
        ) as error:
            _logger.info("Venue import rolled back: %s", error)
            message = error.args[0] if error.args else str(error)
            if isinstance(error, psycopg2.Error):
                message = (error.pgerror or str(error)).strip()
            raise UserError(
                self.env._(
                    "L'import a été annulé et aucun lieu n'a été créé ni modifié : "
                    "%(error)s",
                    error=message,
                )
            ) from error
        _logger.info(
            "Venue import: %s created, %s updated",
            len(creates),
            sum(len(partners) for partners in updates.values()),
        )

    def _write_report(self, plan, summary, file_format, state):
        labels = self._field_labels()
        messages = self._issue_messages()
        line_vals = []
        for sequence, entry in enumerate(plan):
            record = entry["record"]
            partner = entry["partner"]
            changes = [
                labels[name] for name in IMPORTED_FIELDS if name in entry["vals"]
            ]
            line_vals.append(
                {
                    "sequence": sequence,
                    "line": record.line,
                    "action": entry["action"],
                    "name": record.name
                    or (record.raw.get("nom") if record.raw else ""),
                    "zip": record.zip or record.raw.get("code_postal", ""),
                    "city": record.city,
                    "open_data_id": record.open_data_id,
                    "siret": record.siret or record.pivot,
                    "partner_id": partner.id if partner else False,
                    "match_by": entry["match_by"],
                    "changes": ", ".join(changes)
                    if entry["action"] == "update"
                    else False,
                    "reason": "\n".join(messages[c](p) for c, p in record.errors)
                    or False,
                    "notes": "\n".join(messages[c](p) for c, p in record.warnings)
                    or False,
                }
            )
        self.line_ids.unlink()
        self.write(
            {
                "state": state,
                "file_format": file_format,
                "file_summary": summary,
                "line_ids": [Command.create(vals) for vals in line_vals],
            }
        )

    # ------------------------------------------------------------------
    # Messages (French, translatable)

    def _summary(self, result):
        parts = [
            self.env._(
                "Format %(format)s, encodage %(encoding)s, %(count)s ligne(s) lue(s).",
                format=result.file_format.upper(),
                encoding=ENCODING_LABELS.get(result.encoding, result.encoding),
                count=len(result.records),
            )
        ]
        if result.delimiter:
            parts.append(
                self.env._(
                    "Séparateur de colonnes : %(delimiter)s.",
                    delimiter=DELIMITER_LABELS.get(result.delimiter, result.delimiter),
                )
            )
        if result.encoding not in ("utf-8", "utf-8-sig"):
            parts.append(
                self.env._(
                    "Le fichier n'est pas en UTF-8 comme le demande le schéma : "
                    "il a été converti."
                )
            )
        if result.unknown_columns:
            parts.append(
                self.env._(
                    "Colonnes inconnues du schéma, ignorées : %(columns)s.",
                    columns=", ".join(result.unknown_columns),
                )
            )
        if result.missing_columns:
            parts.append(
                self.env._(
                    "Colonnes obligatoires du schéma absentes : %(columns)s.",
                    columns=", ".join(result.missing_columns),
                )
            )
        return "\n".join(parts)

    def _file_error_message(self, error):
        params = error.params
        messages = {
            "empty_file": lambda: self.env._("Le fichier est vide."),
            "binary_file": lambda: self.env._(
                "Ce fichier n'est pas un fichier texte CSV ou JSON (tableur au format "
                "XLSX ?) : enregistrez-le en CSV UTF-8 puis importez-le."
            ),
            "bad_json": lambda: self.env._(
                "Le fichier JSON est mal formé (ligne %(line)s, colonne %(column)s : "
                "%(detail)s). Aucun lieu n'a été importé.",
                **params,
            ),
            "json_not_a_list": lambda: self.env._(
                "Le fichier JSON doit contenir une liste de lieux (une liste d'objets)."
            ),
            "bad_header": lambda: self.env._(
                "La première ligne du fichier CSV doit donner les noms des colonnes."
            ),
            "not_the_schema": lambda: self.env._(
                "Ce fichier ne suit pas le schéma des lieux de médiation numérique : "
                "aucune des colonnes nom, adresse, code_postal, commune n'y figure "
                "(colonnes trouvées : %(columns)s).",
                **params,
            ),
        }
        return messages[error.code]()

    def _issue_messages(self):
        return {
            "bad_field_count": lambda p: self.env._(
                "Ligne mal formée : %(count)s colonnes au lieu de %(expected)s "
                "(séparateur ou guillemets en trop ?).",
                **p,
            ),
            "csv_error": lambda p: self.env._("Ligne CSV illisible : %(detail)s.", **p),
            "csv_unclosed_quote": lambda p: self.env._(
                "Guillemet ouvert à la ligne %(first_line)s et jamais fermé : la suite "
                "du fichier n'a pas pu être lue.",
                **p,
            ),
            "csv_stray_quote": lambda p: self.env._(
                "Guillemet mal placé dans un champ : un guillemet à l'intérieur d'un "
                'champ entre guillemets doit être doublé ("").'
            ),
            "not_an_object": lambda p: self.env._(
                "Cet élément du JSON n'est pas un objet (lieu)."
            ),
            "missing_value": lambda p: self.env._(
                "Valeur obligatoire manquante : %(column)s.", **p
            ),
            "duplicate_id": lambda p: self.env._(
                "Identifiant déjà présent à la ligne %(line)s du fichier.", **p
            ),
            "bad_postcode": lambda p: self.env._(
                "Code postal invalide : « %(value)s » (5 chiffres attendus).", **p
            ),
            "bad_siret": lambda p: self.env._(
                "SIRET invalide : %(value)s (la clé de contrôle ne correspond pas).",
                **p,
            ),
            "bad_pivot": lambda p: self.env._(
                "Identifiant pivot invalide : « %(value)s » (SIRET à 14 chiffres ou "
                "RNA attendu).",
                **p,
            ),
            "bad_number": lambda p: self.env._(
                "Coordonnée illisible : %(column)s = « %(value)s ».", **p
            ),
            "half_coordinates": lambda p: self.env._(
                "Coordonnées incomplètes : latitude et longitude vont ensemble."
            ),
            "coordinates_out_of_range": lambda p: self.env._(
                "Coordonnées impossibles : latitude %(latitude)s (entre -90 et 90), "
                "longitude %(longitude)s (entre -180 et 180).",
                **p,
            ),
            "coordinates_swapped": lambda p: self.env._(
                "Coordonnées inversées : latitude %(latitude)s et longitude "
                "%(longitude)s semblent échangées.",
                **p,
            ),
            "coordinates_outside_france": lambda p: self.env._(
                "Coordonnées hors de France : latitude %(latitude)s, longitude "
                "%(longitude)s.",
                **p,
            ),
            "unknown_services": lambda p: self.env._(
                "Services inconnus du référentiel, ignorés : %(labels)s.", **p
            ),
            "bad_phone": lambda p: self.env._(
                "Téléphone illisible, non repris : « %(value)s ».", **p
            ),
            "bad_email": lambda p: self.env._(
                "Courriel invalide, non repris : %(value)s.", **p
            ),
            "archived_venue": lambda p: self.env._(
                "Lieu archivé : mis à jour, il reste archivé."
            ),
            "padded_postcode": lambda p: self.env._(
                "Code postal « %(value)s » complété d'un zéro initial.", **p
            ),
            "pivot_not_siret": lambda p: self.env._(
                "Identifiant pivot %(value)s (RNA ou SIREN) conservé hors du "
                "champ SIRET.",
                **p,
            ),
        }

    def _field_labels(self):
        return {
            "name": self.env._("nom"),
            "street": self.env._("adresse"),
            "street2": self.env._("complément d'adresse"),
            "zip": self.env._("code postal"),
            "city": self.env._("commune"),
            "country_id": self.env._("pays"),
            "partner_latitude": self.env._("latitude"),
            "partner_longitude": self.env._("longitude"),
            "phone": self.env._("téléphone"),
            "email": self.env._("courriel"),
            "website": self.env._("site web"),
            "pass_opening_hours": self.env._("horaires"),
            "siret": self.env._("SIRET"),
            "pass_open_data_id": self.env._("identifiant open data"),
            "pass_service_ids": self.env._("services"),
            "is_pass_venue": self.env._("rôle de lieu"),
        }


class PassVenueImportLine(models.TransientModel):
    _name = "pass.venue.import.line"
    _description = "Row of a venue import"
    _order = "sequence, id"

    wizard_id = fields.Many2one("pass.venue.import", required=True, ondelete="cascade")
    sequence = fields.Integer()
    line = fields.Char(string="Ligne")
    action = fields.Selection(
        [("create", "Création"), ("update", "Mise à jour"), ("reject", "Rejet")],
        required=True,
    )
    name = fields.Char(string="Nom")
    zip = fields.Char(string="Code postal")
    city = fields.Char(string="Commune")
    open_data_id = fields.Char(string="Identifiant open data")
    siret = fields.Char(string="SIRET / pivot")
    partner_id = fields.Many2one("res.partner", string="Lieu")
    match_by = fields.Selection(
        [("id", "Identifiant"), ("siret", "SIRET"), ("name_zip", "Nom et code postal")],
        string="Reconnu par",
    )
    changes = fields.Char(string="Champs modifiés")
    reason = fields.Text(string="Motif du rejet")
    notes = fields.Text(string="Remarques")


class PassVenueExport(models.TransientModel):
    _name = "pass.venue.export"
    _description = "Export qualified venues in the open-data standard"

    file_format = fields.Selection(
        [("csv", "CSV (format de référence du schéma)"), ("json", "JSON")],
        string="Format",
        default="csv",
        required=True,
    )
    venue_ids = fields.Many2many(
        "res.partner",
        string="Lieux sélectionnés",
        default=lambda self: self._default_venues(),
        help="Vide : tous les lieux qualifiés.",
    )
    venue_count = fields.Integer(
        string="Lieux qualifiés exportés", compute="_compute_venue_count"
    )
    data = fields.Binary(string="Fichier", readonly=True, attachment=False)
    filename = fields.Char(readonly=True)

    def _default_venues(self):
        if self.env.context.get("active_model") == "res.partner":
            return self.env["res.partner"].browse(
                self.env.context.get("active_ids", [])
            )
        return self.env["res.partner"]

    @api.depends("venue_ids")
    def _compute_venue_count(self):
        for wizard in self:
            venues = self.env["res.partner"]._pass_open_data_venues(
                wizard.venue_ids.ids
            )
            wizard.venue_count = len(venues)

    def action_export(self):
        self.ensure_one()
        if not self.venue_count:
            raise UserError(self.env._("Aucun lieu qualifié à exporter."))
        content = self.env["res.partner"].pass_open_data_export(
            self.file_format, self.venue_ids.ids or None
        )
        self.write(
            {
                "data": base64.b64encode(content.encode("utf-8")),
                "filename": self._export_filename(),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "name": self.env._("Exporter les lieux qualifiés (open data)"),
        }

    def _export_filename(self):
        """The schema's naming rule:
        ``YYYY-MM-DD_idProducteur_lieux-de-mediation-numerique_territoire.ext``."""
        company = self.env.company
        producer = company.siret or open_data.UNKNOWN_PIVOT
        territory = unicodedata.normalize("NFKD", company.city or "France")
        territory = re.sub(
            r"[^A-Za-z0-9]", "", territory.encode("ascii", "ignore").decode()
        )
        return "%s_%s_lieux-de-mediation-numerique_%s.%s" % (
            fields.Date.context_today(self).isoformat(),
            producer,
            territory or "France",
            self.file_format,
        )
