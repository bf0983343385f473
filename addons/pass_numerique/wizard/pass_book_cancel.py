# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from ..models.pass_book import CANCEL_REASONS


class PassBookCancel(models.TransientModel):
    _name = "pass.book.cancel"
    _description = "Cancel the unused passes of books"

    book_ids = fields.Many2many(
        "pass.book", string="Books", default=lambda self: self._default_books()
    )
    reason = fields.Selection(CANCEL_REASONS, required=True, default="lost")
    note = fields.Char(help="Circumstances, police report number, ...")

    def _default_books(self):
        if self.env.context.get("active_model") == "pass.book":
            return self.env["pass.book"].browse(self.env.context.get("active_ids", []))
        return self.env["pass.book"]

    def action_confirm(self):
        self.ensure_one()
        self.book_ids.cancel_unused(self.reason, self.note)
        return {"type": "ir.actions.act_window_close"}
