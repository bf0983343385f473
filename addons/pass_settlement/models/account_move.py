# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Journal entries of the passes keep the passes in step.

- A remittance's entry (and the reversal of a cancelled remittance) is
  reversed only by the remittance's own action "Annuler le bordereau", which
  puts the passes back to be remitted again; by hand (Reverse button, reset to
  draft, cancel, delete, state written over RPC) it is refused.
- A credit note on a funder's invoice of books credits that funder's whole
  share of the order line; the share is then to be invoiced again.
- Posted entries of the pass journals are never deleted (audit trail).
"""

import contextlib
import contextvars
from collections import defaultdict

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, format_amount

# Set by pass.remittance.action_cancel while it reverses the entries of the
# remittances it cancels: a variable of the running thread, not a key of the
# ORM context, so that no RPC caller can set it.
_REMITTANCE_ACTION = contextvars.ContextVar("pass_remittance_action", default=False)


@contextlib.contextmanager
def remittance_action():
    """Let the remittance's own action reverse the entries in this block."""
    token = _REMITTANCE_ACTION.set(True)
    try:
        yield
    finally:
        _REMITTANCE_ACTION.reset(token)


class AccountMove(models.Model):
    _inherit = "account.move"

    # ------------------------------------------------------------------ remittances
    def _pass_remittances(self):
        """The remittances whose entry, or whose cancellation's reversal, is
        one of these moves."""
        if not self.ids:
            return self.env["pass.remittance"]
        # sudo: which remittance an entry belongs to decides whether the
        # entry may be changed, whoever changes it; only read here.
        return (
            self.env["pass.remittance"]
            .sudo()
            .search(
                [
                    "|",
                    ("move_id", "in", self.ids),
                    ("reversal_move_id", "in", self.ids),
                ]
            )
        )

    def _pass_check_remittance_entries(self):
        """Refuse to undo a remittance's entry (or its reversal) by hand."""
        if _REMITTANCE_ACTION.get():
            return
        remittances = self._pass_remittances()
        for remittance in remittances:
            if remittance.move_id in self:
                raise UserError(
                    self.env._(
                        "Entry %(move)s is the one of remittance %(remittance)s: it "
                        "is not reversed, reset to draft, cancelled or deleted by "
                        'hand. Use "Cancel remittance" on the remittance: it '
                        "reverses the entry and puts its passes back to be refunded.",
                        move=remittance.move_id.name,
                        remittance=remittance.name,
                    )
                )
            raise UserError(
                self.env._(
                    "Entry %(move)s reverses cancelled remittance %(remittance)s: it "
                    "is not reversed, reset to draft, cancelled or deleted. To refund "
                    "its passes, put them on a new remittance.",
                    move=remittance.reversal_move_id.name,
                    remittance=remittance.name,
                )
            )

    def _reverse_moves(self, default_values_list=None, cancel=False):
        self._pass_check_remittance_entries()
        return super()._reverse_moves(
            default_values_list=default_values_list, cancel=cancel
        )

    def button_draft(self):
        self._pass_check_remittance_entries()
        return super().button_draft()

    def button_cancel(self):
        self._pass_check_remittance_entries()
        return super().button_cancel()

    def write(self, vals):
        if vals.get("state") and vals["state"] != "posted":
            self._pass_check_remittance_entries()
        return super().write(vals)

    def unlink(self):
        # Before Odoo deletes the items (which ``force_delete`` lets it do).
        self._unlink_except_pass_entries()
        return super().unlink()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_pass_entries(self):
        """Whatever the context (Odoo's ``force_delete`` included): a
        remittance's entries are never deleted, nor any entry of the pass
        journals that was once posted."""
        self._pass_check_remittance_entries()
        protected = self.filtered(lambda move: move._pass_in_audited_journal())
        if protected:
            raise UserError(
                self.env._(
                    "Entry %(move)s of journal %(journal)s has been posted: entries "
                    "of the Pass Numérique journals are not deleted (audit trail). "
                    "Reverse or cancel it.",
                    move=protected[0].name,
                    journal=protected[0].journal_id.name,
                )
            )

    # ------------------------------------------------------------------ audit trail
    def _pass_in_audited_journal(self):
        """Once posted, an entry of a pass journal (funders' invoices and
        credit notes, venue remittances) keeps its audit trail: Odoo cancels
        it instead of deleting it, and it is never deleted."""
        self.ensure_one()
        company = self.company_id
        return self.posted_before and self.journal_id in (
            company.pass_sale_journal_id | company.pass_venue_journal_id
        )

    def _is_protected_by_audit_trail(self):
        return super()._is_protected_by_audit_trail() or any(
            move._pass_in_audited_journal() for move in self
        )

    # ------------------------------------------------------------------ credit notes
    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._pass_check_funder_credit_notes()
        return posted

    def _pass_check_funder_credit_notes(self):
        """A credit note on the face value of books sold to a funder credits
        the funder's whole share of the order line (all its books, at their
        invoiced amount): the order then has that share to invoice again.
        A partial credit would leave books half invoiced to the funder."""
        refunds = self.filtered(lambda move: move.move_type == "out_refund")
        if not refunds:
            return
        # sudo: posting rights were checked by _post; the order lines'
        # invoiced quantities are read to check the credit notes.
        lines = refunds.sudo().invoice_line_ids.filtered(
            lambda line: line.pass_program_id
            and line.sale_line_ids.pass_program_id
            and line.account_id == line.company_id.pass_liability_account_id
        )
        credited = defaultdict(lambda: [0.0, 0.0])
        for line in lines:
            funder = line.move_id.commercial_partner_id
            for sale_line in line.sale_line_ids:
                credited[sale_line, funder][0] += line.quantity
                credited[sale_line, funder][1] += line.price_subtotal
        for (sale_line, funder), (qty, amount) in credited.items():
            before = sale_line._pass_funder_invoiced(
                posted_only=True, exclude_moves=refunds
            ).get(funder, (0.0, 0.0))
            currency = sale_line.order_id.currency_id
            if float_compare(
                qty, before[0], precision_digits=6
            ) or currency.compare_amounts(amount, before[1]):
                move = lines.filtered(
                    lambda line, sol=sale_line: sol in line.sale_line_ids
                ).move_id[:1]
                raise UserError(
                    self.env._(
                        "Credit note %(move)s credits %(funder)s with %(qty)s book(s) "
                        "%(product)s for %(amount)s, but its share invoiced on order "
                        "%(order)s is %(invoiced_qty)s book(s) for "
                        "%(invoiced_amount)s. A credit note on books credits the "
                        "funder's whole share; the order is then invoiced to it "
                        "again. To take passes out of circulation, cancel them.",
                        move=move.name,
                        funder=funder.name,
                        qty=qty,
                        product=sale_line.product_id.display_name,
                        amount=format_amount(self.env, amount, currency),
                        order=sale_line.order_id.name,
                        invoiced_qty=before[0],
                        invoiced_amount=format_amount(self.env, before[1], currency),
                    )
                )


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _pass_matched_reversal(self):
        """Whether this item is matched with the reversal of its own entry
        (or with the entry its entry reverses): such a match is no payment."""
        self.ensure_one()
        move = self.move_id
        partials = self.matched_debit_ids | self.matched_credit_ids
        counterparts = (partials.debit_move_id | partials.credit_move_id).move_id
        return any(
            other.reversed_entry_id == move or move.reversed_entry_id == other
            for other in counterparts - move
        )


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_cancelled_remittance(self):
        """A cancelled remittance's payable stays matched with its reversal:
        unmatched, the venue would look owed (and be paid) for passes that
        are on no remittance any more."""
        if _REMITTANCE_ACTION.get():
            return
        moves = (self.debit_move_id | self.credit_move_id).move_id
        remittances = moves._pass_remittances().filtered("reversal_move_id")
        for partial in self:
            pair = partial.debit_move_id.move_id | partial.credit_move_id.move_id
            for remittance in remittances:
                if pair == remittance.move_id | remittance.reversal_move_id:
                    raise UserError(
                        self.env._(
                            "Entry %(move)s of cancelled remittance %(remittance)s "
                            "stays reconciled with its reversal %(reversal)s: this "
                            "reconciliation cannot be undone. To refund its passes, "
                            "put them on a new remittance.",
                            move=remittance.move_id.name,
                            remittance=remittance.name,
                            reversal=remittance.reversal_move_id.name,
                        )
                    )
