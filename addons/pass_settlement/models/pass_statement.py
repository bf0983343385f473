# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Statements for a period: a funder's (invoiced, paid by the funder, passes
redeemed, settled to venues, refunded or retained, still held) and a venue's (passes
redeemed, remitted, paid). The money figures come from the ledger (the
funders' money account and the venues' payables), so a statement always
agrees with what the accountant sees."""

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.pass_numerique.tools.period import company_tz, period_bounds_utc

from .pass_expiry import funder_books


class PassStatement(models.AbstractModel):
    """The statements' figures, shared by the back-office print wizard
    (pass.statement.print), the PDF reports and the portal."""

    _name = "pass.statement"
    _description = "Pass statements (funder or venue)"

    # ------------------------------------------------------------------ funder
    @api.model
    def _funder_statement(
        self, partner, date_from, date_to, program=None, company=None
    ):
        """Per programme of the funder, over the period, the face value part
        of the funder's money (its fees are not there):

        - invoiced: posted invoices minus credit notes on them;
        - paid: the part of those invoices the funder actually paid (matched
          with a payment; a credit note or a reversal is no payment), pro
          rata of each invoice's total; ``due`` = invoiced - paid, what the
          funder still owes;
        - settled: its share of the passes remitted to venues (remittance
          entries, minus their reversals);
        - refunded / retained at the end of validity;
        - other entries on its part of the funders' money account;
        - held = paid + other - settled - refunded - retained, at the start
          (``opening``) and at the end of the period. Once the funder has
          paid all its invoices, ``held`` is its balance on the funders'
          money account (467)."""
        company = company or self.env.company
        partner = partner.commercial_partner_id
        currency = company.currency_id
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        liability = company.pass_liability_account_id
        programs = program or self.env["pass.program"].search(
            [
                ("funding_ids.partner_id", "=", partner.id),
                ("company_id", "=", company.id),
            ]
        )
        AML = self.env["account.move.line"]
        # One grouped query: the funder's 467 lines up to the end of the
        # period, per programme and entry.
        groups = AML._read_group(
            [
                ("account_id", "=", liability.id),
                ("partner_id", "=", partner.id),
                ("parent_state", "=", "posted"),
                ("company_id", "=", company.id),
                ("pass_program_id", "in", programs.ids),
                ("date", "<=", date_to),
            ],
            ["pass_program_id", "move_id"],
            ["balance:sum", "pass_voucher_count:sum"],
        )
        moves = self.env["account.move"].union(*(m for _p, m, *_rest in groups))
        remittance_moves = set(
            self.env["pass.remittance"]
            .search([("move_id", "in", moves.ids)])
            .move_id.ids
        )
        reconciliation_moves = set(
            self.env["pass.reconciliation.line"]
            .search([("move_id", "in", moves.ids)])
            .move_id.ids
        )
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
        paid_parts = self._funder_paid_parts(invoices)
        # before / in the period, per programme and figure
        figures = {
            "before": defaultdict(lambda: defaultdict(float)),
            "period": defaultdict(lambda: defaultdict(float)),
        }
        for prog, move, balance, count in groups:
            amount = -balance  # credit on the liability: money of the funder
            if move.move_type == "out_invoice":
                kind = "invoiced"
            elif move.id in reconciliation_moves:
                kind = "refunded" if move.move_type == "out_refund" else "retained"
            elif move.move_type == "out_refund":
                kind = "invoiced"  # a credit note on an invoice
                count = -count
            elif (
                move.id in remittance_moves
                or move.reversed_entry_id.id in remittance_moves
            ):
                kind = "settled"
                if move.id not in remittance_moves:
                    count = -count
            else:
                kind = "other"
            sign = 1 if kind in ("invoiced", "other") else -1
            bucket = "before" if move.date < date_from else "period"
            figures[bucket][prog][kind] += sign * amount
            figures[bucket][prog][kind + "_count"] += count
            if kind == "invoiced" and move.move_type == "out_invoice":
                total = move.amount_total_signed
                for paid_on, paid in paid_parts.get(move.id, ()):
                    if paid_on > date_to or not total:
                        continue
                    part = amount * paid / total
                    paid_bucket = "before" if paid_on < date_from else "period"
                    figures[paid_bucket][prog]["paid"] += part
        # Passes redeemed in the period, on books invoiced to this funder.
        books = self.env["pass.book"]
        for (_prog, funder), per_line in funder_books(self.env, programs).items():
            if funder == partner:
                books |= self.env["pass.book"].union(*per_line.values())
        start, end = _period_bounds(date_from, date_to, company)
        redeemed = dict(
            (prog, count)
            for prog, count in self.env["pass.voucher"]._read_group(
                [
                    ("book_id", "in", books.ids),
                    ("state", "in", ("redeemed", "settled")),
                    ("redeemed_at", ">=", start),
                    ("redeemed_at", "<", end),
                ],
                ["program_id"],
                ["__count"],
            )
        )
        rows = []
        for prog in programs.sorted(lambda p: (p.date_start, p.id)):
            parts = dict(prog._pass_funder_cents()) if prog.funding_ids else {}
            unit = parts.get(partner, 0) * prog.currency_id.rounding
            before = figures["before"].get(prog, {})
            fig = figures["period"].get(prog, {})
            row = {
                "program": prog,
                "share": sum(
                    prog.funding_ids.filtered(lambda f: f.partner_id == partner).mapped(
                        "share"
                    )
                ),
                "unit": unit,
                "redeemed_count": redeemed.get(prog, 0),
                "redeemed": currency.round(unit * redeemed.get(prog, 0)),
            }
            for key in ("invoiced", "settled", "refunded", "retained", "other"):
                row[key] = currency.round(fig.get(key, 0.0))
                row[key + "_count"] = int(fig.get(key + "_count", 0))
            row.pop("other_count")
            # Never more paid than invoiced (a credit note on a paid invoice
            # is owed back to the funder, not held for it).
            invoiced_before = before.get("invoiced", 0.0)
            invoiced_end = invoiced_before + fig.get("invoiced", 0.0)
            paid_before = currency.round(
                min(before.get("paid", 0.0), max(invoiced_before, 0.0))
            )
            paid_end = currency.round(
                min(before.get("paid", 0.0) + fig.get("paid", 0.0), invoiced_end)
            )
            row["paid"] = currency.round(paid_end - paid_before)
            row["due"] = currency.round(invoiced_end - paid_end)
            row["opening"] = currency.round(
                paid_before
                + before.get("other", 0.0)
                - before.get("settled", 0.0)
                - before.get("refunded", 0.0)
                - before.get("retained", 0.0)
            )
            row["held"] = currency.round(
                row["opening"]
                + row["paid"]
                + row["other"]
                - row["settled"]
                - row["refunded"]
                - row["retained"]
            )
            if (
                any(
                    row[k]
                    for k in ("opening", "invoiced", "held", "due", "redeemed_count")
                )
                or program
            ):
                rows.append(row)
        keys = (
            "opening",
            "invoiced",
            "invoiced_count",
            "paid",
            "due",
            "redeemed",
            "redeemed_count",
            "settled",
            "settled_count",
            "refunded",
            "refunded_count",
            "retained",
            "retained_count",
            "other",
            "held",
        )
        totals = {k: currency.round(sum(r[k] for r in rows)) for k in keys}
        return {
            "kind": "funder",
            "partner": partner,
            "company": company,
            "currency": currency,
            "date_from": date_from,
            "date_to": date_to,
            "program": program or self.env["pass.program"],
            "rows": rows,
            "totals": totals,
        }

    @api.model
    def _funder_paid_parts(self, invoices):
        """{invoice id: [(date, amount paid)]}: what the funder paid on each
        invoice, in company currency, dated when it was matched. Only
        payments count: a match with a credit note or an invoice, or with
        the reversal of an entry, pays nothing. One grouped query."""
        if not invoices:
            return {}
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.move.line"].flush_model(
            ["move_id", "display_type", "parent_state"]
        )
        self.env["account.move"].flush_model(["move_type", "reversed_entry_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT inv.move_id, part.max_date, SUM(part.amount)
                  FROM account_partial_reconcile part
                  JOIN account_move_line inv ON inv.id = part.debit_move_id
                  JOIN account_move_line pay ON pay.id = part.credit_move_id
                  JOIN account_move pay_move ON pay_move.id = pay.move_id
                 WHERE inv.move_id IN %(invoices)s
                   AND inv.display_type = 'payment_term'
                   AND pay_move.move_type = 'entry'
                   AND pay_move.reversed_entry_id IS NULL
                   AND pay_move.state = 'posted'
                 GROUP BY inv.move_id, part.max_date
                """,
                invoices=tuple(invoices.ids),
            )
        )
        res = defaultdict(list)
        for move_id, paid_on, amount in self.env.cr.fetchall():
            res[move_id].append((paid_on, amount))
        return res

    # ------------------------------------------------------------------ venue
    @api.model
    def _venue_statement(self, venue, date_from, date_to, company=None):
        """Passes the venue redeemed in the period (per programme), its
        remittances validated in the period and what it was paid."""
        company = company or self.env.company
        venue = venue.commercial_partner_id
        currency = company.currency_id
        start, end = _period_bounds(date_from, date_to, company)
        redeemed_rows = [
            {"program": prog, "count": count, "amount": currency.round(amount)}
            for prog, count, amount in self.env["pass.voucher"]._read_group(
                [
                    ("venue_id", "=", venue.id),
                    ("company_id", "=", company.id),
                    ("state", "in", ("redeemed", "settled")),
                    ("redeemed_at", ">=", start),
                    ("redeemed_at", "<", end),
                ],
                ["program_id"],
                ["__count", "amount:sum"],
            )
        ]
        remittances = self.env["pass.remittance"].search(
            [
                ("venue_id", "=", venue.id),
                ("company_id", "=", company.id),
                ("state", "=", "validated"),
                ("move_id.date", ">=", date_from),
                ("move_id.date", "<=", date_to),
            ],
            order="id",
        )
        # Every payment matched in the period against any of the venue's
        # remittance payables (also those of earlier remittances).
        payable_lines = (
            self.env["pass.remittance"]
            .search(
                [
                    ("venue_id", "=", venue.id),
                    ("company_id", "=", company.id),
                    ("state", "=", "validated"),
                ]
            )
            .move_id.line_ids.filtered(
                lambda line: line.account_id.account_type == "liability_payable"
                and line.partner_id == venue
            )
        )
        paid_by_line = defaultdict(float)
        paid_in_period = 0.0
        for partial in payable_lines.matched_debit_ids:
            if partial.max_date <= date_to:
                paid_by_line[partial.credit_move_id] += partial.amount
            if date_from <= partial.max_date <= date_to:
                paid_in_period += partial.amount
        remittance_rows = []
        for remittance in remittances:
            lines = remittance.move_id.line_ids & payable_lines
            paid = sum(paid_by_line[line] for line in lines)
            remittance_rows.append(
                {
                    "remittance": remittance,
                    "date": remittance.move_id.date,
                    "count": remittance.voucher_count,
                    "amount": remittance.amount_total,
                    "paid": currency.round(paid),
                    "due": currency.round(remittance.amount_total - paid),
                }
            )
        remitted_until_end = sum(
            -line.balance for line in payable_lines if line.date <= date_to
        )
        paid_until_end = sum(paid_by_line.values())
        awaiting = self.env["pass.voucher"].search_count(
            [
                ("venue_id", "=", venue.id),
                ("company_id", "=", company.id),
                ("state", "=", "redeemed"),
                ("redeemed_at", "<", end),
            ]
        )
        return {
            "kind": "venue",
            "partner": venue,
            "company": company,
            "currency": currency,
            "date_from": date_from,
            "date_to": date_to,
            "redeemed_rows": redeemed_rows,
            "remittance_rows": remittance_rows,
            "totals": {
                "redeemed_count": sum(r["count"] for r in redeemed_rows),
                "redeemed": currency.round(sum(r["amount"] for r in redeemed_rows)),
                "remitted_count": sum(r["count"] for r in remittance_rows),
                "remitted": currency.round(sum(r["amount"] for r in remittance_rows)),
                "paid": currency.round(paid_in_period),
                "due": currency.round(remitted_until_end - paid_until_end),
                "awaiting_count": awaiting,
            },
        }


