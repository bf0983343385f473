# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "Pass Numérique",
    "summary": "Digital-inclusion vouchers: programmes, funders, venues, "
    "voucher books and passes",
    "version": "18.0.1.0.0",
    "category": "Services/Pass Numerique",
    "website": "https://github.com/pass-numerique/pass-numerique",
    "author": "Pass Numérique cooperative",
    "maintainers": ["pass-numerique"],
    "license": "AGPL-3",
    "development_status": "Alpha",
    "application": True,
    "depends": [
        "mail",
        "portal",
        "base_geolocalize",
        "l10n_fr",
        "l10n_fr_department",
    ],
    "external_dependencies": {
        "python": ["python-stdnum", "reportlab", "python-barcode"],
    },
    "data": [
        "security/pass_numerique_groups.xml",
        "security/ir.model.access.csv",
        "security/pass_numerique_security.xml",
        "data/ir_sequence_data.xml",
        "data/pass_service_data.xml",
        "data/ir_cron_data.xml",
        "data/pass_print_batch_data.xml",
        "data/pass_venue_import_job_data.xml",
        "wizard/pass_book_cancel_views.xml",
        "wizard/pass_program_issue_views.xml",
        "wizard/pass_book_distribute_views.xml",
        "wizard/pass_voucher_redeem_views.xml",
        "wizard/pass_venue_import_views.xml",
        "views/pass_service_views.xml",
        "views/pass_program_views.xml",
        "views/pass_book_views.xml",
        "views/pass_voucher_views.xml",
        "views/res_partner_views.xml",
        "views/pass_redemption_attempt_views.xml",
        "views/pass_beneficiary_views.xml",
        "views/res_config_settings_views.xml",
        "views/pass_print_batch_views.xml",
        "views/pass_portal_templates.xml",
        "views/pass_funder_portal_templates.xml",
        "views/pass_public_templates.xml",
        "views/pass_numerique_menus.xml",
        "views/pass_venue_import_job_views.xml",
        "views/pass_rate_limit_views.xml",
        "views/pass_report_views.xml",
        "data/pass_report_data.xml",
        "views/pass_print_batch_menus.xml",
    ],
    "assets": {
        # Beside Odoo's graph and pivot views, which Odoo 18 loads lazily
        # (the analyses' "data as of" banner extends them).
        "web.assets_backend_lazy": [
            "pass_numerique/static/src/views/pass_report_freshness.js",
            "pass_numerique/static/src/views/pass_report_freshness.xml",
        ],
        "web.assets_frontend": [
            "pass_numerique/static/src/js/pass_counter.js",
            "pass_numerique/static/src/js/pass_public.js",
            "pass_numerique/static/src/scss/pass_counter.scss",
        ],
        "web.assets_tests": [
            "pass_numerique/static/tests/tours/*.js",
        ],
        # The counter's barcode decoder for browsers without BarcodeDetector
        # (static/lib/README.md), loaded on the first scan only.
        "pass_numerique.assets_scanner": [
            "pass_numerique/static/lib/barcode-detector/ponyfill.js",
        ],
    },
    "demo": [
        "demo/res_company_demo.xml",
        "demo/res_partner_demo.xml",
        "demo/pass_program_demo.xml",
    ],
    "installable": True,
}
