# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    # Set by the clearing run on the entries offsetting a venue's open
    # subscription invoices against its payable (debit the venue payable,
    # credit its receivable): the ledger check reads them as settling the
    # venue's claim, the statements as offset.
    pass_offset_run_id = fields.Many2one(
        "pass.clearing.run",
        string="Subscription offset of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
    )
