# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

# The nine services of the national open-data standard of digital-mediation
# venues ("schéma de données des lieux de médiation numérique", v1.0.2): they
# are the categories of the referential; the open-data label is kept as the
# selection label so that imports and exports can map one onto the other.
SERVICE_CATEGORIES = [
    ("admin", "Aide aux démarches administratives"),
    ("daily_tools", "Maîtrise des outils numériques du quotidien"),
    ("employment", "Insertion professionnelle via le numérique"),
    ("security", "Utilisation sécurisée du numérique"),
    ("parenting", "Parentalité et éducation avec le numérique"),
    ("leisure", "Loisirs et créations numériques"),
    ("understanding", "Compréhension du monde numérique"),
    ("access", "Accès internet et matériel informatique"),
    ("equipment", "Acquisition de matériel informatique à prix solidaire"),
]


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
