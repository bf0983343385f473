# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""End of validity: the reconciliation per funder of a programme's unused
passes, and the entries that give their value back (credit note) or keep it
(retained revenue)."""

from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.pass_numerique.tools.guard import guarded_write

# Passes whose value is still unused once the programme is over.
UNUSED_END_STATES = ("expired", "cancelled")

# A reconciliation and its lines are made by the programme's end of validity
# and posted by their validation, never written by hand.
RECONCILIATION_GUARDED_FIELDS = frozenset(
    {
        "name",
        "program_id",
        "company_id",
        "currency_id",
        "date",
        "unused_policy",
        "state",
        "line_ids",
        "voucher_ids",
    }
)
RECONCILIATION_LINE_GUARDED_FIELDS = frozenset(
    {
        "reconciliation_id",
        "partner_id",
        "share",
        "unit_amount",
        "count_bought",
        "count_redeemed",
        "count_settled",
        "count_unused",
        "amount_bought",
        "amount_redeemed",
        "amount_settled",
        "amount_unused",
        "origin_line_data",
        "move_id",
    }
)


class PassVoucher(models.Model):
    # Guarded field: see _pass_guarded_fields in pass_voucher.py.
    _inherit = "pass.voucher"

    reconciliation_id = fields.Many2one(
        "pass.reconciliation",
        string="End-of-validity reconciliation",
        readonly=True,
        index="btree_not_null",
        copy=False,
        ondelete="restrict",
        help="The reconciliation that refunded or retained the value of this "
        "unused pass.",
    )


class PassReconciliation(models.Model):
    """One programme's end-of-validity reconciliation: per funder, the passes
    bought, redeemed, settled and unused, and the entry handling the unused
    value. A pass is handled by one reconciliation only (never twice)."""

    _name = "pass.reconciliation"
    _description = "Pass end-of-validity reconciliation"
    _inherit = ["mail.thread", "pass.guarded.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _pass_guarded_fields = RECONCILIATION_GUARDED_FIELDS

    name = fields.Char(required=True, readonly=True)
    program_id = fields.Many2one(
        "pass.program",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    unused_policy = fields.Selection(
        [("refund", "Refund to funders"), ("retain", "Retained as revenue")],
        string="Unused value treatment",
        required=True,
        readonly=True,
    )
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Posted")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    line_ids = fields.One2many(
        "pass.reconciliation.line", "reconciliation_id", string="Funders"
    )
    voucher_ids = fields.One2many(
        "pass.voucher", "reconciliation_id", string="Unused passes"
    )
    voucher_count = fields.Integer(
        compute="_compute_voucher_count", string="Number of unused passes"
    )
    amount_unused = fields.Monetary(
        compute="_compute_voucher_count", string="Unused value"
    )
    move_ids = fields.Many2many(
        "account.move", compute="_compute_move_ids", string="Journal entries"
    )

    @api.depends("line_ids.move_id")
    def _compute_move_ids(self):
        for reconciliation in self:
            reconciliation.move_ids = reconciliation.line_ids.move_id

    @api.depends("voucher_ids")
    def _compute_voucher_count(self):
        counts = {
            rec.id: (count, amount)
            for rec, count, amount in self.env["pass.voucher"]._read_group(
                [("reconciliation_id", "in", self.ids)],
                ["reconciliation_id"],
                ["__count", "amount:sum"],
            )
        }
        for reconciliation in self:
            count, amount = counts.get(reconciliation.id, (0, 0.0))
            reconciliation.voucher_count = count
            reconciliation.amount_unused = amount

    def action_validate(self):
        """Post, per funder, the credit note (refund) or the transfer to the
        retained account (retain) of its share of the unused passes. Once."""
        if not self.env.su and not self.env.user.has_group(
            "pass_settlement.group_pass_accountant"
        ):
            raise AccessError(
                self.env._(
                    "Only an accountant can post an end-of-validity reconciliation."
                )
            )
        self.check_access("write")
        for reconciliation in self:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM pass_reconciliation WHERE id = %(id)s FOR UPDATE",
                    id=reconciliation.id,
                )
            )
            reconciliation.invalidate_recordset(["state"])
            if reconciliation.state != "draft":
                raise UserError(
                    self.env._(
                        "Reconciliation %(name)s is already posted.",
                        name=reconciliation.name,
                    )
                )
            reconciliation.company_id._pass_check_settlement_config()
            lines = reconciliation.line_ids.filtered(lambda line: line.count_unused)
            moves_vals = [line._prepare_move_vals() for line in lines]
            # sudo: accountants post credit notes on the pass sales journal
            # without being salesmen; access was checked above.
            moves = self.env["account.move"].sudo().create(moves_vals).sudo(False)
            moves.action_post()
            with guarded_write():
                for line, move in zip(lines, moves, strict=True):
                    line.move_id = move
            if reconciliation.unused_policy == "refund":
                reconciliation._reconcile_open_invoices(moves)
            with guarded_write():
                reconciliation.state = "done"
            # A note logged, not sent: no e-mail address needed.
            reconciliation._message_log(
                body=self.env._(
                    "%(count)s unused passes, %(amount)s: entries posted.",
                    count=reconciliation.voucher_count,
                    amount=reconciliation.amount_unused,
                )
            )
        return True

    def _reconcile_open_invoices(self, credit_notes):
        """A credit note reverses the funder's invoices it comes from: where
        those are still open, match them like Odoo's own reversal does.

        Never with the funder's other open invoices: a public funder's
        accountant pays each invoice as it was committed (Chorus Pro attaches
        the credit note to the invoice it reverses), and a set-off is theirs
        to agree to. What is left of the credit note is owed to the funder
        and paid back by the next clearing run, by transfer to its trusted
        IBAN (``pass.clearing.run._due_refunds``); a set-off agreed with the
        funder is lettered by hand, and then nothing is left to pay."""
        for credit_note in credit_notes:
            invoices = credit_note.invoice_line_ids.pass_origin_line_id.move_id
            receivable = (credit_note | invoices).line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable"
                and not line.reconciled
            )
            if receivable - credit_note.line_ids and len(receivable) > 1:
                receivable.reconcile()

    def action_view_moves(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Entries"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", self.move_ids.ids)],
        }


class PassReconciliationLine(models.Model):
    """One funder's side of an end-of-validity reconciliation."""

    _name = "pass.reconciliation.line"
    _inherit = ["pass.guarded.mixin"]
    _description = "Pass end-of-validity reconciliation of one funder"
    _order = "reconciliation_id, id"
    _pass_guarded_fields = RECONCILIATION_LINE_GUARDED_FIELDS

    reconciliation_id = fields.Many2one(
        "pass.reconciliation", required=True, ondelete="cascade", index=True
    )
    program_id = fields.Many2one(related="reconciliation_id.program_id", store=True)
    company_id = fields.Many2one(related="reconciliation_id.company_id", store=True)
    currency_id = fields.Many2one(related="reconciliation_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner", string="Funder", required=True, index=True
    )
    share = fields.Float(string="Share (%)", digits=(5, 2))
    unit_amount = fields.Monetary(string="Share of a pass")
    count_bought = fields.Integer(string="Passes bought")
    count_redeemed = fields.Integer(string="Used passes")
    count_settled = fields.Integer(string="Passes refunded to venues")
    count_unused = fields.Integer(string="Unused passes")
    amount_bought = fields.Monetary(string="Amount bought")
    amount_redeemed = fields.Monetary(string="Used amount")
    amount_settled = fields.Monetary(string="Amount settled to venues")
    amount_unused = fields.Monetary(string="Unused amount")
    origin_line_data = fields.Json(
        help="Per funder invoice line: the number of its unused passes handled here."
    )
    move_id = fields.Many2one("account.move", string="Entry", readonly=True, copy=False)

    _sql_constraints = [
        (
            "funder_unique",
            "unique(reconciliation_id, partner_id)",
            "A funder appears only once per reconciliation.",
        )
    ]

    def _prepare_move_vals(self):
        self.ensure_one()
        reconciliation = self.reconciliation_id
        program = reconciliation.program_id
        company = reconciliation.company_id
        currency = reconciliation.currency_id
        liability = company.pass_liability_account_id
        label = self.env._(
            "%(count)s unused passes - %(program)s - share of %(funder)s",
            count=self.count_unused,
            program=program.display_name,
            funder=self.partner_id.name,
        )
        if reconciliation.unused_policy == "retain":
            amount = self.amount_unused
            journal = (
                self.env["account.journal"].search(
                    [("type", "=", "general"), ("company_id", "=", company.id)], limit=1
                )
                or company.pass_sale_journal_id
            )
            return {
                "move_type": "entry",
                "journal_id": journal.id,
                "company_id": company.id,
                "date": reconciliation.date,
                "ref": self.env._(
                    "%(name)s - unused value retained", name=reconciliation.name
                ),
                "line_ids": [
                    Command.create(
                        {
                            "name": label,
                            "account_id": liability.id,
                            "partner_id": self.partner_id.id,
                            "debit": amount,
                            "credit": 0.0,
                            "pass_program_id": program.id,
                            "pass_voucher_count": self.count_unused,
                        }
                    ),
                    Command.create(
                        {
                            "name": label,
                            "account_id": company.pass_retained_account_id.id,
                            "partner_id": self.partner_id.id,
                            "debit": 0.0,
                            "credit": amount,
                            "pass_program_id": program.id,
                        }
                    ),
                ],
            }
        # Refund: one credit-note line per invoice line the passes were billed
        # on, at the funder's part of one pass, on the liability account and
        # without VAT (at most its 0 % tax), exactly as the invoice line it
        # reverses.
        origin_lines = self.env["account.move.line"].browse(
            [int(k) for k in (self.origin_line_data or {})]
        )
        invoice_lines = []
        for origin in origin_lines:
            count = self.origin_line_data[str(origin.id)]
            invoice_lines.append(
                Command.create(
                    {
                        "product_id": origin.product_id.id,
                        "name": self.env._(
                            "%(count)s unused passes (%(invoice)s) - %(program)s - "
                            "share of %(funder)s (%(share)s %%)",
                            count=count,
                            invoice=origin.move_id.name,
                            program=program.display_name,
                            funder=self.partner_id.name,
                            share=self.share,
                        ),
                        "quantity": count,
                        "price_unit": self.unit_amount,
                        "account_id": liability.id,
                        "tax_ids": [Command.set(origin.tax_ids.ids)],
                        "pass_share": self.share,
                        "pass_program_id": program.id,
                        "pass_voucher_count": count,
                        "pass_origin_line_id": origin.id,
                    }
                )
            )
        invoices = origin_lines.move_id
        return {
            "move_type": "out_refund",
            "partner_id": self.partner_id.id,
            "journal_id": company.pass_sale_journal_id.id,
            "company_id": company.id,
            "currency_id": currency.id,
            "invoice_date": reconciliation.date,
            "date": reconciliation.date,
            "invoice_origin": ", ".join(invoices.mapped("name")),
            "ref": self.env._(
                "%(name)s - unused passes refunded", name=reconciliation.name
            ),
            "reversed_entry_id": invoices.id if len(invoices) == 1 else False,
            "invoice_line_ids": invoice_lines,
        }


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    pass_origin_line_id = fields.Many2one(
        "account.move.line",
        string="Reversed invoice line",
        index="btree_not_null",
        copy=False,
        help="On an end-of-validity credit note: the funder's invoice line whose "
        "unused passes this line refunds.",
    )


