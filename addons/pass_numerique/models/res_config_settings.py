# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    pass_max_refused_attempts = fields.Integer(
        string="Refused attempts before blocking",
        config_parameter="pass_numerique.max_refused_attempts",
        default=10,
        help="After this many refused redemption attempts by one venue within the "
        "window, further attempts are answered 'too many attempts'.",
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
        help="A venue may cancel its own redemption within this delay; later, "
        "only a manager can.",
    )
