# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The venue's counter in the portal (``/my/pass-counter``), as a model
service: the answer to a code typed or scanned, the day's redemptions and
the undoing of a redemption. Everything runs as the caller: the voucher's
methods check that the venue is the user's own, log the attempt and apply
the guessing limits; the record rules show a venue's users only the passes
redeemed at their venue."""

from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.tools import format_amount, format_datetime

from ..tools.period import DEFAULT_TZ


def service_name(service):
    """The name of the service a pass paid for ("" for none). Portal users
    read the active services only (record rule): a service archived since
    still names the passes it paid for."""
    if not service or service._filtered_access("read"):
        return service.name or ""
    # sudo: only the name of the service of a pass the caller reads.
    return service.sudo().name or ""


class PassVenueCounter(models.AbstractModel):
    _name = "pass.venue.counter"
    _description = "Venue counter (portal)"

    @api.model
    def _check_venue_access(self, venue):
        """Refuse (AccessError) anybody but the users of ``venue``'s own
        organisation and Pass staff; it must be a venue."""
        user = self.env.user
        own = not user._is_public() and user.partner_id.commercial_partner_id == venue
        staff = user.has_group("pass_numerique.pass_numerique_group_user")
        if not (venue and venue.is_pass_venue and (own or staff)):
            raise AccessError(
                self.env._("Only a venue's own users may use its counter.")
            )

    @api.model
    def _tz(self):
        name = self.env.user.tz or self.env.context.get("tz") or DEFAULT_TZ
        try:
            return pytz.timezone(name)
        except pytz.UnknownTimeZoneError:
            return pytz.timezone(DEFAULT_TZ)

    @api.model
    def _cancel_window(self):
        """Minutes during which a venue may undo its own redemption."""
        # sudo: a setting venues need to know, not readable by portal users.
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("pass_numerique.cancel_window_minutes", 30)
        )

    @api.model
    def _page(self, venue):
        """What the counter page shows besides the answer to a code."""
        self._check_venue_access(venue)
        services = venue.pass_service_ids.sorted(lambda s: (s.name or "").lower())
        env = self.env
        return {
            "venue": venue,
            "services": services,
            "today": self._today(venue),
            "cancel_window": self._cancel_window(),
            # The usual reasons of a cancellation, offered in the dialog (the
            # last one lets the person type their own).
            "cancel_reasons": [
                env._("Wrong service chosen"),
                env._("Wrong pass redeemed (code error)"),
                env._("The service was not provided"),
                env._("The person gave up the service"),
            ],
            "result": None,
            "code": "",
            "service_code": self._default_service(venue),
        }

    @api.model
    def _default_service(self, venue):
        """The service chosen when the page opens: none, unless the venue
        offers a single one."""
        services = venue.pass_service_ids
        return services.code if len(services) == 1 else ""

    @api.model
    def _today(self, venue):
        """The venue's redemptions since midnight (the user's time zone):
        {"rows": [...], "count": int, "total": formatted amount}, amounts in
        the passes' currency."""
        self._check_venue_access(venue)
        tz = self._tz()
        midnight = tz.localize(datetime.combine(datetime.now(tz).date(), time.min))
        since = midnight.astimezone(pytz.utc).replace(tzinfo=None)
        vouchers = self.env["pass.voucher"].search(
            [
                ("venue_id", "=", venue.id),
                ("state", "in", ("redeemed", "settled")),
                ("redeemed_at", ">=", since),
            ],
            order="redeemed_at desc, id desc",
        )
        limit = fields.Datetime.now() - timedelta(minutes=self._cancel_window())
        env = self.env
        rows = [
            {
                "id": voucher.id,
                "time": format_datetime(
                    env, voucher.redeemed_at, tz=tz.zone, dt_format="HH:mm"
                ),
                "code": "…" + (voucher.code or "")[-4:],
                "service": service_name(voucher.service_id),
                "program": voucher.program_id.name or "",
                "amount": format_amount(env, voucher.amount, voucher.currency_id),
                "can_cancel": voucher.state == "redeemed"
                and voucher.redeemed_at >= limit,
            }
            for voucher in vouchers
        ]
        currency = vouchers.currency_id[:1] or env.company.currency_id
        return {
            "rows": rows,
            "count": len(rows),
            "total": format_amount(env, sum(vouchers.mapped("amount")), currency),
        }

    @api.model
    def _answer(self, venue, action, code, service_code):
        """Check or redeem ``code`` for ``venue``: a dict for the page
        (ok, level, reason, message), worded by the voucher model."""
        self._check_venue_access(venue)
        if not code.strip():
            return {
                "ok": False,
                "level": "warning",
                "reason": "empty",
                "message": self.env._("Enter the pass code."),
            }
        Voucher = self.env["pass.voucher"]
        try:
            # The private methods with the channel "portal": the public ones
            # log every call as "rpc".
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
        reason = res.get("reason")
        if not res.get("ok"):
            # No service chosen yet: nothing is wrong with the pass.
            level = "warning" if reason == "no_service" else "danger"
        else:
            level = "success" if action == "redeem" else "info"
        return {
            "ok": bool(res.get("ok")),
            "level": level,
            "reason": reason,
            # The model's sentence (amount in the pass's currency; for
            # too_many_attempts it says when to try again).
            "message": res.get("message") or Voucher._reason_message(reason),
        }

    @api.model
    def _cancel(self, venue, voucher_id, reason):
        """Undo a redemption of ``venue`` (mistake at the counter). A pass
        redeemed elsewhere is MissingError; the voucher model checks the
        venue and the time window again. Returns a dict for the page."""
        self._check_venue_access(venue)
        voucher = self.env["pass.voucher"].search(
            [("id", "=", voucher_id), ("venue_id", "=", venue.id)], limit=1
        )
        if not voucher:
            raise MissingError(self.env._("This pass does not exist."))
        try:
            voucher.action_cancel_redemption(
                reason or self.env._("Cancelled at the counter")
            )
        except (UserError, AccessError) as exc:
            result = {"ok": False, "level": "danger", "message": str(exc)}
        else:
            result = {
                "ok": True,
                "level": "success",
                "message": self.env._(
                    "Redemption cancelled: the pass can be presented again."
                ),
            }
        result["today"] = self._today(venue)
        return result
