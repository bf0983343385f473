# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date

from odoo.addons.pass_numerique.models.pass_voucher import MAX_ID
from odoo.addons.pass_numerique.tools.filename import file_slug
from odoo.addons.pass_numerique.tools.guard import (
    guarded_write,
    guarded_write_allowed,
)
from odoo.addons.pass_numerique.tools.period import company_tz, period_end_utc

from .account_move import remittance_action
from .pass_voucher import code_for_caller

# Fields of a remittance that only its workflow methods change (plain write
# and create refuse them, except the few a new draft is created with).
REMITTANCE_GUARDED_FIELDS = frozenset(
    {
        "name",
        "state",
        "venue_id",
        "company_id",
        "currency_id",
        "voucher_ids",
        "voucher_count",
        "amount_total",
        "submitted_at",
        "validated_at",
        "validated_by_id",
        "move_id",
        "clearing_run_id",
        "reversal_move_id",
        "cancelled_at",
        "cancelled_by_id",
    }
)
# A draft remittance is created for a venue, in a company and currency.
REMITTANCE_CREATE_OK = frozenset({"venue_id", "company_id", "currency_id"})
# Unguarded fields a plain write may change only in these states.
REMITTANCE_STATE_BOUND_FIELDS = {
    "period_end": ("draft",),
    "date": ("draft", "submitted"),
    # Kept as written once the remittance is cancelled.
    "cancel_reason": ("draft", "submitted", "validated"),
}