def _funder_invoice_lines(env, programs):
    """Posted invoice lines billing the face value of books of ``programs``
    to funders, on the funders' money account, and not credited since.

    A credit note on an order's books credits a funder's whole share of the
    order line (see account_move.py), which may then be invoiced again: the
    credited invoice lines (the oldest ones) no longer bill those books."""
    companies = programs.company_id
    domain = [
        ("pass_program_id", "in", programs.ids),
        ("parent_state", "=", "posted"),
        ("account_id", "in", companies.pass_liability_account_id.ids),
        ("display_type", "=", "product"),
    ]
    lines = env["account.move.line"].search(
        [*domain, ("move_id.move_type", "=", "out_invoice")], order="id"
    )
    credited = defaultdict(float)
    for refund in env["account.move.line"].search(
        [
            *domain,
            ("move_id.move_type", "=", "out_refund"),
            ("sale_line_ids", "!=", False),
        ]
    ):
        funder = refund.move_id.commercial_partner_id
        for sale_line in refund.sale_line_ids:
            credited[sale_line, funder] += refund.quantity
    if not credited:
        return lines
    kept_ids = []
    for line in lines:
        key = (line.sale_line_ids[:1], line.move_id.commercial_partner_id)
        if credited[key] >= line.quantity > 0:
            credited[key] -= line.quantity
            continue
        kept_ids.append(line.id)
    return lines.browse(kept_ids)


def funder_books(env, programs):
    """{(program, funder): {invoice line: books}} for the books of
    ``programs`` that were invoiced to each funder."""
    result = defaultdict(lambda: defaultdict(lambda: env["pass.book"]))
    for line in _funder_invoice_lines(env, programs):
        books = line.sale_line_ids.pass_book_ids
        if books:
            key = (line.pass_program_id, line.partner_id.commercial_partner_id)
            result[key][line] |= books
    return result
