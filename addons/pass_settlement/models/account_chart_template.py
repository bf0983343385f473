# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import models


class AccountChartTemplate(models.AbstractModel):
    _inherit = "account.chart.template"

    def _post_load_data(self, template_code, company, template_data):
        """A company that gets its chart of accounts gets the settlement's
        default accounts, journals and fee product too (the chart is loaded
        at the end of the module installation, after our post_init_hook)."""
        res = super()._post_load_data(template_code, company, template_data)
        company._pass_setup_settlement_defaults()
        return res
