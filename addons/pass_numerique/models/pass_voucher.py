# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.pass_code import format_code
from .pass_book import CANCEL_REASONS, UNUSED_STATES

_logger = logging.getLogger(__name__)

VOUCHER_STATES = [
    ("available", "Available"),
    ("distributed", "Distributed"),
    ("redeemed", "Redeemed"),
    ("settled", "Settled"),
    ("expired", "Expired"),
    ("cancelled", "Cancelled"),
]


class PassVoucher(models.Model):
    _name = "pass.voucher"
    _description = "Pass (voucher)"
    _order = "book_id desc, number"
    _rec_name = "code"
    _check_company_auto = True

    code = fields.Char(required=True, readonly=True, copy=False)
    code_display = fields.Char(compute="_compute_code_display", string="Printed code")
    book_id = fields.Many2one(
        "pass.book", required=True, readonly=True, index=True, ondelete="restrict"
    )
    number = fields.Integer(string="Pass n°", readonly=True)
    program_id = fields.Many2one(
        "pass.program", required=True, readonly=True, index=True, ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    state = fields.Selection(
        VOUCHER_STATES, default="available", required=True, readonly=True, index=True
    )
    holder_id = fields.Many2one(related="book_id.holder_id", string="Holder")
    date_expiry = fields.Date(string="Valid until", readonly=True)
    venue_id = fields.Many2one(
        "res.partner", string="Venue", readonly=True, index="btree_not_null"
    )
    service_id = fields.Many2one("pass.service", readonly=True)
    redeemed_at = fields.Datetime(readonly=True)
    cancel_reason = fields.Selection(CANCEL_REASONS, readonly=True)
    cancel_note = fields.Char(readonly=True)
    cancelled_at = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "A pass with this code already exists."),
        ("amount_positive", "check(amount > 0)", "A pass has a positive value."),
    ]

    @api.depends("code")
    def _compute_code_display(self):
        for voucher in self:
            voucher.code_display = format_code(voucher.code or "")

    @api.model
    def _search_display_name(self, operator, value):
        # Searching a pass by its printed code: ignore the grouping spaces.
        if isinstance(value, str) and operator in ("ilike", "=", "=ilike", "like"):
            value = value.replace(" ", "").replace("-", "")
        return super()._search_display_name(operator, value)

    def _redeem_deadline(self):
        """Last day this pass is accepted at a venue (validity + grace)."""
        self.ensure_one()
        return self.date_expiry + relativedelta(months=self.program_id.grace_months)

    # ------------------------------------------------------------------ business
    def _cancel(self, reason, note=False):
        bad = self.filtered(lambda v: v.state not in UNUSED_STATES)
        if bad:
            raise UserError(
                self.env._(
                    "Pass %(code)s is %(state)s: only unused passes can be cancelled.",
                    code=bad[0].code_display,
                    state=dict(VOUCHER_STATES)[bad[0].state],
                )
            )
        self.write(
            {
                "state": "cancelled",
                "cancel_reason": reason,
                "cancel_note": note or False,
                "cancelled_at": fields.Datetime.now(),
            }
        )

    def action_cancel(self, reason="other", note=False):
        self._cancel(reason, note)
        return True

    @api.model
    def _cron_expire(self):
        """Mark expired every unused pass whose validity and grace are over."""
        today = fields.Date.context_today(self)
        candidates = self.search(
            [("state", "in", UNUSED_STATES), ("date_expiry", "<", today)]
        )
        expired = candidates.filtered(lambda v: v._redeem_deadline() < today)
        expired.write({"state": "expired"})
        _logger.info("Pass expiry: %s passes expired", len(expired))
        return len(expired)
