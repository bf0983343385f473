# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Import and export of venues in the national open-data schema."""

import base64
import re
import unicodedata

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import open_data


class PassVenueImport(models.TransientModel):
    """The screen over ``pass.venue.import.job``: choose a file (and its
    publisher when the file does not name it), see the plan, confirm the
    moves and the other publishers' venues, import."""

    _name = "pass.venue.import"
    _description = "Import venues from the open-data standard"

    state = fields.Selection(
        [("upload", "File"), ("preview", "Preview"), ("done", "Done")],
        default="upload",
        required=True,
    )
    data_file = fields.Binary(string="File", attachment=False)
    filename = fields.Char(string="File name")
    source = fields.Char(
        string="File publisher",
        help='Who publishes this file (the schema\'s "source" column): enter it when '
        "the file does not say. Venue ids are only unique within one publisher.",
    )
    job_id = fields.Many2one("pass.venue.import.job", readonly=True)
    job_state = fields.Selection(related="job_id.state", string="Import state")
    file_format = fields.Selection(related="job_id.file_format")
    file_summary = fields.Text(related="job_id.file_summary")
    line_ids = fields.One2many(related="job_id.line_ids")
    create_line_ids = fields.One2many(related="job_id.create_line_ids")
    update_line_ids = fields.One2many(related="job_id.update_line_ids")
    suggest_line_ids = fields.One2many(related="job_id.suggest_line_ids")
    confirm_line_ids = fields.One2many(related="job_id.confirm_line_ids")
    reject_line_ids = fields.One2many(related="job_id.reject_line_ids")
    create_count = fields.Integer(related="job_id.create_count")
    update_count = fields.Integer(related="job_id.update_count")
    unchanged_count = fields.Integer(related="job_id.unchanged_count")
    suggest_count = fields.Integer(related="job_id.suggest_count")
    to_confirm_count = fields.Integer(related="job_id.to_confirm_count")
    reject_count = fields.Integer(related="job_id.reject_count")
    progress = fields.Float(related="job_id.progress")

    # ------------------------------------------------------------------
    # Actions

    def action_preview(self):
        """Read the file and show what the import would do; changes nothing."""
        self.ensure_one()
        self._plan()
        self.state = "preview"
        return self._reopen()

    def action_import(self):
        """Create and update the venues as the preview showed (large files:
        in the background, the job shows its progress)."""
        self.ensure_one()
        if not self.job_id or self.job_id.state != "planned":
            self._plan()
        self.job_id.apply()
        self.state = "done"
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self.job_id.unlink()
        self.write({"state": "upload"})
        return self._reopen()

    def action_open_job(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "pass.venue.import.job",
            "res_id": self.job_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_open_venues(self):
        self.ensure_one()
        partners = self.line_ids.filtered(
            lambda line: line.action != "reject"
        ).partner_id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Imported venues"),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", partners.ids)],
        }

    def _plan(self):
        job = self.job_id
        if not job or job.state not in ("draft", "planned", "failed"):
            job = self.env["pass.venue.import.job"].create(
                {
                    "data_file": self.data_file,
                    "filename": self.filename,
                    "source": self.source,
                }
            )
        else:
            job.write(
                {
                    "data_file": self.data_file,
                    "filename": self.filename,
                    "source": self.source,
                }
            )
        job.plan()
        self.job_id = job

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "name": self.env._("Import venues (open data)"),
        }

    def _issue_messages(self):
        return self.env["pass.venue.import.job"]._issue_messages()


class PassVenueExport(models.TransientModel):
    _name = "pass.venue.export"
    _description = "Export qualified venues in the open-data standard"

    file_format = fields.Selection(
        [("csv", "CSV (reference format of the schema)"), ("json", "JSON")],
        string="Format",
        default="csv",
        required=True,
    )
    venue_ids = fields.Many2many(
        "res.partner",
        string="Selected venues",
        default=lambda self: self._default_venues(),
        help="Empty: all qualified venues.",
    )
    venue_count = fields.Integer(
        string="Exported qualified venues", compute="_compute_venue_count"
    )
    data = fields.Binary(string="File", readonly=True, attachment=False)
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
            raise UserError(self.env._("No qualified venue to export."))
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
            "name": self.env._("Export qualified venues (open data)"),
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
