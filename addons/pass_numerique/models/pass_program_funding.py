# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models


def funding_order_key(funding):
    """The order of ``_order`` below for the fundings of one programme, as a
    ``sorted()`` key (larger share first, then the older line)."""
    return (-funding.share, funding.id)


class PassProgramFunding(models.Model):
    _name = "pass.program.funding"
    _description = "Funder's share of a programme"
    # funding_order_key() is this order in memory: change both together.
    _order = "program_id, share desc, id"
    _check_company_auto = True

    program_id = fields.Many2one(
        "pass.program", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Funder",
        required=True,
        ondelete="restrict",
        index=True,
        domain=[("is_pass_funder", "=", True)],
    )
    funder_type = fields.Selection(related="partner_id.pass_funder_type")
    share = fields.Float(
        string="Share (%)",
        digits=(5, 2),
        required=True,
        help="Percentage of each pass's face value paid by this funder.",
    )

    _sql_constraints = [
        (
            "share_range",
            "check(share > 0 and share <= 100)",
            "A funder's share must be above 0 and at most 100 %.",
        ),
        (
            "partner_program_unique",
            "unique(program_id, partner_id)",
            "A funder appears only once in a programme.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.program_id._check_funding_editable()
        lines._check_program_shares()
        return lines

    def write(self, vals):
        # Access first: a user who may not edit is told so, not why the
        # programme is frozen.
        self.check_access("write")
        self.program_id._check_funding_editable()
        programs = self.program_id
        res = super().write(vals)
        (programs | self.program_id)._check_funding_editable()
        self._check_program_shares(programs)
        return res

    def unlink(self):
        self.check_access("unlink")
        programs = self.program_id
        programs._check_funding_editable()
        res = super().unlink()
        self._check_program_shares(programs.exists())
        return res

    def _check_program_shares(self, programs=None):
        """A line edited on its own (not through its programme's form, which
        checks all its lines at once) must keep the 100 % total."""
        if self.env.context.get("pass_program_checks_shares"):
            return
        programs = (programs or self.env["pass.program"]) | self.exists().program_id
        programs._check_shares()
