# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The venues' yearly subscription (APTIC charged 77 € excl. VAT a year, no
per-pass commission).

One record per venue, year and company, made with its posted customer
invoice (sales journal, the venue as customer) by the daily scheduled action
or a manager's button, never by hand: running it twice, or twice at once,
invoices a venue once a year (unique venue + year + company, one advisory
lock per company). A venue that agreed (``pass_subscription_offset``) has
its open subscription invoices offset against its next payout by the
clearing run (``pass.clearing.run._offset_subscriptions``).
"""

import logging
from datetime import date

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.pass_numerique.tools import period
from odoo.addons.pass_numerique.tools.guard import guarded_write

_logger = logging.getLogger(__name__)

# First key of the transaction-level advisory lock of the subscription
# invoicing (the second one is the company id).
SUBSCRIPTION_LOCK_KEY = 74_671
# Who may invoice the subscriptions by hand (the scheduler always may).
INVOICING_GROUPS = (
    "pass_numerique.pass_numerique_group_manager",
    "pass_settlement.group_pass_accountant",
)


class PassVenueSubscription(models.Model):
    _name = "pass.venue.subscription"
    _description = "Pass venue subscription"
    _inherit = ["pass.guarded.mixin"]
    _order = "year desc, venue_id, id"
    _check_company_auto = True
    # Made with its invoice by the invoicing run only.
    _pass_guarded_fields = frozenset(
        {"venue_id", "company_id", "year", "amount", "invoice_id"}
    )

    name = fields.Char(compute="_compute_name", store=True)
    venue_id = fields.Many2one(
        "res.partner",
        string="Venue",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    year = fields.Integer(required=True, readonly=True)
    amount = fields.Monetary(
        string="Amount (excl. VAT)", readonly=True, currency_field="currency_id"
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Invoice",
        readonly=True,
        index="btree_not_null",
        check_company=True,
        copy=False,
    )
    amount_total = fields.Monetary(
        related="invoice_id.amount_total", string="Invoiced (incl. VAT)"
    )
    amount_due = fields.Monetary(
        related="invoice_id.amount_residual", string="Still due"
    )
    amount_offset = fields.Monetary(
        compute="_compute_amount_offset",
        string="Offset against payouts",
        help="Part of the invoice deducted from the venue's payouts.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("invoiced", "Invoiced"),
            ("paid", "Paid"),
            ("offset", "Offset"),
            ("cancelled", "Cancelled"),
        ],
        compute="_compute_state",
        store=True,
        index=True,
    )

    _sql_constraints = [
        (
            "venue_year_unique",
            "unique(venue_id, year, company_id)",
            "A venue has one subscription per year and company.",
        ),
    ]

    @api.depends("venue_id.name", "year")
    def _compute_name(self):
        for subscription in self:
            subscription.name = self.env._(
                "Subscription %(year)s - %(venue)s",
                year=subscription.year,
                venue=subscription.venue_id.name,
            )

    def _offset_amounts(self):
        """{subscription id: amount of its invoice offset against payouts}
        (matched with the clearing runs' offset entries)."""
        result = dict.fromkeys(self.ids, 0.0)
        by_invoice = {sub.invoice_id.id: sub.id for sub in self if sub.invoice_id}
        if not by_invoice:
            return result
        receivables = self.invoice_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )
        for partial in receivables.matched_credit_ids:
            if partial.credit_move_id.move_id.pass_offset_run_id:
                invoice = partial.debit_move_id.move_id
                result[by_invoice[invoice.id]] += partial.amount
        return result

    def _compute_amount_offset(self):
        amounts = self._offset_amounts()
        for subscription in self:
            subscription.amount_offset = amounts.get(subscription.id, 0.0)

    @api.depends(
        "invoice_id.state", "invoice_id.amount_residual", "invoice_id.payment_state"
    )
    def _compute_state(self):
        amounts = self._offset_amounts()
        for subscription in self:
            invoice = subscription.invoice_id
            currency = subscription.currency_id or self.env.company.currency_id
            if not invoice or invoice.state == "draft":
                subscription.state = "draft"
            elif invoice.state == "cancel" or invoice.payment_state == "reversed":
                subscription.state = "cancelled"
            elif not currency.is_zero(invoice.amount_residual):
                subscription.state = "invoiced"
            elif (
                currency.compare_amounts(
                    amounts.get(subscription.id, 0.0), invoice.amount_total
                )
                >= 0
            ):
                subscription.state = "offset"
            else:
                subscription.state = "paid"

    # ------------------------------------------------------------------ actions
    @api.model
    def _check_invoicing_rights(self):
        if self.env.su or any(self.env.user.has_group(g) for g in INVOICING_GROUPS):
            return
        raise AccessError(
            self.env._(
                "Only a Pass Numérique manager or accountant can invoice the "
                "venues' subscriptions."
            )
        )

    @api.model
    def action_invoice_current_year(self):
        """Button: invoice this year's subscriptions of the current company's
        venues that have none yet."""
        self._check_invoicing_rights()
        company = self.env.company
        year = period.local_today(period.company_tz(company)).year
        # sudo: invoicing the venues creates customer invoices, which a Pass
        # manager may not write; the caller's rights were checked above and
        # the run works on the current company only.
        created = self.sudo().with_company(company)._invoice_year(year, company)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if created else "info",
                "message": self.env._(
                    "%(count)s subscription invoice(s) created for %(year)s.",
                    count=len(created),
                    year=year,
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_invoice_current_year(self):
        """Daily: invoice the current year's subscriptions of every
        configured company."""
        # sudo: the scheduler invoices the venues for the cooperative, for
        # every configured company; each pass works on its own company only.
        Subscription = self.sudo()
        companies = Subscription.env["res.company"].search(
            [("pass_liability_account_id", "!=", False)]
        )
        for company in companies:
            year = period.local_today(period.company_tz(company)).year
            try:
                Subscription.with_company(company)._invoice_year(year, company)
            except UserError as error:
                # Another runner is invoicing this company (it does the job),
                # or the company lacks its product or sales journal.
                _logger.warning(
                    "Venue subscriptions of %s not invoiced: %s",
                    company.name,
                    error.args[0],
                )
        return True

    # ------------------------------------------------------------------ invoicing
    @api.model
    def _venues_to_invoice(self, year, company):
        """Qualified venues (organisations) with an active subscription begun
        by the end of ``year``, shared or of ``company``, with no
        subscription for that year and company."""
        venues = self.env["res.partner"].search(
            [
                ("is_pass_venue", "=", True),
                ("pass_venue_state", "=", "qualified"),
                ("pass_subscription_active", "=", True),
                ("company_id", "in", (False, company.id)),
                "|",
                ("pass_subscription_start", "=", False),
                ("pass_subscription_start", "<=", date(year, 12, 31)),
            ]
        )
        venues = venues.filtered(lambda venue: venue.commercial_partner_id == venue)
        existing = self.search(
            [
                ("company_id", "=", company.id),
                ("year", "=", year),
                ("venue_id", "in", venues.ids),
            ]
        )
        return venues - existing.venue_id

    @api.model
    def _sale_journal(self, company):
        """The company's sales journal (not the pass sales journal of the
        funders' invoices, unless it is the only one)."""
        Journal = self.env["account.journal"]
        return (
            Journal.search(
                [
                    *Journal._check_company_domain(company),
                    ("type", "=", "sale"),
                    ("id", "!=", company.pass_sale_journal_id.id),
                ],
                order="sequence, id",
                limit=1,
            )
            or company.pass_sale_journal_id
        )

    @api.model
    def _invoice_year(self, year, company):
        """Create and post the subscription invoices of ``year`` for the
        company's venues that have none; returns the new subscriptions.
        Callers checked the user's rights."""
        # One invoicing at a time per company: a second one at the same time
        # is refused (the first invoices every venue). One that starts after
        # the first committed finds its subscriptions; if its snapshot
        # predates them, the unique constraint rolls it back.
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(%(key)s, %(company)s)",
                key=SUBSCRIPTION_LOCK_KEY,
                company=company.id,
            )
        )
        if not self.env.cr.fetchone()[0]:
            raise UserError(
                self.env._(
                    "The venue subscriptions of %(company)s are being invoiced "
                    "right now: try again in a few minutes.",
                    company=company.name,
                )
            )
        venues = self._venues_to_invoice(year, company)
        if not venues:
            return self.browse()
        product = company._pass_subscription_product()
        journal = self._sale_journal(company)
        if not (product and journal):
            raise UserError(
                self.env._(
                    "The venue subscription of %(company)s needs a subscription "
                    "product and a sales journal: set them in Settings > Pass "
                    "Numérique.",
                    company=company.name,
                )
            )
        taxes = (
            product.taxes_id._filter_taxes_by_company(company)
            or company.account_sale_tax_id
        )
        amount = company.pass_subscription_amount
        # A service: the product's income account, else the first 706
        # (services) of the chart, as for the funders' fee.
        Account = self.env["account.account"].with_company(company)
        income = product.with_company(company).property_account_income_id
        income = income or Account.search(
            [("code", "=like", "706%"), ("company_ids", "in", company.id)], limit=1
        )
        today = fields.Date.context_today(self.with_company(company))
        label = self.env._(
            "%(product)s %(year)s (1 January to 31 December %(year)s)",
            product=product.name,
            year=year,
        )
        invoices = (
            self.env["account.move"]
            .with_company(company)
            .create(
                [
                    {
                        "move_type": "out_invoice",
                        "company_id": company.id,
                        "journal_id": journal.id,
                        "partner_id": venue.id,
                        "invoice_date": today,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "product_id": product.id,
                                    "name": label,
                                    "quantity": 1.0,
                                    "price_unit": amount,
                                    "tax_ids": [Command.set(taxes.ids)],
                                    **({"account_id": income.id} if income else {}),
                                }
                            )
                        ],
                    }
                    for venue in venues
                ]
            )
        )
        invoices.action_post()
        with guarded_write():
            # The company is the environment's (``with_company``), the default.
            subscriptions = self.with_company(company).create(
                [
                    {
                        "venue_id": invoice.partner_id.id,
                        "year": year,
                        "amount": amount,
                        "invoice_id": invoice.id,
                    }
                    for invoice in invoices
                ]
            )
        _logger.info(
            "Venue subscriptions %s of %s: %s invoice(s) posted.",
            year,
            company.name,
            len(invoices),
        )
        return subscriptions

    @api.model
    def _open_receivables(self, venues, company):
        """The open receivable items of the venues' posted subscription
        invoices of ``company``, oldest first."""
        subscriptions = self.search(
            [
                ("company_id", "=", company.id),
                ("venue_id", "in", venues.ids),
                ("state", "=", "invoiced"),
            ]
        )
        return subscriptions.invoice_id.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
            and line.parent_state == "posted"
            and not line.reconciled
            and line.company_currency_id.compare_amounts(line.amount_residual, 0) > 0
        ).sorted(lambda line: (line.date, line.id))
