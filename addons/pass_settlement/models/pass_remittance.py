# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class PassRemittance(models.Model):
    """A venue's remittance slip (bordereau de remise): the redeemed passes it
    sends for reimbursement. Validation posts one entry: the funders' money
    account is debited per funder, the venue's payable credited."""

    _name = "pass.remittance"
    _description = "Pass remittance (bordereau)"
    _inherit = ["mail.thread", "portal.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(readonly=True, copy=False, default="/", required=True)
    venue_id = fields.Many2one(
        "res.partner",
        string="Venue",
        required=True,
        index=True,
        domain=[("is_pass_venue", "=", True)],
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    voucher_ids = fields.One2many("pass.voucher", "remittance_id", string="Passes")
    voucher_count = fields.Integer(
        compute="_compute_amount", string="Number of passes", store=True
    )
    amount_total = fields.Monetary(compute="_compute_amount", store=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("submitted", "Submitted"),
            ("validated", "Validated"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    date = fields.Date(default=fields.Date.context_today, required=True)
    period_end = fields.Date(
        string="Redeemed until",
        help="Passes redeemed up to this date are included (clearing runs).",
    )
    submitted_at = fields.Datetime(readonly=True, copy=False)
    validated_at = fields.Datetime(readonly=True, copy=False)
    validated_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    move_id = fields.Many2one("account.move", string="Journal entry", readonly=True, copy=False)
    payable_line_id = fields.Many2one(
        "account.move.line", compute="_compute_payable_line", string="Venue payable"
    )
    payment_state = fields.Selection(
        [("not_paid", "Not paid"), ("paid", "Paid")],
        compute="_compute_payable_line",
        string="Payment",
    )

    @api.depends("voucher_ids.amount")
    def _compute_amount(self):
        for remittance in self:
            remittance.amount_total = sum(remittance.voucher_ids.mapped("amount"))
            remittance.voucher_count = len(remittance.voucher_ids)

    def _compute_payable_line(self):
        for remittance in self:
            line = remittance.move_id.line_ids.filtered(
                lambda l: l.account_id.account_type == "liability_payable"
            )[:1]
            remittance.payable_line_id = line
            remittance.payment_state = "paid" if line and line.reconciled else "not_paid"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                # sudo: venues' portal users create remittances without reading
                # the sequence.
                vals["name"] = self.env["ir.sequence"].sudo().next_by_code("pass.remittance")
        return super().create(vals_list)

    def _compute_access_url(self):
        super()._compute_access_url()
        for remittance in self:
            remittance.access_url = f"/my/pass/remittances/{remittance.id}"

    # ------------------------------------------------------------------ filling
    def _redeemed_domain(self):
        self.ensure_one()
        domain = [
            ("venue_id", "=", self.venue_id.id),
            ("state", "=", "redeemed"),
            ("remittance_id", "=", False),
            ("company_id", "=", self.company_id.id),
            ("currency_id", "=", self.currency_id.id),
        ]
        if self.period_end:
            domain.append(("redeemed_at", "<", fields.Datetime.to_datetime(self.period_end) + timedelta(days=1)))
        return domain

    def action_add_redeemed(self):
        """Put in this draft remittance every redeemed pass of the venue that
        is in no other remittance."""
        for remittance in self:
            remittance._check_state("draft")
            # sudo: a venue's portal user adds its own redeemed passes; the
            # domain restricts them to the venue.
            vouchers = self.env["pass.voucher"].sudo().search(remittance._redeemed_domain())
            vouchers.write({"remittance_id": remittance.id})
        return True

    def add_vouchers(self, voucher_ids):
        """Add the given passes to this draft remittance, after checking each."""
        self.ensure_one()
        self._check_state("draft")
        vouchers = self.env["pass.voucher"].sudo().browse(voucher_ids).exists()  # sudo: checked below
        self._check_vouchers(vouchers, allow_other_remittance=False)
        vouchers.write({"remittance_id": self.id})
        return True

    def _check_state(self, state):
        for remittance in self:
            if remittance.state != state:
                raise UserError(
                    self.env._(
                        "Remittance %(name)s is %(state)s: this cannot be done now.",
                        name=remittance.name,
                        state=dict(self._fields["state"]._description_selection(self.env))[
                            remittance.state
                        ],
                    )
                )

    def _check_vouchers(self, vouchers, allow_other_remittance=True):
        """Every pass must be redeemed by this venue, in this company and
        currency, and in no other remittance."""
        self.ensure_one()
        for voucher in vouchers:
            problem = False
            if voucher.venue_id != self.venue_id:
                problem = self.env._("it was not redeemed by %(venue)s", venue=self.venue_id.name)
            elif voucher.state == "settled":
                problem = self.env._("it is already settled")
            elif voucher.state != "redeemed":
                problem = self.env._("it is not redeemed")
            elif voucher.remittance_id and voucher.remittance_id != self:
                problem = self.env._(
                    "it is already in remittance %(name)s", name=voucher.remittance_id.name
                )
            elif voucher.company_id != self.company_id:
                problem = self.env._("it belongs to another company")
            elif voucher.currency_id != self.currency_id:
                problem = self.env._("it is in another currency")
            if problem:
                raise UserError(
                    self.env._(
                        "Pass %(code)s cannot be remitted by %(venue)s: %(problem)s.",
                        code=voucher.code_display,
                        venue=self.venue_id.name,
                        problem=problem,
                    )
                )

    # ------------------------------------------------------------------ workflow
    def action_submit(self):
        for remittance in self:
            remittance._check_state("draft")
            if not remittance.voucher_ids:
                raise UserError(
                    self.env._("Remittance %(name)s has no pass to submit.", name=remittance.name)
                )
            remittance._check_vouchers(remittance.voucher_ids)
        self.write({"state": "submitted", "submitted_at": fields.Datetime.now()})
        return True

    def action_validate(self):
        """Post the clearing entry and settle the passes, exactly once."""
        if not self.env.user.has_group("account.group_account_user") and not self.env.su:
            raise UserError(self.env._("Only an accountant can validate remittances."))
        for remittance in self:
            remittance._lock()
            remittance._check_state("submitted")
            remittance.company_id._pass_check_settlement_config()
            remittance._check_vouchers(remittance.voucher_ids)
            move = self.env["account.move"].create(remittance._prepare_move_vals())
            move.action_post()
            remittance.voucher_ids.write({"state": "settled"})
            remittance.write(
                {
                    "state": "validated",
                    "move_id": move.id,
                    "validated_at": fields.Datetime.now(),
                    "validated_by_id": self.env.uid,
                }
            )
        return True

    def _lock(self):
        """Row lock: a concurrent validation of the same remittance waits here,
        then sees it validated and is refused (never posts twice)."""
        self.ensure_one()
        self.env.cr.execute(
            SQL("SELECT id FROM pass_remittance WHERE id = %(id)s FOR UPDATE", id=self.id)
        )
        self.invalidate_recordset(["state", "move_id"])

    def action_cancel(self):
        for remittance in self:
            if remittance.state == "validated":
                raise UserError(
                    self.env._(
                        "Remittance %(name)s is validated: reverse its journal entry "
                        "instead.",
                        name=remittance.name,
                    )
                )
        self.voucher_ids.write({"remittance_id": False})
        self.write({"state": "cancelled"})
        return True

    def action_draft(self):
        self._check_state("submitted")
        self.write({"state": "draft"})
        return True

    def _prepare_move_vals(self):
        """Debit the funders' money account per funder (partner = funder, its
        per-pass part times the passes of each programme), credit the venue's
        payable with the face value of the passes."""
        self.ensure_one()
        company = self.company_id
        currency = self.currency_id
        venue = self.venue_id.commercial_partner_id
        payable = venue.with_company(company).property_account_payable_id
        if not payable:
            raise UserError(
                self.env._("Venue %(venue)s has no payable account.", venue=venue.name)
            )
        counts = defaultdict(int)
        for voucher in self.voucher_ids:
            counts[voucher.program_id] += 1
        debit_by_funder = defaultdict(int)
        lines = []
        total_cents = 0
        for program, count in sorted(counts.items(), key=lambda pc: pc[0].id):
            for funder, cents in program._pass_funder_cents():
                lines.append(
                    Command.create(
                        {
                            "name": self.env._(
                                "%(remittance)s - %(count)s passes %(program)s - %(funder)s",
                                remittance=self.name,
                                count=count,
                                program=program.code,
                                funder=funder.name,
                            ),
                            "account_id": company.pass_liability_account_id.id,
                            "partner_id": funder.id,
                            "debit": cents * count * currency.rounding,
                            "credit": 0.0,
                            "pass_program_id": program.id,
                            "pass_voucher_count": count,
                        }
                    )
                )
                debit_by_funder[funder] += cents * count
                total_cents += cents * count
        lines.append(
            Command.create(
                {
                    "name": self.env._(
                        "Remittance %(name)s - %(count)s passes",
                        name=self.name,
                        count=len(self.voucher_ids),
                    ),
                    "account_id": payable.id,
                    "partner_id": venue.id,
                    "debit": 0.0,
                    "credit": total_cents * currency.rounding,
                }
            )
        )
        return {
            "move_type": "entry",
            "journal_id": company.pass_venue_journal_id.id,
            "company_id": company.id,
            "date": fields.Date.context_today(self),
            "ref": self.env._("Remittance %(name)s - %(venue)s", name=self.name, venue=venue.name),
            "line_ids": lines,
        }
