# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from odoo import Command, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

# The settlement's records a branch shares with its root company, as Odoo
# shares the chart (accounts, taxes, journals) between a company and its
# branches.
SHARED_WITH_BRANCHES = (
    "pass_liability_account_id",
    "pass_to_invoice_account_id",
    "pass_retained_account_id",
    "pass_sale_journal_id",
    "pass_venue_journal_id",
    "pass_fee_product_id",
    "pass_voucher_tax_id",
)


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
    pass_to_invoice_account_id = fields.Many2one(
        "account.account",
        string="Passes to invoice account",
        check_company=True,
        help="Receivable account (4181, clients - factures à établir) debited per "
        "funder when a remittance settles passes of a book never invoiced to that "
        "funder; credited by the invoice of those passes to the funder.",
    )
    pass_venue_payment_mode_id = fields.Many2one(
        "account.payment.mode",
        string="Venue payment mode",
        check_company=True,
        domain=[("payment_type", "=", "outbound")],
        help="Payment mode of the clearing runs' payment orders (SEPA credit "
        "transfer to the venues' IBANs).",
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
    pass_voucher_tax_id = fields.Many2one(
        "account.tax",
        string="Pass sale tax",
        check_company=True,
        domain=[("type_tax_use", "=", "sale"), ("amount", "=", 0.0)],
        help="0 % sale tax of the face value of the books: multi-purpose "
        "vouchers are outside the scope of VAT, but electronic invoices "
        "(Factur-X) need every line to name its VAT category (exempt).",
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
                (
                    "pass_liability_account_id",
                    self.env._("le compte des fonds des financeurs"),
                ),
                ("pass_sale_journal_id", self.env._("le journal des ventes de pass")),
                (
                    "pass_venue_journal_id",
                    self.env._("le journal des remboursements des lieux"),
                ),
                ("pass_fee_product_id", self.env._("le produit des frais de gestion")),
                (
                    "pass_retained_account_id",
                    self.env._("le compte des pass non utilisés conservés"),
                ),
            )
            if not self[field]
        ]
        if missing:
            raise UserError(
                self.env._(
                    "Le règlement Pass Numérique n'est pas configuré pour "
                    "%(company)s : renseignez %(missing)s dans Paramètres > "
                    "Pass Numérique.",
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
            if company.parent_id:
                company._pass_setup_branch_defaults()
                continue
            Account = self.env["account.account"].with_company(company)
            vals = {}
            if not company.pass_liability_account_id:
                vals["pass_liability_account_id"] = company._pass_account(
                    "467100", "Fonds des financeurs Pass Numérique", "liability_current"
                ).id
            if not company.pass_to_invoice_account_id:
                vals["pass_to_invoice_account_id"] = company._pass_account(
                    "418100",
                    "Clients - factures à établir (Pass Numérique)",
                    "asset_current",
                ).id
            if not company.pass_retained_account_id:
                vals["pass_retained_account_id"] = company._pass_account(
                    "758100", "Pass Numérique non utilisés conservés", "income"
                ).id
            Journal = self.env["account.journal"]
            if not company.pass_sale_journal_id:
                vals["pass_sale_journal_id"] = (
                    Journal.search(
                        [("code", "=", "PASS"), ("company_id", "=", company.id)],
                        limit=1,
                    )
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
                    Journal.search(
                        [("code", "=", "RLMN"), ("company_id", "=", company.id)],
                        limit=1,
                    )
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
                    [("code", "=like", "706%"), ("company_ids", "in", company.id)],
                    limit=1,
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
            if not company.pass_voucher_tax_id:
                vals["pass_voucher_tax_id"] = company._pass_voucher_tax().id
            if not company.pass_venue_payment_mode_id:
                mode = company._pass_default_venue_payment_mode()
                if mode:
                    vals["pass_venue_payment_mode_id"] = mode.id
            if vals:
                company.write(vals)
                _logger.info("Pass settlement defaults set for %s", company.name)
            company._pass_link_payout_bank_account()

    def _pass_setup_branch_defaults(self):
        """A branch shares its root company's chart of accounts: it reuses the
        root's settlement accounts, journals, tax and fee product (created
        first if missing), never a second 467100. Only the payment mode is its
        own (a payment mode belongs to one company), on the root's bank
        journal."""
        self.ensure_one()
        root = self.root_id
        root._pass_setup_settlement_defaults()
        vals = {
            fname: root[fname].id
            for fname in SHARED_WITH_BRANCHES
            if not self[fname] and root[fname]
        }
        if not self.pass_venue_payment_mode_id:
            mode = self._pass_default_venue_payment_mode()
            if mode:
                vals["pass_venue_payment_mode_id"] = mode.id
        if vals:
            self.write(vals)
            _logger.info("Pass settlement defaults set for branch %s", self.name)

    def _pass_link_payout_bank_account(self):
        """The venues' transfers leave from the bank account of the payment
        mode's journal: a journal without one gets the company's bank
        account when the company has exactly one that no journal uses."""
        self.ensure_one()
        journal = self.pass_venue_payment_mode_id.fixed_journal_id
        if not journal or journal.bank_account_id:
            return
        Journal = self.env["account.journal"]
        banks = self.env["res.partner.bank"].search(
            [
                ("partner_id", "=", self.partner_id.id),
                ("company_id", "in", (False, self.id)),
            ]
        )
        banks = banks.filtered(
            lambda bank: bank.acc_type == "iban"
            and not Journal.search_count([("bank_account_id", "=", bank.id)], limit=1)
        )
        if len(banks) == 1:
            journal.bank_account_id = banks

    def _pass_voucher_tax(self):
        """The 0 % sale tax of multi-purpose vouchers (found or created): no
        tax amount, no tax report tag (the sale of a voucher is no taxable
        operation), in the chart's 0 % tax group."""
        self.ensure_one()
        name = "TVA 0 % - bons à usages multiples (hors champ)"
        Tax = self.env["account.tax"].with_company(self)
        tax = Tax.search(
            [
                ("company_id", "=", self.id),
                ("type_tax_use", "=", "sale"),
                ("name", "=", name),
            ],
            limit=1,
        )
        if tax:
            return tax
        vals = {
            "name": name,
            "description": "0 % BUM",
            "invoice_label": "TVA 0 % (bons à usages multiples)",
            "amount_type": "percent",
            "amount": 0.0,
            "type_tax_use": "sale",
            "tax_scope": "service",
            "company_id": self.id,
            "country_id": self.account_fiscal_country_id.id,
        }
        group = (
            self.env["account.chart.template"]
            .with_company(self)
            .ref("tax_group_tva_0", raise_if_not_found=False)
        )
        if group:
            vals["tax_group_id"] = group.id
        return Tax.create(vals)

    def _pass_default_venue_payment_mode(self):
        """SEPA credit-transfer payment mode on the company's first bank
        journal (the journal gets the SEPA method if it lacks it); empty when
        the company has no bank journal yet. An existing SEPA mode is reused
        only if it is fixed on a bank journal (the clearing needs the bank
        account the transfers leave from; OCA's demo mode, for one, lets each
        payment order choose its journal)."""
        self.ensure_one()
        method = self.env.ref(
            "account_banking_sepa_credit_transfer.sepa_credit_transfer",
            raise_if_not_found=False,
        )
        Journal = self.env["account.journal"]
        # A branch pays from its root company's bank journals.
        journal = Journal.search(
            [*Journal._check_company_domain(self), ("type", "=", "bank")],
            order="sequence, id",
            limit=1,
        )
        if not method or not journal:
            return self.env["account.payment.mode"]
        Mode = self.env["account.payment.mode"]
        mode = Mode.search(
            [
                ("company_id", "=", self.id),
                ("payment_method_id", "=", method.id),
                ("bank_account_link", "=", "fixed"),
                ("fixed_journal_id.type", "=", "bank"),
            ],
            limit=1,
        )
        if mode:
            return mode
        if method not in journal.outbound_payment_method_line_ids.payment_method_id:
            journal.write(
                {
                    "outbound_payment_method_line_ids": [
                        Command.create({"payment_method_id": method.id})
                    ]
                }
            )
        return Mode.create(
            {
                "name": "Virement SEPA aux lieux de médiation",
                "company_id": self.id,
                "payment_method_id": method.id,
                "bank_account_link": "fixed",
                "fixed_journal_id": journal.id,
                "default_date_prefered": "now",
                "group_lines": True,
            }
        )

    def _pass_account(self, code, name, account_type):
        self.ensure_one()
        Account = self.env["account.account"].with_company(self)
        account = Account.search(
            [("code", "=", code), ("company_ids", "in", self.id)], limit=1
        )
        return account or Account.create(
            {
                "code": code,
                "name": name,
                "account_type": account_type,
                "reconcile": False,
                "company_ids": [Command.set(self.ids)],
            }
        )
