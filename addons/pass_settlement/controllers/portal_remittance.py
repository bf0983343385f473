# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Remittances in the portal: a venue's users list their venue's remittance
slips, send their redeemed passes not yet remitted in a new one, and download
each slip as PDF. The venue is always the logged-in user's organisation: no
route takes a venue id from the browser; a remittance of another venue is
refused by the record rules (404). Messages reach the pages through the
session, never from the URL."""

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import request

from odoo.addons.pass_numerique.models.pass_voucher import MAX_ID
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

# Session key of the message shown once on the remittances page.
SESSION_ERROR_KEY = "pass_remittance_error"


class PassRemittancePortal(CustomerPortal):
    def _pass_remittance_venue(self):
        """The user's venue (res.users._pass_portal_context), or 404."""
        venue = request.env.user._pass_portal_partner("venue")
        if not venue:
            raise NotFound()
        return venue

    def _pass_unremitted_groups(self, venue):
        """The venue's redeemed passes in no remittance, per company and
        currency: [(company, currency, count, amount)]. As the user: the
        record rules keep the passes redeemed at the user's venue."""
        return request.env["pass.voucher"]._read_group(
            [
                ("venue_id", "=", venue.id),
                ("state", "=", "redeemed"),
                ("remittance_id", "=", False),
            ],
            ["company_id", "currency_id"],
            ["__count", "amount:sum"],
        )

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        values["pass_remittance_venue"] = request.env.user._pass_portal_context()[
            "venue"
        ]
        return values

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "pass_remittance_count" in counters:
            # As the user: the record rules count only the venue's remittances.
            values["pass_remittance_count"] = (
                request.env["pass.remittance"].search_count([])
                if request.env.user._pass_portal_context()["venue"]
                else 0
            )
        return values

    @http.route(
        ["/my/pass/remittances", "/my/pass/remittances/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def pass_remittances(self, page=1, **kw):
        venue = self._pass_remittance_venue()
        # As the user: the record rules restrict to the venue's remittances.
        Remittance = request.env["pass.remittance"]
        domain = [("venue_id", "=", venue.id)]
        pager = portal_pager(
            url="/my/pass/remittances",
            total=Remittance.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        remittances = Remittance.search(
            domain, limit=self._items_per_page, offset=pager["offset"]
        )
        request.session["my_pass_remittances_history"] = remittances.ids[:100]
        groups = self._pass_unremitted_groups(venue)
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "pass_remittances",
                "venue": venue,
                "remittances": remittances,
                "pager": pager,
                "unremitted_count": sum(count for _c, _cur, count, _a in groups),
                "unremitted": groups,
                # Set by this controller only (never read from the URL).
                "error": request.session.pop(SESSION_ERROR_KEY, None),
            }
        )
        return request.render("pass_settlement.portal_pass_remittances", values)

    @http.route(
        "/my/pass/remittances/new",
        type="http",
        auth="user",
        website=True,
        methods=["POST"],
    )
    def pass_remittance_new(self, **kw):
        """Send every redeemed pass of the venue not yet remitted, in one
        submitted remittance per company and currency (usually one)."""
        venue = self._pass_remittance_venue()
        groups = self._pass_unremitted_groups(venue)
        if not groups:
            return self._pass_remittances_error(
                request.env._("No redeemed pass is waiting to be submitted.")
            )
        # sudo: portal users create no records; the remittance is the
        # venue's own and takes only its redeemed passes (checked again on
        # submission).
        Remittance = request.env["pass.remittance"].sudo()
        try:
            with request.env.cr.savepoint():
                remittances = Remittance.create(
                    [
                        {
                            "venue_id": venue.id,
                            "company_id": company.id,
                            "currency_id": currency.id,
                        }
                        for company, currency, _count, _amount in groups
                    ]
                )
                remittances.action_add_redeemed()
                remittances = remittances.filtered("voucher_count")
                remittances.action_submit()
        except UserError as error:
            return self._pass_remittances_error(error.args[0])
        if len(remittances) == 1:
            return request.redirect(remittances.access_url)
        return request.redirect("/my/pass/remittances")

    def _pass_remittances_error(self, message):
        request.session[SESSION_ERROR_KEY] = message
        return request.redirect("/my/pass/remittances")

    @http.route(
        "/my/pass/remittances/<int:remittance_id>",
        type="http",
        auth="user",
        website=True,
    )
    def pass_remittance(self, remittance_id, report_type=None, download=False, **kw):
        """A slip lists pass codes: only the venue's logged-in users see it (no
        access token, which a forwarded link would carry to anyone)."""
        if not 0 < remittance_id <= MAX_ID:
            raise NotFound()
        try:
            remittance_sudo = self._document_check_access(
                "pass.remittance", remittance_id
            )
        except (AccessError, MissingError) as exc:
            raise NotFound() from exc
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=remittance_sudo,
                report_type=report_type,
                report_ref="pass_settlement.pass_remittance_report",
                download=download,
            )
        values = self._get_page_view_values(
            remittance_sudo,
            None,
            {"page_name": "pass_remittance", "remittance": remittance_sudo},
            "my_pass_remittances_history",
            False,
        )
        return request.render("pass_settlement.portal_pass_remittance", values)
