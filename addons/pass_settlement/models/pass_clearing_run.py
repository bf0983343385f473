# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.pass_numerique.tools.guard import (
    guarded_write,
    guarded_write_allowed,
)

_logger = logging.getLogger(__name__)

# Payment lines in these states already pay (or are about to pay) their item.
PAYMENT_LINE_ACTIVE_STATES = ("draft", "open", "generated", "uploaded")
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
        "last_error",
        "executed_at",
        "executed_by_id",
    }
)
# The period and company of a run that is done no longer change.
CLEARING_UNTIL_DONE_FIELDS = frozenset({"company_id", "period_start", "period_end"})


class PassClearingRun(models.Model):
    """Monthly clearing: for the previous month, one validated remittance per
    venue with unsettled redeemed passes, then one SEPA payment order paying
    every validated remittance not yet paid.

    A run is all or nothing: its work happens inside one savepoint, so an
    error midway rolls every remittance, entry and payment line of the run
    back, and the run is marked failed with the error. Running it again
    starts from the ledger's state (unsettled passes, unpaid remittance
    payables), so it finishes the job without duplicates; a done run run
    again finds nothing left and changes nothing.

    A venue without IBAN gets nothing posted: its passes stay redeemed and
    unsettled and the run names it; the other venues are cleared and paid
    (one missing IBAN must not hold back every venue's monthly payment).
    Once its IBAN is entered, running again clears it.
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
        help="Passes redeemed up to this day are cleared.",
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
    amount_total = fields.Monetary(compute="_compute_totals")
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
        string="Venues without IBAN",
        readonly=True,
        copy=False,
    )
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
        """The previous month: venues are paid monthly for the previous
        month's redemptions."""
        today = today or fields.Date.context_today(self)
        first = today.replace(day=1)
        return first - relativedelta(months=1), first - relativedelta(days=1)

    @api.depends("period_start", "period_end")
    def _compute_name(self):
        for run in self:
            run.name = self.env._(
                "Compensation du %(start)s au %(end)s",
                start=run.period_start and run.period_start.strftime("%d/%m/%Y"),
                end=run.period_end and run.period_end.strftime("%d/%m/%Y"),
            )

    def _compute_totals(self):
        groups = {
            run.id: (count, vouchers, amount)
            for run, count, vouchers, amount in self.env["pass.remittance"]._read_group(
                [("clearing_run_id", "in", self.ids)],
                ["clearing_run_id"],
                ["__count", "voucher_count:sum", "amount_total:sum"],
            )
        }
        for run in self:
            run.remittance_count, run.voucher_count, run.amount_total = groups.get(
                run.id, (0, 0, 0.0)
            )

    @api.depends("payment_order_ids")
    def _compute_payment_order_id(self):
        for run in self:
            run.payment_order_id = run.payment_order_ids.sorted("id")[-1:]

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
                    "Cette compensation a été exécutée : sa période et sa société "
                    "ne se modifient plus."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------------ scheduling
    @api.model
    def _cron_clear_previous_month(self):
        """Monthly: clear the previous month of every configured company."""
        start, end = self._default_period()
        # sudo: the scheduler acts for the cooperative's accountants, for
        # every configured company; each run works on its own company only.
        Run = self.sudo()
        companies = Run.env["res.company"].search(
            [("pass_liability_account_id", "!=", False)]
        )
        runs = Run.search(
            [("company_id", "in", companies.ids), ("period_end", "=", end)]
        )
        missing = companies - runs.company_id
        runs |= Run.create(
            [
                {"company_id": company.id, "period_start": start, "period_end": end}
                for company in missing
            ]
        )
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
            try:
                with self.env.cr.savepoint():
                    report = run._run()
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
                run.message_post(
                    body=self.env._(
                        "La compensation a échoué, rien n'a été comptabilisé : "
                        "%(error)s",
                        error=message,
                    )
                )
                continue
            with guarded_write():
                run.write(
                    {
                        "state": "done",
                        "last_error": report or False,
                        "executed_at": fields.Datetime.now(),
                        "executed_by_id": self.env.uid,
                    }
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
                self.env._("Seul un comptable peut lancer une compensation.")
            )
        if not user.has_group("account_payment_order.group_account_payment"):
            raise AccessError(
                self.env._(
                    "Préparer les virements aux lieux demande le groupe "
                    "« Comptabilité / Paiements » : demandez-le à un administrateur."
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
                    "La compensation %(name)s est déjà en cours d'exécution.",
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
                    "Une autre compensation est en cours pour %(company)s : "
                    "réessayez dans quelques minutes.",
                    company=self.company_id.name,
                )
            )

    def _run(self):
        """Clear the period then prepare the payment; returns the French
        report of what was left aside (or an empty string)."""
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
        venues, banks = self._venues_to_clear()
        without_iban = venues.filtered(lambda v: v.id not in banks)
        to_clear = venues - without_iban
        # Remittances of this run left unvalidated (created by hand in the run
        # or by an older version) are finished, never duplicated.
        pending = Remittance.search(
            [("clearing_run_id", "=", self.id), ("state", "in", ("draft", "submitted"))]
        )
        to_clear -= pending.venue_id
        with guarded_write():
            remittances = Remittance.create(
                [
                    {
                        "venue_id": venue.id,
                        "company_id": company.id,
                        "currency_id": company.currency_id.id,
                        "period_end": self.period_end,
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
        unpaid_skipped = self._prepare_payment_order(mode)
        skipped = without_iban | unpaid_skipped
        with guarded_write():
            self.skipped_venue_ids = skipped
        if not skipped:
            return ""
        return self.env._(
            "Lieux sans IBAN, rien n'a été comptabilisé ni payé pour eux : %(venues)s. "
            "Renseignez leur compte bancaire puis relancez la compensation.",
            venues=", ".join(skipped.sorted("name").mapped("name")),
        )

    def _check_payout_config(self):
        """The payment mode and the bank account the transfers leave from."""
        company = self.company_id
        mode = company.pass_venue_payment_mode_id
        if not mode:
            raise UserError(
                self.env._(
                    "Aucun mode de paiement des lieux n'est configuré pour "
                    "%(company)s : renseignez-le dans Paramètres > Pass Numérique.",
                    company=company.name,
                )
            )
        journal = mode.fixed_journal_id if mode.bank_account_link == "fixed" else False
        if not journal:
            raise UserError(
                self.env._(
                    "Le mode de paiement %(mode)s doit avoir un journal de banque fixe "
                    "pour les virements aux lieux.",
                    mode=mode.name,
                )
            )
        if not journal.bank_account_id:
            raise UserError(
                self.env._(
                    "Le journal de banque %(journal)s n'a pas de compte bancaire "
                    "(IBAN) d'où partent les virements : renseignez-le.",
                    journal=journal.display_name,
                )
            )
        return mode

    def _venues_to_clear(self):
        """Venues with unsettled redeemed passes of the period (in no
        remittance), and their IBAN {venue id: res.partner.bank}."""
        # sudo: the accountant running the clearing reads every venue's
        # redeemed passes as figures (one grouped query).
        rows = (
            self.env["pass.voucher"]
            .sudo()
            ._read_group(self._voucher_domain(), ["venue_id"], ["__count"])
        )
        venues = self.env["res.partner"].browse([venue.id for venue, _count in rows])
        return venues, self._venue_banks(venues)

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
                self.env["pass.remittance"]._period_bound(self.period_end),
            ),
        ]

    def _venue_banks(self, venues):
        """The IBAN each venue is paid on: its (commercial partner's) first
        IBAN account, those trusted for outgoing payments first."""
        banks = self.env["res.partner.bank"].search(
            [
                ("partner_id", "in", venues.commercial_partner_id.ids),
                ("company_id", "in", (False, self.company_id.id)),
            ],
            order="allow_out_payment desc, sequence, id",
        )
        by_partner = {}
        for bank in banks.filtered(lambda b: b.acc_type == "iban"):
            by_partner.setdefault(bank.partner_id.id, bank)
        return {
            venue.id: by_partner[venue.commercial_partner_id.id]
            for venue in venues
            if venue.commercial_partner_id.id in by_partner
        }

    def _prepare_payment_order(self, mode):
        """One payment order paying every validated remittance of the company
        whose payable is not yet paid nor in a payment order, with its SEPA
        file generated. Returns the venues left aside for want of an IBAN."""
        company = self.company_id
        remittances = self.env["pass.remittance"].search(
            [
                ("company_id", "=", company.id),
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
        lines = remittances.move_id.line_ids.filtered(
            lambda line: line.account_type == "liability_payable"
            and not line.reconciled
            and line.company_currency_id.compare_amounts(line.amount_residual, 0) < 0
            and not any(
                state in PAYMENT_LINE_ACTIVE_STATES
                for state in line.payment_line_ids.mapped("state")
            )
        )
        if not lines:
            return self.env["res.partner"]
        banks = self._venue_banks(lines.partner_id)
        skipped = lines.partner_id.filtered(lambda p: p.id not in banks)
        lines = lines.filtered(lambda line: line.partner_id.id in banks)
        if not lines:
            return skipped
        name_by_move = {r.move_id.id: r.name for r in remittances}
        order = self.env["account.payment.order"].create(
            {
                "payment_mode_id": mode.id,
                "date_prefered": "now",
                "description": self.name,
            }
        )
        self.env["account.payment.line"].create(
            [
                {
                    "order_id": order.id,
                    "partner_id": line.partner_id.id,
                    "partner_bank_id": banks[line.partner_id.id].id,
                    "move_line_id": line.id,
                    "communication": name_by_move[line.move_id.id],
                    "communication_type": "normal",
                    "currency_id": line.company_currency_id.id,
                    "amount_currency": -line.amount_residual,
                }
                for line in lines
            ]
        )
        order.draft2open()
        order.open2generated()
        with guarded_write():
            self.payment_order_ids = [fields.Command.link(order.id)]
        return skipped
