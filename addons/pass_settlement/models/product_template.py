# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    pass_program_id = fields.Many2one(
        "pass.program",
        string="Pass programme",
        index="btree_not_null",
        help="Selling this product issues books of this programme.",
    )
    pass_passes_per_book = fields.Integer(string="Passes per book", default=10)

    @api.constrains("pass_program_id", "taxes_id", "pass_passes_per_book")
    def _check_pass_product(self):
        for product in self.filtered("pass_program_id"):
            if product.taxes_id.filtered(
                lambda t: t.amount_type != "percent" or t.amount
            ):
                raise ValidationError(
                    self.env._(
                        "Product %(product)s sells passes, which are multi-purpose "
                        "vouchers: it must carry no VAT (only a 0 %% tax).",
                        product=product.display_name,
                    )
                )
            if not 1 <= product.pass_passes_per_book <= 50:
                raise ValidationError(
                    self.env._("A book holds between 1 and 50 passes.")
                )
