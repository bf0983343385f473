# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pass_max_refused_attempts = fields.Integer(
        string="Refused attempts before blocking",
        config_parameter="pass_numerique.max_refused_attempts",
        default=10,
        help="After this many mistyped or unknown codes checked or redeemed by one "
        "venue, or by one user, within the window, further attempts are answered "
        "'too many attempts' until the window is over.",
    )
    pass_max_refused_attempts_ip = fields.Integer(
        string="Refused attempts per client IP before blocking",
        config_parameter="pass_numerique.max_refused_attempts_ip",
        default=30,
        help="Same limit for one client IP address, whatever the venue or user "
        "(several venues may share an address).",
    )
    pass_attempt_window_minutes = fields.Integer(
        string="Attempt window (minutes)",
        config_parameter="pass_numerique.attempt_window_minutes",
        default=15,
    )
    pass_cancel_window_minutes = fields.Integer(
        string="Venue cancellation window (minutes)",
        config_parameter="pass_numerique.cancel_window_minutes",
        default=30,
        help="A venue may cancel its own redemption within this many minutes; "
        "later, only a manager can.",
    )
