# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class PassVoucher(models.Model):
    _inherit = "pass.voucher"

    remittance_id = fields.Many2one(
        "pass.remittance",
        string="Remittance",
        readonly=True,
        index="btree_not_null",
        copy=False,
        ondelete="restrict",
    )
