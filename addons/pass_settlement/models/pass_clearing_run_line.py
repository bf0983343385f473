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
]


class PassClearingRunLine(models.Model):
    """One venue payable a clearing run dealt with: paid in the run's payment
    order, or held back (and why). A run's payment order pays exactly its
    lines in state "paid": the payables of the run's own remittances and the
    open payables of earlier remittances due again (held back before, or
    whose transfer was returned)."""

    _name = "pass.clearing.run.line"
    _description = "Venue payable of a clearing run"
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
    venue_id = fields.Many2one(
        "res.partner", string="Venue", required=True, readonly=True, index=True
    )
    move_line_id = fields.Many2one(
        "account.move.line",
        string="Venue payable",
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
    origin = fields.Selection(
        [("run", "This run"), ("earlier", "Due again")],
        required=True,
        readonly=True,
        help="This run: the payable of one of the run's remittances. Due again: "
        "the open payable of an earlier remittance (held back before, or its "
        "transfer returned).",
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
            "A clearing run lists a venue payable once.",
        ),
    ]

    _pass_guarded_fields = frozenset(
        {
            "run_id",
            "venue_id",
            "move_line_id",
            "remittance_id",
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
        reopens the venue's payable; the next clearing run pays it again."""
        self.run_id._check_clearing_rights()
        payments = self.env["account.payment"]
        for line in self:
            if line.state != "paid" or line.payment_order_id.state != "uploaded":
                raise UserError(
                    self.env._(
                        "Seul un virement envoyé à la banque (ordre de paiement "
                        "téléversé) peut être déclaré rejeté : %(venue)s.",
                        venue=line.venue_id.name,
                    )
                )
            payments |= line.payment_line_id.payment_ids.filtered(
                lambda p: p.state in ("in_process", "paid") and p.move_id
            )
        if not payments:
            raise UserError(
                self.env._("Aucun virement envoyé à annuler pour ces lieux.")
            )
        moves = payments.move_id.filtered(lambda m: m.state == "posted")
        today = fields.Date.context_today(self)
        moves._reverse_moves(
            [
                {
                    "date": today,
                    "ref": self.env._(
                        "Virement rejeté : %(name)s", name=move.name or ""
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
            venues = self.filtered(lambda line, r=run: line.run_id == r).venue_id
            run._message_log(
                body=self.env._(
                    "Virement rejeté par la banque, enregistré par %(user)s : "
                    "%(venues)s. La dette envers ces lieux est rouverte ; la "
                    "prochaine compensation la paiera.",
                    user=self.env.user.name,
                    venues=", ".join(venues.mapped("name")),
                )
            )
        return True
