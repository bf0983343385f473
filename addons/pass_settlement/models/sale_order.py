# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import Command, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero

from odoo.addons.pass_numerique.tools.guard import guarded_write


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _pass_lines(self):
        return self.order_line.filtered("pass_program_id")

    def _pass_check_order(self):
        for order in self:
            for line in order._pass_lines():
                program = line.pass_program_id
                qty = line.product_uom_qty
                if qty <= 0 or not float_is_zero(qty - round(qty), precision_digits=6):
                    raise UserError(
                        self.env._(
                            "Books are sold whole: the quantity of %(product)s "
                            "must be a whole number of books (it is %(qty)s).",
                            product=line.product_id.display_name,
                            qty=qty,
                        )
                    )
                if program.state != "active":
                    raise UserError(
                        self.env._(
                            "Programme %(program)s is not active: its books "
                            "cannot be sold.",
                            program=program.display_name,
                        )
                    )
                if order.currency_id != program.currency_id:
                    raise UserError(
                        self.env._(
                            "Order %(order)s is in %(order_currency)s but programme "
                            "%(program)s is in %(currency)s.",
                            order=order.name,
                            order_currency=order.currency_id.name,
                            program=program.display_name,
                            currency=program.currency_id.name,
                        )
                    )
                if order.company_id != program.company_id:
                    raise UserError(
                        self.env._(
                            "Programme %(program)s belongs to another company.",
                            program=program.display_name,
                        )
                    )
            if order._pass_lines():
                order.company_id._pass_check_settlement_config()

    def _pass_sync_fee_lines(self):
        """One fee line per programme: the programme's fee rate on the face value
        of the books ordered (excl. VAT), with the fee product's VAT."""
        for order in self:
            fee_product = order.company_id.pass_fee_product_id
            totals = defaultdict(float)
            for line in order._pass_lines():
                totals[line.pass_program_id] += line.price_subtotal
            commands = []
            for program, total in totals.items():
                fee = order.currency_id.round(total * program.fee_rate / 100.0)
                existing = order.order_line.filtered(
                    lambda sol, p=program: sol.pass_fee_program_id == p
                )
                vals = {
                    "product_id": fee_product.id,
                    "name": self.env._(
                        "Management fee %(rate)s %% - %(program)s",
                        rate=program.fee_rate,
                        program=program.name,
                    ),
                    "product_uom_qty": 1,
                    "price_unit": fee,
                    "pass_fee_program_id": program.id,
                }
                if existing:
                    commands.append(Command.update(existing[0].id, vals))
                elif fee:
                    commands.append(Command.create(vals))
            stale = order.order_line.filtered(
                lambda sol, t=totals: sol.pass_fee_program_id
                and sol.pass_fee_program_id not in t
            )
            commands += [Command.delete(line.id) for line in stale]
            if commands:
                order.write({"order_line": commands})

    def action_pass_update_fees(self):
        self._pass_sync_fee_lines()
        return True

    def action_confirm(self):
        pass_orders = self.filtered(lambda o: o._pass_lines())
        pass_orders._pass_check_order()
        pass_orders._pass_sync_fee_lines()
        res = super().action_confirm()
        pass_orders._pass_issue_books()
        return res

    def _pass_issue_books(self):
        """Issue the ordered books and hand them to the ordering funder."""
        for order in self:
            for line in order._pass_lines().filtered(lambda sol: not sol.pass_book_ids):
                product = line.product_id.product_tmpl_id
                book_ids = line.pass_program_id.issue_books(
                    round(line.product_uom_qty), product.pass_passes_per_book
                )
                books = self.env["pass.book"].browse(book_ids)
                with guarded_write():
                    books.write({"sale_line_id": line.id})
                if order.partner_id.commercial_partner_id.is_pass_funder:
                    books.distribute(order.partner_id.commercial_partner_id.id)

    def _create_invoices(self, grouped=False, final=False, date=None):
        pass_orders = self.filtered(lambda o: o._pass_lines())
        moves = self.env["account.move"]
        if self - pass_orders:
            moves |= super(SaleOrder, self - pass_orders)._create_invoices(
                grouped=grouped, final=final, date=date
            )
        if pass_orders:
            moves |= pass_orders._pass_create_funder_invoices(date=date)
        return moves

    def _pass_create_funder_invoices(self, date=None):
        """One invoice per co-funder: its part of the face value of the books on
        the funders' money account (no VAT), and its part of the fee (VAT).

        Each funder is invoiced what is left of its share of each line: all of
        it the first time; again after a credit note gave its share back (a
        Chorus Pro rejection, a wrong legal commitment); nothing while a draft
        or posted invoice covers it."""
        self._pass_check_order()
        moves_vals = []
        for order in self:
            company = order.company_id
            currency = order.currency_id
            per_funder = defaultdict(list)
            for line in order.order_line.filtered(
                lambda sol: sol.pass_program_id or sol.pass_fee_program_id
            ):
                invoiced = line._pass_funder_invoiced()
                if line.pass_program_id:
                    program = line.pass_program_id
                    ppb = line.product_id.product_tmpl_id.pass_passes_per_book
                    books = round(line.product_uom_qty)
                    for (funder, cents), funding in zip(
                        program._pass_funder_cents(),
                        program.funding_ids.sorted(lambda f: (-f.share, f.id)),
                        strict=True,
                    ):
                        todo = books - round(invoiced.get(funder, (0.0, 0.0))[0])
                        if todo <= 0:
                            continue
                        per_funder[funder].append(
                            {
                                "product_id": line.product_id.id,
                                "name": self.env._(
                                    "%(line)s - share of %(funder)s (%(share)s %%)",
                                    line=line.name,
                                    funder=funder.name,
                                    share=funding.share,
                                ),
                                "quantity": todo,
                                "price_unit": cents * ppb * currency.rounding,
                                "account_id": company.pass_liability_account_id.id,
                                # No VAT: at most the 0 % tax of vouchers.
                                "tax_ids": [
                                    Command.set(company.pass_voucher_tax_id.ids)
                                ],
                                "sale_line_ids": [Command.link(line.id)],
                                "pass_share": funding.share,
                                "pass_program_id": program.id,
                                "pass_voucher_count": todo * ppb,
                            }
                        )
                else:
                    program = line.pass_fee_program_id
                    cents_total = round(line.price_subtotal / currency.rounding)
                    for (funder, cents), funding in zip(
                        program._pass_split_amount(cents_total),
                        program.funding_ids.sorted(lambda f: (-f.share, f.id)),
                        strict=True,
                    ):
                        # The fee is given back and invoiced again whole
                        # (a partial credit note is a discount, not reopened).
                        done = round(invoiced.get(funder, (0.0, 0.0))[0])
                        if not cents or done >= 1:
                            continue
                        per_funder[funder].append(
                            {
                                "product_id": line.product_id.id,
                                "name": line.name,
                                "quantity": 1,
                                "price_unit": cents * currency.rounding,
                                "tax_ids": [Command.set(line.tax_id.ids)],
                                "sale_line_ids": [Command.link(line.id)],
                                "pass_share": funding.share,
                                "pass_program_id": program.id,
                            }
                        )
            for funder, lines in per_funder.items():
                moves_vals.append(
                    {
                        "move_type": "out_invoice",
                        "partner_id": funder.id,
                        "journal_id": company.pass_sale_journal_id.id,
                        "company_id": company.id,
                        "currency_id": order.currency_id.id,
                        "invoice_origin": order.name,
                        "ref": order.client_order_ref or order.name,
                        "invoice_date": date or False,
                        "invoice_line_ids": [Command.create(vals) for vals in lines],
                    }
                )
        if not moves_vals:
            raise UserError(
                self.env._("There is nothing left to invoice on these orders.")
            )
        # sudo: as in sale's own _create_invoices, salespeople invoice orders
        # without being accountants.
        return (
            self.env["account.move"]
            .sudo()
            .with_context(default_move_type="out_invoice")
            .create(moves_vals)
            .sudo(False)
        )
