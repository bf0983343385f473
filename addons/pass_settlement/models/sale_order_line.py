# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import Command, api, fields, models
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
    pass_fee_funder_id = fields.Many2one(
        "res.partner",
        string="Fee of funder",
        copy=False,
        help="The co-funder invoiced for this fee line: the fee of a programme is "
        "split per funder on the order, so that each funder's fee and its VAT are "
        "those of its own invoice (VAT rounded per document).",
    )
    pass_book_ids = fields.One2many("pass.book", "sale_line_id", string="Books")

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if not self.env.context.get("pass_syncing_fees"):
            lines.filtered("pass_program_id").order_id._pass_sync_quotation_fees()
        return lines

    def write(self, vals):
        res = super().write(vals)
        if not self.env.context.get("pass_syncing_fees") and any(
            fname in vals
            for fname in ("product_id", "product_uom_qty", "price_unit", "discount")
        ):
            self.filtered("pass_program_id").order_id._pass_sync_quotation_fees()
        return res

    def _pass_invoiced_fraction(self, posted_only):
        """The quantity of this line invoiced, counting each funder's
        invoice line (credit notes negative) for its share of the quantity."""
        self.ensure_one()
        qty = 0.0
        for inv_line in self._get_invoice_lines():
            move = inv_line.move_id
            if move.state == "cancel" or (posted_only and move.state != "posted"):
                continue
            # A fee line of one funder is invoiced whole to that funder.
            fraction = (
                1.0
                if self.pass_fee_funder_id
                else (inv_line.pass_share or 100.0) / 100.0
            )
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

    def _pass_prepare_funder_invoice_lines(self):
        """What is left to invoice of this line, per co-funder, as invoice
        line values built by sale's own ``_prepare_invoice_line`` (so that the
        values other addons add there survive), then given the funder's part:

        - a line of books: each funder's part of the face value of the books
          not yet invoiced to it (its cents of a pass, times the passes), on
          the funders' money account with the 0 % tax of vouchers;
        - a fee line of one funder: the whole line, to that funder, once;
        - a fee line of the whole programme (orders quoted before the fee
          was split per funder): each funder's part of it.

        Returns a list of ``(funder, kind, values)``, kind ``"face"`` (face
        value) or ``"fee"``: each kind goes on its own invoice."""
        self.ensure_one()
        order = self.order_id
        company = order.company_id
        currency = order.currency_id
        invoiced = self._pass_funder_invoiced()
        result = []
        if self.pass_program_id:
            program = self.pass_program_id
            ppb = self.product_id.product_tmpl_id.pass_passes_per_book
            books = round(self.product_uom_qty)
            for (funder, cents), funding in zip(
                program._pass_funder_cents(),
                program._pass_fundings(),
                strict=True,
            ):
                todo = books - round(invoiced.get(funder, (0.0, 0.0))[0])
                if todo <= 0:
                    continue
                line = self.with_context(lang=funder.lang)
                money = {
                    "name": line.env._(
                        "%(line)s - share of %(funder)s (%(share)s %%)",
                        line=self.name,
                        funder=funder.name,
                        share=funding.share,
                    ),
                    "quantity": todo,
                    "price_unit": cents * ppb * currency.rounding,
                    "discount": 0.0,
                }
                vals = line._prepare_invoice_line(**money)
                vals.update(
                    money,
                    account_id=company.pass_liability_account_id.id,
                    # Out of the scope of VAT: the 0 % tax of vouchers only
                    # names the category (O) on electronic invoices; no
                    # fiscal position maps it.
                    tax_ids=[Command.set(company.pass_voucher_tax_id.ids)],
                    pass_share=funding.share,
                    pass_program_id=program.id,
                    pass_voucher_count=todo * ppb,
                )
                result.append((funder, "face", vals))
            return result
        program = self.pass_fee_program_id
        fundings = program._pass_fundings()
        if self.pass_fee_funder_id:
            funder = self.pass_fee_funder_id.commercial_partner_id
            done = round(invoiced.get(funder, (0.0, 0.0))[0])
            if done >= 1 or currency.is_zero(self.price_subtotal):
                return result
            funding = fundings.filtered(lambda f: f.partner_id == funder)[:1]
            vals = self.with_context(lang=funder.lang)._prepare_invoice_line(quantity=1)
            # Price, discount and taxes are the order line's: the fee of
            # this funder, with the taxes of its fiscal position.
            vals.update(
                quantity=1,
                pass_share=funding.share,
                pass_program_id=program.id,
            )
            result.append((funder, "fee", vals))
            return result
        cents_total = round(self.price_subtotal / currency.rounding)
        for (funder, cents), funding in zip(
            program._pass_split_amount(cents_total), fundings, strict=True
        ):
            # The fee is given back and invoiced again whole
            # (a partial credit note is a discount, not reopened).
            done = round(invoiced.get(funder, (0.0, 0.0))[0])
            if not cents or done >= 1:
                continue
            money = {"quantity": 1, "price_unit": cents * currency.rounding}
            vals = self.with_context(lang=funder.lang)._prepare_invoice_line(
                discount=0.0, **money
            )
            vals.update(
                money,
                discount=0.0,
                tax_ids=[Command.set(order._pass_fee_taxes(funder).ids)],
                pass_share=funding.share,
                pass_program_id=program.id,
            )
            result.append((funder, "fee", vals))
        return result
