# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A venue's users give or withdraw, from their statement page, the consent
to offset the venue's subscription invoices against its payouts. The model
decides who may (``res.partner.pass_set_subscription_offset``); another
venue's page is a 404, as for statements."""

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError
from odoo.http import request


class PassSubscriptionPortal(http.Controller):
    @http.route(
        "/my/pass-statements/venue/<int:partner_id>/offset-consent",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def pass_subscription_offset_consent(self, partner_id, consent=None, **kw):
        venue = request.env["res.partner"].browse(partner_id)
        try:
            venue.pass_set_subscription_offset(consent == "1")
        except AccessError as error:
            raise NotFound() from error
        return request.redirect(f"/my/pass-statements/venue/{partner_id}")
