# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pass_subscription_product_id = fields.Many2one(
        related="company_id.pass_subscription_product_id", readonly=False
    )
    pass_subscription_amount = fields.Monetary(
        related="company_id.pass_subscription_amount", readonly=False
    )
