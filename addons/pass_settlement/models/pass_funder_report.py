# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo import api, fields, models


class PassFunderReport(models.Model):
    """Feed the funder dashboard of the portal with the ledger's figures."""

    _inherit = "pass.funder.report"

    @api.model
    def _funder_money(self, funder, programs):
        """Money received for the funder's passes, paid out to venues and still
        held, read from the liability account (the same figures as the
        funder statement, from the first entry to today)."""
        res = super()._funder_money(funder, programs)
        today = fields.Date.context_today(self)
        totals = {"received": 0.0, "spent": 0.0, "held": 0.0}
        known = False
        for company, company_programs in programs.grouped("company_id").items():
            if not company.pass_liability_account_id:
                continue
            statement = self.env["pass.statement"]._funder_statement(
                funder, date(2000, 1, 1), today, company_programs, company
            )
            known = True
            totals["received"] += statement["totals"]["received"]
            totals["received"] += statement["totals"]["other"]
            totals["spent"] += statement["totals"]["settled"]
            totals["held"] += statement["totals"]["held"]
        if known:
            res.update(totals)
        return res

    @api.model
    def _funder_statements(self, funder, programs):
        res = super()._funder_statements(funder, programs)
        if programs:
            today = fields.Date.context_today(self)
            res.append(
                {
                    "name": self.env._(
                        "Relevé financeur de l'année %(year)s (PDF)", year=today.year
                    ),
                    "date": today,
                    "url": "/my/pass-statements/funder/%s?report_type=pdf"
                    % funder.commercial_partner_id.id,
                }
            )
        return res
