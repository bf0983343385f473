# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Portal pages of the Pass Numérique.

- Venues (``is_pass_venue`` commercial partner): the counter, where the person
  at the desk types or scans a pass code, picks the service and redeems the
  pass, and sees the day's redemptions of the venue.
- Prescribers (``is_pass_prescriber`` commercial partner): the books they hold,
  how many passes of each were used, and a form to hand a book's passes to a
  pseudonymous beneficiary.

The venue and the prescriber are always the commercial partner of the logged-in
user: no route takes a venue or prescriber id from the browser.

Bad input never makes a 500: ids outside PostgreSQL's integer range, text with
NUL or control characters, overlong values and impossible dates end as a 404
or as a French message on the page. Messages shown after a redirect travel in
the session, never in the URL.
"""

import functools
import re
from datetime import datetime, time, timedelta

import pytz
from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import format_amount, format_date, format_datetime

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.web import Home
from odoo.addons.web.controllers.utils import is_user_internal

from ..models.pass_beneficiary import AGE_BANDS, SITUATIONS
from ..tools.formatting import format_count

# Longer inputs are not pass codes: cut them before they reach the model.
MAX_CODE_INPUT = 256
# Record ids are PostgreSQL integers: anything larger is "not found".
MAX_ID = 2**31 - 1
# Free text typed at the counter (reason of a cancellation).
MAX_REASON_INPUT = 200
# What an <input type="date"> sends.
DATE_INPUT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# References offered in the hand-over form (the most recent beneficiaries);
# any older one can still be typed.
MAX_KNOWN_BENEFICIARIES = 500
# Session key of the confirmation shown once after a hand-over.
SESSION_HANDED = "pass_books_handed"


def parse_id(value):
    """A record id sent by the browser (int or decimal digits), or None when
    it cannot be one (bool, float, negative, zero, beyond PostgreSQL's
    integer range, anything else)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (0 < len(value) <= 10 and value.isascii() and value.isdigit()):
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None


def parse_date(value):
    """A date typed in an ``<input type="date">`` (YYYY-MM-DD, nothing else),
    or None."""
    if not isinstance(value, str) or not DATE_INPUT.fullmatch(value.strip()):
        return None
    try:
        return fields.Date.to_date(value.strip())
    except ValueError:
        return None


def clean_text(value, limit):
    """Text typed by a user, as a string of at most ``limit`` printable
    characters (NUL and other control characters dropped, PostgreSQL refuses
    NUL); "" for anything that is not a string."""
    if not isinstance(value, str):
        return ""
    value = "".join(char for char in value[: limit * 4] if char.isprintable())
    return value.strip()[:limit]


# Default time zone of the counter when the user has none (the scheme is French).
DEFAULT_TZ = "Europe/Paris"


