# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Portal pages of the Pass Numérique: the venue's counter and the
prescriber's books. Each route parses the browser's input, calls one method
of a model service (``pass.venue.counter``, ``pass.prescriber.dashboard``)
and renders its answer; the services check the caller's rights and word the
messages.

The venue and the prescriber are always the commercial partner of the logged-in
user (``res.users._pass_portal_context``): no route takes a venue or
prescriber id from the browser.

Bad input never makes a 500: ids outside PostgreSQL's integer range, text with
NUL or control characters, overlong values and impossible dates end as a 404
or as a message on the page. Messages shown after a redirect travel in the
session, never in the URL.
"""

import functools
import re

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.web import Home
from odoo.addons.web.controllers.utils import is_user_internal

from ..tools.formatting import format_count
from ..tools.pass_code import MAX_CODE_INPUT

# Record ids are PostgreSQL integers: anything larger is "not found".
MAX_ID = 2**31 - 1
# Free text typed at the counter (reason of a cancellation).
MAX_REASON_INPUT = 200
# What an <input type="date"> sends.
DATE_INPUT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
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


class PassPortal(CustomerPortal):
    # ------------------------------------------------------------------ helpers
    def _pass_role(self, role):
        """The user's organisation if it has ``role``, else 404."""
        partner = request.env.user._pass_portal_partner(role)
        if not partner:
            raise NotFound()
        return partner

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        # The Pass entries of the portal home depend on the user's organisation.
        context = request.env.user._pass_portal_context()
        values["pass_is_venue"] = context["venue"]
        values["pass_is_prescriber"] = context["prescriber"]
        values["pass_is_funder"] = context["funder"]
        # Counts as the user's language writes them ("1 250" in French).
        values["pass_n"] = functools.partial(format_count, request.env)
        return values

    def _prepare_home_portal_values(self, counters):
        # Only the requested counters: the portal script looks up an element
        # for every key of the answer.
        values = super()._prepare_home_portal_values(counters)
        if "pass_book_count" in counters:
            partner = request.env.user._pass_portal_partner("prescriber")
            # As the user: the record rules count only the books they hold.
            values["pass_book_count"] = (
                request.env["pass.book"].search_count([("holder_id", "=", partner.id)])
                if partner
                else 0
            )
        return values

    # ------------------------------------------------------------------ venue counter
    def _pass_counter_render(self, venue, **extra):
        values = self._prepare_portal_layout_values()
        values.update(request.env["pass.venue.counter"]._page(venue))
        values.update(page_name="pass_counter", **extra)
        return request.render("pass_numerique.portal_pass_counter", values)

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
        venue = self._pass_role("venue")
        if request.httprequest.method != "POST":
            return self._pass_counter_render(venue)
        action = "redeem" if pass_action == "redeem" else "check"
        code = clean_text(code, MAX_CODE_INPUT)
        service_code = clean_text(service_code, MAX_CODE_INPUT)
        Counter = request.env["pass.venue.counter"]
        result = Counter._answer(venue, action, code, service_code)
        done = result["ok"] and action == "redeem"
        # Keep the code and the service on the screen unless the pass was
        # just redeemed: the next person starts from scratch.
        return self._pass_counter_render(
            venue,
            result=result,
            code="" if done else code,
            service_code=Counter._default_service(venue) if done else service_code,
        )

    def _pass_counter_json(self, action, code, service_code):
        venue = self._pass_role("venue")
        return request.env["pass.venue.counter"]._answer(
            venue,
            action,
            clean_text(code, MAX_CODE_INPUT),
            clean_text(service_code, MAX_CODE_INPUT),
        ), venue

    @http.route("/my/pass-counter/check", type="json", auth="user", website=True)
    def pass_counter_check(self, code=None, service_code=None, **kw):
        return self._pass_counter_json("check", code, service_code)[0]

    @http.route("/my/pass-counter/redeem", type="json", auth="user", website=True)
    def pass_counter_redeem(self, code=None, service_code=None, **kw):
        result, venue = self._pass_counter_json("redeem", code, service_code)
        result["today"] = request.env["pass.venue.counter"]._today(venue)
        return result

    @http.route(
        "/my/pass-counter/today", type="json", auth="user", website=True, readonly=True
    )
    def pass_counter_today(self, **kw):
        venue = self._pass_role("venue")
        return {"today": request.env["pass.venue.counter"]._today(venue)}

    @http.route("/my/pass-counter/cancel", type="json", auth="user", website=True)
    def pass_counter_cancel(self, voucher_id=None, reason=None, **kw):
        """Undo a redemption of the user's venue (mistake at the counter); a
        pass redeemed elsewhere is "not found" for this venue."""
        venue = self._pass_role("venue")
        voucher_id = parse_id(voucher_id)
        if not voucher_id:
            raise NotFound()
        try:
            return request.env["pass.venue.counter"]._cancel(
                venue, voucher_id, clean_text(reason, MAX_REASON_INPUT)
            )
        except MissingError as exc:
            raise NotFound() from exc

    # ------------------------------------------------------------------ prescriber
    def _pass_books_render(self, prescriber, **extra):
        values = self._prepare_portal_layout_values()
        values.update(request.env["pass.prescriber.dashboard"]._books_page(prescriber))
        values.update(
            page_name="pass_books", message=None, error=None, error_book_id=None
        )
        values.update(extra)
        return request.render("pass_numerique.portal_pass_books", values)

    @http.route(
        "/my/pass-books", type="http", auth="user", website=True, methods=["GET"]
    )
    def pass_books(self, **kw):
        prescriber = self._pass_role("prescriber")
        extra = {}
        # The confirmation of the hand-over just made, once (put in the
        # session by pass_book_hand; nothing is read from the URL).
        handed = parse_id(request.session.pop(SESSION_HANDED, None))
        # As the portal user: only the prescriber's own beneficiaries.
        beneficiary = request.env["pass.beneficiary"].search(
            [("id", "=", handed or 0), ("prescriber_id", "=", prescriber.id)], limit=1
        )
        if beneficiary:
            extra["message"] = request.env._(
                "Book handed to beneficiary %(reference)s.",
                reference=beneficiary.reference,
            )
        return self._pass_books_render(prescriber, **extra)

    @http.route(
        # A string, parsed below: werkzeug's int converter fails with a 500
        # on a number of thousands of digits, before any controller runs.
        "/my/pass-books/<string:book_id>/hand",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def pass_book_hand(self, book_id, reference=None, consent_date=None, **kw):
        """Hand a held book's passes to a beneficiary: one the organisation
        registered before (its ``reference``), or a new pseudonymous one."""
        prescriber = self._pass_role("prescriber")
        book_id = parse_id(book_id)
        if not book_id:
            raise NotFound()
        reference = clean_text(reference, MAX_REASON_INPUT)
        # Checked as typed by the model, not cleaned: a NUL or a space inside
        # a postcode is wrong.
        values = {
            "age_band": kw.get("age_band"),
            "situation": kw.get("situation"),
            "zip": kw["zip"].strip() if isinstance(kw.get("zip"), str) else "",
            "consent_date": parse_date(consent_date),
        }
        try:
            beneficiary = request.env["pass.prescriber.dashboard"]._hand_book(
                prescriber, book_id, reference=reference, values=values
            )
        except MissingError as exc:
            raise NotFound() from exc
        except (UserError, ValidationError, AccessError) as exc:
            return self._pass_books_render(
                prescriber, error=str(exc), error_book_id=book_id
            )
        request.session[SESSION_HANDED] = beneficiary.id
        return request.redirect("/my/pass-books")


class PassHome(Home):
    """A venue's user lands on the counter after logging in: it is what the
    person at the desk opens the portal for."""

    def _pass_venue_landing(self, uid):
        if not uid or is_user_internal(uid):
            return None
        # sudo: whether the user who just logged in belongs to a venue (the
        # request may still run as the public user); only that flag of their
        # own organisation is read.
        user = request.env["res.users"].sudo().browse(uid)
        if user._pass_portal_context()["venue"]:
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
