# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Import of venues from an open-data file, as a model API: ``plan`` reads
the file and says what would happen, row by row; ``apply`` does it (at once, or
in the background for large files). Used by the import wizard, by RPC and by
the scheduled sync from a configured URL."""

import base64
import json
import logging
from collections import Counter, defaultdict

import psycopg2
import requests

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare

from ..tools import open_data
from ..tools.guard import guarded_write
from .res_partner import EXPORT_ID_PREFIX

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "pass_numerique.pass_numerique_group_manager"
# Rows applied at once in the request; larger files are applied by the cron,
# one chunk per call, with their progress.
SYNC_LIMIT = 2000
CHUNK_SIZE = 1000
# An update moving a venue further than this is held until confirmed.
MOVE_KM = 5.0
# Across publishers, same name within this distance: suggested as the same venue.
NEARBY_KM = 0.3
# The scheduled sync (system parameters).
SYNC_URL_PARAM = "pass_numerique.venue_sync_url"
SYNC_SOURCE_PARAM = "pass_numerique.venue_sync_source"
SYNC_MAX_BYTES = 100 * 1024 * 1024
SYNC_TIMEOUT = 60

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
    "pass_rna",
    "pass_open_data_id",
    "pass_open_data_source",
    "pass_service_ids",
    "is_pass_venue",
    "pass_open_data_extra",
    "pass_open_data_date",
]
ADDRESS_FIELDS = ("street", "zip", "city", "country_id")
COORDINATE_DIGITS = 7  # res.partner.partner_latitude is Float(digits=(10, 7))


class PassVenueImportJob(models.Model):
    _name = "pass.venue.import.job"
    _description = "Venue import from an open-data file"
    _order = "id desc"

    name = fields.Char(required=True, default="/", readonly=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("planned", "Analysed"),
            ("queued", "Pending"),
            ("running", "In progress"),
            ("done", "Done"),
            ("failed", "Failure"),
        ],
        default="draft",
        required=True,
        readonly=True,
        index=True,
    )
    data_file = fields.Binary(string="File", attachment=True)
    filename = fields.Char(string="File name")
    source = fields.Char(
        string="File publisher",
        help="Publisher of the file (the schema's 'source'), used for the rows "
        "that do not name theirs: the venues' ids are unique per publisher.",
    )
    sync_url = fields.Char(string="Synchronisation address", readonly=True)
    file_format = fields.Selection(
        [("csv", "CSV"), ("json", "JSON")], string="Detected format", readonly=True
    )
    file_summary = fields.Text(string="Reading the file", readonly=True)
    line_ids = fields.One2many(
        "pass.venue.import.job.line", "job_id", string="Rows", readonly=True
    )
    create_line_ids = fields.One2many(
        "pass.venue.import.job.line",
        "job_id",
        domain=[("action", "=", "create")],
        string="Venues to create",
        readonly=True,
    )
    update_line_ids = fields.One2many(
        "pass.venue.import.job.line",
        "job_id",
        domain=[("action", "=", "update")],
        string="Venues to update",
        readonly=True,
    )
    suggest_line_ids = fields.One2many(
        "pass.venue.import.job.line",
        "job_id",
        domain=[("action", "=", "suggest")],
        string="Venues of other publishers",
        readonly=True,
    )
    confirm_line_ids = fields.One2many(
        "pass.venue.import.job.line",
        "job_id",
        domain=[("confirm_reason", "!=", False)],
        string="To confirm",
        readonly=True,
    )
    reject_line_ids = fields.One2many(
        "pass.venue.import.job.line",
        "job_id",
        domain=[("action", "=", "reject")],
        string="Rejected rows",
        readonly=True,
    )
    create_count = fields.Integer(string="To create", compute="_compute_counts")
    update_count = fields.Integer(string="To update", compute="_compute_counts")
    unchanged_count = fields.Integer(
        string="Already up to date", compute="_compute_counts"
    )
    suggest_count = fields.Integer(
        string="Suggestions (other publishers)", compute="_compute_counts"
    )
    to_confirm_count = fields.Integer(
        string="Awaiting confirmation", compute="_compute_counts"
    )
    reject_count = fields.Integer(string="Rejected", compute="_compute_counts")
    warning_count = fields.Integer(
        string="Rows with remarks", compute="_compute_counts"
    )
    rows_total = fields.Integer(string="File rows", readonly=True)
    rows_done = fields.Integer(string="Processed rows", readonly=True)
    progress = fields.Float(compute="_compute_progress")
    user_id = fields.Many2one("res.users", string="Imported by", readonly=True)
    date_applied = fields.Datetime(string="Imported on", readonly=True)
    error = fields.Text(readonly=True)

    @api.depends("line_ids.action", "line_ids.changes", "line_ids.decision")
    def _compute_counts(self):
        for job in self:
            counts = Counter()
            for line in job.line_ids:
                counts[line.action] += 1
                if line.action == "update" and not line.changes:
                    counts["unchanged"] += 1
                if line.confirm_reason and not line.decision:
                    counts["to_confirm"] += 1
                if line.warning_codes:
                    counts["warnings"] += 1
            job.create_count = counts["create"]
            job.update_count = counts["update"]
            job.unchanged_count = counts["unchanged"]
            job.suggest_count = counts["suggest"]
            job.to_confirm_count = counts["to_confirm"]
            job.reject_count = counts["reject"]
            job.warning_count = counts["warnings"]

    @api.depends("rows_done", "rows_total")
    def _compute_progress(self):
        for job in self:
            total = job.rows_total
            job.progress = 100.0 * job.rows_done / total if total else 0.0

    @api.model_create_multi
    def create(self, vals_list):
        self._check_manager()
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = vals.get("filename") or vals.get("sync_url") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Public API

    def plan(self):
        """Read the file and record, row by row, what the import would do
        (create, update, suggest a venue of another publisher, reject);
        changes no venue. Returns :meth:`summary`."""
        self._check_manager()
        for job in self:
            if job.state not in ("draft", "planned", "failed"):
                raise UserError(
                    self.env._(
                        "Import %(job)s is already running or done.", job=job.name
                    )
                )
            job._plan()
        return self.summary()

    def apply(self):
        """Create and update the venues as planned (planning first if need
        be). Small files are applied at once, all or nothing; large files are
        queued and applied in the background, chunk by chunk
        (``rows_done`` / ``progress``). Updates waiting for a confirmation
        (a move, another publisher's venue) are applied only once confirmed.
        Returns :meth:`summary`."""
        self._check_manager()
        for job in self:
            if job.state in ("draft", "failed"):
                job._plan()
            if job.state != "planned":
                raise UserError(
                    self.env._(
                        "Import %(job)s is already running or done.", job=job.name
                    )
                )
            job.write(
                {
                    "state": "queued",
                    "rows_done": 0,
                    "user_id": self.env.uid,
                    "error": False,
                }
            )
            if job.rows_total <= SYNC_LIMIT:
                job._apply_lines(job.line_ids, raise_errors=True)
                job._finish()
            else:
                self.env.ref("pass_numerique.pass_venue_import_job_cron")._trigger()
        return self.summary()

    def summary(self):
        """``{"job_id", "state", "created", "updated", "unchanged",
        "suggested", "to_confirm", "rejected", "rows", "rows_done",
        "warnings": {code: rows}}`` of the first job of ``self``."""
        self._check_manager()
        self.ensure_one()
        warnings = Counter()
        for codes in self.line_ids.mapped("warning_codes"):
            warnings.update(set((codes or "").split()))
        return {
            "job_id": self.id,
            "state": self.state,
            "created": self.create_count,
            "updated": self.update_count,
            "unchanged": self.unchanged_count,
            "suggested": self.suggest_count,
            "to_confirm": self.to_confirm_count,
            "rejected": self.reject_count,
            "rows": self.rows_total,
            "rows_done": self.rows_done,
            "warnings": dict(warnings),
        }

    @api.model
    def import_file(self, data, filename="", source=None, apply=False):
        """Plan (and with ``apply``, apply) the import of a file given as
        base64 text: the integrator's one call. Returns :meth:`summary`."""
        self._check_manager()
        job = self.create({"data_file": data, "filename": filename, "source": source})
        return job.apply() if apply else job.plan()

    # ------------------------------------------------------------------
    # Access

    @api.model
    def _check_manager(self):
        """Importing changes the venue directory: managers only (the
        scheduled sync runs as the superuser)."""
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(
                self.env._("Only a Pass Numérique manager can import venues.")
            )

    # ------------------------------------------------------------------
    # Planning

    def _plan(self):
        self.ensure_one()
        if not self.data_file:
            raise UserError(self.env._("Choose a CSV or JSON file to import."))
        try:
            result = open_data.parse_file(
                base64.b64decode(self.data_file), self.filename or ""
            )
        except open_data.OpenDataFileError as error:
            raise UserError(self._file_error_message(error)) from None
        if not result.records:
            raise UserError(
                self.env._("The file contains no venue row after the header.")
            )
        default_source = (self.source or "").strip()
        valid = [record for record in result.records if record.valid]
        if not default_source and any(not record.source for record in valid):
            raise UserError(
                self._file_error_message(open_data.OpenDataFileError("source_needed"))
            )
        for record in valid:
            record.source = record.source or default_source
        planner = _Planner(self.env, valid)
        line_vals = []
        for sequence, record in enumerate(result.records):
            entry = planner.entry(record) if record.valid else {"action": "reject"}
            line_vals.append(self._line_vals(sequence, record, entry))
        self.line_ids.unlink()
        self.env["pass.venue.import.job.line"].create(line_vals)
        self.write(
            {
                "state": "planned",
                "file_format": result.file_format,
                "file_summary": self._summary_text(result),
                "rows_total": len(result.records),
                "rows_done": 0,
                "error": False,
            }
        )

    def _line_vals(self, sequence, record, entry):
        labels = self._field_labels()
        messages = self._issue_messages()
        vals = entry.get("vals") or {}
        changes = []
        for name in IMPORTED_FIELDS:
            if name in vals and labels[name] not in changes:
                changes.append(labels[name])
        raw = record.raw or {}
        return {
            "job_id": self.id,
            "sequence": sequence,
            "line": record.line,
            "action": entry["action"],
            "name": record.name or raw.get("nom", ""),
            "zip": record.zip or raw.get("code_postal", ""),
            "city": record.city,
            "source": record.source,
            "open_data_id": record.open_data_id,
            "siret": record.siret or record.pivot,
            "partner_id": entry["partner"].id if entry.get("partner") else False,
            "match_by": entry.get("match_by") or False,
            "changes": ", ".join(changes)
            if entry["action"] in ("update", "suggest")
            else False,
            "confirm_reason": entry.get("confirm_reason") or False,
            "move_km": entry.get("move_km") or 0.0,
            "vals": vals or False,
            "create_vals": entry.get("create_vals") or False,
            "reason": "\n".join(messages[c](p) for c, p in record.errors) or False,
            "notes": "\n".join(messages[c](p) for c, p in record.warnings) or False,
            "warning_codes": " ".join(record.warning_codes) or False,
        }

    # ------------------------------------------------------------------
    # Applying

    def _apply_lines(self, lines, raise_errors=False):
        """Write the venues of ``lines`` inside a savepoint: an unexpected
        error rolls every venue of these lines back."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        creates, updates, alias_lines = [], defaultdict(lambda: Partner), []
        vals_by_key = {}
        for line in lines:
            action, decision = line.action, line.decision
            if action == "create" or (action == "suggest" and decision == "separate"):
                vals = line.vals if action == "create" else line.create_vals
                creates.append((line, vals))
            elif (
                action == "update"
                and (not line.confirm_reason or decision == "confirm")
            ) or (action == "suggest" and decision == "confirm"):
                if line.vals:
                    key = json.dumps(line.vals, sort_keys=True)
                    vals_by_key[key] = line.vals
                    updates[key] |= line.partner_id
                if action == "suggest":
                    alias_lines.append(line)
        try:
            # New venues start as candidates (never qualified by an import).
            with self.env.cr.savepoint(), guarded_write():
                created = Partner.create(
                    [self._partner_vals(vals) for _line, vals in creates]
                )
                for key, partners in updates.items():
                    partners.write(self._partner_vals(vals_by_key[key]))
                for line in alias_lines:
                    partner = line.partner_id
                    aliases = list(partner.pass_open_data_aliases or [])
                    aliases.append([line.source, line.open_data_id])
                    partner.pass_open_data_aliases = aliases
        except (
            UserError,
            ValidationError,
            psycopg2.IntegrityError,
            psycopg2.DataError,
        ) as error:
            _logger.info("Venue import %s rolled back: %s", self.name, error)
            message = error.args[0] if error.args else str(error)
            if isinstance(error, psycopg2.Error):
                message = (error.pgerror or str(error)).strip()
            failure = self.env._(
                "The import was cancelled and no venue was created or changed: "
                "%(error)s",
                error=message,
            )
            if raise_errors:
                raise UserError(failure) from error
            return failure
        if creates:
            # One statement for every line, never one write per line.
            self.env["pass.venue.import.job.line"].flush_model()
            values = SQL(", ").join(
                SQL("(%s, %s)", line.id, partner.id)
                for (line, _vals), partner in zip(creates, created, strict=True)
            )
            self.env.cr.execute(
                SQL(
                    "UPDATE pass_venue_import_job_line AS line "
                    "SET partner_id = v.partner_id "
                    "FROM (VALUES %s) AS v(id, partner_id) WHERE line.id = v.id",
                    values,
                )
            )
            self.env["pass.venue.import.job.line"].invalidate_model(["partner_id"])
        _logger.info(
            "Venue import %s: %s created, %s updated",
            self.name,
            len(creates),
            sum(len(partners) for partners in updates.values()),
        )
        return False

    def _partner_vals(self, vals):
        """Stored (JSON) values as ``create``/``write`` take them."""
        vals = dict(vals)
        if "pass_service_ids" in vals:
            vals["pass_service_ids"] = [Command.set(vals["pass_service_ids"])]
        return vals

    def _finish(self):
        self.write(
            {
                "state": "done",
                "rows_done": self.rows_total,
                "date_applied": fields.Datetime.now(),
            }
        )

    @api.model
    def _cron_apply(self):
        """Apply one chunk of the oldest queued import, and say how much is
        left (the cron runs again at once while work remains)."""
        jobs = self.search([("state", "in", ("queued", "running"))], order="id")
        if not jobs:
            return
        job = jobs[0]
        start = job.rows_done
        lines = job.line_ids.sorted("sequence")[start : start + CHUNK_SIZE]
        failure = job._apply_lines(lines)
        if failure:
            job.write({"state": "failed", "error": failure})
        elif job.rows_done + len(lines) >= job.rows_total:
            job._finish()
        else:
            job.write({"state": "running", "rows_done": job.rows_done + len(lines)})
        remaining = sum(
            j.rows_total - j.rows_done for j in jobs if j.state in ("queued", "running")
        )
        self.env["ir.cron"]._notify_progress(done=job.rows_done, remaining=remaining)
        if remaining:
            self.env.ref("pass_numerique.pass_venue_import_job_cron")._trigger()

    @api.model
    def _cron_sync(self):
        """Import the file published at the configured URL (system parameter
        ``pass_numerique.venue_sync_url``, publisher in
        ``pass_numerique.venue_sync_source``): creations and updates are
        applied, moves and other publishers' venues wait for a manager's
        confirmation on the job."""
        params = self.env["ir.config_parameter"].sudo()
        url = (params.get_param(SYNC_URL_PARAM) or "").strip()
        if not url:
            return False
        source = (params.get_param(SYNC_SOURCE_PARAM) or "").strip()
        filename = url.rsplit("/", 1)[-1].split("?", 1)[0]
        try:
            content = self._download(url)
        except (requests.RequestException, ValueError) as error:
            _logger.warning("Venue sync from %s failed: %s", url, error)
            return self.create(
                {
                    "sync_url": url,
                    "filename": filename,
                    "source": source,
                    "state": "failed",
                    "error": self._file_error_message(
                        open_data.OpenDataFileError(
                            "download_failed", detail=str(error)
                        )
                    ),
                }
            )
        job = self.create(
            {
                "sync_url": url,
                "filename": filename,
                "source": source,
                "data_file": base64.b64encode(content),
            }
        )
        try:
            with self.env.cr.savepoint():
                job.apply()
        except UserError as error:
            job.write({"state": "failed", "error": str(error.args[0])})
        return job

    @api.model
    def _download(self, url):
        with requests.get(url, timeout=SYNC_TIMEOUT, stream=True) as response:
            response.raise_for_status()
            chunks, size = [], 0
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > SYNC_MAX_BYTES:
                    raise ValueError("file larger than %s bytes" % SYNC_MAX_BYTES)
                chunks.append(chunk)
        return b"".join(chunks)

    # ------------------------------------------------------------------
    # Messages (French, translatable)

    def _summary_text(self, result):
        parts = [
            self.env._(
                "Format %(format)s, encoding %(encoding)s, %(count)s row(s) read.",
                format=result.file_format.upper(),
                encoding=ENCODING_LABELS.get(result.encoding, result.encoding),
                count=len(result.records),
            )
        ]
        if result.delimiter:
            parts.append(
                self.env._(
                    "Column separator: %(delimiter)s.",
                    delimiter=DELIMITER_LABELS.get(result.delimiter, result.delimiter),
                )
            )
        if result.encoding not in ("utf-8", "utf-8-sig"):
            parts.append(
                self.env._(
                    "The file is not in UTF-8 as the schema requires: it was converted."
                )
            )
        if result.unknown_columns:
            parts.append(
                self.env._(
                    "Columns unknown to the schema, ignored: %(columns)s.",
                    columns=", ".join(result.unknown_columns),
                )
            )
        if result.missing_columns:
            parts.append(
                self.env._(
                    "Mandatory columns of the schema missing: %(columns)s.",
                    columns=", ".join(result.missing_columns),
                )
            )
        if not result.has_ids:
            parts.append(
                self.env._(
                    "The file gives no id: venues are recognised by their name, "
                    "postcode and address."
                )
            )
        return "\n".join(parts)

    def _file_error_message(self, error):
        params = error.params
        messages = {
            "empty_file": lambda: self.env._("The file is empty."),
            "binary_file": lambda: self.env._(
                "This file is not a CSV or JSON text file (a spreadsheet in XLSX "
                "format?): save it as UTF-8 CSV, then import it."
            ),
            "bad_json": lambda: self.env._(
                "The JSON file is malformed (line %(line)s, column %(column)s: "
                "%(detail)s). No venue was imported.",
                **params,
            ),
            "json_not_a_list": lambda: self.env._(
                "The JSON file must contain a list of venues (a list of objects)."
            ),
            "bad_header": lambda: self.env._(
                "The first line of the CSV file must give the column names."
            ),
            "not_the_schema": lambda: self.env._(
                "This file does not follow the schema of digital-mediation venues: "
                "none of the columns nom, adresse, code_postal, commune is present "
                "(columns found: %(columns)s).",
                **params,
            ),
            "missing_columns": lambda: self.env._(
                "Required columns missing from the file: %(columns)s. No row can "
                "become a venue; no venue was imported.",
                **params,
            ),
            "source_needed": lambda: self.env._(
                "The file does not say who published it (source column): enter the "
                "file's publisher. Venue ids are only unique within one publisher."
            ),
            "download_failed": lambda: self.env._(
                "The venue file could not be downloaded: %(detail)s.",
                **params,
            ),
        }
        return messages[error.code]()

    def _issue_messages(self):
        return {
            "bad_field_count": lambda p: self.env._(
                "Malformed row: %(count)s columns instead of %(expected)s (extra "
                "separator or quotes?).",
                **p,
            ),
            "csv_error": lambda p: self.env._("Unreadable CSV row: %(detail)s.", **p),
            "csv_unclosed_quote": lambda p: self.env._(
                "Quote opened on line %(first_line)s and never closed: the rest of "
                "the file could not be read.",
                **p,
            ),
            "csv_stray_quote": lambda p: self.env._(
                "Misplaced quote in a field: a quote inside a quoted field must be "
                'doubled ("").'
            ),
            "not_an_object": lambda p: self.env._(
                "This JSON item is not an object (venue)."
            ),
            "missing_value": lambda p: self.env._(
                "Missing mandatory value: %(column)s.", **p
            ),
            "duplicate_id": lambda p: self.env._(
                "Identifier already present on line %(line)s of the file.", **p
            ),
            "bad_postcode": lambda p: self.env._(
                'Invalid postcode: "%(value)s" (5 digits expected).', **p
            ),
            "bad_siret": lambda p: self.env._(
                "Invalid SIRET: %(value)s (the check digit does not match): the venue "
                "is imported without SIRET, the number is kept as is for open data.",
                **p,
            ),
            "bad_pivot": lambda p: self.env._(
                'Invalid pivot identifier: "%(value)s" (14-digit SIRET or RNA '
                "expected): not kept.",
                **p,
            ),
            "bad_number": lambda p: self.env._(
                'Unreadable coordinate: %(column)s = "%(value)s": venue imported '
                "without coordinates.",
                **p,
            ),
            "half_coordinates": lambda p: self.env._(
                "Incomplete coordinates: latitude and longitude go together; venue "
                "imported without coordinates."
            ),
            "coordinates_placeholder": lambda p: self.env._(
                "Coordinates 0,0 (default value): venue imported without coordinates."
            ),
            "coordinates_out_of_range": lambda p: self.env._(
                "Impossible coordinates: latitude %(latitude)s (between -90 and 90), "
                "longitude %(longitude)s (between -180 and 180): venue imported "
                "without coordinates.",
                **p,
            ),
            "coordinates_swapped": lambda p: self.env._(
                "Swapped coordinates: latitude %(latitude)s and longitude "
                "%(longitude)s seem swapped: venue imported without coordinates.",
                **p,
            ),
            "coordinates_outside_france": lambda p: self.env._(
                "Coordinates outside France: latitude %(latitude)s, longitude "
                "%(longitude)s: venue imported without coordinates.",
                **p,
            ),
            "unknown_services": lambda p: self.env._(
                "Services unknown to the referential, ignored (no service already "
                "declared is removed): %(labels)s.",
                **p,
            ),
            "bad_phone": lambda p: self.env._(
                'Unreadable phone number, not kept: "%(value)s".', **p
            ),
            "bad_email": lambda p: self.env._(
                "Invalid email, not kept: %(value)s.", **p
            ),
            "bad_date": lambda p: self.env._(
                'Unreadable update date, not kept: "%(value)s".', **p
            ),
            "archived_venue": lambda p: self.env._(
                "Archived venue: updated, it stays archived."
            ),
            "padded_postcode": lambda p: self.env._(
                'Postcode "%(value)s" completed with a leading zero.', **p
            ),
            "pivot_not_siret": lambda p: self.env._(
                "Pivot identifier %(value)s (SIREN or RIDET) kept outside the SIRET "
                "field.",
                **p,
            ),
            "rna_kept": lambda p: self.env._(
                "RNA number %(value)s saved in the RNA field.", **p
            ),
            "services_not_confirmed": lambda p: self.env._(
                "Services declared by the file but not confirmed for this qualified "
                "venue, not added: %(labels)s.",
                **p,
            ),
            "moved": lambda p: self.env._(
                "The venue would move by %(distance)s km: update applied only after "
                "confirmation.",
                **p,
            ),
            "department_changed": lambda p: self.env._(
                "The venue would change département (%(old)s → %(new)s): update "
                "applied only after confirmation.",
                **p,
            ),
            "other_publisher": lambda p: self.env._(
                "Venue known at another publisher (%(publisher)s): match proposed, "
                "applied only after confirmation.",
                **p,
            ),
        }

    def _field_labels(self):
        return {
            "name": self.env._("name"),
            "street": self.env._("address"),
            "street2": self.env._("address complement"),
            "zip": self.env._("postcode"),
            "city": self.env._("municipality"),
            "country_id": self.env._("country"),
            "partner_latitude": self.env._("latitude"),
            "partner_longitude": self.env._("longitude"),
            "phone": self.env._("phone"),
            "email": self.env._("email"),
            "website": self.env._("website"),
            "pass_opening_hours": self.env._("opening hours"),
            "siret": self.env._("SIRET"),
            "pass_rna": self.env._("RNA"),
            "pass_open_data_id": self.env._("open-data id"),
            "pass_open_data_source": self.env._("open-data id"),
            "pass_service_ids": self.env._("services"),
            "is_pass_venue": self.env._("venue role"),
            "pass_open_data_extra": self.env._("other open-data columns"),
            "pass_open_data_date": self.env._("open-data update date"),
        }


class _Planner:
    """Matches the valid rows of a file with the venues and computes the
    values each row would write. One search for every candidate partner, no
    query per row."""

    def __init__(self, env, records):
        self.env = env
        self.records = records
        self.today = fields.Date.context_today(env["res.partner"])
        self.own_source = open_data.normalize_name(env.company.name)
        services = env["pass.service"].search([("active", "=", True)])
        self.referential = {service.code: service.category for service in services}
        self.service_ids = {service.code: service.id for service in services}
        self.service_codes = {service.id: service.code for service in services}
        self.labels = dict(open_data.SCHEMA_SERVICES)
        countries = env["res.country"].search(
            [("code", "in", list({r.country_code for r in records} - {""}))]
        )
        self.countries = {country.code: country.id for country in countries}
        self._load_candidates()
        self.matches = self._match()

    def _own(self, record):
        return open_data.normalize_name(record.source) == self.own_source

    # -------------------------------------------------------------- matching

    def _load_candidates(self):
        records = self.records
        ids = {r.open_data_id for r in records if r.open_data_id}
        db_ids = {
            int(i[len(EXPORT_ID_PREFIX) :])
            for i in ids
            if i.startswith(EXPORT_ID_PREFIX) and i[len(EXPORT_ID_PREFIX) :].isdigit()
        }
        sirets = {r.siret for r in records if r.siret}
        zips = {r.zip for r in records if r.zip}
        # Archived partners too: a venue the cooperative archived must not
        # come back as a duplicate at the next import of the national file.
        self.candidates = (
            self.env["res.partner"]
            .with_context(active_test=False)
            .search(
                [
                    ("parent_id", "=", False),
                    "|",
                    "|",
                    "|",
                    "|",
                    ("pass_open_data_id", "in", list(ids)),
                    ("id", "in", list(db_ids)),
                    ("siret", "in", list(sirets)),
                    ("zip", "in", list(zips)),
                    ("pass_open_data_aliases", "!=", False),
                ],
                order="id",
            )
        )
        self.by_key, self.by_id, self.by_alias = {}, defaultdict(list), {}
        self.by_siret, self.by_name_zip = defaultdict(list), defaultdict(list)
        self.by_name = defaultdict(list)
        for partner in self.candidates:
            key = open_data.normalize_name(partner.pass_open_data_source or "")
            if partner.pass_open_data_id:
                self.by_key.setdefault((key, partner.pass_open_data_id), partner)
                self.by_id[partner.pass_open_data_id].append(partner)
            for alias in partner.pass_open_data_aliases or []:
                source, alias_id = alias
                self.by_alias[(open_data.normalize_name(source), alias_id)] = partner
            if partner.siret:
                self.by_siret[partner.siret].append(partner)
            name = open_data.normalize_name(partner.name)
            self.by_name_zip[(name, partner.zip)].append(partner)
            self.by_name[name].append(partner)

    @staticmethod
    def _identified(partner):
        return bool(partner.pass_open_data_id or partner.pass_open_data_source)

    def _match(self):
        """``{record.line: (partner, match_by, kind)}``; ``kind`` is
        ``update``, ``fill`` (another publisher's row confirmed as this venue:
        fills what is empty) or ``suggest``."""
        self._matches, self._claimed = {}, set()
        self._match_by_id()
        self._match_without_id()
        self._match_unidentified()
        # 4. Another publisher's venue: only suggested (SIRET, or same name
        # nearby), applied once a manager confirms.
        for record in self.records:
            if record.line in self._matches:
                continue
            partner, match_by = self._other_publisher(record, self._claimed)
            if partner:
                self._matches[record.line] = (partner, match_by, "suggest")
        return self._matches

    def _claim(self, record, partner, match_by, kind="update"):
        if partner and partner.id not in self._claimed:
            if record.line not in self._matches:
                self._claimed.add(partner.id)
                self._matches[record.line] = (partner, match_by, kind)

    def _match_by_id(self):
        """1. The publisher's id, in the publisher's namespace."""
        for record in self.records:
            if not record.open_data_id:
                continue
            source = open_data.normalize_name(record.source)
            partner = self.by_key.get((source, record.open_data_id))
            if partner:
                self._claim(record, partner, "id")
                continue
            alias = self.by_alias.get((source, record.open_data_id))
            if alias:
                self._claim(record, alias, "id", "fill")
                continue
            legacy = self.by_key.get(("", record.open_data_id))
            if legacy and (
                self._own(record)
                or (
                    legacy.zip == record.zip
                    and open_data.normalize_name(legacy.name)
                    == open_data.normalize_name(record.name)
                )
            ):
                # A venue imported before ids were namespaced, or one of the
                # cooperative's own (no source).
                self._claim(record, legacy, "id")
                continue
            if self._own(record):
                self._claim(record, self._own_export_partner(record), "id")

    def _match_without_id(self):
        """2. Files without ids: name, postcode and street, in the file's
        order when several rows and venues share them."""
        groups = defaultdict(list)
        for record in self.records:
            if record.line not in self._matches and not record.open_data_id:
                groups[self._address_key(record)].append(record)
        for key, rows in groups.items():
            partners = [
                p
                for p in self.by_name_zip.get((key[0], key[1]), [])
                if not p.pass_open_data_id
                and open_data.normalize_name(p.street or "") == key[2]
                and p.id not in self._claimed
            ]
            for record, partner in zip(rows, partners, strict=False):
                self._claim(record, partner, "name_address")

    def _match_unidentified(self):
        """3. Partners no open-data file has identified: unique SIRET, then
        unique name and postcode."""
        records = self.records
        rows_by_siret = Counter(r.siret for r in records if r.siret)
        rows_by_name = Counter(
            (open_data.normalize_name(r.name), r.zip) for r in records
        )
        for record in records:
            if record.line in self._matches or not record.siret:
                continue
            found = self.by_siret.get(record.siret, [])
            if len(found) == 1 and rows_by_siret[record.siret] == 1:
                if not self._identified(found[0]):
                    self._claim(record, found[0], "siret")
        for record in records:
            if record.line in self._matches:
                continue
            key = (open_data.normalize_name(record.name), record.zip)
            found = self.by_name_zip.get(key, [])
            if len(found) == 1 and rows_by_name[key] == 1:
                if not self._identified(found[0]):
                    self._claim(record, found[0], "name_zip")

    def _own_export_partner(self, record):
        """A row of the cooperative's own export: the venue it was made from
        (its database id, or a publisher's id used by one venue only)."""
        suffix = record.open_data_id[len(EXPORT_ID_PREFIX) :]
        if record.open_data_id.startswith(EXPORT_ID_PREFIX) and suffix.isdigit():
            partner = self.candidates.filtered(lambda p: p.id == int(suffix))
            if partner and partner.zip == record.zip:
                return partner
            return None
        found = self.by_id.get(record.open_data_id, [])
        return found[0] if len(found) == 1 else None

    @staticmethod
    def _address_key(record):
        return (
            open_data.normalize_name(record.name),
            record.zip,
            open_data.normalize_name(record.street),
        )

    def _other_publisher(self, record, claimed):
        source = open_data.normalize_name(record.source)

        def other(partner):
            return (
                partner.id not in claimed
                and self._identified(partner)
                and open_data.normalize_name(partner.pass_open_data_source or "")
                != source
            )

        if record.siret:
            found = [p for p in self.by_siret.get(record.siret, []) if other(p)]
            if len(found) == 1:
                return found[0], "siret"
        name = open_data.normalize_name(record.name)
        street = open_data.normalize_name(record.street)
        for partner in self.by_name.get(name, []):
            if not other(partner):
                continue
            if record.latitude is not None and partner.partner_latitude:
                distance = open_data.distance_km(
                    record.latitude,
                    record.longitude,
                    partner.partner_latitude,
                    partner.partner_longitude,
                )
                if distance <= NEARBY_KM:
                    return partner, "name_address"
            elif partner.zip == record.zip and (
                open_data.normalize_name(partner.street or "") == street
            ):
                return partner, "name_address"
        return None, None

    # -------------------------------------------------------------- values

    def entry(self, record):
        match = self.matches.get(record.line)
        if not match:
            return {"action": "create", "vals": self._create_vals(record)}
        partner, match_by, kind = match
        if not partner.active:
            record.warnings.append(("archived_venue", {}))
        # Another publisher's row (suggested, or confirmed before) only fills
        # what the venue lacks: publishers do not overwrite each other.
        vals = self._update_vals(record, partner, fill=kind in ("fill", "suggest"))
        entry = {
            "action": "suggest" if kind == "suggest" else "update",
            "partner": partner,
            "match_by": match_by,
            "vals": vals,
        }
        if kind == "suggest":
            entry["confirm_reason"] = "other_publisher"
            entry["create_vals"] = self._create_vals(record)
            record.warnings.append(
                ("other_publisher", {"publisher": partner.pass_open_data_source or "-"})
            )
            return entry
        reason = self._move(record, partner, vals)
        if reason:
            entry["confirm_reason"] = reason[0]
            entry["move_km"] = reason[2].get("distance", 0.0)
            record.warnings.append((reason[1], reason[2]))
        return entry

    def _move(self, record, partner, vals):
        """``(confirm_reason, warning code, params)`` when the update moves
        the venue far or to another département."""
        if "zip" in vals and partner.zip:
            old = open_data.department_of_zip(partner.zip)
            new = open_data.department_of_zip(vals["zip"])
            if old != new:
                return ("department", "department_changed", {"old": old, "new": new})
        if "partner_latitude" in vals and partner.partner_latitude:
            distance = open_data.distance_km(
                partner.partner_latitude,
                partner.partner_longitude,
                vals["partner_latitude"],
                vals["partner_longitude"],
            )
            if distance > MOVE_KM:
                return ("moved", "moved", {"distance": round(distance, 1)})
        return None

    def _record_vals(self, record):
        vals = {
            "name": record.name,
            "street": record.street,
            "street2": record.street2,
            "zip": record.zip,
            "city": record.city,
            "country_id": self.countries.get(record.country_code, False),
            "phone": record.phone,
            "email": record.email,
            "website": record.website,
            "pass_opening_hours": record.opening_hours,
            "siret": record.siret,
            "pass_rna": record.rna,
            "pass_open_data_id": record.open_data_id,
        }
        if record.latitude is not None:
            # Compared and stored at the precision the field keeps.
            vals["partner_latitude"] = round(record.latitude, COORDINATE_DIGITS)
            vals["partner_longitude"] = round(record.longitude, COORDINATE_DIGITS)
        return vals

    def _identity_vals(self, record):
        """Publisher, date of the data and columns kept as they came; rows of
        the cooperative's own export keep none (the venue is its own)."""
        if self._own(record):
            return {}
        vals = {"pass_open_data_source": record.source}
        if record.date_maj:
            vals["pass_open_data_date"] = record.date_maj
        return vals

    def _create_vals(self, record):
        vals = {key: value for key, value in self._record_vals(record).items() if value}
        vals.update(self._identity_vals(record))
        if record.extra:
            vals["pass_open_data_extra"] = record.extra
        codes = open_data.map_services(
            record.categories,
            self.referential,
            hints=record.service_hints,
            text=record.texts,
        )
        vals.update(
            {
                "is_company": True,
                "is_pass_venue": True,
                # Never qualified by an import: qualification is checked by
                # the cooperative (SIRET, charter, IBAN...).
                "pass_venue_state": "candidate",
                "pass_service_ids": [self.service_ids[code] for code in codes],
                "pass_services_declared": bool(codes),
            }
        )
        if "partner_latitude" in vals:
            vals["date_localization"] = fields.Date.to_string(self.today)
        if not self._own(record):
            vals["pass_open_data_digest"] = self._digest({}, vals)
        return vals

    def _update_vals(self, record, partner, fill=False):
        """The values that change on ``partner``: a row's empty cells never
        erase what the cooperative knows, the qualification state is kept,
        and a venue's open-data identity is set only if it had none. With
        ``fill`` (another publisher's row), only empty fields are filled."""
        new = {key: value for key, value in self._record_vals(record).items() if value}
        if partner.pass_open_data_id or partner.pass_open_data_source or fill:
            new.pop("pass_open_data_id", None)
        vals = {}
        for name, value in new.items():
            current = partner[name]
            if name == "country_id":
                current = current.id
            if fill and current:
                continue
            if name in ("partner_latitude", "partner_longitude"):
                if (
                    float_compare(
                        current or 0.0, value, precision_digits=COORDINATE_DIGITS
                    )
                    == 0
                ):
                    continue
            elif name == "phone" and open_data.normalize_phone(current or "") == value:
                continue  # the same number, written differently
            elif (current or "") == value:
                continue
            vals[name] = value
        if not fill:
            self._update_identity(record, partner, vals)
        if any(name in vals for name in ADDRESS_FIELDS) and record.latitude is not None:
            # base_geolocalize resets the coordinates of a moved address
            # unless they are written along with it.
            vals["partner_latitude"] = round(record.latitude, COORDINATE_DIGITS)
            vals["partner_longitude"] = round(record.longitude, COORDINATE_DIGITS)
        self._update_services(record, partner, vals, fill)
        if "partner_latitude" in vals:
            vals["date_localization"] = fields.Date.to_string(self.today)
        if not partner.is_pass_venue:
            vals.update({"is_pass_venue": True, "pass_venue_state": "candidate"})
        source = partner.pass_open_data_source or vals.get("pass_open_data_source")
        if vals and source and not fill:
            digest = self._digest(self._partner_values(partner), vals)
            if digest != partner.pass_open_data_digest:
                vals["pass_open_data_digest"] = digest
        return vals

    def _update_identity(self, record, partner, vals):
        identity = self._identity_vals(record)
        if partner.pass_open_data_source or partner.pass_open_data_id:
            identity.pop("pass_open_data_source", None)
        if not (identity.get("pass_open_data_source") or partner.pass_open_data_source):
            identity.pop("pass_open_data_date", None)
        if identity.get("pass_open_data_date") == fields.Date.to_string(
            partner.pass_open_data_date
        ):
            identity.pop("pass_open_data_date")
        vals.update(identity)
        if record.extra:
            extra = dict(partner.pass_open_data_extra or {})
            extra.update(record.extra)
            if extra != (partner.pass_open_data_extra or {}):
                vals["pass_open_data_extra"] = extra

    def _update_services(self, record, partner, vals, fill):
        if not record.categories:
            return
        current_codes = [
            code for code in partner.pass_service_ids.mapped("code") if code
        ]
        confirmed = partner.pass_venue_state == "qualified" and (
            not partner.pass_services_declared
        )
        if confirmed:
            # The cooperative confirmed this venue's services: the file's
            # declaration is shown, not applied.
            offered = {self.referential.get(code) for code in current_codes}
            missing = [c for c in record.categories if c not in offered]
            if missing:
                record.warnings.append(
                    (
                        "services_not_confirmed",
                        {"labels": ", ".join(self.labels[c] for c in missing)},
                    )
                )
            return
        codes = open_data.map_services(
            record.categories,
            self.referential,
            current_codes,
            hints=record.service_hints,
            text=record.texts,
            partial=record.services_partial or fill,
        )
        if set(codes) != set(current_codes):
            vals["pass_service_ids"] = [self.service_ids[code] for code in codes]
            if not partner.pass_services_declared:
                vals["pass_services_declared"] = True

    def _partner_values(self, partner):
        values = partner._pass_open_data_values()
        values["service_ids"] = partner.pass_service_ids.ids
        return values

    def _digest(self, current, vals):
        """Digest of the cells the venue will have once ``vals`` are written
        (see ``res.partner._pass_open_data_export_rows``)."""
        values = dict(current)
        mapping = {
            "name": "name",
            "street": "street",
            "street2": "street2",
            "zip": "zip",
            "city": "city",
            "partner_latitude": "latitude",
            "partner_longitude": "longitude",
            "phone": "phone",
            "email": "email",
            "website": "website",
            "pass_opening_hours": "opening_hours",
            "siret": "siret",
            "pass_rna": "rna",
        }
        for field_name, key in mapping.items():
            if field_name in vals:
                values[key] = vals[field_name]
        if "pass_service_ids" in vals:
            values["categories"] = [
                self.referential[self.service_codes[service_id]]
                for service_id in vals["pass_service_ids"]
            ]
        return open_data.cells_digest(open_data.product_cells(values))


class PassVenueImportJobLine(models.Model):
    _name = "pass.venue.import.job.line"
    _description = "Row of a venue import"
    _order = "sequence, id"

    job_id = fields.Many2one(
        "pass.venue.import.job", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer()
    line = fields.Char(string="Row")
    action = fields.Selection(
        [
            ("create", "Creation"),
            ("update", "Update"),
            ("suggest", "Proposed match"),
            ("reject", "Rejection"),
        ],
        required=True,
    )
    name = fields.Char()
    zip = fields.Char(string="Postcode")
    city = fields.Char(string="Municipality")
    source = fields.Char(string="Publisher")
    open_data_id = fields.Char(string="Open-data id")
    siret = fields.Char(string="SIRET / pivot")
    partner_id = fields.Many2one("res.partner", string="Venue")
    match_by = fields.Selection(
        [
            ("id", "Identifier"),
            ("siret", "SIRET"),
            ("name_zip", "Name and postcode"),
            ("name_address", "Name and address"),
        ],
        string="Recognised by",
    )
    changes = fields.Char(string="Changed fields")
    confirm_reason = fields.Selection(
        [
            ("moved", "Move of several kilometres"),
            ("department", "Change of département"),
            ("other_publisher", "Venue of another publisher"),
        ],
        string="To confirm",
    )
    decision = fields.Selection(
        [("confirm", "Confirmed"), ("separate", "Distinct venue")]
    )
    move_km = fields.Float(string="Move (km)", digits=(10, 1))
    vals = fields.Json()
    create_vals = fields.Json()
    reason = fields.Text(string="Rejection reason")
    notes = fields.Text(string="Remarks")
    warning_codes = fields.Char(string="Remark codes")

    def action_confirm(self):
        """Apply this held update / merge this other publisher's row into the
        suggested venue (at the next apply of a planned job, or now if the job
        is already done)."""
        return self._decide("confirm")

    def action_separate(self):
        """This other publisher's row is another venue: create it."""
        return self._decide("separate", actions=("suggest",))

    def _decide(self, decision, actions=("update", "suggest")):
        self.env["pass.venue.import.job"]._check_manager()
        lines = self.filtered(
            lambda line: line.confirm_reason
            and not line.decision
            and line.action in actions
            and line.job_id.state in ("planned", "done")
        )
        lines.write({"decision": decision})
        for job, job_lines in lines.grouped("job_id").items():
            if job.state == "done":
                job._apply_lines(job_lines, raise_errors=True)
        return True
