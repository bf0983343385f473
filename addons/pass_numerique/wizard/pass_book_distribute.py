# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class PassBookDistribute(models.TransientModel):
    _name = "pass.book.distribute"
    _description = "Hand books on to a funder or prescriber"

    book_ids = fields.Many2many(
        "pass.book", string="Books", default=lambda self: self._default_books()
    )
    holder_id = fields.Many2one(
        "res.partner",
        string="Hand to",
        required=True,
        domain="['|', ('is_pass_funder', '=', True), "
        "('is_pass_prescriber', '=', True)]",
    )

    def _default_books(self):
        if self.env.context.get("active_model") == "pass.book":
            return self.env["pass.book"].browse(self.env.context.get("active_ids", []))
        return self.env["pass.book"]

    def action_confirm(self):
        self.ensure_one()
        self.book_ids.distribute(self.holder_id.id)
        return {"type": "ir.actions.act_window_close"}
