# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Portal pages of the funders: ``/my/pass-funding``, the programmes the
user's organisation funds with their figures, and ``/my/pass-funding/<id>``
for one programme. The figures are the model service
``pass.funder.dashboard``'s; a programme the funder does not fund is "not
found"."""

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import MissingError
from odoo.http import request

from .portal import PassPortal


class PassFunderPortal(PassPortal):
    @http.route(
        ["/my/pass-funding", "/my/pass-funding/<int:program_id>"],
        type="http",
        auth="user",
        website=True,
        methods=["GET"],
        readonly=True,
    )
    def pass_funding(self, program_id=None, **kw):
        funder = self._pass_role("funder")
        try:
            dashboard = request.env["pass.funder.dashboard"]._dashboard(
                funder, program_id
            )
        except MissingError as exc:
            # Another funder's programme (or none): nothing of it, not even
            # that it exists.
            raise NotFound() from exc
        values = self._prepare_portal_layout_values()
        values.update(dashboard, page_name="pass_funding")
        return request.render("pass_numerique.portal_pass_funding", values)
