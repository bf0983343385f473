# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

_logger = logging.getLogger(__name__)


def post_init_hook(env):
    """Companies whose chart of accounts was loaded before the module was
    installed get the settlement's chart records (accounts, journals, tax:
    chart-template data, see models/account_chart_template.py), the fee
    product and the venue payment mode. Companies without a chart get them
    with their chart (``account.chart.template._load``).

    Those companies also get Odoo's restrictive audit trail (Settings >
    Accounting): no posted entry is deleted any more (a cancelled payment
    keeps its cancelled entry), changes to entries are logged. Odoo lets a
    company switch it off only while it has no entry. A company created
    later switches it on in its settings (README, "Going to production");
    the pass journals refuse deleting posted entries in any case."""
    companies = env["res.company"].search([])
    companies._pass_setup_settlement_defaults()
    with_chart = companies.filtered(
        lambda company: company.chart_template and not company.check_account_audit_trail
    )
    # One by one: Odoo's own constraint on the flag reads one company.
    for company in with_chart:
        company.check_account_audit_trail = True
    if with_chart:
        _logger.info(
            "Restrictive audit trail switched on for %s",
            ", ".join(with_chart.mapped("name")),
        )
