# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import float_round


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    pass_program_id = fields.Many2one(
        related="product_id.product_tmpl_id.pass_program_id", store=True
    )
    pass_fee_program_id = fields.Many2one(
        "pass.program",
        string="Fee of programme",
        copy=False,
        help="This line is the cooperative's fee on the books of this programme.",
    )
    pass_book_ids = fields.One2many("pass.book", "sale_line_id", string="Books")

    def _pass_invoiced_fraction(self, posted_only):
        """The quantity of this line invoiced, counting each funder's
        invoice line (credit notes negative) for its share of the quantity."""
        self.ensure_one()
        qty = 0.0
        for inv_line in self._get_invoice_lines():
            move = inv_line.move_id
            if move.state == "cancel" or (posted_only and move.state != "posted"):
                continue
            fraction = (inv_line.pass_share or 100.0) / 100.0
            sign = 1 if move.move_type == "out_invoice" else -1
            qty += sign * inv_line.quantity * fraction
        return float_round(qty, precision_rounding=self.product_uom.rounding or 0.01)

    @api.depends("invoice_lines.pass_share")
    def _compute_qty_invoiced(self):
        """A co-funded line is invoiced to each funder for its share: count
        each funder's invoice line for that fraction of the quantity; a
        credit note on a funder's share gives that share back to invoice."""
        pass_lines = self.filtered(
            lambda sol: sol.pass_program_id or sol.pass_fee_program_id
        )
        res = super(SaleOrderLine, self - pass_lines)._compute_qty_invoiced()
        for line in pass_lines:
            line.qty_invoiced = line._pass_invoiced_fraction(posted_only=False)
        return res

    @api.depends("invoice_lines.pass_share")
    def _compute_qty_invoiced_posted(self):
        """Same as the invoiced quantity, on posted documents only."""
        pass_lines = self.filtered(
            lambda sol: sol.pass_program_id or sol.pass_fee_program_id
        )
        res = super(SaleOrderLine, self - pass_lines)._compute_qty_invoiced_posted()
        for line in pass_lines:
            line.qty_invoiced_posted = line._pass_invoiced_fraction(posted_only=True)
        return res

    def _pass_funder_invoiced(self, posted_only=False, exclude_moves=None):
        """{funder: (quantity, amount)} invoiced on this line to each funder,
        net of its credit notes (cancelled documents never count; drafts
        count unless ``posted_only``; ``exclude_moves`` are left out)."""
        self.ensure_one()
        result = defaultdict(lambda: [0.0, 0.0])
        for inv_line in self._get_invoice_lines():
            move = inv_line.move_id
            if (
                move.state == "cancel"
                or (posted_only and move.state != "posted")
                or (exclude_moves and move in exclude_moves)
                or move.move_type not in ("out_invoice", "out_refund")
            ):
                continue
            sign = 1 if move.move_type == "out_invoice" else -1
            totals = result[move.commercial_partner_id]
            totals[0] += sign * inv_line.quantity
            totals[1] += sign * inv_line.price_subtotal
        return {funder: tuple(totals) for funder, totals in result.items()}
