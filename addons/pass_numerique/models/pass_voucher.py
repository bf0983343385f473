# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, format_date, format_datetime

from ..tools import period
from ..tools.guard import guarded_write
from ..tools.pass_code import MAX_CODE_INPUT, code_error, format_code, normalize_code
from .pass_book import CANCEL_REASONS, UNUSED_STATES

# Record ids are PostgreSQL integers: anything larger is no record.
MAX_ID = 2**31 - 1

_logger = logging.getLogger(__name__)

VOUCHER_STATES = [
    ("available", "Available"),
    ("distributed", "Distributed"),
    ("redeemed", "Redeemed"),
    ("settled", "Settled"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]


# Fields of a pass that only its business methods change (issue, hand-over,
# redemption, remittance, cancellation, expiry): a plain write refuses them.
VOUCHER_GUARDED_FIELDS = frozenset(
    {
        "code",
        "book_id",
        "number",
        "program_id",
        "company_id",
        "currency_id",
        "amount",
        "state",
        "date_expiry",
        "venue_id",
        "service_id",
        "redeemed_at",
        "redeemed_by_id",
        "beneficiary_id",
        "redemption_cancel_note",
        "cancel_reason",
        "cancel_note",
        "cancelled_at",
    }
)

# Refusals that count towards the too_many_attempts limit of a venue.
GUESSING_REASONS = ("unknown_code", "bad_check_digit", "too_many_attempts")


class PassVoucher(models.Model):
    _name = "pass.voucher"
    _inherit = ["pass.guarded.mixin"]
    _description = "Pass (voucher)"
    _order = "book_id desc, number"
    _rec_name = "code"
    _check_company_auto = True
    _pass_guarded_fields = VOUCHER_GUARDED_FIELDS

    code = fields.Char(required=True, readonly=True, copy=False)
    code_display = fields.Char(compute="_compute_code_display", string="Printed code")
    book_id = fields.Many2one(
        "pass.book", required=True, readonly=True, index=True, ondelete="restrict"
    )
    number = fields.Integer(string="Pass no.", readonly=True)
    # Indexed with the state and the value (``init``): the programme x
    # state counts of the dashboards and statements read that index alone.
    program_id = fields.Many2one(
        "pass.program", required=True, readonly=True, ondelete="restrict"
    )
    # Not indexed: a cooperative has one or two companies, so the index would
    # never be selective, and it costs every pass of a bulk issue.
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    state = fields.Selection(
        VOUCHER_STATES, default="available", required=True, readonly=True, index=True
    )
    holder_id = fields.Many2one(related="book_id.holder_id", string="Holder")
    date_expiry = fields.Date(string="Valid until", readonly=True)
    venue_id = fields.Many2one(
        "res.partner", string="Venue", readonly=True, index="btree_not_null"
    )
    service_id = fields.Many2one("pass.service", readonly=True)
    redeemed_at = fields.Datetime(readonly=True)
    redeemed_by_id = fields.Many2one("res.users", string="Redeemed by", readonly=True)
    beneficiary_id = fields.Many2one(
        "pass.beneficiary", readonly=True, index="btree_not_null", ondelete="restrict"
    )
    redemption_cancel_note = fields.Char(
        string="Last redemption cancelled because", readonly=True
    )
    cancel_reason = fields.Selection(CANCEL_REASONS, readonly=True)
    cancel_note = fields.Char(readonly=True)
    cancelled_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "A pass with this code already exists."),
        ("amount_positive", "check(amount > 0)", "A pass has a positive value."),
    ]

    def init(self):
        cr = self.env.cr
        # Every figure per programme (passes and value per state, people
        # helped) is counted from an index alone, without reading the
        # passes (2,000,000 of them at a national scale): programme, state
        # and value in one index, which also serves every search by
        # programme (so the plain programme index of older versions goes);
        # the people a programme helps in a partial one (passes handed to
        # somebody), that a bulk issue never writes to.
        cr.execute(SQL("DROP INDEX IF EXISTS pass_voucher__program_id_index"))
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS pass_voucher_program_state_idx"
                " ON pass_voucher (program_id, state) INCLUDE (amount)"
            )
        )
        cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS pass_voucher_program_people_idx"
                " ON pass_voucher (program_id, beneficiary_id) INCLUDE (state)"
                " WHERE beneficiary_id IS NOT NULL"
            )
        )

    @api.depends("code")
    def _compute_code_display(self):
        for voucher in self:
            voucher.code_display = format_code(voucher.code or "")

    @api.model
    def _search_display_name(self, operator, value):
        # Searching a pass by its printed code: ignore the grouping spaces.
        if isinstance(value, str) and operator in ("ilike", "=", "=ilike", "like"):
            value = value.replace(" ", "").replace("-", "")
        return super()._search_display_name(operator, value)

    def _redeem_deadline(self):
        """Last day this pass is accepted at a venue (validity + grace)."""
        self.ensure_one()
        return self.program_id._pass_expiry_deadline(self.date_expiry)

    # ------------------------------------------------------------------ business
    @api.model
    def _pass_write_guarded(self, groups):
        """Write guarded fields of passes for a business method that checked
        the change (who, which passes, which state) itself: nothing is checked
        here. ``groups`` is an iterable of ``(passes, values)``: one ORM
        ``write`` per group, so every override of ``write`` applies, and the
        ORM flushes all the groups together (one UPDATE per set of columns).
        For this addon and the addons that extend it (settlement fills
        remittances with it) instead of raw SQL on ``pass_voucher``."""
        groups = [(vouchers, values) for vouchers, values in groups if vouchers]
        # One prefetch set for all the groups: what write() reads of the
        # passes is read for a thousand of them at a time, not per group.
        prefetch = tuple({id_: None for vouchers, _v in groups for id_ in vouchers.ids})
        with guarded_write():
            for vouchers, values in groups:
                vouchers.with_prefetch(prefetch).write(values)

    def _cancel(self, reason, note=False):
        bad = self.filtered(lambda v: v.state not in UNUSED_STATES)
        if bad:
            raise UserError(
                self.env._(
                    "Pass %(code)s has already been redeemed, has expired or is "
                    "already cancelled: only unused passes can be cancelled.",
                    code=bad[0].code_display,
                )
            )
        with guarded_write():
            self._write_cancelled(reason, note)

    def _write_cancelled(self, reason, note):
        self.write(
            {
                "state": "cancelled",
                "cancel_reason": reason,
                "cancel_note": note or False,
                "cancelled_at": fields.Datetime.now(),
            }
        )

    def action_cancel(self, reason="other", note=False):
        self._cancel(reason, note)
        return True

    @api.model
    def _cron_expire(self):
        """Mark expired every unused pass whose validity and grace are over."""
        today = fields.Date.context_today(self)
        candidates = self.search(
            [("state", "in", UNUSED_STATES), ("date_expiry", "<", today)]
        )
        expired = candidates.filtered(lambda v: v._redeem_deadline() < today)
        with guarded_write():
            expired.write({"state": "expired"})
        _logger.info("Pass expiry: %s passes expired", len(expired))
        return len(expired)

    # ------------------------------------------------------------------ redemption
    @api.model
    def _reason_message(self, reason):
        """Plain-language sentence for a refusal reason, in the user's language,
        for the person at the counter."""
        messages = {
            "unknown_code": self.env._(
                "This code matches no pass. Check the digits you typed."
            ),
            "bad_check_digit": self.env._(
                "This code contains a typing error: check each digit."
            ),
            "already_redeemed": self.env._(
                "This pass has already been redeemed: it cannot be used twice."
            ),
            "expired": self.env._("This pass has expired."),
            "cancelled": self.env._(
                "This pass has been cancelled (book lost, stolen or destroyed)."
            ),
            "not_distributed": self.env._(
                "This pass has not been handed out yet: it cannot be used."
            ),
            "not_activated": self.env._(
                "This pass is not active yet (its programme has not started or its "
                "funding is not paid yet)."
            ),
            "venue_not_qualified": self.env._(
                "Your venue is not allowed to accept passes for now."
            ),
            "out_of_territory": self.env._(
                "This pass cannot be used in your venue's territory."
            ),
            "service_not_allowed": self.env._(
                "This pass cannot pay for this service at your venue."
            ),
            "too_many_attempts": self.env._(
                "Too many refused attempts: wait a few minutes before trying again."
            ),
        }
        return messages.get(reason, reason)

    @api.model
    def _resolve_venue(self, venue_id):
        """The venue partner the caller may redeem for, or an error.

        Internal Pass users (staff taking a venue's call) may redeem for any
        venue of their companies; anybody else only for their own organisation
        (the commercial partner of their user), whatever id they send over RPC.
        Whether another id exists is never told to them.
        """
        try:
            venue_id = int(venue_id)
        except (TypeError, ValueError):
            venue_id = 0
        if not 0 < venue_id <= MAX_ID:
            venue_id = 0
        user = self.env.user
        staff = user.has_group("pass_numerique.pass_numerique_group_user")
        if not staff and (
            user._is_public() or venue_id != user.partner_id.commercial_partner_id.id
        ):
            raise AccessError(
                self.env._("You can only redeem passes for your own venue.")
            )
        # sudo: a venue's portal user cannot read partners, not even its own
        # organisation's commercial fields; it is its own (checked above) or
        # the caller is staff.
        venue = self.env["res.partner"].sudo().browse(venue_id).exists()
        if (
            not venue
            or not venue.is_pass_venue
            or (staff and venue.company_id and venue.company_id not in user.company_ids)
        ):
            raise UserError(
                self.env._(
                    "Venue %(venue)s does not exist or is not a Pass Numérique venue.",
                    venue=venue_id or "",
                )
            )
        return venue

    @api.model
    def _evaluate(self, code, venue, service_code, service_required):
        """Check a code (normalised: ``normalize_code``) for a venue and a
        service. Changes nothing.

        ``service_required`` (a boolean) says whether the service decides:
        when true, ``service_code`` must name a service the venue offers and
        the programme allows (an empty or unknown one is refused with
        ``service_not_allowed``); when false, ``service_code`` is ignored by
        the decision (only reported back when it names a service).

        Returns (reason or None, voucher (sudo) or empty, service or empty).
        What a refusal tells is limited to what the person at the counter
        needs: a venue that may not redeem is told so whatever the code; a
        pass of another company is unknown to the venue.
        """
        Voucher = self.sudo()  # sudo: venues redeem passes they cannot read before
        no_service = self.env["pass.service"].sudo().browse()
        # An archived venue (closed down) redeems nothing, whatever its status.
        if (
            not venue.active
            or not venue.is_pass_venue
            or venue.pass_venue_state != "qualified"
        ):
            return "venue_not_qualified", Voucher, no_service
        error = code_error(code)
        if error == "malformed":
            return "unknown_code", Voucher, no_service
        if error:
            return error, Voucher, no_service
        # order by id: the default order joins the books for nothing here
        voucher = Voucher.search([("code", "=", code)], limit=1, order="id")
        service = no_service
        if (
            service_code
            and isinstance(service_code, str)
            and service_code.isprintable()
        ):
            # sudo: venues' portal users cannot read the referential.
            service = (
                self.env["pass.service"]
                .sudo()
                .search([("code", "=", service_code[:MAX_CODE_INPUT])], limit=1)
            )
        if not voucher or (venue.company_id and venue.company_id != voucher.company_id):
            return "unknown_code", Voucher, service
        state_reason = {
            "redeemed": "already_redeemed",
            "settled": "already_redeemed",
            "expired": "expired",
            "cancelled": "cancelled",
            "available": "not_distributed",
        }.get(voucher.state)
        if state_reason:
            return state_reason, voucher, service
        program = voucher.program_id
        today = fields.Date.context_today(self)
        if program.state == "closed" or today > voucher._redeem_deadline():
            return "expired", voucher, service
        if program.state != "active" or today < program.date_start:
            return "not_activated", voucher, service
        if not voucher.book_id._is_activated():
            return "not_activated", voucher, service
        # The programme may require the holder to hand the pass to a
        # registered beneficiary first (a prescriber's hand-over).
        if program.require_handover and not voucher.beneficiary_id:
            return "not_distributed", voucher, service
        if not program._covers_venue(venue):
            return "out_of_territory", voucher, service
        if service_required:
            if (
                not service
                or service not in venue.pass_service_ids
                or (program.service_ids and service not in program.service_ids)
            ):
                return "service_not_allowed", voucher, service
        return None, voucher, service

    @api.model
    def _attempt(self, code, venue_id, service_code, channel, operation):
        """Evaluate one presented code under the guessing limits, and log it.

        A redemption always requires a service; a check requires one only
        when the caller named one (see :meth:`_service_required`).
        Returns (reason or None, voucher (sudo) or empty, service, retry_at).
        """
        service_required = operation == "redeem" or self._service_required(service_code)
        venue = self._resolve_venue(venue_id)
        # Normalised once, here: evaluated and logged as such.
        code = normalize_code(code)
        Limit = self.env["pass.rate.limit"]
        ticket, retry_at = Limit._take_slot(venue)
        if retry_at:
            reason, voucher, service = (
                "too_many_attempts",
                self.sudo().browse(),
                self.env["pass.service"],
            )
        else:
            reason, voucher, service = self._evaluate(
                code, venue, service_code, service_required
            )
            if reason not in GUESSING_REASONS:
                Limit._give_back(ticket)
        if operation == "redeem" and not reason:
            if not self._write_redemption(voucher, venue, service):
                reason = "already_redeemed"
        self._log_attempt(code, venue, voucher, service, reason, channel, operation)
        return reason, voucher, service, retry_at

    @api.model
    def _write_redemption(self, voucher, venue, service):
        """The conditional UPDATE that redeems a distributed pass exactly once.
        Returns whether this transaction redeemed it."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE pass_voucher
                   SET state = 'redeemed', venue_id = %(venue)s,
                       service_id = %(service)s, redeemed_by_id = %(uid)s,
                       redeemed_at = now() at time zone 'UTC',
                       write_uid = %(uid)s, write_date = now() at time zone 'UTC'
                 WHERE id = %(id)s AND state = 'distributed'
                RETURNING id
                """,
                venue=venue.id,
                service=service.id,
                uid=self.env.uid,
                id=voucher.id,
            )
        )
        done = bool(self.env.cr.fetchone())
        # only what the UPDATE wrote: amount and programme stay cached
        voucher.invalidate_recordset(
            [
                "state",
                "venue_id",
                "service_id",
                "redeemed_by_id",
                "redeemed_at",
                "write_uid",
                "write_date",
            ]
        )
        return done

    @api.model
    def _service_required(self, service_code):
        """Whether a check of a code must also check ``service_code``: the
        one place that reads the API's "no service" (``None``, or ``False``
        as XML-RPC clients without None send it). Any string, even empty,
        is a service named by the caller and is checked."""
        return service_code is not None and service_code is not False

    @api.model
    def _refusal(self, reason, retry_at=None):
        message = self._reason_message(reason)
        if reason == "too_many_attempts" and retry_at:
            # In the user's timezone, else the company's (as the counter
            # page shows its times), never UTC by default.
            tz = self.env.user.tz or period.company_tz(self.env.company)
            message = self.env._(
                "Too many refused attempts: try again after %(time)s.",
                time=format_datetime(self.env, retry_at, tz=tz, dt_format="short"),
            )
        return {"ok": False, "reason": reason, "message": message}

    @api.model
    def check_code(self, code, venue_id, service_code=None):
        """Say whether a pass would be accepted, without changing any pass.

        Logged and counted towards the attempt limits like a redemption.
        Returns {"ok": bool, "reason": str|None, "message": str, "amount": float,
        "program": str}; amount and programme only when the pass is accepted.
        """
        return self._check_code(code, venue_id, service_code, channel="rpc")

    @api.model
    def _check_code(self, code, venue_id, service_code=None, channel="rpc"):
        reason, voucher, _service, retry_at = self._attempt(
            code, venue_id, service_code, channel, "check"
        )
        if reason:
            return {**self._refusal(reason, retry_at), "amount": 0.0, "program": ""}
        return {
            "ok": True,
            "reason": None,
            # What the person at the desk checks against the paper pass.
            "message": self.env._(
                'Valid pass: %(amount)s, programme "%(program)s", valid until '
                "%(date)s.",
                amount=format_amount(self.env, voucher.amount, voucher.currency_id),
                program=voucher.program_id.name,
                date=format_date(self.env, voucher.date_expiry),
            ),
            "amount": voucher.amount,
            "program": voucher.program_id.name,
        }

    @api.model
    def redeem_code(self, code, venue_id, service_code, channel=None):
        """Redeem a pass at a venue for a service, exactly once.

        Returns {"ok": True, "voucher_id": int, "amount": float, ...} or
        {"ok": False, "reason": str, "message": str}. A refusal changes
        nothing but the attempt log and the attempt counters. Under
        concurrent attempts on one pass, the conditional UPDATE lets exactly
        one transaction win; the others wait on the row, fail to serialize
        and are retried by Odoo's RPC and HTTP layers, then see the pass
        redeemed and answer already_redeemed.

        ``channel`` is accepted for compatibility and ignored: the server
        records the channel (this public method is the API's).
        """
        return self._redeem_code(code, venue_id, service_code, channel="rpc")

    @api.model
    def _redeem_code(self, code, venue_id, service_code, channel="rpc"):
        if channel not in ("rpc", "portal", "backoffice"):
            channel = "rpc"
        if channel != "rpc" and not (
            isinstance(service_code, str) and service_code.strip()
        ):
            # The counter and the wizard: no redemption until the person at
            # the desk has chosen the service given (a default would record
            # the wrong one). Told before any code is looked at, so nothing is
            # logged or counted; who may redeem for the venue is checked first.
            # Over RPC an empty service stays "service_not_allowed" (API.md).
            self._resolve_venue(venue_id)
            return {
                "ok": False,
                "reason": "no_service",
                "message": self.env._("Choose the service provided before redeeming."),
            }
        reason, voucher, service, retry_at = self._attempt(
            code, venue_id, service_code or "", channel, "redeem"
        )
        if reason:
            return self._refusal(reason, retry_at)
        return {
            "ok": True,
            "voucher_id": voucher.id,
            "amount": voucher.amount,
            "program": voucher.program_id.name,
            "message": self.env._(
                'Pass accepted: %(amount)s for "%(service)s".',
                amount=format_amount(self.env, voucher.amount, voucher.currency_id),
                service=service.name,
            ),
        }

    @api.model
    def _log_attempt(self, code, venue, voucher, service, reason, channel, operation):
        # Only the last four digits of something that looks like a code are
        # kept; anything else typed is never stored (nor are NUL bytes, which
        # PostgreSQL refuses).
        if len(code) >= 8 and code.isascii() and code.isdigit():
            masked = "•" * 12 + code[-4:]
        else:
            masked = "•" * min(len(code), 16)
        # sudo: venues' users write to the attempt log they cannot read.
        self.env["pass.redemption.attempt"].sudo().create(
            {
                "user_id": self.env.uid,
                "venue_id": venue.id,
                "code_masked": masked,
                "voucher_id": voucher.id
                if reason not in ("unknown_code", "bad_check_digit")
                else False,
                "program_id": voucher.program_id.id if voucher else False,
                "service_id": service.id if service else False,
                "ok": not reason,
                "reason": reason or "ok",
                "channel": channel,
                "operation": operation,
                "ip": self.env["pass.rate.limit"]._client_ip(),
                "company_id": (
                    voucher.company_id or venue.company_id or self.env.company
                ).id,
            }
        )

    def _check_redemption_cancel_rights(self):
        """Raise AccessError, naming no pass, unless the caller may undo the
        redemption of every pass of self: a Pass manager (within the
        companies it may write), or the venue that redeemed them."""
        user = self.env.user
        refused = AccessError(
            self.env._("You can only cancel the redemptions of your venue.")
        )
        ids = [i for i in self._ids if isinstance(i, int) and 0 < i <= MAX_ID]
        if len(ids) != len(self._ids) or not ids:
            raise refused
        if user.has_group("pass_numerique.pass_numerique_group_manager"):
            if len(self.browse(ids).exists()) != len(ids):
                raise refused
            try:
                self.check_access("write")
            except AccessError:
                # Odoo's own message lists the records' names: a pass's is
                # its code.
                raise refused from None
            return
        own_venue = user.partner_id.commercial_partner_id
        # sudo: only whether each pass was redeemed by the caller's own venue
        # is read here; nothing of a pass leaves this method.
        vouchers = self.sudo().browse(ids).exists()
        if (
            user._is_public()
            or not own_venue.is_pass_venue
            or len(vouchers) != len(ids)
            or any(v.venue_id != own_venue for v in vouchers)
        ):
            raise refused

    def action_cancel_redemption(self, reason=False):
        """Undo a redemption (mistake at the counter): the pass is distributed again.

        A venue may undo its own redemption within the configured window,
        saying why; afterwards, and for any venue, only a Pass manager can. A
        settled pass (already in a validated remittance) cannot be undone here.
        Who may act is checked first: a refusal names no pass.
        """
        self._check_redemption_cancel_rights()
        reason = reason.strip()[:200] if isinstance(reason, str) else ""
        user = self.env.user
        is_manager = user.has_group("pass_numerique.pass_numerique_group_manager")
        window = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(  # sudo: setting read by venues
                "pass_numerique.cancel_window_minutes", 30
            )
        )
        limit = fields.Datetime.now() - timedelta(minutes=window)
        # sudo: a venue's portal user may not write passes; they are its own
        # redemptions (checked above).
        vouchers = self if is_manager else self.sudo()
        for voucher in vouchers:
            if voucher.state != "redeemed":
                raise UserError(
                    self.env._(
                        "Pass %(code)s is not redeemed: there is no redemption to "
                        "cancel.",
                        code=voucher.code_display,
                    )
                )
            if is_manager:
                continue
            if voucher.redeemed_at < limit:
                raise UserError(
                    self.env._(
                        "Pass %(code)s was redeemed more than %(minutes)s minutes "
                        "ago: ask the cooperative to cancel it.",
                        code=voucher.code_display,
                        minutes=window,
                    )
                )
            if not reason:
                raise UserError(
                    self.env._("Say why you are cancelling this redemption.")
                )
        with guarded_write():
            vouchers._write_redemption_undone(reason, user)
        return True

    def _write_redemption_undone(self, reason, user):
        self.write(
            {
                "state": "distributed",
                "venue_id": False,
                "service_id": False,
                "redeemed_at": False,
                "redeemed_by_id": False,
                "redemption_cancel_note": reason
                or self.env._("Redemption cancelled by %(user)s", user=user.name),
            }
        )
