# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import fields, models


class PassBookDistribution(models.Model):
    _name = "pass.book.distribution"
    _description = "Hand-over of a pass book"
    _order = "date desc, id desc"

    book_id = fields.Many2one(
        "pass.book", required=True, ondelete="cascade", index=True
    )
    program_id = fields.Many2one(related="book_id.program_id", store=True)
    company_id = fields.Many2one(related="book_id.company_id", store=True)
    from_partner_id = fields.Many2one("res.partner", string="From", ondelete="restrict")
    holder_id = fields.Many2one(
        "res.partner", string="To", required=True, ondelete="restrict", index=True
    )
    date = fields.Datetime(default=fields.Datetime.now, required=True)
    user_id = fields.Many2one(
        "res.users", default=lambda self: self.env.user, string="By"
    )
