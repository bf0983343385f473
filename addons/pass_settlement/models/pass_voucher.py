# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.exceptions import UserError


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

    def action_cancel_redemption(self, reason=False):
        """A redemption already put on a remittance cannot be undone: the
        remittance would claim a pass that is no longer redeemed. The venue
        (or staff) takes it off the draft remittance first."""
        # sudo: a venue's portal user may cancel its own redemption; it only
        # needs to know whether the pass sits on a remittance.
        on_remittance = self.sudo().filtered("remittance_id")
        if on_remittance:
            raise UserError(
                self.env._(
                    "Le pass %(code)s figure déjà sur le bordereau %(remittance)s : "
                    "retirez-le du bordereau avant d'annuler son encaissement.",
                    code=on_remittance[0].code_display,
                    remittance=on_remittance[0].remittance_id.name,
                )
            )
        return super().action_cancel_redemption(reason=reason)
