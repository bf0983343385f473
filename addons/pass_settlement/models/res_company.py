# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import Command, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class ResCompany(models.Model):
    _inherit = "res.company"

    pass_liability_account_id = fields.Many2one(
        "account.account",
        string="Funders' money account",
        check_company=True,
        help="Liability account holding the funders' money between the sale of a "
        "pass and the venue's reimbursement (a 467 sub-account). Its balance per "
        "funder is what the cooperative still holds for that funder.",
    )
    pass_sale_journal_id = fields.Many2one(
        "account.journal",
        string="Pass sales journal",
        check_company=True,
        domain=[("type", "=", "sale")],
    )
    pass_venue_journal_id = fields.Many2one(
        "account.journal",
        string="Venue reimbursements journal",
        check_company=True,
        domain=[("type", "=", "purchase")],
    )
    pass_fee_product_id = fields.Many2one(
        "product.product",
        string="Fee product",
        check_company=True,
        help="Service invoiced to funders for the cooperative's fee, with VAT.",
    )
    pass_retained_account_id = fields.Many2one(
        "account.account",
        string="Retained unused value account",
        check_company=True,
        help="Revenue account crediting the face value of expired passes that the "
        "programme lets the cooperative keep.",
    )

    def _pass_check_settlement_config(self):
        """Raise a clear error naming what is missing."""
        self.ensure_one()
        missing = [
            label
            for field, label in (
                ("pass_liability_account_id", self.env._("funders' money account")),
                ("pass_sale_journal_id", self.env._("pass sales journal")),
                ("pass_venue_journal_id", self.env._("venue reimbursements journal")),
                ("pass_fee_product_id", self.env._("fee product")),
                ("pass_retained_account_id", self.env._("retained unused value account")),
            )
            if not self[field]
        ]
        if missing:
            raise UserError(
                self.env._(
                    "Pass Numérique settlement is not configured for %(company)s: "
                    "set the %(missing)s in Settings > Pass Numérique.",
                    company=self.name,
                    missing=", ".join(missing),
                )
            )

    def _pass_setup_settlement_defaults(self):
        """Create the default accounts, journals and fee product of the settlement
        for companies with a chart of accounts (idempotent)."""
        for company in self:
            if not company.chart_template:
                continue
            company = company.with_company(company)
            Account = self.env["account.account"].with_company(company)
            vals = {}
            if not company.pass_liability_account_id:
                vals["pass_liability_account_id"] = company._pass_account(
                    "467100", "Fonds des financeurs Pass Numérique", "liability_current"
                ).id
            if not company.pass_retained_account_id:
                vals["pass_retained_account_id"] = company._pass_account(
                    "758100", "Pass Numérique non utilisés conservés", "income"
                ).id
            Journal = self.env["account.journal"]
            if not company.pass_sale_journal_id:
                vals["pass_sale_journal_id"] = (
                    Journal.search([("code", "=", "PASS"), ("company_id", "=", company.id)], limit=1)
                    or Journal.create(
                        {
                            "name": "Ventes Pass Numérique",
                            "code": "PASS",
                            "type": "sale",
                            "company_id": company.id,
                        }
                    )
                ).id
            if not company.pass_venue_journal_id:
                vals["pass_venue_journal_id"] = (
                    Journal.search([("code", "=", "RLMN"), ("company_id", "=", company.id)], limit=1)
                    or Journal.create(
                        {
                            "name": "Remboursements lieux de médiation",
                            "code": "RLMN",
                            "type": "purchase",
                            "company_id": company.id,
                        }
                    )
                ).id
            if not company.pass_fee_product_id:
                income = Account.search(
                    [("code", "=like", "706%"), ("company_ids", "in", company.id)], limit=1
                )
                vals["pass_fee_product_id"] = (
                    self.env["product.product"]
                    .create(
                        {
                            "name": "Frais de gestion Pass Numérique",
                            "type": "service",
                            "invoice_policy": "order",
                            "list_price": 0.0,
                            "company_id": company.id,
                            "taxes_id": [Command.set(company.account_sale_tax_id.ids)],
                            "supplier_taxes_id": [Command.clear()],
                            "property_account_income_id": income.id or False,
                            "sale_ok": False,
                            "purchase_ok": False,
                        }
                    )
                    .id
                )
            if vals:
                company.write(vals)
                _logger.info("Pass settlement defaults set for %s", company.name)

    def _pass_account(self, code, name, account_type):
        self.ensure_one()
        Account = self.env["account.account"].with_company(self)
        account = Account.search([("code", "=", code), ("company_ids", "in", self.id)], limit=1)
        return account or Account.create(
            {
                "code": code,
                "name": name,
                "account_type": account_type,
                "reconcile": False,
                "company_ids": [Command.set(self.ids)],
            }
        )