class PassPortal(CustomerPortal):
    # ------------------------------------------------------------------ helpers
    def _pass_partner(self):
        """The organisation of the logged-in user (its commercial partner).

        sudo: portal users cannot read the Pass role fields and services of
        their own organisation through the ORM (pass.service is not readable
        by portal users); this partner is the user's own, never one sent by
        the browser.
        """
        return request.env.user.partner_id.commercial_partner_id.sudo()

    def _pass_venue(self):
        partner = self._pass_partner()
        if request.env.user._is_public() or not partner.is_pass_venue:
            raise NotFound()
        return partner

    def _pass_prescriber(self):
        partner = self._pass_partner()
        if request.env.user._is_public() or not partner.is_pass_prescriber:
            raise NotFound()
        return partner

    def _pass_tz(self):
        name = request.env.user.tz or request.env.context.get("tz") or DEFAULT_TZ
        try:
            return pytz.timezone(name)
        except pytz.UnknownTimeZoneError:
            return pytz.timezone(DEFAULT_TZ)

    def _pass_beneficiary_choices(self):
        """Age bands and situations (key, label in the user's language) for the
        portal form: the selections of the model."""
        fields_ = request.env["pass.beneficiary"]._fields
        return (
            fields_["age_band"]._description_selection(request.env),
            fields_["situation"]._description_selection(request.env),
        )

    def _pass_cancel_window(self):
        # sudo: a setting venues need to know, not readable by portal users.
        return int(
            request.env["ir.config_parameter"]
            .sudo()
            .get_param("pass_numerique.cancel_window_minutes", 30)
        )

    def _pass_today(self, venue):
        """The venue's redemptions since midnight (the user's time zone):
        {"rows": [...], "count": int, "total": formatted amount}."""
        tz = self._pass_tz()
        midnight = tz.localize(datetime.combine(datetime.now(tz).date(), time.min))
        since = midnight.astimezone(pytz.utc).replace(tzinfo=None)
        # Searched as the portal user: the record rules restrict it to the
        # passes redeemed at the user's own venue.
        vouchers = request.env["pass.voucher"].search(
            [
                ("venue_id", "=", venue.id),
                ("state", "in", ("redeemed", "settled")),
                ("redeemed_at", ">=", since),
            ],
            order="redeemed_at desc, id desc",
        )
        limit = fields.Datetime.now() - timedelta(minutes=self._pass_cancel_window())
        env = request.env
        rows = []
        total = 0.0
        # sudo: display of the passes found above (programme and service names
        # are not readable by portal users).
        for voucher in vouchers.sudo():
            rows.append(
                {
                    "id": voucher.id,
                    "time": format_datetime(
                        env, voucher.redeemed_at, tz=tz.zone, dt_format="HH:mm"
                    ),
                    "code": "…" + (voucher.code or "")[-4:],
                    "service": voucher.service_id.name or "",
                    "program": voucher.program_id.name or "",
                    "amount": format_amount(env, voucher.amount, voucher.currency_id),
                    "can_cancel": voucher.state == "redeemed"
                    and voucher.redeemed_at >= limit,
                }
            )
            total += voucher.amount
        currency = vouchers.sudo().currency_id[:1] or env.company.currency_id
        return {
            "rows": rows,
            "count": len(rows),
            "total": format_amount(env, total, currency),
        }

    def _pass_counter_services(self, venue):
        return venue.pass_service_ids.sorted(lambda s: (s.name or "").lower())

    def _pass_default_service(self, venue):
        """The service chosen when the page opens: none ("Choisir le
        service"), unless the venue offers a single one."""
        services = self._pass_counter_services(venue)
        return services.code if len(services) == 1 else ""

    def _pass_counter_values(self, venue, **extra):
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "pass_counter",
                "venue": venue,
                "services": self._pass_counter_services(venue),
                "today": self._pass_today(venue),
                "cancel_window": self._pass_cancel_window(),
                "cancel_reasons": self._pass_cancel_reasons(),
                "result": None,
                "code": "",
                "service_code": self._pass_default_service(venue),
            }
        )
        values.update(extra)
        return values

    def _pass_cancel_reasons(self):
        """The usual reasons of a cancellation at the counter, offered in
        the dialog (the last one lets the person type their own)."""
        env = request.env
        return [
            env._("Wrong service chosen"),
            env._("Wrong pass redeemed (code error)"),
            env._("The service was not provided"),
            env._("The person gave up the service"),
        ]

    def _pass_counter_answer(self, venue, action, code, service_code):
        """Check or redeem ``code`` for the user's venue; a dict for the page.

        The model does the work as the portal user: it checks that the venue
        is the user's own, logs the attempt with the channel "portal" (set
        here, on the server), applies the guessing limits and takes the pass
        exactly once. Refusals are worded by the model.
        """
        code = clean_text(code, MAX_CODE_INPUT)
        service_code = clean_text(service_code, MAX_CODE_INPUT)
        if not code.strip():
            return {
                "ok": False,
                "level": "warning",
                "reason": "empty",
                "message": request.env._("Enter the pass code."),
            }
        Voucher = request.env["pass.voucher"]
        try:
            # The private methods: the public ones log every call as "rpc".
            if action == "redeem":
                res = Voucher._redeem_code(
                    code, venue.id, service_code, channel="portal"
                )
            else:
                res = Voucher._check_code(
                    code, venue.id, service_code or None, channel="portal"
                )
        except (UserError, AccessError, ValidationError) as exc:
            return {
                "ok": False,
                "level": "danger",
                "reason": "error",
                "message": str(exc),
            }
        if not res.get("ok"):
            reason = res.get("reason")
            return {
                "ok": False,
                # No service chosen yet: nothing is wrong with the pass.
                "level": "warning" if reason == "no_service" else "danger",
                "reason": reason,
                # The model's sentence: for too_many_attempts it says when to
                # try again.
                "message": res.get("message") or Voucher._reason_message(reason),
            }
        currency = request.env.company.currency_id
        amount = format_amount(request.env, res.get("amount") or 0.0, currency)
        service = venue.pass_service_ids.filtered(lambda s: s.code == service_code)[:1]
        if action == "redeem":
            message = request.env._(
                'Pass accepted: %(amount)s for "%(service)s".',
                amount=amount,
                service=service.name or service_code,
            )
            level = "success"
        else:
            message = request.env._(
                "Valid pass: %(amount)s (%(program)s). You can redeem it.",
                amount=amount,
                program=res.get("program") or "",
            )
            level = "info"
        return {
            "ok": True,
            "level": level,
            "reason": None,
            "message": message,
            "amount": amount,
        }

    # ------------------------------------------------------------------ home
    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        # The Pass entries of the portal home depend on the user's organisation.
        partner = self._pass_partner()
        public = request.env.user._is_public()
        values["pass_is_venue"] = bool(partner.is_pass_venue) and not public
        values["pass_is_prescriber"] = bool(partner.is_pass_prescriber) and not public
        # Counts as the user's language writes them ("1 250" in French).
        values["pass_n"] = functools.partial(format_count, request.env)
        return values

    def _prepare_home_portal_values(self, counters):
        # Only the requested counters: the portal script looks up an element
        # for every key of the answer.
        values = super()._prepare_home_portal_values(counters)
        if "pass_book_count" in counters:
            partner = self._pass_partner()
            # As the user: the record rules count only the books they hold.
            values["pass_book_count"] = (
                request.env["pass.book"].search_count([("holder_id", "=", partner.id)])
                if partner.is_pass_prescriber
                else 0
            )
        return values

    # ------------------------------------------------------------------ venue counter
    @http.route(
        ["/my/pass-counter", "/my/passes"],
        type="http",
        auth="user",
        website=True,
        methods=["GET", "POST"],
    )
    def pass_counter(self, pass_action=None, code=None, service_code=None, **kw):
        """The counter page; a plain form POST (CSRF-checked) works without
        JavaScript, the page's script posts to the JSON routes below."""
        venue = self._pass_venue()
        extra = {}
        if request.httprequest.method == "POST":
            action = "redeem" if pass_action == "redeem" else "check"
            result = self._pass_counter_answer(venue, action, code, service_code)
            done = result["ok"] and action == "redeem"
            extra = {
                "result": result,
                # Keep the code and the service on the screen unless the pass
                # was just redeemed: the next person starts from scratch.
                "code": "" if done else clean_text(code, MAX_CODE_INPUT),
                "service_code": self._pass_default_service(venue)
                if done
                else clean_text(service_code, MAX_CODE_INPUT),
            }
        return request.render(
            "pass_numerique.portal_pass_counter",
            self._pass_counter_values(venue, **extra),
        )

    @http.route("/my/pass-counter/check", type="json", auth="user", website=True)
    def pass_counter_check(self, code=None, service_code=None, **kw):
        venue = self._pass_venue()
        return self._pass_counter_answer(venue, "check", code, service_code)

    @http.route("/my/pass-counter/redeem", type="json", auth="user", website=True)
    def pass_counter_redeem(self, code=None, service_code=None, **kw):
        venue = self._pass_venue()
        result = self._pass_counter_answer(venue, "redeem", code, service_code)
        result["today"] = self._pass_today(venue)
        return result

    @http.route(
        "/my/pass-counter/today", type="json", auth="user", website=True, readonly=True
    )
    def pass_counter_today(self, **kw):
        venue = self._pass_venue()
        return {"today": self._pass_today(venue)}

    @http.route("/my/pass-counter/cancel", type="json", auth="user", website=True)
    def pass_counter_cancel(self, voucher_id=None, reason=None, **kw):
        """Undo a redemption of the user's venue (mistake at the counter).

        A pass redeemed elsewhere is "not found" for this venue. The model
        checks the venue and the time window again.
        """
        venue = self._pass_venue()
        voucher_id = parse_id(voucher_id)
        if not voucher_id:
            raise NotFound()
        # As the portal user: the record rules hide other venues' passes.
        voucher = request.env["pass.voucher"].search(
            [("id", "=", voucher_id), ("venue_id", "=", venue.id)], limit=1
        )
        if not voucher:
            raise NotFound()
        reason = clean_text(reason, MAX_REASON_INPUT)
        try:
            voucher.action_cancel_redemption(
                reason or request.env._("Cancelled at the counter")
            )
        except (UserError, AccessError, MissingError) as exc:
            return {
                "ok": False,
                "level": "danger",
                "message": str(exc),
                "today": self._pass_today(venue),
            }
        return {
            "ok": True,
            "level": "success",
            "message": request.env._(
                "Redemption cancelled: the pass can be presented again."
            ),
            "today": self._pass_today(venue),
        }

    # ------------------------------------------------------------------ prescriber
    def _pass_books_values(self, prescriber, **extra):
        # As the portal user: the record rules keep the books the user's
        # organisation holds; the domain says so too.
        books = request.env["pass.book"].search([("holder_id", "=", prescriber.id)])
        stats = {}
        beneficiary_ids = set()
        # As the portal user: the record rules keep the passes of the books
        # the organisation holds.
        for book, state, beneficiary, count in request.env["pass.voucher"]._read_group(
            [("book_id", "in", books.ids)],
            groupby=["book_id", "state", "beneficiary_id"],
            aggregates=["__count"],
        ):
            row = stats.setdefault(
                book.id,
                {
                    "total": 0,
                    "used": 0,
                    "unused": 0,
                    "to_give": 0,
                    "beneficiary_ids": set(),
                },
            )
            row["total"] += count
            if state in ("redeemed", "settled"):
                row["used"] += count
            elif state in ("available", "distributed"):
                row["unused"] += count
            if beneficiary:
                row["beneficiary_ids"].add(beneficiary.id)
                beneficiary_ids.add(beneficiary.id)
            elif state == "distributed":
                row["to_give"] += count
        # As the portal user: only the references of the prescriber's own
        # beneficiaries (a book handed on by another prescriber keeps theirs).
        references = {
            b.id: b.reference
            for b in request.env["pass.beneficiary"].search(
                [("id", "in", list(beneficiary_ids))]
            )
        }
        rows = []
        # sudo: programme names and dates of the books found above (pass.program
        # is not readable by portal users).
        for book in books.sudo():
            row = stats.get(book.id, {})
            rows.append(
                {
                    "book": book,
                    "program": book.program_id.name,
                    "expiry": format_date(request.env, book.date_expiry)
                    if book.date_expiry
                    else "",
                    "total": row.get("total", 0),
                    "used": row.get("used", 0),
                    "unused": row.get("unused", 0),
                    "to_give": row.get("to_give", 0),
                    "beneficiaries": sorted(
                        references[b]
                        for b in row.get("beneficiary_ids", ())
                        if b in references
                    ),
                }
            )
        age_bands, situations = self._pass_beneficiary_choices()
        # As the portal user: the organisation's own beneficiaries, offered
        # when a person who already has passes comes back for more.
        known = request.env["pass.beneficiary"].search_fetch(
            [("prescriber_id", "=", prescriber.id)],
            ["reference"],
            limit=MAX_KNOWN_BENEFICIARIES,
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "pass_books",
                "prescriber": prescriber,
                "book_rows": rows,
                "age_bands": age_bands,
                "situations": situations,
                "beneficiary_references": known.mapped("reference"),
                "today": fields.Date.context_today(request.env.user),
                "message": None,
                "error": None,
                "error_book_id": None,
            }
        )
        values.update(extra)
        return values

    @http.route(
        "/my/pass-books", type="http", auth="user", website=True, methods=["GET"]
    )
    def pass_books(self, **kw):
        prescriber = self._pass_prescriber()
        extra = {}
        # The confirmation of the hand-over just made, once (put in the
        # session by pass_book_hand; nothing is read from the URL).
        handed = parse_id(request.session.pop(SESSION_HANDED, None))
        # As the portal user: only the prescriber's own beneficiaries.
        beneficiary = (
            request.env["pass.beneficiary"].search(
                [("id", "=", handed), ("prescriber_id", "=", prescriber.id)], limit=1
            )
            if handed
            else None
        )
        if beneficiary:
            extra["message"] = request.env._(
                "Book handed to beneficiary %(reference)s.",
                reference=beneficiary.reference,
            )
        return request.render(
            "pass_numerique.portal_pass_books",
            self._pass_books_values(prescriber, **extra),
        )

    @http.route(
        # A string, parsed below: werkzeug's int converter fails with a 500
        # on a number of thousands of digits, before any controller runs.
        "/my/pass-books/<string:book_id>/hand",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def pass_book_hand(
        self,
        book_id,
        reference=None,
        age_band=None,
        zip=None,
        situation=None,
        consent_date=None,
        **kw,
    ):
        """Hand a held book's passes to a beneficiary: one the organisation
        registered before (its ``reference``), or a new pseudonymous one."""
        prescriber = self._pass_prescriber()
        book_id = parse_id(book_id)
        if not book_id:
            raise NotFound()
        # As the portal user: a book held by anybody else is not found.
        book = request.env["pass.book"].search(
            [("id", "=", book_id), ("holder_id", "=", prescriber.id)], limit=1
        )
        if not book:
            raise NotFound()
        reference = clean_text(reference, MAX_REASON_INPUT)
        error = None
        values = None
        if not reference:
            # Checked as typed, not cleaned: a NUL or a space inside is wrong.
            zip_code = zip.strip() if isinstance(zip, str) else ""
            if age_band not in dict(AGE_BANDS):
                error = request.env._("Choose the beneficiary's age band.")
            elif situation not in dict(SITUATIONS):
                error = request.env._("Choose the beneficiary's situation.")
            elif not (len(zip_code) == 5 and zip_code.isascii() and zip_code.isdigit()):
                error = request.env._("A postcode has 5 digits.")
            consent = None
            if not error:
                consent = parse_date(consent_date)
                if not consent or consent > fields.Date.context_today(request.env.user):
                    error = request.env._("Enter the consent date (today or earlier).")
            values = {
                "prescriber_id": prescriber.id,
                "age_band": age_band,
                "zip": zip_code,
                "situation": situation,
                "consent_date": consent,
            }
        if error:
            return request.render(
                "pass_numerique.portal_pass_books",
                self._pass_books_values(prescriber, error=error, error_book_id=book.id),
            )
        try:
            with request.env.cr.savepoint():
                # As the portal user: the model finds the organisation's own
                # beneficiary (or registers the new one), checks that the
                # organisation holds the book, then hands its passes.
                beneficiary = request.env["pass.beneficiary"]._hand_book(
                    book, reference=reference, values=values
                )
        except (UserError, ValidationError, AccessError) as exc:
            return request.render(
                "pass_numerique.portal_pass_books",
                self._pass_books_values(
                    prescriber, error=str(exc), error_book_id=book.id
                ),
            )
        request.session[SESSION_HANDED] = beneficiary.id
        return request.redirect("/my/pass-books")


class PassHome(Home):
    """A venue's user lands on the counter after logging in: it is what the
    person at the desk opens the portal for."""

    def _pass_venue_landing(self, uid):
        if not uid or is_user_internal(uid):
            return None
        # sudo: whether the user who just logged in belongs to a venue; only
        # that flag of their own organisation is read.
        user = request.env["res.users"].sudo().browse(uid)
        if user.partner_id.commercial_partner_id.is_pass_venue:
            return "/my/pass-counter"
        return None

    def _login_redirect(self, uid, redirect=None):
        if not redirect:
            redirect = self._pass_venue_landing(uid)
        return super()._login_redirect(uid, redirect=redirect)

    @http.route()
    def index(self, *args, **kw):
        landing = self._pass_venue_landing(request.session.uid)
        if landing:
            return request.redirect_query(landing, query=request.params)
        return super().index(*args, **kw)
