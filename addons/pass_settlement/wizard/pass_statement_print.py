# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import UserError


class PassStatementPrint(models.TransientModel):
    """Back office: print a funder's or a venue's statement for a period."""

    _name = "pass.statement.print"
    _description = "Print a pass statement (funder or venue)"

    kind = fields.Selection(
        [("funder", "Funder statement"), ("venue", "Mediation venue statement")],
        string="Statement",
        required=True,
        default="funder",
    )
    partner_id = fields.Many2one("res.partner", string="Partner", required=True)
    program_id = fields.Many2one("pass.program", string="Programme")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: fields.Date.context_today(self).replace(month=1, day=1),
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    @api.onchange("kind")
    def _onchange_kind(self):
        self.partner_id = False
        self.program_id = False

    def _check_period(self):
        for statement in self:
            if statement.date_from > statement.date_to:
                raise UserError(
                    self.env._(
                        "The statement's start date must be before its end date."
                    )
                )

    def action_print(self):
        self.ensure_one()
        self._check_period()
        if self.kind == "funder" and not self.partner_id.is_pass_funder:
            raise UserError(
                self.env._("%(partner)s is not a funder.", partner=self.partner_id.name)
            )
        if self.kind == "venue" and not self.partner_id.is_pass_venue:
            raise UserError(
                self.env._(
                    "%(partner)s is not a mediation venue.",
                    partner=self.partner_id.name,
                )
            )
        report = (
            "pass_settlement.pass_statement_funder_report"
            if self.kind == "funder"
            else "pass_settlement.pass_statement_venue_report"
        )
        return self.env.ref(report).report_action(self)

    def _statement_data(self):
        self.ensure_one()
        Statement = self.env["pass.statement"]
        if self.kind == "funder":
            return Statement._funder_statement(
                self.partner_id,
                self.date_from,
                self.date_to,
                self.program_id,
                self.company_id,
            )
        return Statement._venue_statement(
            self.partner_id, self.date_from, self.date_to, self.company_id
        )
