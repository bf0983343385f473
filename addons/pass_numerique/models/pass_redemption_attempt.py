# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

REDEEM_REASONS = [
    ("ok", "Accepted"),
    ("unknown_code", "Unknown code"),
    ("bad_check_digit", "Mistyped code (check digit)"),
    ("already_redeemed", "Already redeemed"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
    ("not_distributed", "Not distributed yet"),
    ("not_activated", "Not activated (funders' payment pending)"),
    ("venue_not_qualified", "Venue not qualified"),
    ("out_of_territory", "Venue outside the programme's territory"),
    ("service_not_allowed", "Service not allowed"),
    ("too_many_attempts", "Too many refused attempts"),
]


class PassRedemptionAttempt(models.Model):
    """Log of every redemption attempt, accepted or refused (fraud follow-up).

    The code is stored masked: the log must not become a list of valid codes.
    """

    _name = "pass.redemption.attempt"
    _description = "Pass redemption attempt"
    _order = "id desc"

    create_date = fields.Datetime(string="When", readonly=True, index=True)
    user_id = fields.Many2one("res.users", string="By", readonly=True, index=True)
    venue_id = fields.Many2one("res.partner", string="Venue", readonly=True, index=True)
    code_masked = fields.Char(string="Code", readonly=True)
    voucher_id = fields.Many2one(
        "pass.voucher", string="Pass", readonly=True, index="btree_not_null"
    )
    program_id = fields.Many2one("pass.program", readonly=True)
    service_id = fields.Many2one("pass.service", readonly=True)
    company_id = fields.Many2one(
        "res.company", readonly=True, default=lambda self: self.env.company
    )
    ok = fields.Boolean(string="Accepted", readonly=True)
    reason = fields.Selection(REDEEM_REASONS, readonly=True, index=True)
    channel = fields.Selection(
        [("rpc", "API"), ("portal", "Venue counter"), ("backoffice", "Back office")],
        readonly=True,
        default="rpc",
    )
    operation = fields.Selection(
        [("check", "Check"), ("redeem", "Redemption")],
        readonly=True,
        default="redeem",
    )
    ip = fields.Char(string="Client IP", readonly=True)
