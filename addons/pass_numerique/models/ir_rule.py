# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models
from odoo.exceptions import AccessError


class IrRule(models.Model):
    _inherit = "ir.rule"

    def _make_access_error(self, operation, records):
        # For internal users with technical features, Odoo lists the refused
        # records by display name; a pass's display name is its code, which
        # the caller may precisely not read.
        if records._name == "pass.voucher":
            return AccessError(
                self.env._(
                    "You have no access to these passes (operation: %(operation)s).",
                    operation=operation,
                )
            )
        return super()._make_access_error(operation, records)
