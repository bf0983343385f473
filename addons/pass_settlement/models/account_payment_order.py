# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re

from odoo import models

# The characters a SEPA identifier may hold (EPC guidelines, Latin set).
_SEPA_ID_UNSAFE = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


class AccountPaymentOrder(models.Model):
    _inherit = "account.payment.order"

    def _pass_is_venue_order(self):
        """A payment order of the settlement (the clearing runs' orders, on
        the company's venue payment mode)."""
        self.ensure_one()
        mode = self.company_id.pass_venue_payment_mode_id
        return bool(mode) and self.payment_mode_id == mode

    def _prepare_field(
        self, field_name, field_value, eval_ctx, max_size=0, gen_args=None
    ):
        """The EndToEndId of a venue transfer is the remittance number it
        pays (the payment's reference: the settlement never groups two
        remittances in one transfer), so that the venue's bank statement and
        the cooperative's returns name the remittance, not an internal id."""
        if (
            field_name == "End to End Identification"
            and len(self) == 1
            and self._pass_is_venue_order()
        ):
            payment = eval_ctx.get("line")
            reference = getattr(payment, "payment_reference", False)
            if reference:
                value = _SEPA_ID_UNSAFE.sub("", reference).strip()[:35]
                if value:
                    return value
        return super()._prepare_field(
            field_name, field_value, eval_ctx, max_size=max_size, gen_args=gen_args
        )


class AccountPaymentLine(models.Model):
    _inherit = "account.payment.line"

    def _get_payment_line_grouping_fields(self):
        """Venue transfers are not grouped across remittances: one transfer
        per remittance, its number as communication and EndToEndId."""
        fields_list = super()._get_payment_line_grouping_fields()
        if any(line.order_id._pass_is_venue_order() for line in self[:1]):
            fields_list = [*fields_list, "communication"]
        return fields_list
