# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import contextvars
import logging
from collections import defaultdict

import psycopg2
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_amount, format_date

from odoo.addons.pass_numerique.tools import period
from odoo.addons.pass_numerique.tools.guard import (
    guarded_write,
    guarded_write_allowed,
)

_logger = logging.getLogger(__name__)

# Payment lines of orders in these states are about to pay their item (not
# yet sent to the bank). Once an order is uploaded its payments are posted and
# reconciled: a payable of an uploaded order that is open again was returned
# (payment cancelled or its entry reversed) and is due again.
PAYMENT_LINE_IN_FLIGHT_STATES = ("draft", "open", "generated")
# First key of the transaction-level advisory lock of clearing runs (the
# second one is the company id).
CLEARING_LOCK_KEY = 74_670
# What a run did (its state, remittances, payments, report): written by the
# run alone, never by a plain write or create.
CLEARING_GUARDED_FIELDS = frozenset(
    {
        "name",
        "state",
        "remittance_ids",
        "payment_order_ids",
        "skipped_venue_ids",
        "line_ids",
        "summary",
        "last_error",
        "executed_at",
        "executed_by_id",
    }
)
# The period and company of a run that is done no longer change.
CLEARING_UNTIL_DONE_FIELDS = frozenset({"company_id", "period_start", "period_end"})
# Set by the run around OCA's create_payment_line_from_move_line: {journal
# item id: values} the run puts on the payment line of that item (the trusted
# IBAN, the communication). A context variable, not a context key: nothing
# sent over RPC sets it.
_PAYMENT_LINE_VALS = contextvars.ContextVar("pass_payment_line_vals", default=None)


