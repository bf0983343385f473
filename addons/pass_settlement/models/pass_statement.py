# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Statements for a period: a funder's (invoiced, paid by the funder, passes
redeemed, settled to venues, refunded or retained and how the refunds were
paid back, still held) and a venue's (passes redeemed, remitted, paid). The
money figures come from the ledger (the funders' money account and "to
invoice" receivable, their credit notes, the venues' payables), so a
statement always agrees with what the accountant sees."""

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.pass_numerique.tools.filename import file_slug, period_slug
from odoo.addons.pass_numerique.tools.period import company_tz, period_bounds_utc


class PassStatement(models.AbstractModel):
    """The statements' figures, shared by the back-office print wizard
    (pass.statement.print), the PDF reports and the portal."""

    _name = "pass.statement"
    _description = "Pass statements (funder or venue)"

    @api.model
    def _statement_filename(self, partner, date_from, date_to):
        """The file name of a statement, without extension:
        ``releve-<partner>-<period>`` ("releve-departement-de-la-gironde-2026"),
        the same from the back office and the portal."""
        partner = partner.commercial_partner_id
        return "releve-%s-%s" % (
            file_slug(partner.name),
            period_slug(fields.Date.to_date(date_from), fields.Date.to_date(date_to)),
        )

    # ------------------------------------------------------------------ funder
    @api.model
    def _funder_statement(
        self, partner, date_from, date_to, program=None, company=None, redeemed=None
    ):
        """Per programme of the funder, over the period, the face value part
        of the funder's money (its fees are not there):

        - invoiced: posted invoices minus credit notes on them (also the
          invoices of passes settled before being invoiced, on 4181);
        - paid: the part of those invoices the funder actually paid (matched
          with a payment; a credit note or a reversal is no payment), pro
          rata of each invoice's total; ``refund_offset``: its end-of-validity
          refunds offset against its invoices (matched with them);
          ``due`` = invoiced - paid - refund_offset, what the funder still
          owes;
        - settled: its share of the passes remitted to venues (remittance
          entries, minus their reversals), of which ``settled_to_invoice``
          on the "to invoice" receivable (4181: passes of books never
          invoiced to it); ``to_invoice``: what is left on 4181 at the end
          (settled, not invoiced yet);
        - refunded / retained at the end of validity; of the refunds,
          ``refund_paid`` paid back to the funder (credit note matched with
          an outgoing payment) and ``refund_due`` still owed to it at the end
          (neither offset nor paid back);
        - other entries on its part of the funders' money account;
        - held = paid + refund_offset + other - settled - refunded -
          retained, at the start (``opening``) and at the end of the period.
          Once the funder has paid all its invoices, ``held`` is its balance
          on the funders' money account (467) and "to invoice" receivable
          (4181), the same figure as the ledger check's.

        ``redeemed``: {programme: passes used in the period} when the caller
        counted them already (the dashboard, over the programmes' whole
        life), else counted here."""
        company = company or self.env.company
        partner = partner.commercial_partner_id
        currency = company.currency_id
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        liability = company.pass_liability_account_id
        to_invoice = company.pass_to_invoice_account_id
        programs = program or self.env["pass.program"].search(
            [
                ("funding_ids.partner_id", "=", partner.id),
                ("company_id", "=", company.id),
            ]
        )
        AML = self.env["account.move.line"]
        # One grouped query: the funder's 467 and 4181 lines up to the end of
        # the period, per programme, entry and account.
        groups = AML._read_group(
            [
                ("account_id", "in", (liability | to_invoice).ids),
                ("partner_id", "=", partner.id),
                ("parent_state", "=", "posted"),
                ("company_id", "=", company.id),
                ("pass_program_id", "in", programs.ids),
                ("date", "<=", date_to),
            ],
            ["pass_program_id", "move_id", "account_id"],
            ["balance:sum", "pass_voucher_count:sum"],
        )
        figures = self._funder_figures(groups, company, date_from, date_to)
        # Passes used in the period: the one definition of the dashboard and
        # the portal (pass.program._pass_figures), every pass of the
        # programme the funder co-funds, its books invoiced to it or not
        # (passes of books never invoiced are settled on 4181, counted in
        # "settled" too).
        if redeemed is None:
            redeemed = {
                prog: values["used"]
                for prog, values in programs._pass_figures(
                    date_from, date_to, people=False
                ).items()
            }
        rows = []
        for prog in programs.sorted(lambda p: (p.date_start, p.id)):
            row = self._funder_row(prog, partner, figures, redeemed, currency)
            if (
                any(
                    row[k]
                    for k in (
                        "opening",
                        "invoiced",
                        "held",
                        "due",
                        "redeemed_count",
                        "refund_due",
                        "refund_paid",
                        "to_invoice",
                    )
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
            "settled_to_invoice",
            "settled_to_invoice_count",
            "to_invoice",
            "refunded",
            "refunded_count",
            "refund_offset",
            "refund_paid",
            "refund_due",
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
    def _funder_figures(self, groups, company, date_from, date_to):
        """{"before"|"period"|"end": {programme: {figure: amount}}} from the
        grouped journal items of a funder's statement (see
        ``_funder_statement``)."""
        to_invoice = company.pass_to_invoice_account_id
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
        refund_parts = self._funder_refund_parts(
            moves.filtered(
                lambda m: m.move_type == "out_refund" and m.id in reconciliation_moves
            )
        )
        # before / in the period, per programme and figure
        figures = {
            "before": defaultdict(lambda: defaultdict(float)),
            "period": defaultdict(lambda: defaultdict(float)),
            "end": defaultdict(lambda: defaultdict(float)),
        }
        for prog, move, account, balance, count in groups:
            bucket = "before" if move.date < date_from else "period"
            if account == to_invoice:
                # Debit on 4181: passes settled not invoiced yet.
                figures["end"][prog]["to_invoice"] += balance
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
            figures[bucket][prog][kind] += sign * amount
            figures[bucket][prog][kind + "_count"] += count
            if kind == "settled" and account == to_invoice:
                figures[bucket][prog]["settled_to_invoice"] += sign * amount
                figures[bucket][prog]["settled_to_invoice_count"] += count
            for paid_on, part_kind, part in refund_parts.get(move.id, ()):
                if paid_on > date_to:
                    continue
                part_bucket = "before" if paid_on < date_from else "period"
                figures[part_bucket][prog][part_kind] += part
            if kind == "invoiced" and move.move_type == "out_invoice":
                total = move.amount_total_signed
                for paid_on, paid in paid_parts.get(move.id, ()):
                    if paid_on > date_to or not total:
                        continue
                    part = amount * paid / total
                    paid_bucket = "before" if paid_on < date_from else "period"
                    figures[paid_bucket][prog]["paid"] += part
        return figures

    @api.model
    def _funder_row(self, prog, partner, figures, redeemed, currency):
        """One programme's row of a funder's statement."""
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
        for key in (
            "invoiced",
            "settled",
            "settled_to_invoice",
            "refunded",
            "retained",
            "other",
        ):
            row[key] = currency.round(fig.get(key, 0.0))
            row[key + "_count"] = int(fig.get(key + "_count", 0))
        row.pop("other_count")

        def until_end(key, before=before, fig=fig):
            return before.get(key, 0.0) + fig.get(key, 0.0)

        # Never more paid than invoiced, less what the end-of-validity
        # refunds offset (a credit note on a paid invoice is owed back to
        # the funder, not held for it).
        offset_before = before.get("refund_offset", 0.0)
        offset_end = until_end("refund_offset")
        invoiced_before = before.get("invoiced", 0.0)
        invoiced_end = until_end("invoiced")
        paid_before = currency.round(
            min(before.get("paid", 0.0), max(invoiced_before - offset_before, 0.0))
        )
        paid_end = currency.round(
            min(until_end("paid"), max(invoiced_end - offset_end, 0.0))
        )
        row["paid"] = currency.round(paid_end - paid_before)
        row["refund_offset"] = currency.round(offset_end - offset_before)
        row["due"] = currency.round(invoiced_end - paid_end - offset_end)
        row["refund_paid"] = currency.round(fig.get("refund_paid", 0.0))
        row["refund_due"] = currency.round(
            until_end("refunded") - offset_end - until_end("refund_paid")
        )
        row["to_invoice"] = currency.round(
            figures["end"].get(prog, {}).get("to_invoice", 0.0)
        )
        row["opening"] = currency.round(
            paid_before
            + offset_before
            + before.get("other", 0.0)
            - before.get("settled", 0.0)
            - before.get("refunded", 0.0)
            - before.get("retained", 0.0)
        )
        row["held"] = currency.round(
            row["opening"]
            + row["paid"]
            + row["refund_offset"]
            + row["other"]
            - row["settled"]
            - row["refunded"]
            - row["retained"]
        )
        return row

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

    @api.model
    def _funder_refund_parts(self, credit_notes):
        """{credit note id: [(date, kind, amount)]}: how each end-of-validity
        credit note was settled with the funder, in company currency, dated
        when it was matched: ``refund_offset`` (matched with one of its
        invoices) or ``refund_paid`` (matched with an outgoing payment; the
        reversal of a payment, e.g. a returned transfer, pays nothing back).
        One grouped query."""
        if not credit_notes:
            return {}
        self.env["account.partial.reconcile"].flush_model()
        self.env["account.move.line"].flush_model(
            ["move_id", "display_type", "parent_state"]
        )
        self.env["account.move"].flush_model(
            ["move_type", "reversed_entry_id", "state"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT refund.move_id, part.max_date,
                       CASE WHEN other_move.move_type = 'entry'
                            THEN 'refund_paid' ELSE 'refund_offset' END,
                       SUM(part.amount)
                  FROM account_partial_reconcile part
                  JOIN account_move_line refund ON refund.id = part.credit_move_id
                  JOIN account_move_line other ON other.id = part.debit_move_id
                  JOIN account_move other_move ON other_move.id = other.move_id
                 WHERE refund.move_id IN %(credit_notes)s
                   AND refund.display_type = 'payment_term'
                   AND other_move.state = 'posted'
                   AND (
                        other_move.move_type = 'out_invoice'
                        OR (other_move.move_type = 'entry'
                            AND other_move.reversed_entry_id IS NULL)
                   )
                 GROUP BY refund.move_id, part.max_date, other_move.move_type
                """,
                credit_notes=tuple(credit_notes.ids),
            )
        )
        res = defaultdict(list)
        for move_id, matched_on, kind, amount in self.env.cr.fetchall():
            res[move_id].append((matched_on, kind, amount))
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
        # Paid by transfer, or offset against the venue's subscription
        # invoices (a clearing run's offset entry).
        paid_by_line = defaultdict(float)
        offset_by_line = defaultdict(float)
        paid_in_period = offset_in_period = 0.0
        for partial in payable_lines.matched_debit_ids:
            is_offset = bool(partial.debit_move_id.move_id.pass_offset_run_id)
            if partial.max_date <= date_to:
                by_line = offset_by_line if is_offset else paid_by_line
                by_line[partial.credit_move_id] += partial.amount
            if date_from <= partial.max_date <= date_to:
                if is_offset:
                    offset_in_period += partial.amount
                else:
                    paid_in_period += partial.amount
        remittance_rows = []
        for remittance in remittances:
            lines = remittance.move_id.line_ids & payable_lines
            paid = sum(paid_by_line[line] for line in lines)
            offset = sum(offset_by_line[line] for line in lines)
            remittance_rows.append(
                {
                    "remittance": remittance,
                    "date": remittance.move_id.date,
                    "count": remittance.voucher_count,
                    "amount": remittance.amount_total,
                    "paid": currency.round(paid),
                    "offset": currency.round(offset),
                    "due": currency.round(remittance.amount_total - paid - offset),
                }
            )
        remitted_until_end = sum(
            -line.balance for line in payable_lines if line.date <= date_to
        )
        paid_until_end = sum(paid_by_line.values()) + sum(offset_by_line.values())
        subscription = self._venue_subscription_figures(
            venue, date_from, date_to, company
        )
        # Redeemed, not sent yet: on no remittance, or on one still in draft
        # (a submitted remittance has been sent, the passes wait for its
        # validation, not for the venue).
        awaiting = self.env["pass.voucher"].search_count(
            [
                ("venue_id", "=", venue.id),
                ("company_id", "=", company.id),
                ("state", "=", "redeemed"),
                ("redeemed_at", "<", end),
                "|",
                ("remittance_id", "=", False),
                ("remittance_id.state", "not in", ("submitted", "validated")),
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
                "offset": currency.round(offset_in_period),
                "due": currency.round(remitted_until_end - paid_until_end),
                "awaiting_count": awaiting,
            },
            "subscription": subscription,
        }

    @api.model
    def _venue_subscription_figures(self, venue, date_from, date_to, company):
        """The venue's yearly subscription on its statement: ``rows`` (one
        per subscription invoiced by the end of the period and invoiced in
        it, offset in it or still due at its end) and the totals
        ``invoiced`` (invoices dated in the period, incl. VAT), ``offset``
        (deducted from its payouts in the period), ``paid`` (paid otherwise
        in the period) and ``due`` (still due at the end of the period)."""
        currency = company.currency_id
        subscriptions = self.env["pass.venue.subscription"].search(
            [
                ("venue_id", "=", venue.id),
                ("company_id", "=", company.id),
                ("state", "not in", ("draft", "cancelled")),
                ("invoice_id.invoice_date", "<=", date_to),
            ],
            order="year, id",
        )
        rows = []
        totals = dict.fromkeys(("invoiced", "offset", "paid", "due"), 0.0)
        for subscription in subscriptions:
            invoice = subscription.invoice_id
            receivables = invoice.line_ids.filtered(
                lambda line: line.account_type == "asset_receivable"
            )
            settled_until_end = offset = paid = 0.0
            for partial in receivables.matched_credit_ids:
                if partial.max_date > date_to:
                    continue
                settled_until_end += partial.amount
                if partial.max_date < date_from:
                    continue
                if partial.credit_move_id.move_id.pass_offset_run_id:
                    offset += partial.amount
                else:
                    paid += partial.amount
            invoiced = (
                invoice.amount_total if invoice.invoice_date >= date_from else 0.0
            )
            due = currency.round(invoice.amount_total - settled_until_end)
            if not (invoiced or offset or paid or due):
                continue
            rows.append(
                {
                    "subscription": subscription,
                    "year": subscription.year,
                    "invoice": invoice,
                    "amount": invoice.amount_total,
                    "offset": currency.round(offset),
                    "paid": currency.round(paid),
                    "due": due,
                }
            )
            totals["invoiced"] += invoiced
            totals["offset"] += offset
            totals["paid"] += paid
            totals["due"] += due
        return {
            "rows": rows,
            "totals": {key: currency.round(value) for key, value in totals.items()},
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
