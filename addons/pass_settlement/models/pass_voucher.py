# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.pass_numerique.models.pass_voucher import VOUCHER_GUARDED_FIELDS


def code_for_caller(env, voucher):
    """The printed code of ``voucher`` if it may be shown to the user of
    ``env``, else False.

    Shown only to a real user (not under sudo, whose caller is not known here)
    who may read that pass, and not when the context asks to hide codes (a
    clearing run stores its errors where other users read them)."""
    if env.su or env.context.get("pass_hide_codes"):
        return False
    try:
        voucher.with_env(env).check_access("read")
    except AccessError:
        return False
    return voucher.with_env(env).code_display


class PassVoucher(models.Model):
    _inherit = "pass.voucher"
    # The remittance a pass is on is what gets it paid: set and cleared only
    # by the remittance's methods; the end-of-validity reconciliation that
    # handled an unused pass only by that reconciliation.
    _pass_guarded_fields = VOUCHER_GUARDED_FIELDS | {
        "remittance_id",
        "reconciliation_id",
    }

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
        # Who may cancel which redemption first: no message below may name a
        # pass or a remittance to a caller who may not cancel it.
        self._check_redemption_cancel_rights()
        # sudo: the caller may cancel these redemptions (checked above); it
        # only needs to know whether the pass sits on a remittance.
        on_remittance = self.sudo().filtered("remittance_id")
        if on_remittance:
            voucher = on_remittance[0]
            code = code_for_caller(self.env, voucher)
            if not code:
                raise UserError(
                    self.env._(
                        "This pass is already on remittance %(remittance)s: remove it "
                        "from the remittance before cancelling its redemption.",
                        remittance=voucher.remittance_id.name,
                    )
                )
            raise UserError(
                self.env._(
                    "Pass %(code)s is already on remittance %(remittance)s: remove it "
                    "from the remittance before cancelling its redemption.",
                    code=code,
                    remittance=voucher.remittance_id.name,
                )
            )
        return super().action_cancel_redemption(reason=reason)