class PassClearingRun(models.Model):
    """Monthly clearing: for the previous month (cut in the company's
    timezone), one validated remittance per venue with unsettled redeemed
    passes, dated on the period's last day, then one SEPA payment order
    paying the venues' open payables.

    Every venue's claim goes on the ledger, with or without a bank account:
    its remittance is validated (payable credited, dated in the period). Only
    the payment depends on the bank account: a venue without a trusted IBAN
    (``allow_out_payment``) is held back from the payment order, listed on
    the run with the reason, and paid by a later run once its IBAN is
    trusted. The payment order pays exactly the run's lines in state "paid":
    the payables of the run's remittances, the open payables of earlier
    remittances due again (held back before, or whose transfer was
    returned) and the funders' end-of-validity refunds still owed to them
    (same trusted-IBAN rule). A period overlapping a finished run of the
    company is refused.

    A run is all or nothing: its work happens inside one savepoint, so an
    error midway rolls every remittance, entry and payment line of the run
    back, and the run is marked failed with the error. Running it again
    starts from the ledger's state (unsettled passes, open venue payables),
    so it finishes the job without duplicates; a done run run again finds
    nothing left and changes nothing.
    """

    _name = "pass.clearing.run"
    _description = "Pass clearing run"
    _inherit = ["mail.thread", "pass.guarded.mixin"]
    _order = "period_end desc, id desc"
    _check_company_auto = True
    _pass_guarded_fields = CLEARING_GUARDED_FIELDS

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_start = fields.Date(
        required=True, default=lambda self: self._default_period()[0], tracking=True
    )
    period_end = fields.Date(
        required=True,
        default=lambda self: self._default_period()[1],
        tracking=True,
        help="Passes redeemed up to this day (in the company's timezone) are "
        "cleared; their remittances are dated on this day.",
    )
    state = fields.Selection(
        [("draft", "To run"), ("done", "Done"), ("failed", "Failed")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    remittance_ids = fields.One2many(
        "pass.remittance", "clearing_run_id", string="Remittances", readonly=True
    )
    remittance_count = fields.Integer(compute="_compute_totals")
    voucher_count = fields.Integer(compute="_compute_totals", string="Passes")
    amount_total = fields.Monetary(
        compute="_compute_totals",
        string="Posted",
        help="Total of the run's remittances (the venues' claims it posted).",
    )
    line_ids = fields.One2many(
        "pass.clearing.run.line",
        "run_id",
        string="Venue payables",
        readonly=True,
        copy=False,
    )
    held_line_ids = fields.One2many(
        "pass.clearing.run.line",
        "run_id",
        string="Payables held back",
        domain=[("state", "=", "held")],
        readonly=True,
    )
    amount_paid = fields.Monetary(
        compute="_compute_totals",
        string="Paid",
        help="Total put in the run's payment orders: venue payables and "
        "refunds to funders.",
    )
    amount_paid_again = fields.Monetary(
        compute="_compute_totals",
        string="Of which due again",
        help="Payables of earlier remittances paid by this run (held back "
        "before, or their transfer returned).",
    )
    amount_refund_paid = fields.Monetary(
        compute="_compute_totals",
        string="Of which refunds to funders",
        help="End-of-validity refunds paid back to funders by this run.",
    )
    amount_held = fields.Monetary(
        compute="_compute_totals",
        string="Held back",
        help="Payables and refunds left out of the payment order (no trusted IBAN).",
    )
    offset_move_ids = fields.One2many(
        "account.move",
        "pass_offset_run_id",
        string="Subscription offsets",
        readonly=True,
        help="Entries offsetting consenting venues' open subscription invoices "
        "against their payables before the transfers.",
    )
    amount_offset = fields.Monetary(
        compute="_compute_amount_offset",
        string="Offset (subscriptions)",
        help="Venues' subscription invoices deducted from their payouts by this run.",
    )
    payment_order_ids = fields.Many2many(
        "account.payment.order",
        "pass_clearing_run_payment_order_rel",
        "run_id",
        "order_id",
        string="Payment orders",
        readonly=True,
        copy=False,
    )
    payment_order_id = fields.Many2one(
        "account.payment.order",
        compute="_compute_payment_order_id",
        string="Payment order",
    )
    skipped_venue_ids = fields.Many2many(
        "res.partner",
        "pass_clearing_run_skipped_venue_rel",
        "run_id",
        "partner_id",
        string="Venues held back",
        readonly=True,
        copy=False,
    )
    summary = fields.Text(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    executed_at = fields.Datetime(string="Last run on", readonly=True, copy=False)
    executed_by_id = fields.Many2one("res.users", string="Last run by", readonly=True)

    _sql_constraints = [
        (
            "period_unique",
            "unique(company_id, period_end)",
            "A clearing run already exists for this period.",
        ),
        (
            "period_order",
            "check(period_start <= period_end)",
            "The period is reversed.",
        ),
    ]

    @api.model
    def _default_period(self, today=None):
        """The previous month (of today in the company's timezone): venues
        are paid monthly for the previous month's redemptions."""
        today = today or period.local_today(period.company_tz(self.env.company))
        return period.previous_month_bounds(today)

    @api.depends("period_start", "period_end")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "Clearing from %(start)s to %(end)s",
                start=run.period_start and run.period_start.strftime("%d/%m/%Y"),
                end=run.period_end and run.period_end.strftime("%d/%m/%Y"),
            )

    def _compute_totals(self):
        groups = {
            run.id: (count, vouchers, amount)
            for run, count, vouchers, amount in self.env["pass.remittance"]._read_group(
                [("clearing_run_id", "in", self.ids), ("state", "=", "validated")],
                ["clearing_run_id"],
                ["__count", "voucher_count:sum", "amount_total:sum"],
            )
        }
        lines = defaultdict(float)
        for run, role, state, origin, amount in self.env[
            "pass.clearing.run.line"
        ]._read_group(
            [("run_id", "in", self.ids)],
            ["run_id", "role", "state", "origin"],
            ["amount:sum"],
        ):
            lines[run.id, role, state, origin] = amount
        keys = [
            (role, origin)
            for role in ("venue", "funder")
            for origin in ("run", "earlier")
        ]
        for run in self:
            run.remittance_count, run.voucher_count, run.amount_total = groups.get(
                run.id, (0, 0, 0.0)
            )
            # Returned transfers were paid by this run's orders all the same.
            paid = {
                key: lines[run.id, key[0], "paid", key[1]]
                + lines[run.id, key[0], "returned", key[1]]
                for key in keys
            }
            run.amount_paid = sum(paid.values())
            run.amount_paid_again = paid["venue", "earlier"]
            run.amount_refund_paid = paid["funder", "run"] + paid["funder", "earlier"]
            run.amount_held = sum(
                lines[run.id, role, "held", origin] for role, origin in keys
            )

    @api.depends("offset_move_ids")
    def _compute_amount_offset(self):
        for run in self:
            run.amount_offset = sum(
                run.offset_move_ids.filtered(lambda m: m.state == "posted").mapped(
                    "amount_total"
                )
            )

    @api.depends("payment_order_ids")
    def _compute_payment_order_id(self):
        for run in self:
            run.payment_order_id = run.payment_order_ids.sorted("id")[-1:]

    @api.constrains("company_id", "period_start", "period_end")
    def _check_period_overlap(self):
        for run in self:
            other = run._overlapping_done_runs()[:1]
            if other:
                raise ValidationError(run._overlap_message(other))

    def _overlapping_done_runs(self):
        """Finished runs of the same company whose period overlaps this one."""
        self.ensure_one()
        if not (self.period_start and self.period_end):
            return self.browse()
        return self.search(
            [
                ("id", "!=", self.id or 0),
                ("company_id", "=", self.company_id.id),
                ("state", "=", "done"),
                ("period_start", "<=", self.period_end),
                ("period_end", ">=", self.period_start),
            ]
        )

    def _overlap_message(self, other):
        return self.env._(
            "The period from %(start)s to %(end)s overlaps that of the already "
            'executed clearing run "%(other)s": a period is cleared only once.',
            start=format_date(self.env, self.period_start),
            end=format_date(self.env, self.period_end),
            other=other.name,
        )

    @api.model_create_multi
    def create(self, vals_list):
        # A new run is to run: its state and results come from running it.
        vals_list = [dict(vals) for vals in vals_list]
        for vals in vals_list:
            if vals.get("state") == "draft":
                del vals["state"]
        return super().create(vals_list)

    def write(self, vals):
        if (
            not guarded_write_allowed(self.env)
            and CLEARING_UNTIL_DONE_FIELDS & set(vals)
            and any(run.state == "done" for run in self)
        ):
            raise UserError(
                self.env._(
                    "This clearing run has been executed: its period and company can "
                    "no longer be changed."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------ scheduling
    @api.model
    def _cron_clear_previous_month(self):
        """Monthly: clear the previous month of every configured company."""
        # sudo: the scheduler acts for the cooperative's accountants, for
        # every configured company; each run works on its own company only.
        Run = self.sudo()
        companies = Run.env["res.company"].search(
            [("pass_liability_account_id", "!=", False)]
        )
        runs = Run.browse()
        for company in companies:
            start, end = Run.with_company(company)._default_period()
            run = Run.search(
                [("company_id", "=", company.id), ("period_end", "=", end)]
            )
            if not run:
                overlap = Run.search_count(
                    [
                        ("company_id", "=", company.id),
                        ("state", "=", "done"),
                        ("period_start", "<=", end),
                        ("period_end", ">=", start),
                    ]
                )
                if overlap:
                    _logger.warning(
                        "Clearing of %s to %s for %s skipped: a finished run "
                        "overlaps the period.",
                        start,
                        end,
                        company.name,
                    )
                    continue
                run = Run.create(
                    {"company_id": company.id, "period_start": start, "period_end": end}
                )
            runs |= run
        for run in runs.filtered(lambda r: r.state != "done"):
            run.with_company(run.company_id)._execute()
        return True

    def action_run(self):
        """Button: run (or run again) the clearing."""
        self._execute()
        return True

    # ------------------------------------------------------------------ execution
    def _execute(self):
        """Run each clearing in a savepoint: all or nothing. A failure is
        recorded on the run (state failed, error) and the ledger is left as
        it was before the run."""
        self._check_clearing_rights()
        for run in self:
            run._lock()
            other = run._overlapping_done_runs()[:1]
            if other:
                raise UserError(run._overlap_message(other))
            try:
                with self.env.cr.savepoint():
                    summary = run._run()
            except psycopg2.OperationalError:
                # Concurrency (serialisation, lock): let the caller retry.
                raise
            except Exception as error:
                message = error.args[0] if isinstance(error, UserError) else repr(error)
                _logger.warning("Clearing run %s failed: %s", run.display_name, message)
                with guarded_write():
                    run.write(
                        {
                            "state": "failed",
                            "last_error": message,
                            "executed_at": fields.Datetime.now(),
                            "executed_by_id": self.env.uid,
                        }
                    )
                # _message_log: no e-mail address needed to record it.
                run._message_log(
                    body=self.env._(
                        "The clearing run started by %(user)s failed, nothing was "
                        "posted: %(error)s",
                        user=self.env.user.name,
                        error=message,
                    )
                )
                continue
            with guarded_write():
                run.write(
                    {
                        "state": "done",
                        "summary": summary,
                        "last_error": False,
                        "executed_at": fields.Datetime.now(),
                        "executed_by_id": self.env.uid,
                    }
                )
            run._message_log(
                body=Markup("<br/>").join(
                    [
                        self.env._(
                            "Clearing run executed by %(user)s.",
                            user=self.env.user.name,
                        ),
                        *summary.splitlines(),
                    ]
                )
            )
        return True

    def _check_clearing_rights(self):
        """Accountants with the payments group run the clearing (it posts
        entries and prepares the venues' transfers); the scheduler too."""
        if self.env.su:
            return
        user = self.env.user
        if not user.has_group("pass_settlement.group_pass_accountant"):
            raise AccessError(
                self.env._("Only an accountant can start a clearing run.")
            )
        if not user.has_group("account_payment_order.group_account_payment"):
            raise AccessError(
                self.env._(
                    'Preparing the transfers to venues requires the "Accounting / '
                    'Payments" group: ask an administrator for it.'
                )
            )
        self.check_access("write")

    def _lock(self):
        """One execution at a time per run (NOWAIT: a second click while the
        first runs is refused, not queued)."""
        self.ensure_one()
        self.flush_recordset()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM pass_clearing_run WHERE id = %(id)s "
                        "FOR UPDATE NOWAIT",
                        id=self.id,
                    )
                )
        except psycopg2.errors.LockNotAvailable as error:
            raise UserError(
                self.env._(
                    "Clearing run %(name)s is already running.",
                    name=self.name,
                )
            ) from error
        # One clearing at a time per company (two runs of different periods
        # would otherwise put the same payables in two payment orders).
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(%(key)s, %(company)s)",
                key=CLEARING_LOCK_KEY,
                company=self.company_id.id,
            )
        )
        if not self.env.cr.fetchone()[0]:
            raise UserError(
                self.env._(
                    "Another clearing run is in progress for %(company)s: try again "
                    "in a few minutes.",
                    company=self.company_id.name,
                )
            )

    def _run(self):
        """Clear the period then prepare the payment; returns the French
        summary of what the run posted, paid and held back."""
        self.ensure_one()
        company = self.company_id
        company._pass_check_settlement_config()
        mode = self._check_payout_config()
        # pass_hide_codes: the run's errors are stored on the run, read by
        # users who may not read the passes they would name.
        Remittance = self.env["pass.remittance"].with_context(
            tracking_disable=True,
            mail_create_nolog=True,
            mail_notrack=True,
            pass_hide_codes=True,
        )
        # Every venue with passes of the period, with or without a bank
        # account: its claim is posted now, only its payment may wait.
        venues = self._venues_to_clear()
        # Remittances of this run left unvalidated (created by hand in the run
        # or by an older version) are finished, never duplicated.
        pending = Remittance.search(
            [("clearing_run_id", "=", self.id), ("state", "in", ("draft", "submitted"))]
        )
        to_clear = venues - pending.venue_id
        with guarded_write():
            remittances = Remittance.create(
                [
                    {
                        "venue_id": venue.id,
                        "company_id": company.id,
                        "currency_id": company.currency_id.id,
                        "period_end": self.period_end,
                        # Dated on the period's last day (cut-off): the claim
                        # belongs to the month of the redemptions.
                        "date": self.period_end,
                        "clearing_run_id": self.id,
                    }
                    for venue in to_clear
                ]
            )
        drafts = remittances | pending.filtered(lambda r: r.state == "draft")
        drafts._fill_redeemed()
        # A venue whose passes were taken meanwhile leaves an empty remittance.
        with guarded_write():
            drafts.filtered(lambda r: not r.voucher_count).write({"state": "cancelled"})
        drafts = drafts.filtered("voucher_count")
        drafts.action_submit()
        (drafts | pending.filtered(lambda r: r.state == "submitted")).action_validate()
        self._prepare_payment_order(mode)
        return self._summary()

    def _check_payout_config(self):
        """The payment mode and the bank account the transfers leave from."""
        company = self.company_id
        mode = company.pass_venue_payment_mode_id
        if not mode:
            raise UserError(
                self.env._(
                    "No venue payment mode is configured for %(company)s: set it in "
                    "Settings > Pass Numérique.",
                    company=company.name,
                )
            )
        journal = mode.fixed_journal_id if mode.bank_account_link == "fixed" else False
        if not journal:
            raise UserError(
                self.env._(
                    "Payment mode %(mode)s must have a fixed bank journal for the "
                    "transfers to venues.",
                    mode=mode.name,
                )
            )
        if not journal.bank_account_id:
            raise UserError(
                self.env._(
                    "Bank journal %(journal)s has no bank account (IBAN) for the "
                    "transfers to leave from: set it.",
                    journal=journal.display_name,
                )
            )
        holder = journal.bank_account_id.partner_id
        if self._pass_needs_town(mode) and holder.country_id and not holder.city:
            raise UserError(
                self.env._(
                    "The address of %(holder)s, holder of the account the transfers "
                    "leave from, has no town: the SEPA pain.001.001.09 format "
                    "requires it. Fill it in.",
                    holder=holder.display_name,
                )
            )
        return mode

    @api.model
    def _pass_needs_town(self, mode):
        """SEPA pain.001.001.09 requires the town of every party with an
        address (OCA refuses the file otherwise)."""
        version = mode.payment_method_id.pain_version or ""
        return version.startswith("pain.001.001.09")

    def _venues_to_clear(self):
        """Venues with unsettled redeemed passes of the period (in no
        remittance)."""
        # sudo: the accountant running the clearing reads every venue's
        # redeemed passes as figures (one grouped query).
        rows = (
            self.env["pass.voucher"]
            .sudo()
            ._read_group(self._voucher_domain(), ["venue_id"], ["__count"])
        )
        return self.env["res.partner"].browse([venue.id for venue, _count in rows])

    def _voucher_domain(self):
        return [
            ("state", "=", "redeemed"),
            ("remittance_id", "=", False),
            ("company_id", "=", self.company_id.id),
            ("currency_id", "=", self.company_id.currency_id.id),
            ("venue_id", "!=", False),
            (
                "redeemed_at",
                "<",
                self.env["pass.remittance"]._period_bound(
                    self.period_end, self.company_id
                ),
            ),
        ]

    def _venue_banks(self, venues):
        """The bank account each venue (or funder owed a refund) is paid on,
        and why the others are held back: ({partner id: res.partner.bank},
        {partner id: reason}).

        Only an IBAN trusted for outgoing payments (``allow_out_payment``,
        set by a user of "Validate bank account" after checking it) is paid:
        a new or changed bank account is never paid before someone checked
        it (defence against a fraudulent IBAN change)."""
        banks = self.env["res.partner.bank"].search(
            [
                ("partner_id", "in", venues.commercial_partner_id.ids),
                ("company_id", "in", (False, self.company_id.id)),
            ],
            order="sequence, id",
        )
        by_partner = {}
        for bank in banks:
            by_partner.setdefault(bank.partner_id.id, []).append(bank)
        needs_town = self._pass_needs_town(self.company_id.pass_venue_payment_mode_id)
        paid_on, held = {}, {}
        for venue in venues:
            accounts = by_partner.get(venue.commercial_partner_id.id, [])
            ibans = [bank for bank in accounts if bank.acc_type == "iban"]
            trusted = [bank for bank in ibans if bank.allow_out_payment]
            if trusted and needs_town and venue.country_id and not venue.city:
                # The bank file would be refused as a whole: hold this one.
                held[venue.id] = "no_city"
            elif trusted:
                paid_on[venue.id] = trusted[0]
            elif ibans:
                held[venue.id] = "untrusted"
            elif accounts:
                held[venue.id] = "not_iban"
            else:
                held[venue.id] = "no_bank"
        return paid_on, held

    def _due_payables(self):
        """The venues' open payables to pay: the payable lines of the
        company's validated remittances, posted, with a credit left, in no
        payment order not yet sent to the bank. A payable of an uploaded
        order that is open again was returned: it is due again.

        Returns (journal items, {move id: remittance})."""
        remittances = self.env["pass.remittance"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("state", "=", "validated"),
                (
                    "move_id.line_ids",
                    "any",
                    [
                        ("account_type", "=", "liability_payable"),
                        ("reconciled", "=", False),
                        ("parent_state", "=", "posted"),
                    ],
                ),
            ]
        )
        lines = self._payable_items(remittances.move_id.line_ids, "liability_payable")
        return lines, {remittance.move_id.id: remittance for remittance in remittances}

    @api.model
    def _payable_items(self, lines, account_type):
        """The items of ``lines`` on ``account_type`` the run may pay: posted,
        not reconciled, a credit left (owed by the cooperative), in no payment
        order not yet sent to the bank."""
        return lines.filtered(
            lambda line: line.account_type == account_type
            and line.parent_state == "posted"
            and not line.reconciled
            and line.company_currency_id.compare_amounts(line.amount_residual, 0) < 0
            and not any(
                state in PAYMENT_LINE_IN_FLIGHT_STATES
                for state in line.payment_line_ids.mapped("state")
            )
        )

    def _due_refunds(self):
        """The funders' end-of-validity refunds to pay back: the receivable
        items of the company's posted end-of-validity credit notes (policy
        "refund") with an amount still owed to the funder (credit left, not
        offset against an invoice), in no payment order not yet sent to the
        bank. A refund of an uploaded order that is open again was returned:
        it is due again.

        The credit note is offset against the funder's invoices it reverses
        while they are open (``pass.reconciliation._reconcile_open_invoices``),
        never against its other invoices: a public funder's accountant pays
        each invoice as it was committed, and a set-off is theirs to decide.
        An accountant who letters a credit note with another invoice by hand
        (agreed with the funder) leaves nothing here to pay.

        Returns (journal items, {move id: reconciliation line})."""
        refund_lines = self.env["pass.reconciliation.line"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("reconciliation_id.state", "=", "done"),
                ("reconciliation_id.unused_policy", "=", "refund"),
                (
                    "move_id.line_ids",
                    "any",
                    [
                        ("account_type", "=", "asset_receivable"),
                        ("reconciled", "=", False),
                        ("parent_state", "=", "posted"),
                    ],
                ),
            ]
        )
        lines = self._payable_items(
            refund_lines.move_id.filtered(
                lambda move: move.move_type == "out_refund"
            ).line_ids,
            "asset_receivable",
        )
        return lines, {line.move_id.id: line for line in refund_lines}

    def _prepare_payment_order(self, mode):
        """Pay the due venue payables and funder refunds with a trusted IBAN
        in one payment order (its SEPA file generated), hold the others back;
        list both on the run (``line_ids``). Consenting venues' open
        subscription invoices are offset against their payables first, so
        the transfers are net."""
        self._offset_subscriptions()
        payables, remittance_by_move = self._due_payables()
        refunds, refund_by_move = self._due_refunds()
        lines = payables | refunds
        paid_on, held = self._venue_banks(lines.partner_id)
        to_pay = lines.filtered(lambda line: line.partner_id.id in paid_on)
        payment_lines = {}
        if to_pay:
            order = self.env["account.payment.order"].create(
                {
                    "payment_mode_id": mode.id,
                    "date_prefered": "now",
                    "description": self.name,
                }
            )
            # OCA's own API builds the lines (amount, currency, partner, and
            # whatever other addons add); the run puts the trusted IBAN and,
            # as communication, the remittance number or the credit note's.
            token = _PAYMENT_LINE_VALS.set(
                {
                    line.id: {
                        "partner_bank_id": paid_on[line.partner_id.id].id,
                        "communication": remittance_by_move[line.move_id.id].name
                        if line.move_id.id in remittance_by_move
                        else line.move_id.name,
                        "communication_type": "normal",
                    }
                    for line in to_pay
                }
            )
            try:
                created = to_pay.create_payment_line_from_move_line(order)
            finally:
                _PAYMENT_LINE_VALS.reset(token)
            payment_lines = {line.move_line_id.id: line for line in created}
            expected = sum(-line.amount_residual for line in to_pay)
            currency = self.company_id.currency_id
            wrong_bank = created.filtered(
                lambda line: line.partner_bank_id != paid_on.get(line.partner_id.id)
            )
            if wrong_bank or set(payment_lines) != set(to_pay.ids):
                raise UserError(
                    self.env._(
                        "Payment order %(order)s does not pay exactly the expected "
                        "payables on trusted bank accounts.",
                        order=order.name,
                    )
                )
            if currency.compare_amounts(order.total_company_currency, expected):
                raise UserError(
                    self.env._(
                        "Payment order %(order)s (%(total)s) does not match the venue "
                        "payables and funder refunds it must pay (%(expected)s).",
                        order=order.name,
                        total=format_amount(
                            self.env, order.total_company_currency, currency
                        ),
                        expected=format_amount(self.env, expected, currency),
                    )
                )
            order.draft2open()
            order.open2generated()
            with guarded_write():
                self.payment_order_ids = [fields.Command.link(order.id)]
        self._record_lines(
            lines,
            {**remittance_by_move, **refund_by_move},
            paid_on,
            held,
            payment_lines,
        )

    def _offset_subscriptions(self):
        """Offset the open subscription invoices of the venues that agreed
        (``pass_subscription_offset``) against their due payables: per venue
        one posted entry in the venue reimbursements journal, on the
        venue, debiting its payable and crediting its receivable by the
        smaller of the two (never more than the payout: the rest of the
        invoice stays open for a later run), each side lettered with the
        items it settles. The payables left are what the transfers pay.
        Items already offset or in a payment order are no longer due: a run
        run again offsets nothing more."""
        company = self.company_id
        payables, _remittance_by_move = self._due_payables()
        payables = payables.filtered(
            lambda line: line.partner_id.commercial_partner_id.pass_subscription_offset
        )
        if not payables:
            return self.env["account.move"]
        by_venue = payables.grouped(lambda line: line.partner_id.commercial_partner_id)
        receivables = self.env["pass.venue.subscription"]._open_receivables(
            self.env["res.partner"].union(*by_venue), company
        )
        receivables_by_venue = receivables.grouped(
            lambda line: line.partner_id.commercial_partner_id
        )
        currency = company.currency_id
        today = fields.Date.context_today(self.with_company(company))
        plans, vals_list = [], []
        for venue, venue_payables in by_venue.items():
            venue_receivables = receivables_by_venue.get(venue)
            if not venue_receivables:
                continue
            amount = currency.round(
                min(
                    -sum(venue_payables.mapped("amount_residual")),
                    sum(venue_receivables.mapped("amount_residual")),
                )
            )
            if currency.compare_amounts(amount, 0) <= 0:
                continue
            # The oldest items first, as much of each as the amount covers.
            targets, lines = [], []
            for items, sign in ((venue_payables, -1), (venue_receivables, 1)):
                left = amount
                for item in items.sorted(lambda line: (line.date, line.id)):
                    if currency.compare_amounts(left, 0) <= 0:
                        break
                    part = min(left, sign * item.amount_residual)
                    left = currency.round(left - part)
                    targets.append(item)
                    lines.append(
                        Command.create(
                            {
                                "name": self.env._(
                                    "Subscription offset: %(document)s",
                                    document=item.move_id.name,
                                ),
                                "account_id": item.account_id.id,
                                "partner_id": venue.id,
                                # The payable is debited, the receivable credited.
                                "debit": part if sign < 0 else 0.0,
                                "credit": part if sign > 0 else 0.0,
                            }
                        )
                    )
            plans.append(targets)
            vals_list.append(
                {
                    "move_type": "entry",
                    "journal_id": company.pass_venue_journal_id.id,
                    "company_id": company.id,
                    "date": today,
                    "ref": self.env._(
                        "%(run)s - subscription offset - %(venue)s",
                        run=self.name,
                        venue=venue.name,
                    ),
                    "pass_offset_run_id": self.id,
                    "line_ids": lines,
                }
            )
        if not vals_list:
            return self.env["account.move"]
        moves = self.env["account.move"].create(vals_list)
        moves.action_post()
        # Each offset line lettered with the item it settles (lines were
        # created in the order of their targets). Through ``reconcile()``,
        # not Odoo's batch ``_reconcile_plan``, so that the checks other
        # addons put on reconcile() apply; a handful of pairs a month.
        for move, targets in zip(moves, plans, strict=True):
            for line, target in zip(move.line_ids.sorted("id"), targets, strict=True):
                (line | target).reconcile()
        return moves

    def _record_lines(self, lines, origin_by_move, paid_on, held, payment_lines):
        """List on the run every due payable or refund it paid or held back;
        the lines of earlier runs for the same items point to this run.

        ``origin_by_move``: {move id: pass.remittance (venue payable) or
        pass.reconciliation.line (funder refund)}."""
        Line = self.env["pass.clearing.run.line"]
        existing = {line.move_line_id.id: line for line in self.line_ids}
        # Earlier runs' lines of these items (any state).
        earlier_lines = Line.search(
            [("move_line_id", "in", lines.ids), ("run_id", "!=", self.id)]
        )
        listed_before = set(earlier_lines.move_line_id.ids)
        vals_list = []
        with guarded_write():
            for line in lines:
                origin = origin_by_move[line.move_id.id]
                partner_id = line.partner_id.id
                vals = {
                    "amount": -line.amount_residual,
                    "state": "paid" if partner_id in paid_on else "held",
                    "reason": held.get(partner_id, False),
                    "partner_bank_id": paid_on[partner_id].id
                    if partner_id in paid_on
                    else False,
                    "payment_line_id": payment_lines[line.id].id
                    if line.id in payment_lines
                    else False,
                }
                if line.id in existing:
                    existing[line.id].write(vals)
                    continue
                if origin._name == "pass.remittance":
                    vals.update(
                        role="venue",
                        remittance_id=origin.id,
                        origin="run" if origin.clearing_run_id == self else "earlier",
                    )
                else:
                    vals.update(
                        role="funder",
                        reconciliation_id=origin.reconciliation_id.id,
                        origin="earlier" if line.id in listed_before else "run",
                    )
                vals_list.append(
                    {
                        **vals,
                        "run_id": self.id,
                        "venue_id": partner_id,
                        "move_line_id": line.id,
                    }
                )
            Line.create(vals_list)
            # Earlier runs' lines of these items now point to this run: held
            # there, carried here; paid there yet due again, returned.
            earlier = earlier_lines.filtered(
                lambda line: line.state in ("held", "paid", "returned")
            )
            earlier.filtered(lambda line: line.state == "held").write(
                {"state": "carried", "later_run_id": self.id}
            )
            earlier.filtered(lambda line: line.state != "carried").write(
                {"state": "returned", "later_run_id": self.id}
            )
            self.skipped_venue_ids = self.line_ids.filtered(
                lambda line: line.state == "held" and line.role == "venue"
            ).venue_id

    def _summary(self):
        """What the run posted, paid and held back (French, one fact per
        line), from its remittances, lines and payment orders."""
        self.ensure_one()
        self.invalidate_recordset(
            [
                "amount_total",
                "amount_paid",
                "amount_paid_again",
                "amount_refund_paid",
                "amount_held",
            ]
        )
        currency = self.company_id.currency_id

        def money(amount):
            return format_amount(self.env, amount, currency)

        remittances = self.remittance_ids.filtered(lambda r: r.state == "validated")
        parts = [
            self.env._(
                "Venue payables posted: %(count)s remittance(s), %(passes)s passes, "
                "%(amount)s, as of %(date)s (end of period).",
                count=len(remittances),
                passes=sum(remittances.mapped("voucher_count")),
                amount=money(self.amount_total),
                date=format_date(self.env, self.period_end),
            )
        ]
        shifted = remittances.move_id.filtered(lambda m: m.date != self.period_end)
        if shifted:
            parts.append(
                self.env._(
                    "Closed period (lock date): %(count)s entry(ies) posted on the "
                    "first open date, %(date)s, instead of %(end)s.",
                    count=len(shifted),
                    date=format_date(self.env, min(shifted.mapped("date"))),
                    end=format_date(self.env, self.period_end),
                )
            )
        venue_lines = self.line_ids.filtered(lambda line: line.role == "venue")
        refund_lines = self.line_ids - venue_lines
        offsets = self.offset_move_ids.filtered(lambda m: m.state == "posted")
        if offsets:
            parts.append(
                self.env._(
                    "Subscriptions offset against payouts: %(amount)s for "
                    "%(venues)s venue(s) (entries %(moves)s).",
                    amount=money(sum(offsets.mapped("amount_total"))),
                    venues=len(offsets.line_ids.partner_id),
                    moves=", ".join(offsets.mapped("name")),
                )
            )
        paid = venue_lines.filtered(lambda line: line.state in ("paid", "returned"))
        if paid:
            parts.append(
                self.env._(
                    "Paid by %(orders)s: %(amount)s to %(venues)s venue(s), of which "
                    "%(again)s of earlier payables due again.",
                    orders=", ".join(self.payment_order_ids.mapped("name")),
                    amount=money(sum(paid.mapped("amount"))),
                    venues=len(paid.venue_id),
                    again=money(self.amount_paid_again),
                )
            )
        refunded = refund_lines.filtered(
            lambda line: line.state in ("paid", "returned")
        )
        if refunded:
            parts.append(
                self.env._(
                    "End-of-validity refunds paid by %(orders)s: %(amount)s to "
                    "%(funders)s funder(s) (credit notes %(credit_notes)s).",
                    orders=", ".join(self.payment_order_ids.mapped("name")),
                    amount=money(self.amount_refund_paid),
                    funders=len(refunded.venue_id),
                    credit_notes=", ".join(refunded.move_id.mapped("name")),
                )
            )
        reasons = dict(
            self.env["pass.clearing.run.line"]
            ._fields["reason"]
            ._description_selection(self.env)
        )

        def held_list(held):
            return ", ".join(
                f"{partner.name} ({reasons[held_lines[0].reason]})"
                for partner, held_lines in sorted(
                    held.grouped("venue_id").items(),
                    key=lambda item: item[0].name,
                )
            )

        held = venue_lines.filtered(lambda line: line.state == "held")
        if held:
            parts.append(
                self.env._(
                    "Held back, not paid (%(amount)s): %(venues)s. Their payable is "
                    "posted; they will be paid by the next clearing run once their "
                    'IBAN is verified ("trusted" bank account).',
                    amount=money(sum(held.mapped("amount"))),
                    venues=held_list(held),
                )
            )
        held = refund_lines.filtered(lambda line: line.state == "held")
        if held:
            parts.append(
                self.env._(
                    "Refunds held back, not paid (%(amount)s): %(funders)s. They will "
                    "be paid by the next clearing run once the funder's IBAN is "
                    'verified ("trusted" bank account).',
                    amount=money(sum(held.mapped("amount"))),
                    funders=held_list(held),
                )
            )
        return "\n".join(parts)


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _prepare_payment_line_vals(self, payment_order):
        """OCA's payment line values, with what a clearing run decided for
        this item (the trusted IBAN, the communication) while it creates its
        payment lines through ``create_payment_line_from_move_line``."""
        vals = super()._prepare_payment_line_vals(payment_order)
        overrides = _PAYMENT_LINE_VALS.get()
        if overrides and self.id in overrides:
            vals.update(overrides[self.id])
        return vals
