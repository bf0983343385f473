# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from odoo import api, fields, models


class PassFunderReport(models.Model):
    """Feed the funder dashboard of the portal with the ledger's figures."""

    _inherit = "pass.funder.report"

    @api.model
    def _funder_money(self, funder, programs, used=None):
        """The funder's money for ``programs``, from the first entry to today,
        the same figures as its statement: ``invoiced`` (face value part),
        ``received`` (what it actually paid of it), ``due`` (invoiced and not
        paid yet nor offset by a refund), ``spent`` (paid to venues for
        passes used), ``refunded`` (refunded or retained at the end of
        validity), of the refunds ``refund_paid`` (paid back by transfer)
        and ``refund_due`` (still owed to the funder), ``to_invoice``
        (settled for it before being invoiced, still to invoice) and
        ``held`` (received - spent - refunded: its balance on the funders'
        money account once its invoices are paid)."""
        res = super()._funder_money(funder, programs, used=used)
        today = fields.Date.context_today(self)
        keys = (
            "invoiced",
            "received",
            "due",
            "spent",
            "refunded",
            "refund_paid",
            "refund_due",
            "to_invoice",
            "held",
        )
        totals = dict.fromkeys(keys, 0.0)
        known = False
        for company, company_programs in programs.grouped("company_id").items():
            if not company.pass_liability_account_id:
                continue
            figures = self.env["pass.statement"]._funder_statement(
                funder,
                date(2000, 1, 1),
                today,
                company_programs,
                company,
                redeemed=used,
            )["totals"]
            known = True
            totals["invoiced"] += figures["invoiced"]
            totals["received"] += figures["paid"]
            totals["due"] += figures["due"]
            totals["spent"] += figures["settled"]
            totals["refunded"] += figures["refunded"] + figures["retained"]
            totals["refund_paid"] += figures["refund_paid"]
            totals["refund_due"] += figures["refund_due"]
            totals["to_invoice"] += figures["to_invoice"]
            totals["held"] += figures["held"]
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
                        "Funder statement for the year %(year)s (PDF)", year=today.year
                    ),
                    "date": today,
                    "url": "/my/pass-statements/funder/%s?report_type=pdf"
                    % funder.commercial_partner_id.id,
                }
            )
        return res
