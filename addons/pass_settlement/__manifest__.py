# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Pass Numérique: settlement",
    "summary": "Funder orders and invoices, venue remittances, clearing into the "
    "ledger, payouts, expiry",
    "version": "18.0.1.0.0",
    "category": "Accounting",
    "website": "https://github.com/pass-numerique/pass-numerique",
    "author": "Pass Numérique cooperative",
    "maintainers": ["pass-numerique"],
    "license": "AGPL-3",
    "development_status": "Alpha",
    "depends": [
        "pass_numerique",
        "account",
        "l10n_fr_account",
        "sale_management",
        "account_banking_sepa_credit_transfer",
    ],
    "data": [
        "security/ir.model.access.csv",
        "security/pass_settlement_security.xml",
        "data/ir_sequence_data.xml",
        "views/pass_remittance_views.xml",
    ],
    "demo": ["demo/pass_settlement_demo.xml"],
    "post_init_hook": "post_init_hook",
    "installable": True,
}
