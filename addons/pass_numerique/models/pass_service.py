# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from ..tools.open_data import SCHEMA_SERVICES

# The nine services of the national open-data standard of digital-mediation
# venues are the categories of the referential: one list, in tools/open_data.py
# (the schema's exact labels, kept as the selection labels so that imports and
# exports map one onto the other).
SERVICE_CATEGORIES = SCHEMA_SERVICES


class PassService(models.Model):
    _name = "pass.service"
    _description = "Digital-mediation service"
    _order = "category, sequence, name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Stable code of the service, used by integrators and imports.",
    )
    category = fields.Selection(SERVICE_CATEGORIES, required=True, index=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True)
    duration_hours = fields.Float(
        string="Typical duration (hours)",
        default=1.5,
        help="Workshops and one-to-one help usually last one or two hours.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "The service code must be unique."),
    ]
