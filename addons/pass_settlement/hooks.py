# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).


def post_init_hook(env):
    """Companies whose chart of accounts was loaded before the module was
    installed get the settlement's chart records (accounts, journals, tax:
    chart-template data, see models/account_chart_template.py), the fee
    product and the venue payment mode. Companies without a chart get them
    with their chart (``account.chart.template._load``)."""
    env["res.company"].search([])._pass_setup_settlement_defaults()
