# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    pass_share = fields.Float(
        string="Funder's share (%)",
        digits=(5, 2),
        copy=True,
        help="On a funder's invoice line of a co-funded programme: the funder's "
        "share; the sale order counts this fraction of the quantity as invoiced.",
    )
    pass_program_id = fields.Many2one("pass.program", index="btree_not_null", copy=True)
    pass_voucher_count = fields.Integer(
        string="Passes", copy=True, help="Number of passes this line accounts for."
    )
