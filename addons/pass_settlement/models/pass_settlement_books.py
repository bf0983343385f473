# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The books of the settlement, as the cooperative's accountant keeps them.

- **Ledgers preset**: OCA's general ledger, partner ledger (the general
  ledger grouped by partner), open items, aged partner balance and trial
  balance, opened on the Pass accounts of the company (the company's fields:
  funders' money 467100, venues' payable 401800, passes to invoice 418110,
  unused value kept 758900) and the current fiscal year.
- **Lettrage of the funders' money (467100)**: per company, funder and
  programme, the credits of the funder's face-value invoices are matched
  first in, first out with what consumes them (the remittances' debits, the
  end-of-validity credit notes or transfers to the retained account),
  partially where an invoice is not spent yet. Never across funders or
  companies; lines already fully matched are left alone; running it again
  changes nothing. Run after each remittance validation and end-of-validity
  posting, and on demand (Settlement menu, funder's form).
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

# The OCA wizards of the preset: {report: (wizard model, OCA's action xml id)}.
BOOK_REPORTS = {
    "general_ledger": (
        "general.ledger.report.wizard",
        "account_financial_report.action_general_ledger_wizard",
    ),
    "partner_ledger": (
        "general.ledger.report.wizard",
        "account_financial_report.action_general_ledger_wizard",
    ),
    "open_items": (
        "open.items.report.wizard",
        "account_financial_report.action_open_items_wizard",
    ),
    "aged_partner_balance": (
        "aged.partner.balance.report.wizard",
        "account_financial_report.action_aged_partner_balance_wizard",
    ),
    "trial_balance": (
        "trial.balance.report.wizard",
        "account_financial_report.action_trial_balance_wizard",
    ),
}

# The company's Pass accounts shown by the preset.
BOOK_ACCOUNT_FIELDS = (
    "pass_liability_account_id",
    "pass_venue_payable_account_id",
    "pass_to_invoice_account_id",
    "pass_retained_account_id",
)


class PassBooks(models.AbstractModel):
    _name = "pass.books"
    _description = "Pass Numérique books (ledgers preset, lettrage)"

    # ------------------------------------------------------------ access
    @api.model
    def _check_books_access(self):
        """The Pass ledgers are for the Pass accountants, and for the Pass
        managers who may read the accounting (the reports read journal
        items)."""
        if self.env.su:
            return
        user = self.env.user
        if not (
            user.has_group("pass_settlement.group_pass_accountant")
            or (
                user.has_group("pass_numerique.pass_numerique_group_manager")
                and user.has_group("account.group_account_readonly")
            )
        ):
            raise AccessError(
                self.env._(
                    "Only a Pass accountant, or a Pass manager who may read the "
                    "accounting, may open the Pass ledgers."
                )
            )

    # ------------------------------------------------------------ preset
    @api.model
    def _pass_book_accounts(self, company, reconcilable_only=False):
        accounts = self.env["account.account"]
        for fname in BOOK_ACCOUNT_FIELDS:
            accounts |= company[fname]
        if reconcilable_only:
            accounts = accounts.filtered("reconcile")
        return accounts

    @api.model
    def _pass_report_vals(self, report, company):
        """Values of the OCA wizard of ``report`` for ``company``: its Pass
        accounts and its current fiscal year."""
        today = fields.Date.context_today(self)
        year = company.compute_fiscalyear_dates(today)
        vals = {"company_id": company.id, "target_move": "posted"}
        if report in ("general_ledger", "partner_ledger", "trial_balance"):
            vals.update(
                date_from=year["date_from"],
                date_to=year["date_to"],
                account_ids=[fields.Command.set(self._pass_book_accounts(company).ids)],
                hide_account_at_0=False,
            )
        if report == "partner_ledger":
            # OCA's partner ledger: the general ledger of the lettered
            # accounts (467100, 401800, 418110) by partner.
            vals["grouped_by"] = "partners"
        elif report == "general_ledger":
            vals["grouped_by"] = "none"
        elif report == "trial_balance":
            # Per account: OCA details partners on receivables and payables
            # only; the partner ledger gives each funder's 467100 balance.
            vals["show_partner_details"] = False
        else:
            # Open items and aged balance read what is not lettered yet:
            # reconcilable accounts only.
            accounts = self._pass_book_accounts(company, reconcilable_only=True)
            vals.update(
                date_at=today,
                account_ids=[fields.Command.set(accounts.ids)],
            )
            if report == "open_items":
                vals["show_partner_details"] = True
            else:
                vals["show_move_line_details"] = True
        return vals

    @api.model
    def _pass_open_report(self, report):
        """Create the OCA wizard of ``report`` pre-filled for the current
        company and return the action opening it."""
        self._check_books_access()
        company = self.env.company
        if not company.pass_liability_account_id:
            raise UserError(
                self.env._(
                    "The Pass accounts of %(company)s are not set: fill them in "
                    "Settings > Pass Numérique.",
                    company=company.name,
                )
            )
        model, action_xmlid = BOOK_REPORTS[report]
        wizard = (
            self.env[model]
            .with_company(company)
            .create(self._pass_report_vals(report, company))
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(action_xmlid)
        action.update(res_id=wizard.id, context={})
        return action

    @api.model
    def action_pass_general_ledger(self):
        return self._pass_open_report("general_ledger")

    @api.model
    def action_pass_partner_ledger(self):
        return self._pass_open_report("partner_ledger")

    @api.model
    def action_pass_open_items(self):
        return self._pass_open_report("open_items")

    @api.model
    def action_pass_aged_partner_balance(self):
        return self._pass_open_report("aged_partner_balance")

    @api.model
    def action_pass_trial_balance(self):
        return self._pass_open_report("trial_balance")

    # ------------------------------------------------------------ lettrage
    @api.model
    def action_pass_letter_funders(self, partner_ids=None):
        """Letter the funders' money account of the current companies (all
        funders, or ``partner_ids``); returns a notification. Pass
        accountants only (the lettrage writes on journal items)."""
        if not self.env.su and not self.env.user.has_group(
            "pass_settlement.group_pass_accountant"
        ):
            raise AccessError(
                self.env._("Only a Pass accountant may letter the funders' money.")
            )
        partners = self.env["res.partner"].browse(partner_ids or [])
        count = self._pass_letter_funders(self.env.companies, partners)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Funders' money lettered: %(count)s journal items matched.",
                    count=count,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _pass_letter_funders(self, companies, partners=None, programs=None):
        """FIFO lettrage of the funders' money account (467100) per company,
        funder and programme; returns how many journal items were matched.
        No rights check: callers checked them (accounting actions)."""
        Line = self.env["account.move.line"]
        plan = []
        for company in companies:
            account = company.pass_liability_account_id
            if not account.reconcile:
                continue
            domain = [
                ("company_id", "=", company.id),
                ("account_id", "=", account.id),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("partner_id", "!=", False),
                ("pass_program_id", "!=", False),
            ]
            if partners:
                domain.append(
                    ("partner_id", "child_of", partners.commercial_partner_id.ids)
                )
            if programs:
                domain.append(("pass_program_id", "in", programs.ids))
            lines = Line.search(domain, order="date, id")
            currency = company.currency_id
            groups = lines.grouped(
                lambda line: (
                    line.partner_id.commercial_partner_id,
                    line.pass_program_id,
                )
            )
            for group in groups.values():
                signs = {
                    currency.compare_amounts(line.amount_residual, 0) for line in group
                }
                if {1, -1} <= signs:
                    plan.append(group)
        if not plan:
            return 0
        lines = Line.union(*plan)
        before = {line: line.amount_residual for line in lines}
        # Odoo matches each group's debits with its credits in date order
        # (first in, first out), partially where the amounts differ.
        Line._reconcile_plan(plan)
        return len(
            lines.filtered(
                lambda line: not line.company_currency_id.is_zero(
                    line.amount_residual - before[line]
                )
            )
        )

    @api.model
    def _pass_letter_moves(self, moves):
        """Letter the funders and programmes of ``moves``' 467 items."""
        lines = moves.line_ids.filtered(
            lambda line: line.account_id == line.company_id.pass_liability_account_id
            and line.pass_program_id
            and line.partner_id
        )
        if lines:
            self._pass_letter_funders(
                lines.company_id, lines.partner_id, lines.pass_program_id
            )


def _liability_lines(lines):
    """The items of ``lines`` on their company's funders' money account
    (a branch's are on its root's), with a funder and a programme."""
    return lines.filtered(
        lambda line: line.account_id.reconcile
        and line.account_id
        in line.company_id.pass_liability_account_id
        | line.company_id.root_id.pass_liability_account_id
        and line.partner_id
        and line.pass_program_id
    )


class AccountMove(models.Model):
    _inherit = "account.move"

    def _reconcile_reversed_moves(self, reverse_moves, move_reverse_cancel):
        """Odoo letters an entry with its reversal account by account, all
        partners together. On the funders' money account that would match
        one funder's items with another's: the reversal of a remittance (or
        of any entry) is lettered with the entry funder by funder and
        programme instead, the entry's items unlettered first from the
        invoices they consumed, which are then lettered again first in,
        first out (their residual stays the money not spent)."""
        handled = self.env["account.move.line"]
        for move, reverse_move in zip(self, reverse_moves, strict=True):
            if move.move_type != "entry":
                # An invoice and its credit note are one funder's.
                continue
            lines = _liability_lines(move.line_ids | reverse_move.line_ids)
            if not lines:
                continue
            lines.filtered(
                lambda line: line.matched_debit_ids or line.matched_credit_ids
            ).remove_move_reconcile()
            for group in lines.grouped(_funder_program).values():
                if group.filtered(lambda line: line.balance > 0) and group.filtered(
                    lambda line: line.balance < 0
                ):
                    group.with_context(
                        move_reverse_cancel=move_reverse_cancel
                    ).reconcile()
            handled |= lines
        ctx = {"pass_lettered_line_ids": handled.ids}
        res = super(AccountMove, self.with_context(**ctx))._reconcile_reversed_moves(
            reverse_moves.with_context(**ctx), move_reverse_cancel
        )
        if handled:
            self.env["pass.books"]._pass_letter_funders(
                handled.company_id, handled.partner_id, handled.pass_program_id
            )
        return res


def _funder_program(line):
    return (line.partner_id.commercial_partner_id, line.pass_program_id)


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _reconcile_plan(self, reconciliation_plan):
        done_ids = self.env.context.get("pass_lettered_line_ids")
        if done_ids:
            # Funders' money items already lettered per funder by
            # AccountMove._reconcile_reversed_moves.
            reconciliation_plan = [
                node.filtered(lambda line: line.id not in done_ids)
                if isinstance(node, models.BaseModel)
                else node
                for node in reconciliation_plan
            ]
        self._pass_check_liability_reconcile(reconciliation_plan)
        return super()._reconcile_plan(reconciliation_plan)

    @api.model
    def _pass_check_liability_reconcile(self, reconciliation_plan):
        """The funders' money account is lettered per funder: a funder's
        money never pays what another funder's passes consumed."""

        def flatten(node):
            if isinstance(node, models.BaseModel):
                return node
            return self.union(*(flatten(child) for child in node))

        for node in reconciliation_plan:
            lines = flatten(node)
            liability = lines.filtered(
                lambda line: line.account_id
                in line.company_id.pass_liability_account_id
                | line.company_id.root_id.pass_liability_account_id
            )
            funders = liability.partner_id.commercial_partner_id
            if len(funders) > 1 or (
                funders and any(not line.partner_id for line in liability)
            ):
                raise UserError(
                    self.env._(
                        "Funders' money items of %(funders)s cannot be lettered "
                        "together: each funder's money is lettered with what its "
                        "own passes consumed.",
                        funders=", ".join(funders.mapped("display_name")),
                    )
                )


class PassRemittance(models.Model):
    _inherit = "pass.remittance"

    def action_validate(self):
        res = super().action_validate()
        # Rights were checked by the validation (accountants only).
        self.env["pass.books"]._pass_letter_moves(self.move_id)
        return res


class PassReconciliation(models.Model):
    _inherit = "pass.reconciliation"

    def action_validate(self):
        res = super().action_validate()
        # Rights were checked by the posting (accountants only).
        self.env["pass.books"]._pass_letter_moves(self.line_ids.move_id)
        return res


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_pass_letter_funder(self):
        """Letter this funder's money account (button on the funder)."""
        return self.env["pass.books"].action_pass_letter_funders(
            partner_ids=self.commercial_partner_id.ids
        )
