# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.pass_numerique.tools.guard import guarded_write

# Why a venue's payable was held back from a payment order.
HOLD_REASONS = [
    ("no_bank", "No bank account"),
    ("not_iban", "No IBAN"),
    ("untrusted", "IBAN not trusted"),
    ("no_city", "No town in the address"),
]


# Who a run line pays: a venue (its remittance payable) or a funder (the
# end-of-validity refund owed to it).
LINE_ROLES = [
    ("venue", "Venue payable"),
    ("funder", "Refund to a funder"),
]


class PassClearingRunLine(models.Model):
    """One item a clearing run dealt with: paid in the run's payment order, or
    held back (and why). Either a venue payable (``role`` venue: the payable
    of a remittance) or a refund owed to a funder (``role`` funder: the
    receivable item of an end-of-validity credit note still owed to it). A
    run's payment order pays exactly its lines in state "paid": the payables
    of the run's own remittances, the open payables of earlier remittances
    due again (held back before, or whose transfer was returned) and the
    funders' open refunds."""

    _name = "pass.clearing.run.line"
    _description = "Venue payable or funder refund of a clearing run"
    _inherit = ["pass.guarded.mixin"]
    _order = "run_id desc, state, venue_id, id"
    _check_company_auto = True
    _rec_name = "venue_id"

    run_id = fields.Many2one(
        "pass.clearing.run",
        string="Clearing run",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_end = fields.Date(related="run_id.period_end")
    role = fields.Selection(
        LINE_ROLES,
        string="Kind",
        required=True,
        readonly=True,
        default="venue",
        index=True,
    )
    venue_id = fields.Many2one(
        "res.partner",
        string="Payee",
        required=True,
        readonly=True,
        index=True,
        help="The venue paid, or the funder refunded.",
    )
    move_line_id = fields.Many2one(
        "account.move.line",
        string="Journal item",
        help="The venue's payable, or the funder's receivable item of its "
        "end-of-validity credit note.",
        required=True,
        readonly=True,
        ondelete="restrict",
        index=True,
    )
    move_id = fields.Many2one(related="move_line_id.move_id", string="Journal entry")
    date = fields.Date(related="move_line_id.date", string="Entry date")
    remittance_id = fields.Many2one(
        "pass.remittance", string="Remittance", readonly=True, index="btree_not_null"
    )
    reconciliation_id = fields.Many2one(
        "pass.reconciliation",
        string="End-of-validity reconciliation",
        readonly=True,
        index="btree_not_null",
        help="On a refund line: the reconciliation whose credit note is paid.",
    )
    origin = fields.Selection(
        [("run", "This run"), ("earlier", "Due again")],
        required=True,
        readonly=True,
        help="This run: the payable of one of the run's remittances, or a "
        "refund listed for the first time. Due again: the open payable of an "
        "earlier remittance or a refund listed by an earlier run (held back "
        "before, or its transfer returned).",
    )
    amount = fields.Monetary(readonly=True, help="Amount owed when the run ran.")
    state = fields.Selection(
        [
            ("paid", "In payment order"),
            ("held", "Held back"),
            ("carried", "Carried to a later run"),
            ("returned", "Transfer returned"),
        ],
        required=True,
        readonly=True,
        index=True,
    )
    reason = fields.Selection(HOLD_REASONS, string="Held back because", readonly=True)
    partner_bank_id = fields.Many2one(
        "res.partner.bank", string="Bank account", readonly=True
    )
    payment_line_id = fields.Many2one(
        "account.payment.line", string="Payment line", readonly=True
    )
    payment_order_id = fields.Many2one(
        related="payment_line_id.order_id", string="Payment order"
    )
    later_run_id = fields.Many2one(
        "pass.clearing.run",
        string="Carried to",
        readonly=True,
        help="The later run that took this payable over (held back or returned "
        "here, still due then).",
    )

    _sql_constraints = [
        (
            "run_move_line_unique",
            "unique(run_id, move_line_id)",
            "A clearing run lists a journal item once.",
        ),
    ]

    _pass_guarded_fields = frozenset(
        {
            "run_id",
            "role",
            "venue_id",
            "move_line_id",
            "remittance_id",
            "reconciliation_id",
            "origin",
            "amount",
            "state",
            "reason",
            "partner_bank_id",
            "payment_line_id",
            "later_run_id",
        }
    )

    def action_record_return(self):
        """The bank returned (rejected) these transfers: reverse each payment's
        entry (the posted entry stays, as the audit trail wants), which
        reopens the venue's payable or the funder's refund; the next clearing
        run pays it again."""
        self.run_id._check_clearing_rights()
        payments = self.env["account.payment"]
        for line in self:
            if line.state != "paid" or line.payment_order_id.state != "uploaded":
                raise UserError(
                    self.env._(
                        "Only a transfer sent to the bank (payment order uploaded) "
                        "can be declared returned: %(venue)s.",
                        venue=line.venue_id.name,
                    )
                )
            payments |= line.payment_line_id.payment_ids.filtered(
                lambda p: p.state in ("in_process", "paid") and p.move_id
            )
        if not payments:
            raise UserError(self.env._("No transfer sent to cancel for these venues."))
        moves = payments.move_id.filtered(lambda m: m.state == "posted")
        today = fields.Date.context_today(self)
        moves._reverse_moves(
            [
                {
                    "date": today,
                    "ref": self.env._(
                        "Transfer returned: %(name)s", name=move.name or ""
                    ),
                }
                for move in moves
            ],
            cancel=True,
        )
        payments.action_reject()
        with guarded_write():
            self.filtered(lambda line: line.state == "paid").write(
                {"state": "returned"}
            )
        for run in self.run_id:
            run_lines = self.filtered(lambda line, r=run: line.run_id == r)
            venues = run_lines.filtered(lambda line: line.role == "venue").venue_id
            funders = run_lines.filtered(lambda line: line.role == "funder").venue_id
            if venues:
                run._message_log(
                    body=self.env._(
                        "Transfer returned by the bank, recorded by %(user)s: "
                        "%(venues)s. The payable to these venues is reopened; the "
                        "next clearing run will pay it.",
                        user=self.env.user.name,
                        venues=", ".join(venues.mapped("name")),
                    )
                )
            if funders:
                run._message_log(
                    body=self.env._(
                        "Refund transfer returned by the bank, recorded by %(user)s: "
                        "%(funders)s. The refund is due again; the next clearing run "
                        "will pay it.",
                        user=self.env.user.name,
                        funders=", ".join(funders.mapped("name")),
                    )
                )
        return True
