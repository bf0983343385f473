# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models

# The yearly subscription APTIC charged its venues, excluding VAT.
DEFAULT_SUBSCRIPTION_AMOUNT = 77.0


class ResCompany(models.Model):
    _inherit = "res.company"

    pass_subscription_product_id = fields.Many2one(
        "product.product",
        string="Venue subscription product",
        check_company=True,
        help="Service invoiced once a year to each qualified venue with an "
        "active subscription (its taxes for the company, else the company's "
        "sale tax).",
    )
    pass_subscription_amount = fields.Monetary(
        string="Venue subscription (excl. VAT)",
        currency_field="currency_id",
        default=DEFAULT_SUBSCRIPTION_AMOUNT,
        help="Yearly amount invoiced to each subscribed venue, excluding VAT.",
    )

    def _pass_subscription_product(self):
        """The company's subscription product, else the module's."""
        self.ensure_one()
        return self.pass_subscription_product_id or self.env.ref(
            "pass_settlement.product_venue_subscription", raise_if_not_found=False
        )
