# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class PassVoucherRedeem(models.TransientModel):
    """Staff taking a venue's phone call redeem a pass on its behalf."""

    _name = "pass.voucher.redeem"
    _description = "Redeem a pass for a venue"

    code = fields.Char(
        required=True, help="The 16 digits of the pass; spaces are ignored."
    )
    venue_id = fields.Many2one(
        "res.partner",
        required=True,
        domain=[("is_pass_venue", "=", True), ("pass_venue_state", "=", "qualified")],
    )
    available_service_ids = fields.Many2many(
        "pass.service", compute="_compute_available_service_ids"
    )
    service_id = fields.Many2one(
        "pass.service", required=True, domain="[('id', 'in', available_service_ids)]"
    )
    result_ok = fields.Boolean(readonly=True)
    result_message = fields.Char(readonly=True)
    done = fields.Boolean(readonly=True)

    @api.depends("venue_id")
    def _compute_available_service_ids(self):
        for wizard in self:
            wizard.available_service_ids = wizard.venue_id.pass_service_ids

    def action_check(self):
        self.ensure_one()
        res = self.env["pass.voucher"]._check_code(
            self.code, self.venue_id.id, self.service_id.code, channel="backoffice"
        )
        self.write({"result_ok": res["ok"], "result_message": res["message"]})
        return self._reopen()

    def action_redeem(self):
        self.ensure_one()
        res = self.env["pass.voucher"]._redeem_code(
            self.code, self.venue_id.id, self.service_id.code, channel="backoffice"
        )
        self.write(
            {
                "result_ok": res["ok"],
                "result_message": res["message"],
                "done": res["ok"],
            }
        )
        return self._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
