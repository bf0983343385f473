# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

from odoo.addons.pass_numerique.models.pass_book import BOOK_GUARDED_FIELDS


class PassBook(models.Model):
    _inherit = "pass.book"
    # The sale line is what activates a book of an on-payment programme (its
    # funders' invoices paid): set only when the order issues the book.
    _pass_guarded_fields = BOOK_GUARDED_FIELDS | {"sale_line_id"}

    sale_line_id = fields.Many2one(
        "sale.order.line",
        string="Sold on",
        readonly=True,
        index="btree_not_null",
        copy=False,
    )
    sale_order_id = fields.Many2one(
        related="sale_line_id.order_id", string="Funder order"
    )

    def _is_activated(self):
        """On-payment programmes: a sold book is active once every funder's
        invoice for it is paid (no pass in circulation without its money in
        the bank); the manual flag of the core still works for books sold
        outside Odoo."""
        if super()._is_activated():
            return True
        line = self.sale_line_id
        if not line:
            return False
        # sudo: the venue's user redeeming does not read invoices.
        line = line.sudo()
        books = round(line.product_uom_qty)
        invoiced = line._pass_funder_invoiced(posted_only=True)
        funders = self.program_id.funding_ids.partner_id
        # Every funder's share invoiced (a credit note gives it back until it
        # is invoiced again), and every invoice still due paid (an invoice
        # cancelled by its credit note is "reversed", not due).
        invoices = line.invoice_lines.move_id.filtered(
            lambda m: m.state == "posted"
            and m.move_type == "out_invoice"
            and m.payment_state != "reversed"
        )
        return (
            bool(invoices)
            and all(round(invoiced.get(f, (0.0, 0.0))[0]) >= books for f in funders)
            and all(m.payment_state in ("paid", "in_payment") for m in invoices)
        )
