# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


class PassVoucherRedeem(models.TransientModel):
    """Staff taking a venue's phone call redeem a pass on its behalf."""

    _name = "pass.voucher.redeem"
    _description = "Redeem a pass for a venue"

    # Required in the form (not here): "Redeem another pass" opens an empty one.
    code = fields.Char(help="The 16 digits of the pass; spaces are ignored.")
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
            self.code or "",
            self.venue_id.id,
            self.service_id.code,
            channel="backoffice",
        )
        self.write({"result_ok": res["ok"], "result_message": res["message"]})
        return self._reopen()

    def action_redeem(self):
        self.ensure_one()
        res = self.env["pass.voucher"]._redeem_code(
            self.code or "",
            self.venue_id.id,
            self.service_id.code,
            channel="backoffice",
        )
        self.write(
            {
                "result_ok": res["ok"],
                "result_message": res["message"],
                "done": res["ok"],
            }
        )
        return self._reopen()

    def action_redeem_another(self):
        """After a redemption: a fresh form for the next pass, the venue and
        the service kept (the same caller usually has several)."""
        self.ensure_one()
        another = self.create(
            {"venue_id": self.venue_id.id, "service_id": self.service_id.id}
        )
        return another._reopen()

    def _reopen(self):
        """The same dialog again, under its own title (a bare window action
        would be titled "Odoo")."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pass_numerique.pass_voucher_redeem_action"
        )
        action.update({"res_id": self.id, "view_mode": "form", "target": "new"})
        return action