def _period_bounds(date_from, date_to, company):
    """Naive UTC datetimes [start, end) covering the days of the period in
    the company's timezone (Europe/Paris unless its contact says otherwise):
    a pass redeemed on 1 November at 00:30 in Paris is November's."""
    return period_bounds_utc(
        fields.Date.to_date(date_from),
        fields.Date.to_date(date_to),
        company_tz(company),
    )


class ReportPassStatement(models.AbstractModel):
    """Values of the two statement PDFs: from statement wizards (docids) or,
    from the portal, from ``data`` (kind, partner_id, date_from, date_to,
    program_id) once the controller has checked the partner is the user's."""

    _name = "report.pass_settlement.report_pass_statement"
    _description = "Pass statement report"

    @api.model
    def _get_report_values(self, docids, data=None):
        statements = []
        if docids:
            for wizard in self.env["pass.statement.print"].browse(docids):
                statements.append(wizard._statement_data())
        elif data and data.get("partner_id"):
            Statement = self.env["pass.statement"]
            partner = self.env["res.partner"].browse(data["partner_id"])
            date_from = fields.Date.to_date(data["date_from"])
            date_to = fields.Date.to_date(data["date_to"])
            company = (
                self.env["res.company"].browse(data.get("company_id"))
                or self.env.company
            )
            if data.get("kind") == "venue":
                statements.append(
                    Statement._venue_statement(partner, date_from, date_to, company)
                )
            else:
                program = self.env["pass.program"].browse(data.get("program_id") or [])
                statements.append(
                    Statement._funder_statement(
                        partner, date_from, date_to, program, company
                    )
                )
        return {
            "doc_ids": docids,
            "doc_model": "pass.statement.print",
            "statements": statements,
        }


class ReportPassStatementFunder(models.AbstractModel):
    _name = "report.pass_settlement.report_pass_statement_funder"
    _inherit = "report.pass_settlement.report_pass_statement"
    _description = "Funder statement report"


class ReportPassStatementVenue(models.AbstractModel):
    _name = "report.pass_settlement.report_pass_statement_venue"
    _inherit = "report.pass_settlement.report_pass_statement"
    _description = "Venue statement report"
