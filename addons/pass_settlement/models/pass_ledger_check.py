# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The ledger check: what the passes say each funder and each venue is owed,
against the journal items, to the cent.

Amounts are liabilities, positive when the cooperative owes the partner
(a credit balance); they are compared in whole cents of the company currency.

**Funder (role "funder")**, per funder F (commercial partner), summed over
the programmes P it funds:

    expected(F) = sum over the sale lines L of books of P invoiced to F of
                  cents(P, F) x max(0, invoiced(L, F) - consumed(L))
    ledger(F)   = - balance of the posted journal items of the company on the
                  funders' money account (``company.pass_liability_account_id``,
                  467) whose partner is F

- ``cents(P, F)`` is F's part of one pass of P (``_pass_funder_cents``: the
  face value split by the shares, largest remainder). Every pass entry of
  the product is that part times a number of passes: the funder invoice
  (``sale_order._pass_create_funder_invoices``: credit 467), the remittance
  (``pass_remittance._prepare_move_vals``: debit 467 per funder), the
  end-of-validity credit note or retained value (``pass_expiry``: debit 467).
- ``invoiced(L, F)`` is the number of passes of L invoiced to F: the books of
  F's posted invoice lines on 467 linked to L, minus those of its posted
  credit notes linked to L (Odoo's reversal keeps the link), times the
  passes per book of L (its passes / its books), at most the passes of L.
  The end-of-validity credit notes are not linked to the sale line: they are
  counted in ``consumed``.
- ``consumed(L)`` is the number of passes of L whose money left F's account:
  settled (on a remittance) or handled by a posted end-of-validity
  reconciliation (refunded or retained). When only part of L is invoiced to
  F (a partial credit note), the consumed passes are counted against the
  invoiced ones first.

So expected(F) is F's part of the face value of the passes invoiced to it
and not yet settled, refunded or retained (DOMAIN.md's invariant).

A pass settled but never invoiced to F is not paid with F's money: the
remittance debits F's "to invoice" receivable (``company.
pass_to_invoice_account_id``, 4181) instead of 467, and F is invoiced for it
later (``pass.remittance.action_invoice_settled_passes``: lines crediting
4181). So the funder's figures net both accounts:

    expected(F) -= cents(P, F) x (to_invoice(F) - billed(F))
    ledger(F)   = - balance of F's posted items on 467 and on 4181

where to_invoice counts, per sale line L (none for books issued without an
order), min(settled(L), max(0, consumed(L) - invoiced(L, F))) and billed the
passes of F's posted invoices on 4181 minus its credit notes
(``_funder_to_invoice``). A remittance that debits F's 467 for a pass never
invoiced to F shows as a difference.

**Venue (role "venue")**, per venue V (commercial partner):

    expected(V) = face value of the passes in state ``settled`` on V's
                  validated remittances - paid(V) - offset(V)
    ledger(V)   = - balance of the posted journal items of the company on the
                  venues' payable accounts whose partner is V
    paid(V)     = balance of those items in bank and cash journals (payments,
                  bank statement lines, returned transfers)
    offset(V)   = balance of those items in the clearing runs' subscription
                  offset entries (``account.move.pass_offset_run_id``: V's
                  open subscription invoices deducted from its payout)

The venues' payable accounts are the company's venue payable account
(``company.pass_venue_payable_account_id``, 401800 in the French chart) and
those of the payable lines of earlier remittance entries
(``_venue_payable_accounts``: a database older than that account credited the
venue's own payable). Those accounts should hold nothing else: a trade
supplier's bill of a venue on the same account would show as a difference.

On a difference the check opens one to-do activity, for the accountants, on
its own record, listing the partners and amounts and what explains them: the
journal entries the product did not make, the passes whose state does not
match their remittance, the settled passes never invoiced to the funder, the
validated remittances whose entry is not posted (by ids and names, never by
pass code).
"""

import logging
from collections import defaultdict

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_amount, format_datetime

_logger = logging.getLogger(__name__)

# Who may run the check: Odoo's accountants, or the product's own role when
# it is installed (its xml id is looked up, so either works).
ACCOUNTANT_GROUPS = (
    "account.group_account_user",
    "pass_settlement.group_pass_accountant",
)
# Journals whose entries on a venue's payable are payments (or returns).
PAYMENT_JOURNAL_TYPES = ("bank", "cash")
# At most this many pass ids or entries listed per explanation.
EXPLAIN_LIMIT = 20


class PassLedgerCheck(models.Model):
    """One run of the ledger check for one company: its differences (lines)
    and, when there are any, an activity for the accountants."""

    _name = "pass.ledger.check"
    _description = "Pass ledger check"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True
    # Accountants who may read a check may act on its activity.
    _mail_post_access = "read"

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Datetime(
        string="Checked on", required=True, readonly=True, default=fields.Datetime.now
    )
    user_id = fields.Many2one("res.users", string="Checked by", readonly=True)
    state = fields.Selection(
        [("ok", "In agreement"), ("difference", "Differences")],
        required=True,
        readonly=True,
    )
    line_ids = fields.One2many(
        "pass.ledger.check.line", "check_id", string="Differences", readonly=True
    )
    difference_count = fields.Integer(compute="_compute_difference_count")

    @api.depends("date", "company_id")
    def _compute_name(self):
        for check in self:
            check.name = self.env._(
                "Ledger check of %(date)s",
                date=check.date and format_datetime(self.env, check.date),
            )

    @api.depends("line_ids")
    def _compute_difference_count(self):
        for check in self:
            check.difference_count = len(check.line_ids)

    # ------------------------------------------------------------------ API
    @api.model
    def run(self, company_id=None):
        """Check one company (``company_id``) or every company the caller may
        access: ``{"ok": bool, "differences": [{"partner_id", "role",
        "expected", "ledger", "difference"}]}`` (API.md)."""
        # The caller may access these companies (checked): their results are
        # read as the check wrote them (sudo records), whatever company the
        # caller's session has selected.
        checks = self._run_checks(self._companies_to_check(company_id))
        differences = [
            {
                "partner_id": line.partner_id.id or False,
                "role": line.role,
                "expected": line.expected,
                "ledger": line.ledger,
                "difference": line.difference,
            }
            for line in checks.line_ids
        ]
        return {"ok": not differences, "differences": differences}

    @api.model
    def action_run_check(self):
        """Button: check the companies selected in the company switcher and
        show the result."""
        companies = self.env.companies
        self._check_accountant()
        checks = self._run_checks(companies & self._accessible_companies())
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Ledger check"),
            "res_model": self._name,
            "domain": [("id", "in", checks.ids)],
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
        }
        if len(checks) == 1:
            action.update(res_id=checks.id, view_mode="form", views=[(False, "form")])
        return action

    @api.model
    def _cron_check(self):
        """Daily: check every company with the settlement configured."""
        return self.sudo().run()

    # ------------------------------------------------------------------ access
    @api.model
    def _check_accountant(self):
        if self.env.su:
            return
        user = self.env.user
        for xmlid in ACCOUNTANT_GROUPS:
            if self.env.ref(xmlid, raise_if_not_found=False) and user.has_group(xmlid):
                return
        raise AccessError(self.env._("Only an accountant can check the pass ledger."))

    @api.model
    def _accessible_companies(self):
        """The companies with the settlement configured that the caller may
        access (all of them for the scheduler)."""
        configured = [("pass_liability_account_id", "!=", False)]
        if self.env.su:
            return self.env["res.company"].sudo().search(configured)
        return self.env.user.company_ids.filtered_domain(configured)

    @api.model
    def _companies_to_check(self, company_id):
        self._check_accountant()
        accessible = self._accessible_companies()
        if company_id in (None, False):
            return accessible
        refusal = AccessError(
            self.env._("This company does not exist or you have no access to it.")
        )
        if isinstance(company_id, bool) or not isinstance(company_id, int):
            raise refusal
        company = accessible.filtered(lambda c: c.id == company_id)
        if not company and not (
            self.env.su or company_id in self.env.user.company_ids.ids
        ):
            raise refusal
        return company

    # ------------------------------------------------------------------ run
    @api.model
    def _run_checks(self, companies):
        """One check record per company (rights checked by the callers)."""
        self.env.flush_all()
        # sudo: the caller is an accountant of these companies (checked by
        # run / action_run_check); the check reads passes, books,
        # remittances and journal items of these companies only (every query
        # is restricted to the company) and records its result.
        Check = self.sudo()
        checks = Check.browse()
        for company in companies:
            checks |= Check._run_company(company)
        return checks

    @api.model
    def _run_company(self, company):
        currency = company.currency_id
        funder_expected = self._funder_expected(company)
        funder_ledger = self._funder_ledger(company)
        venue_expected, venue_ledger = self._venue_figures(company)
        rows = []
        for role, expected, ledger in (
            ("funder", funder_expected, funder_ledger),
            ("venue", venue_expected, venue_ledger),
        ):
            totals_expected = defaultdict(int)
            totals_ledger = defaultdict(int)
            for (partner_id, _program_id), cents in expected.items():
                totals_expected[partner_id] += cents
            for (partner_id, _program_id), cents in ledger.items():
                totals_ledger[partner_id] += cents
            partner_ids = sorted(
                set(totals_expected) | set(totals_ledger), key=lambda p: p or 0
            )
            for partner_id in partner_ids:
                exp, led = totals_expected[partner_id], totals_ledger[partner_id]
                if exp != led:
                    rows.append(
                        {
                            "partner_id": partner_id,
                            "role": role,
                            "expected_cents": exp,
                            "ledger_cents": led,
                        }
                    )
        explanations = (
            self._explain(company, rows, funder_expected, funder_ledger) if rows else {}
        )
        unit = currency.rounding
        check = self.create(
            {
                "company_id": company.id,
                "user_id": self.env.uid if not self.env.user._is_superuser() else False,
                "state": "difference" if rows else "ok",
                "line_ids": [
                    fields.Command.create(
                        {
                            "partner_id": row["partner_id"],
                            "role": row["role"],
                            "expected": currency.round(row["expected_cents"] * unit),
                            "ledger": currency.round(row["ledger_cents"] * unit),
                            "difference": currency.round(
                                (row["expected_cents"] - row["ledger_cents"]) * unit
                            ),
                            "explanation": "\n".join(
                                explanations.get((row["role"], row["partner_id"]), [])
                            ),
                        }
                    )
                    for row in rows
                ],
            }
        )
        if rows:
            _logger.warning(
                "Pass ledger check of %s: %s difference(s)", company.name, len(rows)
            )
            check._open_activity()
        return check

    # ------------------------------------------------------------------ funders
    @api.model
    def _funder_invoiced_lines(self, company, sale_line_ids=None):
        """Rows (program_id, sale_line_id, funder_id, books invoiced, books of
        the line, passes of the line, passes consumed), one SQL; only for the
        given sale order lines (ids) when ``sale_line_ids`` is not None."""
        if sale_line_ids is not None and not sale_line_ids:
            return []
        restrict = (
            SQL("AND rel.order_line_id = ANY(%s)", list(sale_line_ids))
            if sale_line_ids is not None
            else SQL()
        )
        self.env.cr.execute(
            SQL(
                """
                WITH invoiced AS (
                    SELECT rel.order_line_id AS sale_line_id,
                           partner.commercial_partner_id AS funder_id,
                           SUM(CASE WHEN move.move_type = 'out_refund'
                                    THEN -aml.quantity ELSE aml.quantity END)
                               AS books
                      FROM account_move_line aml
                      JOIN account_move move ON move.id = aml.move_id
                      JOIN sale_order_line_invoice_rel rel
                        ON rel.invoice_line_id = aml.id
                      JOIN res_partner partner ON partner.id = aml.partner_id
                     WHERE aml.company_id = %(company)s
                       AND aml.account_id = %(liability)s
                       AND aml.parent_state = 'posted'
                       AND aml.display_type = 'product'
                       AND move.move_type IN ('out_invoice', 'out_refund')
                       %(restrict)s
                     GROUP BY rel.order_line_id, partner.commercial_partner_id
                ), passes AS (
                    SELECT book.sale_line_id,
                           voucher.program_id,
                           COUNT(DISTINCT book.id) AS books,
                           COUNT(*) AS passes,
                           COUNT(*) FILTER (
                               WHERE voucher.state = 'settled'
                                  OR reconciliation.state = 'done'
                           ) AS consumed
                      FROM pass_voucher voucher
                      JOIN pass_book book ON book.id = voucher.book_id
                      LEFT JOIN pass_reconciliation reconciliation
                        ON reconciliation.id = voucher.reconciliation_id
                     WHERE voucher.company_id = %(company)s
                       AND book.sale_line_id IN (SELECT sale_line_id FROM invoiced)
                     GROUP BY book.sale_line_id, voucher.program_id
                )
                SELECT passes.program_id, passes.sale_line_id, invoiced.funder_id,
                       invoiced.books, passes.books, passes.passes, passes.consumed
                  FROM passes
                  JOIN invoiced ON invoiced.sale_line_id = passes.sale_line_id
                """,
                company=company.id,
                liability=company.pass_liability_account_id.id,
                restrict=restrict,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _pass_invoiced_passes(self, row):
        """Passes of a sale line invoiced to a funder (a row of
        ``_funder_invoiced_lines``): its books invoiced times the passes per
        book of the line, at most the passes of the line."""
        _program, _line, _funder, books, line_books, passes, _consumed = row
        return min(passes, max(0, round(books * passes / line_books)))

    @api.model
    def _pass_invoiced_open(self, row):
        """Passes of a sale line invoiced to a funder and not yet consumed
        (settled, refunded or retained): the ones its money account holds."""
        return max(0, self._pass_invoiced_passes(row) - row[6])

    @api.model
    def _funder_expected(self, company):
        """{(funder id, programme id): cents} from the passes (see module doc)."""
        rows = self._funder_invoiced_lines(company)
        programs = self.env["pass.program"].browse({row[0] for row in rows})
        cents = {
            (program.id, partner.commercial_partner_id.id): part
            for program in programs
            if program.funding_ids
            for partner, part in program._pass_funder_cents()
        }
        expected = defaultdict(int)
        for row in rows:
            program_id, _line, funder_id, *_rest = row
            expected[(funder_id, program_id)] += cents.get(
                (program_id, funder_id), 0
            ) * self._pass_invoiced_open(row)
        for key, receivable in self._funder_to_invoice(company, rows).items():
            expected[key] -= receivable
        return expected

    @api.model
    def _funder_to_invoice(self, company, invoiced_rows):
        """{(funder id, programme id): cents} the funder owes for passes
        settled against money it was never invoiced for (the remittance
        debited its "to invoice" receivable, 4181), minus what its invoices
        of those passes (lines crediting 4181) billed since.

        Per sale order line L (none for books issued without an order) and
        funder F of its programme: the settled passes of L beyond the passes
        invoiced to F and not consumed otherwise, i.e.
        min(settled(L), max(0, consumed(L) - invoiced(L, F))), as
        ``pass_remittance._pass_uninvoiced_counts`` splits them."""
        account = company.pass_to_invoice_account_id
        if not account:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT voucher.program_id, book.sale_line_id,
                       COUNT(*) FILTER (WHERE voucher.state = 'settled'),
                       COUNT(*) FILTER (
                           WHERE voucher.state = 'settled'
                              OR reconciliation.state = 'done'
                       )
                  FROM pass_voucher voucher
                  JOIN pass_book book ON book.id = voucher.book_id
                  LEFT JOIN pass_reconciliation reconciliation
                    ON reconciliation.id = voucher.reconciliation_id
                 WHERE voucher.company_id = %(company)s
                   AND (voucher.state = 'settled' OR reconciliation.state = 'done')
                 GROUP BY voucher.program_id, book.sale_line_id
                """,
                company=company.id,
            )
        )
        settled_rows = self.env.cr.fetchall()
        billed = [
            (partner, program, sign, count)
            for sign, move_type in ((-1, "out_invoice"), (1, "out_refund"))
            for partner, program, count in self.env["account.move.line"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("account_id", "=", account.id),
                    ("parent_state", "=", "posted"),
                    ("display_type", "=", "product"),
                    ("move_id.move_type", "=", move_type),
                    ("pass_program_id", "!=", False),
                ],
                ["partner_id", "pass_program_id"],
                ["pass_voucher_count:sum"],
            )
        ]
        if not settled_rows and not billed:
            return {}
        invoiced = {
            (row[1], row[2]): self._pass_invoiced_passes(row) for row in invoiced_rows
        }
        programs = self.env["pass.program"].browse(
            {row[0] for row in settled_rows} | {row[1].id for row in billed}
        )
        parts = {
            program.id: [
                (partner.commercial_partner_id.id, cents)
                for partner, cents in program._pass_funder_cents()
            ]
            for program in programs
        }
        result = defaultdict(int)
        for program_id, line_id, settled, consumed in settled_rows:
            for funder_id, cents in parts[program_id]:
                covered = invoiced.get((line_id, funder_id), 0) if line_id else 0
                count = min(settled, max(0, consumed - covered))
                if count:
                    result[(funder_id, program_id)] += cents * count
        for partner, program, sign, count in billed:
            cents = dict(parts[program.id]).get(partner.commercial_partner_id.id, 0)
            result[(partner.commercial_partner_id.id, program.id)] += (
                sign * cents * count
            )
        return result

    @api.model
    def _funder_ledger(self, company):
        """{(funder id or False, programme id or False): cents} of the 467
        and of the "to invoice" receivable (4181): what the cooperative holds
        for the funder minus what the funder owes for passes settled without
        an invoice."""
        rounding = company.currency_id.rounding
        accounts = (
            company.pass_liability_account_id | company.pass_to_invoice_account_id
        )
        groups = self.env["account.move.line"]._read_group(
            [
                ("company_id", "=", company.id),
                ("account_id", "in", accounts.ids),
                ("parent_state", "=", "posted"),
            ],
            ["partner_id", "pass_program_id"],
            ["balance:sum"],
        )
        ledger = defaultdict(int)
        for partner, program, balance in groups:
            key = (partner.commercial_partner_id.id or False, program.id or False)
            ledger[key] += round(-balance / rounding)
        return ledger

    # ------------------------------------------------------------------ venues
    @api.model
    def _venue_payable_accounts(self, company):
        """The payable accounts venues' claims are booked on: the company's
        venue payable account, and those of the payable lines of the
        company's remittance entries (older ones may use another)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT aml.account_id
                  FROM pass_remittance remittance
                  JOIN account_move_line aml ON aml.move_id = remittance.move_id
                  JOIN account_account account ON account.id = aml.account_id
                 WHERE remittance.company_id = %(company)s
                   AND account.account_type = 'liability_payable'
                """,
                company=company.id,
            )
        )
        return company.pass_venue_payable_account_id | self.env[
            "account.account"
        ].browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _venue_figures(self, company):
        """({(venue id, False): expected cents}, {(venue id, False): ledger
        cents}); expected = settled passes of validated remittances - paid
        - offset against subscription invoices."""
        rounding = company.currency_id.rounding
        settled = defaultdict(int)
        for remittance, amount in self.env["pass.voucher"]._read_group(
            [
                ("company_id", "=", company.id),
                ("state", "=", "settled"),
                ("remittance_id.state", "=", "validated"),
            ],
            ["remittance_id"],
            ["amount:sum"],
        ):
            venue = remittance.venue_id.commercial_partner_id
            settled[venue.id] += round(amount / rounding)
        accounts = self._venue_payable_accounts(company)
        ledger = defaultdict(int)
        paid = defaultdict(int)
        if accounts:
            for partner, journal, balance in self.env["account.move.line"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("account_id", "in", accounts.ids),
                    ("parent_state", "=", "posted"),
                    "|",
                    ("partner_id", "in", list(settled)),
                    ("partner_id.commercial_partner_id.is_pass_venue", "=", True),
                ],
                ["partner_id", "journal_id"],
                ["balance:sum"],
            ):
                venue_id = partner.commercial_partner_id.id
                cents = round(balance / rounding)
                ledger[venue_id] -= cents
                if journal.type in PAYMENT_JOURNAL_TYPES:
                    paid[venue_id] += cents
            # The subscription offsets settle the claim as a payment does
            # (read from their own entries, whatever their journal).
            for partner, journal, balance in self.env["account.move.line"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("account_id", "in", accounts.ids),
                    ("parent_state", "=", "posted"),
                    ("move_id.pass_offset_run_id", "!=", False),
                ],
                ["partner_id", "journal_id"],
                ["balance:sum"],
            ):
                if journal.type not in PAYMENT_JOURNAL_TYPES:
                    venue_id = partner.commercial_partner_id.id
                    paid[venue_id] += round(balance / rounding)
        expected = {
            (venue_id, False): settled.get(venue_id, 0) - paid.get(venue_id, 0)
            for venue_id in set(settled) | set(paid)
        }
        return expected, {(venue_id, False): c for venue_id, c in ledger.items()}

    # ------------------------------------------------------------------ explain
    @api.model
    def _explain(self, company, rows, funder_expected, funder_ledger):
        """{(role, partner id): [sentences]} for the differing partners."""
        result = defaultdict(list)
        currency = company.currency_id
        unit = currency.rounding

        def money(cents):
            return format_amount(self.env, currency.round(cents * unit), currency)

        funders = {row["partner_id"] for row in rows if row["role"] == "funder"}
        venues = {row["partner_id"] for row in rows if row["role"] == "venue"}
        Program = self.env["pass.program"]
        # Per programme, where a funder's figures part.
        differing_programs = defaultdict(set)
        for funder_id, program_id in set(funder_expected) | set(funder_ledger):
            if funder_id not in funders:
                continue
            exp = funder_expected.get((funder_id, program_id), 0)
            led = funder_ledger.get((funder_id, program_id), 0)
            if exp != led:
                differing_programs[funder_id].add(program_id)
                name = (
                    Program.browse(program_id).display_name
                    if program_id
                    else self.env._("no programme")
                )
                result[("funder", funder_id)].append(
                    self.env._(
                        "Programme %(program)s: expected %(expected)s, ledger "
                        "%(ledger)s.",
                        program=name,
                        expected=money(exp),
                        ledger=money(led),
                    )
                )
        known_moves = self._known_moves(company)
        for role, partner_ids, accounts in (
            (
                "funder",
                funders,
                company.pass_liability_account_id | company.pass_to_invoice_account_id,
            ),
            ("venue", venues, self._venue_payable_accounts(company)),
        ):
            if partner_ids and accounts:
                for partner_id, text in self._unknown_entries(
                    company, accounts, partner_ids, known_moves, role, money
                ):
                    result[(role, partner_id)].append(text)
        programs = Program.browse(
            {p for ps in differing_programs.values() for p in ps if p}
        )
        for (role, partner_id), text in self._pass_anomalies(
            company, programs, funders, venues
        ):
            result[(role, partner_id)].append(text)
        for funder_id, text in self._never_invoiced(company, differing_programs):
            result[("funder", funder_id)].append(text)
        for venue_id, text in self._unposted_remittances(company, venues):
            result[("venue", venue_id)].append(text)
        return result

    @api.model
    def _known_moves(self, company):
        """Ids of the entries the product made and still stands by: pass
        invoices and credit notes, entries of validated remittances, entries
        and reversals of cancelled remittances, end-of-validity entries."""
        Move = self.env["account.move"]
        remittances = self.env["pass.remittance"].search(
            [("company_id", "=", company.id), ("move_id", "!=", False)]
        )
        validated = remittances.filtered(lambda r: r.state == "validated")
        cancelled = remittances.filtered(lambda r: r.state == "cancelled")
        reversals = Move.search([("reversed_entry_id", "in", cancelled.move_id.ids)])
        reconciliation_moves = (
            self.env["pass.reconciliation.line"]
            .search(
                [
                    ("company_id", "=", company.id),
                    ("reconciliation_id.state", "=", "done"),
                    ("move_id", "!=", False),
                ]
            )
            .move_id
        )
        invoices = Move.search(
            [
                ("company_id", "=", company.id),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("line_ids.pass_program_id", "!=", False),
            ]
        )
        offsets = Move.search(
            [("company_id", "=", company.id), ("pass_offset_run_id", "!=", False)]
        )
        return set(
            (
                validated.move_id
                | cancelled.move_id
                | reversals
                | reconciliation_moves
                | invoices
                | offsets
            ).ids
        )

    @api.model
    def _unknown_entries(self, company, accounts, partner_ids, known, role, money):
        """(partner id, sentence) for each posted entry on ``accounts`` of the
        partners that the product did not make (payments aside for venues)."""
        domain = [
            ("company_id", "=", company.id),
            ("account_id", "in", accounts.ids),
            ("parent_state", "=", "posted"),
        ]
        if False in partner_ids:
            domain += [
                "|",
                ("partner_id", "=", False),
                ("partner_id.commercial_partner_id", "in", list(partner_ids - {False})),
            ]
        else:
            domain.append(("partner_id.commercial_partner_id", "in", list(partner_ids)))
        per_partner = defaultdict(list)
        for partner, move, journal, balance in self.env[
            "account.move.line"
        ]._read_group(domain, ["partner_id", "move_id", "journal_id"], ["balance:sum"]):
            if move.id in known:
                continue
            if role == "venue" and journal.type in PAYMENT_JOURNAL_TYPES:
                continue
            cents = round(-balance / company.currency_id.rounding)
            per_partner[partner.commercial_partner_id.id or False].append((move, cents))
        for partner_id, moves in per_partner.items():
            listed = ", ".join(
                self.env._(
                    "%(move)s (%(date)s): %(amount)s",
                    move=move.name,
                    date=fields.Date.to_string(move.date),
                    amount=money(cents),
                )
                for move, cents in moves[:EXPLAIN_LIMIT]
            )
            yield (
                partner_id,
                self.env._(
                    "Entries posted outside the Pass documents (%(count)s): %(moves)s.",
                    count=len(moves),
                    moves=listed,
                ),
            )

    @api.model
    def _pass_anomalies(self, company, programs, funders, venues):
        """((role, partner id), sentence) for the passes whose state does not
        match their remittance: settled without a validated remittance whose
        entry is posted, or on a validated remittance but not settled."""
        Voucher = self.env["pass.voucher"]
        base = [("company_id", "=", company.id)]
        scope = [
            "|",
            ("program_id", "in", programs.ids),
            ("venue_id.commercial_partner_id", "in", list(venues)),
        ]
        not_posted = [
            ("state", "=", "settled"),
            "|",
            "|",
            "|",
            ("remittance_id", "=", False),
            ("remittance_id.state", "!=", "validated"),
            ("remittance_id.move_id", "=", False),
            ("remittance_id.move_id.state", "!=", "posted"),
        ]
        not_settled = [
            ("state", "!=", "settled"),
            ("remittance_id.state", "=", "validated"),
        ]
        for case, domain in (("not_posted", not_posted), ("not_settled", not_settled)):
            groups = Voucher._read_group(
                base + scope + domain,
                ["program_id", "venue_id"],
                ["id:array_agg"],
            )
            per_partner = defaultdict(list)
            for program, venue, ids in groups:
                venue_id = venue.commercial_partner_id.id
                if venue_id in venues:
                    per_partner[("venue", venue_id)] += ids
                for funding in program.funding_ids:
                    funder_id = funding.partner_id.commercial_partner_id.id
                    if funder_id in funders and program in programs:
                        per_partner[("funder", funder_id)] += ids
            for key, ids in per_partner.items():
                ids = sorted(ids)
                listed = ", ".join(str(i) for i in ids[:EXPLAIN_LIMIT])
                if case == "not_posted":
                    text = self.env._(
                        "Settled passes without a posted validated remittance "
                        "(%(count)s, ids %(ids)s).",
                        count=len(ids),
                        ids=listed,
                    )
                else:
                    text = self.env._(
                        "Passes of a validated remittance that are not settled "
                        "(%(count)s, ids %(ids)s).",
                        count=len(ids),
                        ids=listed,
                    )
                yield key, text

    @api.model
    def _never_invoiced(self, company, differing_programs):
        """(funder id, sentence) for the settled passes of the differing
        programmes whose book was never invoiced to that funder."""
        program_ids = {p for ps in differing_programs.values() for p in ps if p}
        if not program_ids:
            return
        invoiced = defaultdict(set)
        for _p, line_id, funder_id, books, *_rest in self._funder_invoiced_lines(
            company
        ):
            if books > 0:
                invoiced[funder_id].add(line_id)
        groups = self.env["pass.voucher"]._read_group(
            [
                ("company_id", "=", company.id),
                ("program_id", "in", list(program_ids)),
                ("state", "=", "settled"),
            ],
            ["program_id", "book_id"],
            ["id:array_agg"],
        )
        for funder_id, programs in differing_programs.items():
            ids = sorted(
                pass_id
                for program, book, pass_ids in groups
                if program.id in programs
                and book.sale_line_id.id not in invoiced[funder_id]
                for pass_id in pass_ids
            )
            if ids:
                yield (
                    funder_id,
                    self.env._(
                        "Settled passes whose book was never invoiced to this funder "
                        "(%(count)s, ids %(ids)s).",
                        count=len(ids),
                        ids=", ".join(str(i) for i in ids[:EXPLAIN_LIMIT]),
                    ),
                )

    @api.model
    def _unposted_remittances(self, company, venues):
        """(venue id, sentence) for validated remittances whose entry is not
        posted or has been reversed."""
        if not venues:
            return
        remittances = self.env["pass.remittance"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "validated"),
                ("venue_id.commercial_partner_id", "in", list(venues)),
                "|",
                ("move_id", "=", False),
                "|",
                ("move_id.state", "!=", "posted"),
                ("move_id.reversal_move_ids.state", "=", "posted"),
            ]
        )
        per_venue = defaultdict(list)
        for remittance in remittances:
            per_venue[remittance.venue_id.commercial_partner_id.id].append(remittance)
        for venue_id, items in per_venue.items():
            yield (
                venue_id,
                self.env._(
                    "Validated remittances whose entry is not posted or has been "
                    "reversed: %(names)s.",
                    names=", ".join(r.name for r in items[:EXPLAIN_LIMIT]),
                ),
            )

    # ------------------------------------------------------------------ activity
    def _signature(self):
        self.ensure_one()
        return sorted(
            (line.role, line.partner_id.id, line.difference) for line in self.line_ids
        )

    def _accountant_user(self):
        """The accountant the activity is for: the one who ran the check,
        else the first accountant of the company."""
        self.ensure_one()
        if self.user_id and not self.user_id.share:
            return self.user_id
        groups = self.env["res.groups"].browse(
            [
                group.id
                for xmlid in ACCOUNTANT_GROUPS
                if (group := self.env.ref(xmlid, raise_if_not_found=False))
            ]
        )
        users = groups.users.filtered(
            lambda u: u.active and not u.share and self.company_id in u.company_ids
        )
        return users.sorted("id")[:1] or self.env.ref("base.user_admin")

    def _open_activity(self):
        """One to-do for the accountants, unless the previous check of the
        company found the same differences and its to-do is still open."""
        self.ensure_one()
        previous = self.search(
            [
                ("company_id", "=", self.company_id.id),
                ("id", "!=", self.id),
                ("state", "=", "difference"),
                ("activity_ids", "!=", False),
            ],
            limit=1,
        )
        if previous and previous._signature() == self._signature():
            self._message_log(
                body=self.env._(
                    "Same differences as in check %(name)s, whose activity is still "
                    "open.",
                    name=previous.name,
                )
            )
            return self.env["mail.activity"]
        return self.activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Differences between the passes and the accounts"),
            note=self._activity_note(),
            user_id=self._accountant_user().id,
        )

    def _activity_note(self):
        self.ensure_one()
        role_labels = dict(
            self.env["pass.ledger.check.line"]
            ._fields["role"]
            ._description_selection(self.env)
        )
        items = Markup()
        for line in self.line_ids:
            details = Markup("").join(
                Markup("<li>%s</li>") % text
                for text in (line.explanation or "").splitlines()
                if text
            )
            items += Markup("<li>%s%s</li>") % (
                self.env._(
                    "%(partner)s (%(role)s): expected %(expected)s, ledger "
                    "%(ledger)s, difference %(difference)s.",
                    partner=line.partner_id.display_name or self.env._("no partner"),
                    role=role_labels.get(line.role, line.role),
                    expected=format_amount(self.env, line.expected, self.currency_id),
                    ledger=format_amount(self.env, line.ledger, self.currency_id),
                    difference=format_amount(
                        self.env, line.difference, self.currency_id
                    ),
                ),
                Markup("<ul>%s</ul>") % details if details else Markup(),
            )
        return Markup("<p>%s</p><ul>%s</ul>") % (
            escape(
                self.env._(
                    "The ledger check of %(company)s finds differences between what "
                    "the passes say and the entries:",
                    company=self.company_id.name,
                )
            ),
            items,
        )


class PassLedgerCheckLine(models.Model):
    """One partner whose ledger differs from what its passes say."""

    _name = "pass.ledger.check.line"
    _description = "Pass ledger check difference"
    _order = "check_id, role, id"

    check_id = fields.Many2one(
        "pass.ledger.check", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="check_id.company_id", store=True)
    currency_id = fields.Many2one(related="check_id.currency_id")
    partner_id = fields.Many2one("res.partner", readonly=True)
    role = fields.Selection(
        [("funder", "Funder (money held)"), ("venue", "Venue (payable)")],
        required=True,
        readonly=True,
    )
    expected = fields.Monetary(string="Expected from the passes", readonly=True)
    ledger = fields.Monetary(readonly=True)
    difference = fields.Monetary(readonly=True)
    explanation = fields.Text(readonly=True)
