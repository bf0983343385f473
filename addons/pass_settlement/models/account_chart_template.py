# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The settlement's accounts, journals and tax are chart-of-accounts data.

They are declared with ``@template`` like the charts' own records (as
``stock_account`` declares its journal), so Odoo creates them, with the xml
ids ``account.<company id>_<name>`` and their translations, when a company
gets its chart of accounts, and points the company's settlement fields at
them (``res.company`` template data). A branch shares its root's chart: Odoo
loads only the ``res.company`` data on a branch, and ``ref`` falls back on the
root's records, so a branch gets the root's accounts, never a second 467100.

Companies whose chart was loaded before this module was installed get the
same records from ``_pass_load_settlement_chart_data`` (post_init_hook,
"Create missing defaults", migration), which binds records that already
exist (same code, journal code or tax name) instead of duplicating them and
never changes a company field that is already set.

The French chart (PCG 2025, ANC regulation 2022-06) gets French numbers:

- 467100 *Fonds des financeurs Pass Numérique*: the funders' money is held
  for them (third-party funds), a sub-account of 467 *Autres comptes
  débiteurs ou créditeurs*;
- 418110 *Clients - factures à établir (Pass Numérique)*: passes settled but
  not yet invoiced to a funder, a sub-account of 4181 of the settlement's own
  (the ledger check reads its balance per funder: the chart's 418100 also
  holds the cooperative's other year-end accruals);
- 758900 *Produits divers - Pass Numérique non utilisés conservés*: the value
  of expired passes a programme lets the cooperative keep is an operating
  income of no other heading: 758 *Indemnités et autres produits* is where
  the PCG puts the miscellaneous operating income (the old *7588 Produits
  divers de gestion courante*); 7581 is penalties received (*Dédits et
  pénalités perçus*, what the settlement wrongly used before) and 7588 is now
  trusts (*fiducies*), so the free 7589 is used;
- 401800 *Fournisseurs - lieux de médiation (Pass Numérique)*: what the
  cooperative owes the venues for the passes they redeemed is a supplier
  debt (payable, lettered with the transfers), kept apart from the trade
  suppliers' 401100 so that it can be followed, paid and checked on its own.

Other charts get the same records numbered like Odoo's generic chart; a
number already used by the chart is moved to the next free one, so that
loading a chart never fails because of this module.
"""

import logging

from odoo import models

from odoo.addons.account.models.chart_template import template

_logger = logging.getLogger(__name__)

# The settlement's chart records (xml ids without the company prefix).
PASS_ACCOUNTS = (
    "pass_liability",
    "pass_to_invoice",
    "pass_retained",
    "pass_venue_payable",
)
PASS_JOURNALS = ("pass_sale_journal", "pass_venue_journal")
PASS_TAXES = ("pass_voucher_tax",)
PASS_CHART_RECORDS = {
    "account.account": PASS_ACCOUNTS,
    "account.journal": PASS_JOURNALS,
    "account.tax": PASS_TAXES,
}
# The company's settlement fields and the chart record each one names.
PASS_COMPANY_FIELDS = {
    "pass_liability_account_id": "pass_liability",
    "pass_to_invoice_account_id": "pass_to_invoice",
    "pass_retained_account_id": "pass_retained",
    "pass_venue_payable_account_id": "pass_venue_payable",
    "pass_sale_journal_id": "pass_sale_journal",
    "pass_venue_journal_id": "pass_venue_journal",
    "pass_voucher_tax_id": "pass_voucher_tax",
}


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    # ------------------------------------------------------------------ data
    @template(model="account.account")
    def _get_pass_settlement_account_account(self, template_code):
        """Any chart: numbered like Odoo's generic chart (current
        liabilities 2xxx, current assets 1xxx, other income 45xx)."""
        return {
            "pass_liability": {
                "code": "2130",
                "name": "Pass Numérique funders' money",
                "name@fr": "Fonds des financeurs Pass Numérique",
                "account_type": "liability_current",
                "reconcile": True,
            },
            "pass_to_invoice": {
                "code": "1215",
                "name": "Pass Numérique passes to invoice",
                "name@fr": "Clients - factures à établir (Pass Numérique)",
                "account_type": "asset_current",
                "reconcile": False,
            },
            "pass_retained": {
                "code": "4510",
                "name": "Unused Pass Numérique passes kept",
                "name@fr": "Pass Numérique non utilisés conservés",
                "account_type": "income",
                "reconcile": False,
            },
            "pass_venue_payable": {
                "code": "2115",
                "name": "Payable - Pass Numérique venues",
                "name@fr": "Fournisseurs - lieux de médiation (Pass Numérique)",
                "account_type": "liability_payable",
                "reconcile": True,
            },
        }

    @template("fr", "account.account")
    def _get_fr_pass_settlement_account_account(self):
        """The French chart: see the module's docstring for the choice of
        each number."""
        return {
            "pass_liability": {
                "code": "4671",
                "name": "Other accounts - Pass Numérique funders' money",
                "name@fr": "Fonds des financeurs Pass Numérique",
            },
            "pass_to_invoice": {
                "code": "41811",
                "name": "Customers - Invoices to be made out (Pass Numérique)",
                "name@fr": "Clients - factures à établir (Pass Numérique)",
            },
            "pass_retained": {
                "code": "7589",
                "name": "Other income - unused Pass Numérique passes kept",
                "name@fr": "Produits divers - Pass Numérique non utilisés conservés",
                "tag_ids": "account.account_tag_operating",
            },
            "pass_venue_payable": {
                "code": "4018",
                "name": "Suppliers - Pass Numérique venues",
                "name@fr": "Fournisseurs - lieux de médiation (Pass Numérique)",
            },
        }

    @template(model="account.journal")
    def _get_pass_settlement_account_journal(self, template_code):
        return {
            "pass_sale_journal": {
                "name": "Pass Numérique sales",
                "name@fr": "Ventes Pass Numérique",
                "code": "PASS",
                "type": "sale",
            },
            "pass_venue_journal": {
                "name": "Venue reimbursements",
                "name@fr": "Remboursements lieux de médiation",
                "code": "RLMN",
                "type": "purchase",
            },
        }

    @template(model="account.tax")
    def _get_pass_settlement_account_tax(self, template_code):
        """The 0 % sale tax of multi-purpose vouchers: no tax amount, no tax
        report tag (the sale of a voucher is no taxable operation); it names
        the lines' VAT category (exempt) on electronic invoices."""
        return {
            "pass_voucher_tax": {
                "name": "0% multi-purpose vouchers (out of scope)",
                "name@fr": "TVA 0 % - bons à usages multiples (hors champ)",
                "description": "0% MPV",
                "description@fr": "0 % BUM",
                "invoice_label": "0% VAT (multi-purpose vouchers)",
                "invoice_label@fr": "TVA 0 % (bons à usages multiples)",
                "amount_type": "percent",
                "amount": 0.0,
                "type_tax_use": "sale",
                "tax_scope": "service",
                # EN 16931: outside the scope of VAT (category O, art. 30 ter
                # of the VAT directive, 257 ter CGI), not exempt (E).
                "ubl_cii_tax_category_code": "O",
                "ubl_cii_tax_exemption_reason_code": "VATEX_EU_O",
            },
        }

    @template("fr", "account.tax")
    def _get_fr_pass_settlement_account_tax(self):
        return {"pass_voucher_tax": {"tax_group_id": "tax_group_tva_0"}}

    @template(model="res.company")
    def _get_pass_settlement_res_company(self, template_code):
        return {self.env.company.id: dict(PASS_COMPANY_FIELDS)}

    def _get_chart_template_data(self, template_code):
        data = super()._get_chart_template_data(template_code)
        self._pass_avoid_code_clashes(data)
        return data

    def _pass_avoid_code_clashes(self, data):
        """Move a settlement account whose number the chart already uses to
        the next free number (another localisation's numbering), so that
        loading a chart never fails on "Account codes must be unique"."""
        accounts = data.get("account.account", {})
        digits = int(data.get("template_data", {}).get("code_digits", 6))

        def normalized(code):
            return f"{code:<0{digits}}"

        taken = {
            normalized(vals["code"])
            for xmlid, vals in accounts.items()
            if xmlid not in PASS_ACCOUNTS and vals.get("code")
        }
        for xmlid in PASS_ACCOUNTS:
            vals = accounts.get(xmlid)
            if not vals or not vals.get("code"):
                continue
            code = normalized(vals["code"])
            if code not in taken:
                taken.add(code)
                continue
            while code in taken and code.isdigit():
                code = str(int(code) + 1).zfill(len(code))
            vals["code"] = code
            taken.add(code)

    # ------------------------------------------------------------------ loading
    def _post_load_data(self, template_code, company, template_data):
        """After a chart is loaded (or reloaded, which leaves the company's
        fields alone) on a company or a branch: what the chart data does not
        cover, i.e. the fee product and the venue payment mode, and the
        settlement fields a reload left empty."""
        res = super()._post_load_data(template_code, company, template_data)
        (company or self.env.company)._pass_setup_settlement_defaults()
        return res

    def _pass_load_settlement_chart_data(self, company):
        """Give a company whose chart is already loaded the settlement's
        chart records and point its empty settlement fields at them
        (idempotent). A record that already exists without its xml id (same
        account code and type, same journal code, same tax name) gets the
        xml id instead of a duplicate; a company field already set is left
        alone. A branch only gets its fields, from its root's records."""
        if not company.chart_template:
            return
        ChartTemplate = self.with_company(company).with_context(
            default_company_id=company.id,
            lang="en_US",
            tracking_disable=True,
        )
        data = ChartTemplate._get_chart_template_data(company.chart_template)
        template_data = data.pop("template_data")
        if not company.parent_id:
            to_load = ChartTemplate._pass_missing_chart_records(
                company, data, int(template_data.get("code_digits", 6))
            )
            if to_load:
                ChartTemplate._load_data(to_load)
                ChartTemplate._load_translations(
                    companies=company, template_data=to_load
                )
                _logger.info(
                    "Pass settlement chart records created for %s: %s",
                    company.name,
                    ", ".join(
                        xmlid for records in to_load.values() for xmlid in records
                    ),
                )
        company_data = data.get("res.company", {}).get(company.id, {})
        vals = {}
        for fname in PASS_COMPANY_FIELDS:
            xmlid = company_data.get(fname)
            if company[fname] or not xmlid:
                continue
            record = ChartTemplate.ref(xmlid, raise_if_not_found=False)
            if record:
                vals[fname] = record.id
        if vals:
            company.write(vals)

    def _pass_missing_chart_records(self, company, data, code_digits):
        """{model: {xml id: values}} of the settlement's chart records the
        company lacks; those found under another name get their xml id."""
        to_load = {}
        field_of = {xmlid: fname for fname, xmlid in PASS_COMPANY_FIELDS.items()}
        for model, xmlids in PASS_CHART_RECORDS.items():
            for xmlid in xmlids:
                vals = data.get(model, {}).get(xmlid)
                if not vals or self.ref(xmlid, raise_if_not_found=False):
                    continue
                vals = dict(vals)
                if model == "account.account":
                    vals["code"] = f"{vals['code']:<0{code_digits}}"
                # The record the settlement made before it had chart data
                # (no xml id at all); a record of the chart itself (such as
                # 758100, penalties received) is not the settlement's own.
                existing = company[field_of[xmlid]]
                if not existing or existing.get_external_id().get(existing.id):
                    existing = self._pass_existing_chart_record(company, model, vals)
                if existing is None:
                    continue
                if existing:
                    self.env["ir.model.data"]._update_xmlids(
                        [
                            {
                                "xml_id": f"account.{company.id}_{xmlid}",
                                "record": existing,
                                "noupdate": True,
                            }
                        ]
                    )
                    continue
                to_load.setdefault(model, {})[xmlid] = vals
        return to_load

    def _pass_existing_chart_record(self, company, model, vals):
        """The company's record standing for a settlement chart record that
        has no xml id yet (empty recordset: none, to create), or None when
        the number is used by an account of another type (nothing created:
        the accountant picks the account in the settings)."""
        Model = self.env[model].with_context(active_test=False)
        domain = Model._check_company_domain(company)
        if model == "account.account":
            account = Model.search([*domain, ("code", "=", vals["code"])], limit=1)
            if account and account.account_type != vals["account_type"]:
                _logger.warning(
                    "Pass settlement: account %s of %s is not of type %s; "
                    "choose the account in the settings.",
                    vals["code"],
                    company.name,
                    vals["account_type"],
                )
                return None
            return account
        if model == "account.journal":
            return Model.search([*domain, ("code", "=", vals["code"])], limit=1)
        # account.tax: the same name, in English or in French (the settlement
        # created it with its French name before it was chart data).
        names = [vals["name"], vals.get("name@fr") or vals["name"]]
        return Model.search(
            [
                *domain,
                ("type_tax_use", "=", vals["type_tax_use"]),
                ("name", "in", names),
            ],
            limit=1,
        )
