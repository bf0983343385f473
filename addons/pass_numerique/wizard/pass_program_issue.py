# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class PassProgramIssue(models.TransientModel):
    _name = "pass.program.issue"
    _description = "Issue books on a programme"

    program_id = fields.Many2one(
        "pass.program",
        required=True,
        domain=[("state", "=", "active")],
        default=lambda self: self.env.context.get("active_id")
        if self.env.context.get("active_model") == "pass.program"
        else False,
    )
    count = fields.Integer(string="Number of books", default=10, required=True)
    passes_per_book = fields.Selection(
        [("5", "5 passes"), ("10", "10 passes")],
        string="Passes per book",
        default="10",
        required=True,
    )

    def action_confirm(self):
        self.ensure_one()
        book_ids = self.program_id.issue_books(self.count, int(self.passes_per_book))
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pass_numerique.pass_book_action"
        )
        action["domain"] = [("id", "in", book_ids)]
        return action
