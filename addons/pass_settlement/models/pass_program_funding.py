# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class PassProgramFunding(models.Model):
    _inherit = "pass.program.funding"

    pass_commitment_ref = fields.Char(
        string="Legal commitment",
        help="The funder's legal commitment number (engagement juridique) "
        "for this programme, when its convention gives one: the default of "
        "its orders' co-funder lines, which each order may change.",
    )
