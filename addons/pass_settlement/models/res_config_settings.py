# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pass_liability_account_id = fields.Many2one(
        related="company_id.pass_liability_account_id", readonly=False
    )
    pass_sale_journal_id = fields.Many2one(
        related="company_id.pass_sale_journal_id", readonly=False
    )
    pass_venue_journal_id = fields.Many2one(
        related="company_id.pass_venue_journal_id", readonly=False
    )
    pass_fee_product_id = fields.Many2one(
        related="company_id.pass_fee_product_id", readonly=False
    )
    pass_voucher_tax_id = fields.Many2one(
        related="company_id.pass_voucher_tax_id", readonly=False
    )
    pass_to_invoice_account_id = fields.Many2one(
        related="company_id.pass_to_invoice_account_id", readonly=False
    )
    pass_retained_account_id = fields.Many2one(
        related="company_id.pass_retained_account_id", readonly=False
    )
    pass_venue_payable_account_id = fields.Many2one(
        related="company_id.pass_venue_payable_account_id", readonly=False
    )

    pass_venue_payment_mode_id = fields.Many2one(
        related="company_id.pass_venue_payment_mode_id", readonly=False
    )

    pass_vat_on_debits = fields.Boolean(
        related="company_id.pass_vat_on_debits",
        readonly=False,
        groups="pass_settlement.group_pass_accountant",
    )

    def action_pass_setup_settlement(self):
        self.company_id._pass_setup_settlement_defaults()
        return True
