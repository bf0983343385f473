# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
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

    @api.depends("invoice_lines.pass_share")
    def _compute_qty_invoiced(self):
        """A co-funded line is invoiced to each funder for its share: count
        each funder's invoice line for that fraction of the quantity."""
        pass_lines = self.filtered(
            lambda sol: sol.pass_program_id or sol.pass_fee_program_id
        )
        res = super(SaleOrderLine, self - pass_lines)._compute_qty_invoiced()
        for line in pass_lines:
            qty = 0.0
            for inv_line in line._get_invoice_lines():
                move = inv_line.move_id
                if move.state == "cancel":
                    continue
                fraction = (inv_line.pass_share or 100.0) / 100.0
                sign = 1 if move.move_type == "out_invoice" else -1
                qty += sign * inv_line.quantity * fraction
            line.qty_invoiced = float_round(
                qty, precision_rounding=line.product_uom.rounding or 0.01
            )
        return res
