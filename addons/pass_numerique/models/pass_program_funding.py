# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class PassProgramFunding(models.Model):
    _name = "pass.program.funding"
    _description = "Funder's share of a programme"
    _order = "program_id, share desc, id"
    _check_company_auto = True

    program_id = fields.Many2one(
        "pass.program", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Funder",
        required=True,
        ondelete="restrict",
        index=True,
        domain=[("is_pass_funder", "=", True)],
    )
    funder_type = fields.Selection(related="partner_id.pass_funder_type")
    share = fields.Float(
        string="Share (%)",
        digits=(5, 2),
        required=True,
        help="Percentage of each pass's face value paid by this funder.",
    )

    _sql_constraints = [
        (
            "share_range",
            "check(share > 0 and share <= 100)",
            "A funder's share must be more than 0 and at most 100 %.",
        ),
        (
            "partner_program_unique",
            "unique(program_id, partner_id)",
            "A funder appears only once in a programme.",
        ),
    ]