class PassRemittance(models.Model):
    """A venue's remittance slip (bordereau de remboursement): the redeemed passes it
    sends for reimbursement. Validation posts one entry: the funders' money
    account is debited per funder, the venue's payable credited."""

    _name = "pass.remittance"
    _description = "Pass remittance (bordereau)"
    _inherit = ["mail.thread", "portal.mixin", "pass.guarded.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _pass_guarded_fields = REMITTANCE_GUARDED_FIELDS
    _pass_guarded_create_ok = REMITTANCE_CREATE_OK

    name = fields.Char(readonly=True, copy=False, default="/", required=True)
    venue_id = fields.Many2one(
        "res.partner",
        string="Venue",
        required=True,
        index=True,
        domain=[("is_pass_venue", "=", True)],
        tracking=True,
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    voucher_ids = fields.One2many("pass.voucher", "remittance_id", string="Passes")
    voucher_count = fields.Integer(
        compute="_compute_amount", string="Number of passes", store=True
    )
    amount_total = fields.Monetary(compute="_compute_amount", store=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("submitted", "Submitted"),
            ("validated", "Validated"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
        copy=False,
    )
    date = fields.Date(
        default=fields.Date.context_today,
        required=True,
        tracking=True,
        help="Date of the journal entry: the validation posts the entry on this "
        "date; if a lock date forbids it, Odoo posts it on the first open day "
        "and the remittance takes that date.",
    )
    period_end = fields.Date(
        string="Redeemed until",
        help="Passes redeemed up to this date are included (clearing runs).",
    )
    submitted_at = fields.Datetime(readonly=True, copy=False)
    validated_at = fields.Datetime(readonly=True, copy=False)
    validated_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    move_id = fields.Many2one(
        "account.move",
        string="Journal entry",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
    )
    reversal_move_id = fields.Many2one(
        "account.move",
        string="Reversal entry",
        readonly=True,
        copy=False,
        index="btree_not_null",
        tracking=True,
        help="The entry that reversed this remittance's entry when it was cancelled.",
    )
    cancel_reason = fields.Text(
        string="Reason for cancellation",
        copy=False,
        help="Why the remittance is cancelled (kept with it and in its history).",
    )
    cancelled_at = fields.Datetime(readonly=True, copy=False)
    cancelled_by_id = fields.Many2one(
        "res.users", string="Cancelled by", readonly=True, copy=False
    )
    clearing_run_id = fields.Many2one(
        "pass.clearing.run",
        string="Clearing run",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="restrict",
        check_company=True,
    )
    payable_line_id = fields.Many2one(
        "account.move.line", compute="_compute_payable_line", string="Venue payable"
    )
    payment_state = fields.Selection(
        [("not_paid", "Not paid"), ("paid", "Paid")],
        compute="_compute_payable_line",
        string="Payment",
    )

    @api.depends("voucher_ids.amount")
    def _compute_amount(self):
        # sudo: totals of the remittances' own passes (one query for all).
        groups = {
            remittance.id: (count, amount)
            for remittance, count, amount in self.env["pass.voucher"]
            .sudo()
            ._read_group(
                [("remittance_id", "in", self.ids)],
                ["remittance_id"],
                ["__count", "amount:sum"],
            )
        }
        for remittance in self:
            count, amount = groups.get(remittance.id, (0, 0.0))
            remittance.voucher_count = count
            remittance.amount_total = amount

    @api.depends(
        "move_id.line_ids.reconciled",
        "move_id.line_ids.account_id",
        "move_id.line_ids.matched_debit_ids",
        "move_id.line_ids.matched_credit_ids",
    )
    def _compute_payable_line(self):
        """Paid means the venue's payable is matched with a payment (a bank
        transfer, a statement line, or an offsetting entry), never with the
        reversal of the remittance's own entry."""
        for remittance in self:
            # sudo: a venue's portal user sees whether its remittance is paid;
            # it has no access to journal items themselves.
            move = remittance.sudo().move_id
            line = move.line_ids.filtered(
                lambda line: line.account_id.account_type == "liability_payable"
            )[:1]
            remittance.payable_line_id = line
            remittance.payment_state = (
                "paid"
                if line and line.reconciled and not line._pass_matched_reversal()
                else "not_paid"
            )

    @api.model_create_multi
    def create(self, vals_list):
        """A new remittance is a draft numbered by the sequence: its state,
        number, passes and entry come from the workflow, not from the caller."""
        vals_list = [dict(vals) for vals in vals_list]
        guarded = not guarded_write_allowed(self.env)
        if guarded:
            # Rights first: a refused caller learns nothing about the fields.
            self.browse().check_access("create")
        for vals in vals_list:
            if vals.get("state") == "draft":
                del vals["state"]
            if vals.get("name") in ("/", False, None, ""):
                vals.pop("name", None)
            if guarded:
                # Empty values are the defaults of every other guarded field.
                self._pass_check_guarded(
                    {
                        fname
                        for fname, value in vals.items()
                        if value and fname not in self._pass_guarded_create_ok
                    }
                )
            if "name" not in vals:
                # sudo: venues' portal users create remittances without reading
                # the sequence.
                vals["name"] = (
                    self.env["ir.sequence"].sudo().next_by_code("pass.remittance")
                )
        # The guarded fields were checked just above; the number is ours.
        with guarded_write():
            return super().create(vals_list)

    def write(self, vals):
        if not guarded_write_allowed(self.env):
            for fname, states in REMITTANCE_STATE_BOUND_FIELDS.items():
                if fname in vals:
                    self.filtered(lambda r, s=states: r.state not in s)._check_state(
                        states[0]
                    )
        return super().write(vals)

    def _compute_access_url(self):
        res = super()._compute_access_url()
        for remittance in self:
            remittance.access_url = f"/my/pass/remittances/{remittance.id}"
        return res

    def _get_report_base_filename(self):
        """File name of the slip (portal and back office), saying which venue
        and which remittance: ``bordereau-<venue>-<number>``."""
        self.ensure_one()
        return "bordereau-%s-%s" % (
            file_slug(self.venue_id.commercial_partner_id.name),
            re.sub(r"[^A-Za-z0-9]+", "-", self.name or "").strip("-") or self.id,
        )

    # ------------------------------------------------------------------ filling
    @api.model
    def _period_bound(self, period_end, company=None):
        """Passes redeemed before this instant (naive UTC, as redemption
        timestamps are stored) belong to a period ending on ``period_end``:
        the local midnight after that day in the company's timezone
        (``pass_numerique/tools/period.py``). The company: ``company``, else
        this remittance's, else the current one."""
        if company is None:
            company = self.company_id if len(self) == 1 else self.env.company
        return period_end_utc(fields.Date.to_date(period_end), company_tz(company))

    def _redeemed_domain(self):
        self.ensure_one()
        domain = [
            ("venue_id", "=", self.venue_id.id),
            ("state", "=", "redeemed"),
            ("remittance_id", "=", False),
            ("company_id", "=", self.company_id.id),
            ("currency_id", "=", self.currency_id.id),
        ]
        if self.period_end:
            domain.append(("redeemed_at", "<", self._period_bound(self.period_end)))
        return domain

    def action_add_redeemed(self):
        """Put in these draft remittances every redeemed pass of their venue
        that is in no other remittance (up to their period end, if any)."""
        self._fill_redeemed()
        return True

    def _fill_redeemed(self):
        """Put each draft remittance's redeemed passes on it: restricted to
        its venue, company and currency (and period end). One query finds
        the passes of all the remittances (clearing runs fill thousands), the
        passes are written through the core's write method (one ORM write per
        remittance, flushed together)."""
        if not self:
            return
        self._check_remittance_rights()
        self._check_state("draft")
        Voucher = self.env["pass.voucher"]
        Voucher.flush_model()
        self.flush_recordset()
        # Each remittance's period ends at the local midnight after its last
        # day in its company's timezone (computed here, passed as a column).
        bounds = [
            self._period_bound(r.period_end, r.company_id) if r.period_end else None
            for r in self
        ]
        # Read, then written by the ORM: a concurrent fill of the same passes
        # waits on the first one's rows, then fails to serialize (repeatable
        # read) and is retried, as with the single UPDATE this replaces.
        self.env.cr.execute(
            SQL(
                """
                SELECT v.id, r.id
                  FROM pass_voucher v
                  JOIN pass_remittance r
                    ON v.venue_id = r.venue_id
                   AND v.company_id = r.company_id
                   AND v.currency_id = r.currency_id
                  JOIN unnest(%(ids)s::int[], %(bounds)s::timestamp[]) AS b(id, bound)
                    ON b.id = r.id
                 WHERE r.state = 'draft'
                   AND v.state = 'redeemed'
                   AND v.remittance_id IS NULL
                   AND (b.bound IS NULL OR v.redeemed_at < b.bound)
                 ORDER BY v.id, r.id
                """,
                ids=self.ids,
                bounds=bounds,
            )
        )
        # A pass two of these remittances could take goes on the oldest.
        owner = {}
        for voucher_id, remittance_id in self.env.cr.fetchall():
            owner.setdefault(voucher_id, remittance_id)
        by_remittance = {}
        for voucher_id, remittance_id in owner.items():
            by_remittance.setdefault(remittance_id, []).append(voucher_id)
        # sudo: the caller may write these draft remittances (checked above,
        # with their company rules) and the passes are the redeemed ones of
        # each remittance's venue in that remittance's company, chosen by the
        # query above; the caller's active companies must not leave some out.
        Voucher = Voucher.sudo()
        Voucher._pass_write_guarded(
            (Voucher.browse(voucher_ids), {"remittance_id": remittance_id})
            for remittance_id, voucher_ids in by_remittance.items()
        )
        Voucher.flush_model(["remittance_id"])

    def add_vouchers(self, voucher_ids):
        """Add the given passes (ids) to this draft remittance, after checking each.

        In this order, so that no refusal names a pass the caller may not
        read: write access to the remittance; every pass readable by the
        caller (an id that is no pass, or a pass the caller may not read, gets
        one and the same refusal, without any code); every pass redeemed by
        the remittance's venue (refused without naming any pass); only then
        the checks that name the first wrong pass."""
        self.ensure_one()
        self._check_remittance_rights()
        self._check_state("draft")
        ids = self._pass_clean_ids(voucher_ids)
        Voucher = self.env["pass.voucher"]
        refusal = AccessError(
            self.env._(
                "These passes do not exist or you have no access to them: they cannot "
                "be added to remittance %(name)s.",
                name=self.name,
            )
        )
        if ids is None:
            raise refusal
        if not ids:
            return True
        try:
            # As the caller: the record rules keep the passes it may not read out.
            readable = Voucher.search([("id", "in", ids)])
        except AccessError:
            raise refusal from None
        if len(readable) != len(ids):
            raise refusal
        foreign = readable.filtered(lambda v: v.venue_id != self.venue_id)
        if foreign:
            raise UserError(
                self.env._(
                    "Only passes redeemed by %(venue)s can be on its remittance: "
                    "%(count)s of the given passes were not.",
                    venue=self.venue_id.name,
                    count=len(foreign),
                )
            )
        self._check_passes([("id", "in", readable.ids)])
        # sudo: accountants without the Pass group may not write passes; the
        # caller may write this remittance and read these passes, all redeemed
        # by its venue and checked just above.
        with guarded_write():
            readable.sudo().write({"remittance_id": self.id})
        return True

    @api.model
    def _pass_clean_ids(self, voucher_ids):
        """The distinct record ids in ``voucher_ids`` (a list of integers),
        or None if it is anything else (text, floats, ids out of range)."""
        if isinstance(voucher_ids, int) and not isinstance(voucher_ids, bool):
            voucher_ids = [voucher_ids]
        if not isinstance(voucher_ids, list | tuple):
            return None
        ids = []
        for voucher_id in voucher_ids:
            if (
                isinstance(voucher_id, bool)
                or not isinstance(voucher_id, int)
                or not 0 < voucher_id <= MAX_ID
            ):
                return None
            ids.append(voucher_id)
        return list(dict.fromkeys(ids))

    def _check_remittance_rights(self):
        """Pass staff and accountants work on remittances, within their record
        rules; a venue's portal user only reads its own (the portal's
        controller sends its passes, under sudo, after checking the venue)."""
        if self.env.su:
            return
        user = self.env.user
        if not (
            user.has_group("pass_numerique.pass_numerique_group_user")
            or user.has_group("pass_settlement.group_pass_accountant")
        ):
            raise AccessError(
                self.env._(
                    "Only Pass Numérique staff and accountants can change remittances."
                )
            )
        self.check_access("write")

    def _check_state(self, state):
        labels = dict(self._fields["state"]._description_selection(self.env))
        for remittance in self:
            if remittance.state != state:
                raise UserError(
                    self.env._(
                        'Remittance %(name)s is in state "%(state)s": this action '
                        "is not possible now.",
                        name=remittance.name,
                        state=labels[remittance.state],
                    )
                )

    def _pass_problem(self, venue, state, company, currency, other_remittance):
        """Why passes with these values cannot be in this remittance (French
        sentence), or False."""
        self.ensure_one()
        if state == "settled":
            return self.env._("it is already settled")
        if state != "redeemed":
            return self.env._("it is not redeemed")
        if venue != self.venue_id:
            return self.env._(
                "it was not redeemed by %(venue)s", venue=self.venue_id.name
            )
        if other_remittance and other_remittance != self:
            return self.env._(
                "it is already on remittance %(name)s", name=other_remittance.name
            )
        if company != self.company_id:
            return self.env._(
                "it belongs to another company (%(company)s)", company=company.name
            )
        if currency != self.currency_id:
            return self.env._(
                "it is in another currency (%(currency)s)", currency=currency.name
            )
        return False

    def _check_passes(self, domain):
        """Check, with one grouped query, every pass matching the domain
        against its remittance (the pass's own one when it is in one of self,
        else self): redeemed by the remittance's venue, in its company and
        currency, in no other remittance. Raise a French error naming the
        first wrong pass and what is wrong with it.

        The code of that pass is quoted only to a caller who may read it.

        Returns {remittance id: [(program, count, amount)]}."""
        # sudo: the passes of the remittances being checked, read as figures.
        Voucher = self.env["pass.voucher"].sudo()
        groupby = [
            "remittance_id",
            "program_id",
            "venue_id",
            "state",
            "company_id",
            "currency_id",
        ]
        rows = Voucher._read_group(domain, groupby, ["__count", "amount:sum"])
        result = defaultdict(list)
        for (
            remittance_,
            program,
            venue,
            state,
            company,
            currency,
            count,
            amount,
        ) in rows:
            remittance = (
                self.browse(remittance_.id) if remittance_.id in self.ids else self
            )
            remittance.ensure_one()
            problem = remittance._pass_problem(
                venue, state, company, currency, remittance_
            )
            if not problem and currency.compare_amounts(
                amount, program.face_value * count
            ):
                problem = self.env._(
                    "its value differs from the face value of programme %(program)s",
                    program=program.display_name,
                )
            if problem:
                example = Voucher.search(
                    [
                        *domain,
                        *[
                            (
                                fname,
                                "=",
                                value.id
                                if isinstance(value, models.BaseModel)
                                else value,
                            )
                            for fname, value in zip(
                                groupby,
                                (remittance_, program, venue, state, company, currency),
                                strict=True,
                            )
                        ],
                    ],
                    limit=1,
                )
                code = code_for_caller(self.env, example)
                if not code:
                    raise UserError(
                        self.env._(
                            "A pass cannot be submitted by %(venue)s: %(problem)s.",
                            venue=remittance.venue_id.name,
                            problem=problem,
                        )
                    )
                raise UserError(
                    self.env._(
                        "Pass %(code)s cannot be submitted by %(venue)s: %(problem)s.",
                        code=code,
                        venue=remittance.venue_id.name,
                        problem=problem,
                    )
                )
            result[remittance.id].append((program, count, amount))
        return result

    # ------------------------------------------------------------------ workflow
    def _check_passes_not_empty(self):
        """Check the passes of these remittances (``_check_passes``) and
        refuse a remittance without any; returns their groups."""
        groups = self._check_passes([("remittance_id", "in", self.ids)])
        for remittance in self:
            if not groups.get(remittance.id):
                raise UserError(
                    self.env._(
                        "Remittance %(name)s contains no pass to submit.",
                        name=remittance.name,
                    )
                )
        return groups

    def action_submit(self):
        self._check_remittance_rights()
        self._check_state("draft")
        self._check_passes_not_empty()
        with guarded_write():
            self.write({"state": "submitted", "submitted_at": fields.Datetime.now()})
        return True

    def action_validate(self):
        """Post the clearing entries and settle the passes, exactly once.

        Works on any number of remittances at once (clearing runs validate
        thousands): one grouped query checks every pass, one create makes
        every entry, one write settles every pass."""
        self._check_accountant(
            self.env._("Only an accountant can validate remittances.")
        )
        if not self:
            return True
        self.check_access("write")
        self._lock()
        self._check_state("submitted")
        for company in self.company_id:
            company._pass_check_settlement_config()
        for remittance in self:
            if remittance.currency_id != remittance.company_id.currency_id:
                raise UserError(
                    self.env._(
                        "Remittance %(name)s is in %(currency)s: only the company "
                        "currency (%(company_currency)s) is accepted.",
                        name=remittance.name,
                        currency=remittance.currency_id.name,
                        company_currency=remittance.company_id.currency_id.name,
                    )
                )
            venue_company = remittance.venue_id.company_id
            if venue_company and venue_company != remittance.company_id:
                raise UserError(
                    self.env._(
                        "Venue %(venue)s belongs to company %(other)s, not "
                        "%(company)s: remittance %(name)s cannot be validated.",
                        venue=remittance.venue_id.name,
                        other=venue_company.name,
                        company=remittance.company_id.name,
                        name=remittance.name,
                    )
                )
        groups = self._check_passes_not_empty()
        # Computed once for all: the invoiced passes still open on a sale line
        # are shared between the remittances validated together.
        uninvoiced = self._pass_uninvoiced_counts()
        vals_list = [
            remittance.with_context(
                pass_uninvoiced_counts=uninvoiced.get(remittance.id, {})
            )._prepare_move_vals(groups[remittance.id])
            for remittance in self
        ]
        moves = self.env["account.move"].create(vals_list)
        moves.action_post()
        # A lock date makes Odoo post an entry on the first open day: the
        # remittance then takes its entry's date (they never differ).
        moved = {
            remittance: move
            for remittance, move in zip(self, moves, strict=True)
            if move.date != remittance.date
        }
        with guarded_write():
            # sudo: accountants settle passes they may not otherwise write.
            self.env["pass.voucher"].sudo().search(
                [("remittance_id", "in", self.ids)]
            ).write({"state": "settled"})
            for remittance, move in zip(self, moves, strict=True):
                remittance.move_id = move
            for remittance, move in moved.items():
                remittance.date = move.date
            self.write(
                {
                    "state": "validated",
                    "validated_at": fields.Datetime.now(),
                    "validated_by_id": self.env.uid,
                }
            )
        for remittance, move in moved.items():
            # A note, not a message: no e-mail address needed to validate.
            remittance._message_log(
                body=self.env._(
                    "Locked period: entry %(move)s is posted on %(date)s, the first "
                    "open day; the remittance takes this date.",
                    move=move.name,
                    date=format_date(self.env, move.date),
                )
            )
        return True

    def _lock(self):
        """Row locks: a concurrent validation of the same remittances waits
        here, then sees them validated and is refused (never posts twice)."""
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM pass_remittance WHERE id = ANY(%(ids)s) "
                "ORDER BY id FOR UPDATE",
                ids=self.ids,
            )
        )
        self.invalidate_recordset(["state", "move_id"])

    @api.model
    def _check_accountant(self, message):
        """Accounting actions on remittances are for accountants (AccessError)."""
        if not self.env.su and not self.env.user.has_group(
            "pass_settlement.group_pass_accountant"
        ):
            raise AccessError(message)

    def action_cancel(self, reason=None):
        """Cancel remittances. A draft or submitted one gives its passes back
        to be remitted again. A validated one is cancelled by an accountant:
        its entry is reversed (dated today, or the first open day under a lock
        date), its passes are redeemed again and free for another remittance;
        refused while the venue's payable is matched with a payment.

        ``reason`` (or the remittance's own reason field) is kept with the
        user and the time, and posted in the remittance's history."""
        self._check_remittance_rights()
        if reason is not None and not isinstance(reason, str):
            raise UserError(self.env._("The cancellation reason must be a text."))
        validated = self.filtered(lambda r: r.state == "validated")
        if validated:
            self._check_accountant(
                self.env._("Only an accountant can cancel a validated remittance.")
            )
            self._lock()
            validated = self.filtered(lambda r: r.state == "validated")
        now = fields.Datetime.now()
        to_cancel = (self - validated).filtered(lambda r: r.state != "cancelled")
        if to_cancel:
            with guarded_write():
                # sudo: the caller may write these remittances (checked above);
                # accountants without the Pass group may not write passes.
                self.env["pass.voucher"].sudo().search(
                    [("remittance_id", "in", to_cancel.ids)]
                ).write({"remittance_id": False})
                for remittance in to_cancel:
                    remittance._pass_write_cancellation(reason, now)
        if validated:
            validated._cancel_validated(reason, now)
        return True

    def _pass_write_cancellation(self, reason, now, reversal=None, count=0, amount=0.0):
        """Mark cancelled, keep who, when and why, and say it in the history
        (called inside a guarded_write block)."""
        self.ensure_one()
        reason = (reason or self.cancel_reason or "").strip()
        vals = {
            "state": "cancelled",
            "cancel_reason": reason or False,
            "cancelled_at": now,
            "cancelled_by_id": self.env.uid,
        }
        if reversal:
            vals["reversal_move_id"] = reversal.id
        self.write(vals)
        reason = reason or self.env._("not specified")
        if not reversal:
            body = self.env._(
                "Remittance cancelled by %(user)s (reason: %(reason)s).",
                user=self.env.user.name,
                reason=reason,
            )
        else:
            body = self.env._(
                "Remittance cancelled by %(user)s (reason: %(reason)s): entry "
                "%(move)s reversed by %(reversal)s of %(date)s; %(count)s passes "
                "(%(amount)s) redeemed again, to be refunded by another remittance.",
                user=self.env.user.name,
                reason=reason,
                move=self.move_id.name,
                reversal=reversal.name,
                date=format_date(self.env, reversal.date),
                count=count,
                amount=format_amount(self.env, amount, self.currency_id),
            )
        # A note, not a message: no e-mail address needed to cancel.
        self._message_log(body=body)

    def _pass_existing_reversal(self):
        """The reversal the venue's payable is matched with, if the entry was
        reversed by hand before such reversals were refused (and it is
        matched with nothing else); raise if it is matched with a payment."""
        self.ensure_one()
        # sudo: the accountant's check was done; whether the venue's payable
        # is matched, and with what, is read on the journal items.
        line = self.payable_line_id.sudo()
        partials = line.matched_debit_ids | line.matched_credit_ids
        if not partials:
            return self.env["account.move"]
        move = line.move_id
        counterparts = (partials.debit_move_id | partials.credit_move_id).move_id - move
        if line.reconciled and all(m.reversed_entry_id == move for m in counterparts):
            return counterparts[:1].sudo(False)
        raise UserError(
            self.env._(
                "Remittance %(name)s is already (partly) paid to venue %(venue)s: its "
                "payable (entry %(move)s) is reconciled with a payment. Cancel or "
                "bring back this payment first (unreconcile, returned transfer), then "
                "cancel the remittance.",
                name=self.name,
                venue=self.venue_id.name,
                move=move.name,
            )
        )

    def _cancel_validated(self, reason, now):
        """Reverse the entries, give the passes back, mark cancelled."""
        reversal_of = {}
        for remittance in self:
            if remittance.move_id.state != "posted":
                raise UserError(
                    self.env._(
                        "Entry %(move)s of remittance %(name)s is not posted: it "
                        "cannot be reversed.",
                        move=remittance.move_id.name,
                        name=remittance.name,
                    )
                )
            reversal_of[remittance] = remittance._pass_existing_reversal()
        to_reverse = self.filtered(lambda r: not reversal_of[r])
        if to_reverse:
            today = fields.Date.context_today(self)
            moves = to_reverse.move_id
            with remittance_action():
                reversals = moves._reverse_moves(
                    [
                        {
                            "date": today,
                            "ref": self.env._(
                                "Cancellation of remittance %(name)s (reversal of "
                                "%(move)s)",
                                name=remittance.name,
                                move=remittance.move_id.name,
                            ),
                        }
                        for remittance in to_reverse
                    ]
                )
                # Posting matches the venue's payable with its reversal; under
                # a lock date Odoo posts on the first open day.
                reversals.action_post()
            reversal_of.update(zip(to_reverse, reversals, strict=True))
        with guarded_write():
            # sudo: accountants give back passes they may not otherwise write.
            vouchers = (
                self.env["pass.voucher"]
                .sudo()
                .search([("remittance_id", "in", self.ids)])
            )
            counts = {
                remittance: (len(group), sum(group.mapped("amount")))
                for remittance, group in vouchers.grouped("remittance_id").items()
            }
            vouchers.write({"state": "redeemed", "remittance_id": False})
            for remittance in self:
                count, amount = counts.get(remittance, (0, 0.0))
                remittance._pass_write_cancellation(
                    reason, now, reversal_of[remittance], count, amount
                )

    def action_draft(self):
        self._check_remittance_rights()
        self._check_state("submitted")
        with guarded_write():
            self.write({"state": "draft"})
        return True

    def _pass_uninvoiced_counts(self):
        """{remittance id: {(program id, funder id): passes}}: how many of
        each remittance's passes are settled for each funder against money it
        was never invoiced for (debited on the funders' "to invoice"
        receivable, 4181, instead of their money account, 467).

        A pass counts as invoiced to a funder as the ledger check counts it
        (``pass.ledger.check._funder_invoiced_lines``): its book is linked to
        a sale order line whose posted invoice lines on 467 for that funder
        (minus its credit notes) cover more passes than the line has already
        consumed (settled, refunded or retained). Books without a sale order
        line (``pass.program.issue_books``) are invoiced to nobody. The
        invoiced passes still available on a line are used up first, in the
        order of the remittances (one grouped query for all of them)."""
        if not self:
            return {}
        # Raw SQL below: passes, books, invoice lines and their links to the
        # sale order lines must be in the database.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT voucher.remittance_id, voucher.program_id,
                       book.sale_line_id, COUNT(*)
                  FROM pass_voucher voucher
                  JOIN pass_book book ON book.id = voucher.book_id
                 WHERE voucher.remittance_id = ANY(%(ids)s)
                 GROUP BY voucher.remittance_id, voucher.program_id,
                          book.sale_line_id
                 ORDER BY voucher.remittance_id, voucher.program_id,
                          book.sale_line_id
                """,
                ids=self.ids,
            )
        )
        rows = self.env.cr.fetchall()
        sale_line_ids = {row[2] for row in rows if row[2]}
        # Passes of each (sale line, funder) invoiced and not yet consumed.
        available = defaultdict(int)
        Check = self.env["pass.ledger.check"]
        for company in self.company_id:
            for row in Check._funder_invoiced_lines(company, sale_line_ids):
                _program, line_id, funder_id, *_rest = row
                available[line_id, funder_id] += Check._pass_invoiced_open(row)
        programs = self.env["pass.program"].browse({row[1] for row in rows})
        funders = {
            program.id: [
                partner.commercial_partner_id.id
                for partner, _cents in program._pass_funder_cents()
            ]
            for program in programs
        }
        result = defaultdict(lambda: defaultdict(int))
        for remittance_id, program_id, line_id, count in rows:
            for funder_id in funders[program_id]:
                invoiced = min(count, available[line_id, funder_id]) if line_id else 0
                available[line_id, funder_id] -= invoiced
                if count > invoiced:
                    result[remittance_id][program_id, funder_id] += count - invoiced
        return result

    def action_invoice_settled_passes(self):
        """Invoice the funders for the passes settled against money they were
        never invoiced for: per funder, one invoice on the pass sales journal
        whose lines (one per programme, its part of a pass times the passes)
        credit the "to invoice" receivable (4181), so that 4181 goes back to
        zero for that funder and its receivable (411) carries the debt.

        Works on the companies of these remittances (the current company if
        none) and invoices everything still open on 4181 for each funder,
        whatever remittance settled it. Accountants only. Returns the
        invoices' action."""
        self._check_accountant(
            self.env._("Only an accountant can invoice settled passes to funders.")
        )
        invoices = self.env["account.move"]
        for company in self.company_id or self.env.company:
            invoices |= self._pass_invoice_to_invoice_balances(company)
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [("id", "in", invoices.ids)]
        if len(invoices) == 1:
            action.update(
                res_id=invoices.id,
                views=[(self.env.ref("account.view_move_form").id, "form")],
            )
        return action

    @api.model
    def _pass_invoice_to_invoice_balances(self, company):
        """Post one invoice per funder for its open 4181 balance (see
        ``action_invoice_settled_passes``); returns the invoices."""
        Move = self.env["account.move"]
        account = company.pass_to_invoice_account_id
        if not account:
            return Move
        currency = company.currency_id
        balances = self.env["account.move.line"]._read_group(
            [
                ("company_id", "=", company.id),
                ("account_id", "=", account.id),
                ("parent_state", "=", "posted"),
                ("partner_id", "!=", False),
                ("pass_program_id", "!=", False),
            ],
            ["partner_id", "pass_program_id"],
            ["balance:sum"],
            order="partner_id, pass_program_id",
        )
        per_funder = defaultdict(list)
        for partner, program, balance in balances:
            balance_cents = round(balance / currency.rounding)
            if balance_cents <= 0:
                continue
            part = dict(
                (funder.commercial_partner_id, cents)
                for funder, cents in program._pass_funder_cents()
            ).get(partner.commercial_partner_id, 0)
            if part and not balance_cents % part:
                quantity, price_cents = balance_cents // part, part
            else:
                quantity, price_cents = 0, balance_cents
            per_funder[partner.commercial_partner_id].append(
                Command.create(
                    {
                        "name": self.env._(
                            "%(count)s passes %(program)s settled to venues, not "
                            "invoiced yet",
                            count=quantity,
                            program=program.code,
                        ),
                        "quantity": quantity or 1,
                        "price_unit": price_cents * currency.rounding,
                        "account_id": account.id,
                        # Multi-purpose vouchers: no VAT, only their 0 % tax.
                        "tax_ids": [Command.set(company.pass_voucher_tax_id.ids)],
                        "pass_program_id": program.id,
                        "pass_voucher_count": quantity,
                    }
                )
            )
        if not per_funder:
            return Move
        invoices = Move.create(
            [
                {
                    "move_type": "out_invoice",
                    "company_id": company.id,
                    "journal_id": company.pass_sale_journal_id.id,
                    "partner_id": funder.id,
                    "invoice_date": fields.Date.context_today(self),
                    "invoice_origin": self.env._("Settled passes not invoiced"),
                    "invoice_line_ids": lines,
                }
                for funder, lines in per_funder.items()
            ]
        )
        invoices.action_post()
        return invoices

    def _prepare_move_vals(self, program_counts):
        """Debit the funders' money account per funder (partner = funder, its
        per-pass part times the passes of each programme), credit the venue's
        payable (the company's venue payable account) with the face value of
        the passes. The passes never invoiced to a funder debit its "to
        invoice" receivable (4181) instead.

        program_counts: [(program, count, amount)] of this remittance. The
        passes never invoiced to each funder, {(program id, funder id):
        passes}, come from the context key ``pass_uninvoiced_counts`` (set by
        ``action_validate`` for the whole batch), else from
        ``_pass_uninvoiced_counts``."""
        self.ensure_one()
        company = self.company_id
        currency = self.currency_id
        venue = self.venue_id.commercial_partner_id
        # The venues' own payable sub-account (401800 in the French chart),
        # not the venue's trade payable (401100): see account_chart_template.
        payable = company.pass_venue_payable_account_id
        if not payable:
            raise UserError(
                self.env._(
                    "The venues' payable account (401) of %(company)s is not "
                    "configured: set it in Settings > Pass Numérique before "
                    "validating remittance %(name)s.",
                    company=company.name,
                    name=self.name,
                )
            )
        uninvoiced = self.env.context.get("pass_uninvoiced_counts")
        if uninvoiced is None:
            uninvoiced = self._pass_uninvoiced_counts().get(self.id, {})
        lines = []
        total_cents = 0
        voucher_total = 0
        for program, count, _amount in sorted(
            program_counts, key=lambda pca: pca[0].id
        ):
            voucher_total += count
            for funder, cents in program._pass_funder_cents():
                to_invoice = uninvoiced.get(
                    (program.id, funder.commercial_partner_id.id), 0
                )
                for account, passes in (
                    (company.pass_liability_account_id, count - to_invoice),
                    (to_invoice and self._pass_to_invoice_account(), to_invoice),
                ):
                    if not passes:
                        continue
                    lines.append(
                        Command.create(
                            {
                                "name": self._pass_funder_line_label(
                                    passes, program, funder, account
                                ),
                                "account_id": account.id,
                                "partner_id": funder.id,
                                "debit": currency.round(
                                    cents * passes * currency.rounding
                                ),
                                "credit": 0.0,
                                "pass_program_id": program.id,
                                "pass_voucher_count": passes,
                            }
                        )
                    )
                total_cents += cents * count
        lines.append(
            Command.create(
                {
                    "name": self.env._(
                        "Remittance %(name)s - %(count)s passes",
                        name=self.name,
                        count=voucher_total,
                    ),
                    "account_id": payable.id,
                    "partner_id": venue.id,
                    "debit": 0.0,
                    "credit": currency.round(total_cents * currency.rounding),
                    "date_maturity": fields.Date.context_today(self),
                    "pass_voucher_count": voucher_total,
                }
            )
        )
        return {
            "move_type": "entry",
            "journal_id": company.pass_venue_journal_id.id,
            "company_id": company.id,
            "date": self.date,
            "ref": self.env._(
                "Remittance %(name)s - %(venue)s", name=self.name, venue=venue.name
            ),
            "line_ids": lines,
        }

    def _pass_to_invoice_account(self):
        """The company's "to invoice" receivable (4181); raise if missing."""
        self.ensure_one()
        account = self.company_id.pass_to_invoice_account_id
        if not account:
            raise UserError(
                self.env._(
                    "Remittance %(name)s settles passes never invoiced to funders: "
                    "set the passes to invoice account (4181) of %(company)s in "
                    "Settings > Pass Numérique.",
                    name=self.name,
                    company=self.company_id.name,
                )
            )
        return account

    def _pass_funder_line_label(self, count, program, funder, account):
        self.ensure_one()
        if account == self.company_id.pass_liability_account_id:
            return self.env._(
                "%(remittance)s - %(count)s passes %(program)s - %(funder)s",
                remittance=self.name,
                count=count,
                program=program.code,
                funder=funder.name,
            )
        return self.env._(
            "%(remittance)s - %(count)s passes %(program)s - %(funder)s (to invoice)",
            remittance=self.name,
            count=count,
            program=program.code,
            funder=funder.name,
        )
