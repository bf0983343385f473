# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.pass_numerique.tools.money import split_cents


class PassProgram(models.Model):
    _inherit = "pass.program"

    product_id = fields.Many2one(
        "product.product",
        string="Book product",
        copy=False,
        readonly=True,
        help="Product sold to funders for one book of this programme.",
    )

    def _pass_funder_cents(self):
        """Each funder's part of ONE pass, in the currency's smallest unit.

        The face value is split by the shares with the largest-remainder
        method (ties: larger share first, then older funding line), so the
        parts are whole cents that add up exactly to the face value. Every
        amount of the settlement (invoices, remittances, refunds) is this
        per-pass part times a number of passes: a funder's liability balance
        is then exactly its part of the passes not yet settled, whatever the
        order in which passes are invoiced, redeemed, remitted or expire.

        Returns a list of (res.partner, cents) in a stable order.
        """
        self.ensure_one()
        if not self.funding_ids:
            raise UserError(
                self.env._(
                    "Programme %(program)s has no funder.", program=self.display_name
                )
            )
        unit = self.currency_id.rounding
        return self._pass_split_amount(round(self.face_value / unit))

    def _pass_split_amount(self, cents_total):
        """Split an amount (in cents) by the shares, largest remainder (ties:
        larger share first, then older funding line: the fundings' order);
        used as is for amounts that are not a number of passes (the fee).

        Returns a list of (res.partner, cents) in the fundings' order.
        """
        self.ensure_one()
        fundings = self._pass_fundings()
        parts = split_cents(cents_total, fundings.mapped("share"))
        return [(f.partner_id, part) for f, part in zip(fundings, parts, strict=True)]

    def action_activate(self):
        res = super().action_activate()
        self._pass_ensure_product()
        return res

    def _pass_ensure_product(self, passes_per_book=10):
        for program in self.filtered(lambda p: not p.product_id):
            company = program.company_id
            if not company.pass_liability_account_id:
                continue
            # sudo: a Pass manager activating a programme need not be a product
            # manager; the pass product is an internal technical record of it.
            program.product_id = (
                self.env["product.product"]
                .sudo()
                .create(
                    {
                        "name": self.env._(
                            "Book of %(count)s passes - %(program)s",
                            count=passes_per_book,
                            program=program.name,
                        ),
                        "type": "service",
                        "invoice_policy": "order",
                        "list_price": program.face_value * passes_per_book,
                        "company_id": company.id,
                        # Multi-purpose vouchers: no VAT on their sale; the
                        # 0 % tax only names their category on e-invoices.
                        "taxes_id": [Command.set(company.pass_voucher_tax_id.ids)],
                        "supplier_taxes_id": [Command.clear()],
                        "property_account_income_id": (
                            company.pass_liability_account_id.id
                        ),
                        "pass_program_id": program.id,
                        "pass_passes_per_book": passes_per_book,
                        "purchase_ok": False,
                    }
                )
            )
        return True

    def action_create_product(self):
        if not self.env.user.has_group("pass_numerique.pass_numerique_group_manager"):
            raise AccessError(
                self.env._(
                    "Only a Pass Numérique manager can create the product of a "
                    "programme."
                )
            )
        self.mapped("company_id")._pass_setup_settlement_defaults()
        for company in self.mapped("company_id"):
            company._pass_check_settlement_config()
        return self._pass_ensure_product()
