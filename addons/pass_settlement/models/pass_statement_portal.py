# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError


class PassStatementPortal(models.AbstractModel):
    """Statements in the portal: a funder's users see their funder's
    statement, a venue's users their venue's, Pass staff anybody's. The
    caller's rights are checked first, then ``pass.statement`` reads the
    ledger."""

    _name = "pass.statement.portal"
    _description = "Pass statements (portal)"

    @api.model
    def _check_statement_access(self, kind, partner):
        """Refuse (AccessError) anybody but Pass staff and the users of
        ``partner``'s own organisation, which must have the role of ``kind``
        (``funder`` or ``venue``)."""
        user = self.env.user
        role = "funder" if kind == "funder" else "venue"
        own = user._pass_portal_partner(role)
        staff = user.has_group("pass_numerique.pass_numerique_group_user")
        has_role = partner.is_pass_funder if role == "funder" else partner.is_pass_venue
        if not (partner and has_role and (own == partner or staff)):
            raise AccessError(
                self.env._("Only a partner's own users may see its statements.")
            )

    @api.model
    def _programs(self, kind, partner):
        """The programmes ``partner`` funds (read as the caller: a portal
        funder reads its own through the record rules); none for a venue."""
        if kind != "funder":
            return self.env["pass.program"]
        return self.env["pass.program"].search(
            [("funding_ids.partner_id", "=", partner.id)]
        )

    @api.model
    def _statement_program(self, kind, partner, program_id=None):
        """The rights checked, ``partner``'s programmes and the one chosen
        (MissingError when ``partner`` does not fund it)."""
        self._check_statement_access(kind, partner)
        programs = self._programs(kind, partner)
        program = programs.filtered(lambda p: p.id == program_id)
        if program_id and not program:
            raise MissingError(self.env._("This programme does not exist."))
        return programs, program

    @api.model
    def _statement_page(self, kind, partner, date_from, date_to, program_id=None):
        """What the statement page shows: the statement, the programmes to
        choose from and the chosen one."""
        programs, program = self._statement_program(kind, partner, program_id)
        company = program.company_id or self.env.company
        # sudo: the caller's rights on ``partner`` were checked above; the
        # statement reads the ledger (journal items, invoices) of that
        # partner only.
        Statement = self.env["pass.statement"].sudo()
        if kind == "funder":
            statement = Statement._funder_statement(
                partner, date_from, date_to, program.sudo(), company
            )
        else:
            statement = Statement._venue_statement(partner, date_from, date_to, company)
        return {"statement": statement, "programs": programs, "program": program}

    @api.model
    def _statement_pdf(self, kind, partner, date_from, date_to, program_id=None):
        """The statement as a PDF: (content, "pdf" or "html", file name)."""
        _programs, program = self._statement_program(kind, partner, program_id)
        data = {
            "kind": kind,
            "partner_id": partner.id,
            "date_from": fields.Date.to_string(date_from),
            "date_to": fields.Date.to_string(date_to),
            "program_id": program.id,
            "company_id": (program.company_id or self.env.company).id,
        }
        # sudo: rights checked above; the report reads the ledger for the
        # caller's own statement.
        content, kind_ = (
            self.env["ir.actions.report"]
            .sudo()
            ._render_qweb_pdf(
                f"pass_settlement.pass_statement_{kind}_report", data=data
            )
        )
        name = self.env["pass.statement"]._statement_filename(
            partner, date_from, date_to
        )
        return content, kind_, f"{name}.pdf"
