# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Statements in the portal: a funder's users see their funder's statement,
a venue's users their venue's, nobody anyone else's (404). A date that is
no date, or out of the range a statement can cover, is a 404 too. The
service ``pass.statement.portal`` checks the rights and builds the
statement."""

from datetime import date

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.pass_numerique.models.pass_voucher import MAX_ID
from odoo.addons.pass_numerique.tools.period import company_tz, local_today
from odoo.addons.portal.controllers.portal import CustomerPortal

# The dates a statement period may cover.
PERIOD_MIN = date(2000, 1, 1)
PERIOD_MAX = date(2999, 12, 31)


class PassStatementPortal(CustomerPortal):
    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        context = request.env.user._pass_portal_context()
        values["pass_statement_funder"] = context["funder"]
        values["pass_statement_venue"] = context["venue"]
        return values

    def _pass_statement_period(self, date_from, date_to):
        """The statement's days (dates, both included; the model cuts them in
        the company's timezone). By default from 1 January to today, today
        being the company's (Europe/Paris), not the browser's."""
        today = local_today(company_tz(request.env.company))
        try:
            start = (
                fields.Date.to_date(date_from) if date_from else date(today.year, 1, 1)
            )
            end = fields.Date.to_date(date_to) if date_to else today
        except (TypeError, ValueError) as exc:
            raise NotFound() from exc
        if not (PERIOD_MIN <= start <= PERIOD_MAX and PERIOD_MIN <= end <= PERIOD_MAX):
            raise NotFound()
        return min(start, end), max(start, end)

    @http.route(
        "/my/pass-statements", type="http", auth="user", website=True, readonly=True
    )
    def pass_statements(self, **kw):
        context = request.env.user._pass_portal_context()
        if not (context["funder"] or context["venue"]):
            raise NotFound()
        start, end = self._pass_statement_period(kw.get("date_from"), kw.get("date_to"))
        partner = context["partner"]
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "pass_statements",
                "partner": partner,
                "programs": request.env["pass.statement.portal"]._programs(
                    "funder" if context["funder"] else "venue", partner
                ),
                "date_from": start,
                "date_to": end,
            }
        )
        return request.render("pass_settlement.portal_pass_statements", values)

    def _pass_statement(self, kind, partner_id, date_from, date_to, program_id, pdf):
        # Only the user's own organisation: no statement of anybody else.
        partner = request.env.user._pass_portal_partner(kind)
        if not partner or partner.id != partner_id:
            raise NotFound()
        start, end = self._pass_statement_period(date_from, date_to)
        Service = request.env["pass.statement.portal"]
        try:
            if pdf:
                content, type_, filename = Service._statement_pdf(
                    kind, partner, start, end, program_id
                )
                return request.make_response(
                    content,
                    headers=[
                        (
                            "Content-Type",
                            "application/pdf" if type_ == "pdf" else "text/html",
                        ),
                        ("Content-Length", len(content)),
                        ("Content-Disposition", f'inline; filename="{filename}"'),
                    ],
                )
            page = Service._statement_page(kind, partner, start, end, program_id)
        except (AccessError, MissingError) as exc:
            raise NotFound() from exc
        values = self._prepare_portal_layout_values()
        values.update(page, page_name="pass_statement")
        return request.render(f"pass_settlement.portal_pass_statement_{kind}", values)

    @http.route(
        "/my/pass-statements/funder/<int:partner_id>",
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def pass_statement_funder(
        self,
        partner_id,
        date_from=None,
        date_to=None,
        program_id=None,
        report_type=None,
        **kw,
    ):
        if program_id:
            try:
                program_id = int(program_id)
            except ValueError as exc:
                raise NotFound() from exc
            if not 0 < program_id <= MAX_ID:
                raise NotFound()
        return self._pass_statement(
            "funder", partner_id, date_from, date_to, program_id, report_type == "pdf"
        )

    @http.route(
        "/my/pass-statements/venue/<int:partner_id>",
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def pass_statement_venue(
        self, partner_id, date_from=None, date_to=None, report_type=None, **kw
    ):
        return self._pass_statement(
            "venue", partner_id, date_from, date_to, None, report_type == "pdf"
        )
