# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""18.0.1.1.0: the settlement's accounts, journals and tax are chart-template
data (account_chart_template.py). Existing records get their xml ids (same
code, journal code or tax name: no duplicate), the missing ones are created
(the venues' payable 401800, the retained-value 758900, the passes-to-invoice
418110), empty company fields are set, fields already set are kept; the
retained-value and passes-to-invoice fields leave the chart's 758100 and
418100 only while no journal item uses them."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    companies = env["res.company"].search([("chart_template", "!=", False)])
    companies._pass_setup_settlement_defaults()
    companies._pass_adopt_settlement_chart_accounts()
