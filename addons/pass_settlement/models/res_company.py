# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
import logging

from odoo import Command, fields, models
from odoo.exceptions import AccessError, UserError

from .account_chart_template import PASS_CHART_RECORDS, PASS_COMPANY_FIELDS

_logger = logging.getLogger(__name__)

# The settlement's records a branch shares with its root company, as Odoo
# shares the chart (accounts, taxes, journals) between a company and its
# branches.
SHARED_WITH_BRANCHES = (
    "pass_liability_account_id",
    "pass_to_invoice_account_id",
    "pass_retained_account_id",
    "pass_venue_payable_account_id",
    "pass_sale_journal_id",
    "pass_venue_journal_id",
    "pass_fee_product_id",
    "pass_voucher_tax_id",
)

# Upgrade: the chart accounts the settlement used before it had accounts of
# its own, {company field: (its own account's xml id, former code)}.
OLD_DEFAULT_ACCOUNTS = {
    "pass_retained_account_id": ("pass_retained", "758100"),
    "pass_to_invoice_account_id": ("pass_to_invoice", "418100"),
}


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
        "programme lets the cooperative keep (758900 in the French chart).",
    )
    pass_venue_payable_account_id = fields.Many2one(
        "account.account",
        string="Venues' payable account",
        check_company=True,
        domain=[("account_type", "=", "liability_payable")],
        help="Payable account credited per venue by the remittances with the "
        "face value of the passes it redeemed, and debited by the transfers "
        "(a 401 sub-account of its own, 401800 in the French chart, apart from "
        "the trade suppliers).",
    )
    pass_vat_on_debits = fields.Boolean(
        string="VAT on debits",
        help="The company opted for paying VAT on debits (art. 269-2-c CGI): "
        "the fee invoiced to funders carries the 20 % tax due on invoice. "
        "Unset (the default), the fee's VAT is due when the funder pays.",
    )

    def write(self, vals):
        if "pass_vat_on_debits" not in vals:
            return super().write(vals)
        # Saving the settings writes the option back unchanged: only a
        # change is an accountant's decision.
        changed = self.filtered(
            lambda c: c.pass_vat_on_debits != bool(vals["pass_vat_on_debits"])
        )
        if (
            changed
            and not self.env.su
            and not self.env.user.has_group("pass_settlement.group_pass_accountant")
        ):
            raise AccessError(
                self.env._("Only a Pass accountant may change the VAT on debits.")
            )
        res = super().write(vals)
        changed._pass_sync_fee_tax()
        return res

    def _compute_facturx_logo(self):  # pylint: disable=missing-return
        """OCA's account_invoice_facturx (a dependency of the Chorus Pro
        modules) computes this binary field as raw PNG bytes where Odoo
        expects base64: reading a company over RPC (odoorpc reads every
        field) then fails with a server error. Give it base64."""
        super()._compute_facturx_logo()
        for company in self:
            logo = company.facturx_logo
            if isinstance(logo, bytes) and logo.startswith(b"\x89PNG"):
                company.facturx_logo = base64.b64encode(logo)

    def _pass_check_settlement_config(self):
        """Raise a clear error naming what is missing."""
        self.ensure_one()
        missing = [
            label
            for field, label in (
                (
                    "pass_liability_account_id",
                    self.env._("the funders' money account"),
                ),
                ("pass_sale_journal_id", self.env._("the pass sales journal")),
                (
                    "pass_venue_journal_id",
                    self.env._("the venue reimbursements journal"),
                ),
                ("pass_fee_product_id", self.env._("the management fee product")),
                (
                    "pass_retained_account_id",
                    self.env._("the retained unused passes account"),
                ),
            )
            if not self[field]
        ]
        if missing:
            raise UserError(
                self.env._(
                    "Pass Numérique settlement is not configured for %(company)s: set "
                    "%(missing)s in Settings > Pass Numérique.",
                    company=self.name,
                    missing=", ".join(missing),
                )
            )

    def _pass_setup_settlement_defaults(self):
        """The settlement's defaults of the companies with a chart of accounts
        (idempotent): the chart records (accounts, journals, the 0 % voucher
        tax: chart-template data, see account_chart_template.py) where they
        are missing, then what is no chart data: the fee product and the
        venue payment mode. A company field already set is left alone; a
        branch reuses its root's records."""
        ChartTemplate = self.env["account.chart.template"]
        # Roots first: a branch takes its root's records.
        for company in self.sorted(lambda c: c.parent_path or ""):
            if not company.chart_template:
                continue
            company = company.with_company(company)
            if company.parent_id:
                company._pass_setup_branch_defaults()
                continue
            if company._pass_chart_data_missing():
                ChartTemplate._pass_load_settlement_chart_data(company)
            vals = {}
            if not company.pass_fee_product_id:
                vals["pass_fee_product_id"] = company._pass_create_fee_product().id
            if not company.pass_venue_payment_mode_id:
                mode = company._pass_default_venue_payment_mode()
                if mode:
                    vals["pass_venue_payment_mode_id"] = mode.id
            if vals:
                company.write(vals)
                _logger.info("Pass settlement defaults set for %s", company.name)
            company._pass_link_payout_bank_account()

    def _pass_chart_data_missing(self):
        """Whether a settlement field chart data sets is empty, or (on a
        root company) one of the settlement's chart records has no xml id."""
        self.ensure_one()
        if any(not self[fname] for fname in PASS_COMPANY_FIELDS):
            return True
        if self.parent_id:
            return False
        xmlids = [
            f"{self.id}_{xmlid}"
            for xmlids in PASS_CHART_RECORDS.values()
            for xmlid in xmlids
        ]
        # sudo: ir.model.data is readable by administrators only; this only
        # counts the settlement's own xml ids of the company.
        found = (
            self.env["ir.model.data"]
            .sudo()
            .search_count([("module", "=", "account"), ("name", "in", xmlids)])
        )
        return found < len(xmlids)

    def _pass_fee_tax(self, on_debits=None):
        """The fee is a service: its VAT is due when the funder pays (art.
        269-2-c CGI), the French chart's 20 % "on payment" sale tax; a
        company that opted for VAT on debits (``pass_vat_on_debits``, a
        branch follows its root) uses the chart's 20 % tax due on invoice.
        The company's default sale tax on other charts."""
        self.ensure_one()
        if on_debits is None:
            on_debits = self.root_id.pass_vat_on_debits
        xmlid = "tva_normale" if on_debits else "tva_normale_encaissement"
        tax = (
            self.env["account.chart.template"]
            .with_company(self)
            .ref(xmlid, raise_if_not_found=False)
        )
        return tax or self.account_sale_tax_id

    def _pass_sync_fee_tax(self):
        """The fee product's tax follows the VAT on debits option: the
        20 % tax of the other option is replaced on the fee product of each
        root company (the product the branches share); the taxes of other
        companies and any other tax set by hand are kept."""
        for company in self.filtered(lambda c: not c.parent_id):
            product = company.pass_fee_product_id
            if not product:
                continue
            new = company._pass_fee_tax()
            old = company._pass_fee_tax(on_debits=not company.pass_vat_on_debits)
            if not new or old == new or new in product.taxes_id:
                continue
            # sudo: the accountant's right to change the option was checked
            # in write(); the fee product may be beyond their product rights.
            product.sudo().taxes_id = (product.taxes_id - old) | new

    def _pass_create_fee_product(self):
        """The service invoiced to the funders for the cooperative's fee,
        with VAT on payments (``_pass_fee_tax``), on the first 706 account
        (services)."""
        self.ensure_one()
        Account = self.env["account.account"].with_company(self)
        income = Account.search(
            [("code", "=like", "706%"), ("company_ids", "in", self.id)], limit=1
        )
        return self.env["product.product"].create(
            {
                "name": "Frais de gestion Pass Numérique",
                "type": "service",
                "invoice_policy": "order",
                "list_price": 0.0,
                "company_id": self.id,
                "taxes_id": [Command.set(self._pass_fee_tax().ids)],
                "supplier_taxes_id": [Command.clear()],
                "property_account_income_id": income.id or False,
                "sale_ok": False,
                "purchase_ok": False,
            }
        )

    def _pass_setup_branch_defaults(self):
        """A branch shares its root company's chart of accounts: it reuses the
        root's settlement accounts, journals, tax and fee product (created
        first if missing), never a second 467100. Only the payment mode is its
        own (a payment mode belongs to one company), on the root's bank
        journal."""
        self.ensure_one()
        root = self.root_id
        root._pass_setup_settlement_defaults()
        if self._pass_chart_data_missing():
            self.env["account.chart.template"]._pass_load_settlement_chart_data(self)
        # Fields the root has without the chart's xml ids (a database older
        # than the chart data) and the fee product.
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

    def _pass_adopt_settlement_chart_accounts(self):
        """Upgrade of a database older than the settlement's chart data: the
        retained-value account was the chart's 758100 (*Dédits et pénalités
        perçus*, wrong) and the passes-to-invoice account its 418100 (shared
        with the other year-end accruals). A root company (and its branches)
        still on one of them moves to the settlement's own account (758900,
        418110) when no journal item uses the old one yet; otherwise it is
        left alone (the entries stay where they are; the accountant may
        switch in the settings) and a warning is logged."""
        ChartTemplate = self.env["account.chart.template"]
        # sudo: an upgrade step run by the server; it only counts items.
        Line = self.env["account.move.line"].sudo()
        for company in self.filtered(lambda c: c.chart_template and not c.parent_id):
            # Account codes are read in the company's own context.
            company = company.with_company(company)
            Template = ChartTemplate.with_company(company)
            for fname, (xmlid, old_code) in OLD_DEFAULT_ACCOUNTS.items():
                own = Template.ref(xmlid, raise_if_not_found=False)
                old = company[fname]
                if not own or not old or old == own or old.code != old_code:
                    continue
                if Line.search_count([("account_id", "=", old.id)], limit=1):
                    _logger.warning(
                        "Pass settlement: %s keeps account %s for %s (it has "
                        "journal items); the settlement's own account is %s.",
                        company.name,
                        old.code,
                        fname,
                        own.code,
                    )
                    continue
                companies = self.search(
                    [("id", "child_of", company.id), (fname, "=", old.id)]
                )
                companies.write({fname: own.id})
                _logger.info(
                    "Pass settlement: %s now uses account %s instead of %s for %s",
                    company.name,
                    own.code,
                    old.code,
                    fname,
                )

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
