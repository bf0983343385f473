# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Statements in the portal: a funder's users see their funder's statement,
a venue's users their venue's, nobody anyone else's (404). A date that is
no date, or out of the range a statement can cover, is a 404 too."""

from datetime import date

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.http import request

from odoo.addons.pass_numerique.models.pass_voucher import MAX_ID
from odoo.addons.pass_numerique.tools.period import company_tz, local_today
from odoo.addons.portal.controllers.portal import CustomerPortal

# The dates a statement period may cover.
PERIOD_MIN = date(2000, 1, 1)
PERIOD_MAX = date(2999, 12, 31)


class PassStatementPortal(CustomerPortal):
    def _pass_statement_partner(self):
        # sudo: portal users cannot read the Pass role flags of their own
        # organisation; this is the user's own partner, never one from the URL.
        return request.env.user.partner_id.commercial_partner_id.sudo()

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        partner = self._pass_statement_partner()
        public = request.env.user._is_public()
        values["pass_statement_funder"] = bool(partner.is_pass_funder) and not public
        values["pass_statement_venue"] = bool(partner.is_pass_venue) and not public
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
        if start > end:
            start, end = end, start
        return start, end

    def _pass_statement_own(self, partner_id, flag):
        """The user's organisation if it is ``partner_id`` with the role, else 404."""
        partner = self._pass_statement_partner()
        if (
            request.env.user._is_public()
            or partner.id != partner_id
            or not partner[flag]
        ):
            raise NotFound()
        return partner

    @http.route(
        "/my/pass-statements", type="http", auth="user", website=True, readonly=True
    )
    def pass_statements(self, **kw):
        partner = self._pass_statement_partner()
        if not (partner.is_pass_funder or partner.is_pass_venue):
            raise NotFound()
        start, end = self._pass_statement_period(kw.get("date_from"), kw.get("date_to"))
        # sudo: the user's own programmes (portal users do not read programmes).
        programs = (
            request.env["pass.program"]
            .sudo()
            .search([("funding_ids.partner_id", "=", partner.id)])
            if partner.is_pass_funder
            else request.env["pass.program"]
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "pass_statements",
                "partner": partner,
                "programs": programs,
                "date_from": start,
                "date_to": end,
            }
        )
        return request.render("pass_settlement.portal_pass_statements", values)

    def _pass_statement_response(self, kind, partner, start, end, program, report_type):
        Statement = request.env["pass.statement"].sudo()  # sudo: own statement, checked
        company = program.company_id if program else request.env.company
        if kind == "funder":
            statement = Statement._funder_statement(
                partner, start, end, program, company
            )
        else:
            statement = Statement._venue_statement(partner, start, end, company)
        if report_type == "pdf":
            report = f"pass_settlement.pass_statement_{kind}_report"
            data = {
                "kind": kind,
                "partner_id": partner.id,
                "date_from": fields.Date.to_string(start),
                "date_to": fields.Date.to_string(end),
                "program_id": program.id if program else False,
                "company_id": company.id,
            }
            # sudo: the report reads the ledger for the user's own statement.
            pdf, _type = (
                request.env["ir.actions.report"]
                .sudo()
                ._render_qweb_pdf(report, data=data)
            )
            filename = "%s.pdf" % Statement._statement_filename(partner, start, end)
            return request.make_response(
                pdf,
                headers=[
                    (
                        "Content-Type",
                        "application/pdf" if _type == "pdf" else "text/html",
                    ),
                    ("Content-Length", len(pdf)),
                    ("Content-Disposition", f'inline; filename="{filename}"'),
                ],
            )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "pass_statement",
                "statement": statement,
                "programs": (
                    request.env["pass.program"]
                    .sudo()  # sudo: the funder's own programmes
                    .search([("funding_ids.partner_id", "=", partner.id)])
                    if kind == "funder"
                    else request.env["pass.program"]
                ),
                "program": program,
            }
        )
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
        partner = self._pass_statement_own(partner_id, "is_pass_funder")
        start, end = self._pass_statement_period(date_from, date_to)
        program = request.env["pass.program"].sudo()  # sudo: checked to be the funder's
        if program_id:
            try:
                program_id = int(program_id)
            except ValueError as exc:
                raise NotFound() from exc
            if not 0 < program_id <= MAX_ID:
                raise NotFound()
            program = program.browse(program_id).exists()
            if not program or partner not in program.funding_ids.partner_id:
                raise NotFound()
        return self._pass_statement_response(
            "funder", partner, start, end, program, report_type
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
        partner = self._pass_statement_own(partner_id, "is_pass_venue")
        start, end = self._pass_statement_period(date_from, date_to)
        return self._pass_statement_response(
            "venue", partner, start, end, request.env["pass.program"], report_type
        )
