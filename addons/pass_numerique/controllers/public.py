# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Public page of the venues where a programme's passes are accepted: the QR
code printed on every pass points here. No website module, no login; only
what a venue publishes anyway (name, address, services, opening hours)."""

from odoo import http
from odoo.http import request

from ..tools.opening_hours import french_opening_hours
from .portal import clean_text, parse_id

# Tokens are short ASCII hex strings.
MAX_TOKEN = 64
# A town or a service code chosen in the filters.
MAX_FILTER = 100


class PassPublicController(http.Controller):
    def _not_found(self):
        """The French "not found" page, with a hint for whoever scanned a
        damaged QR code (Odoo's own 404 is in English without the website
        module)."""
        return request.render("pass_numerique.pass_public_not_found", {}, status=404)

    @http.route(
        # Strings, parsed below: werkzeug's int converter fails with a 500 on
        # a number of thousands of digits, before any controller runs.
        "/pass/lieux/<string:program_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
        readonly=True,
    )
    def program_venues(self, program_id, token, ville=None, service=None, **kwargs):
        """The venues of a programme; ``ville`` (a town) and ``service`` (a
        service code) filter them, as chosen in the page's form."""
        # Anything that cannot be a programme id or a token is not found
        # (a huge id or a non-ASCII token would otherwise fail in the lookup
        # or in the constant-time comparison).
        program_id = parse_id(program_id)
        if (
            not program_id
            or not token
            or len(token) > MAX_TOKEN
            or not (token.isascii() and token.isalnum())
        ):
            return self._not_found()
        # sudo: the page is public; the token (an HMAC of the programme id)
        # proves the visitor holds a printed pass, and only public facts of
        # qualified venues are shown.
        program = request.env["pass.program"].sudo().browse(program_id).exists()
        if not program or not program._check_venues_token(token):
            return self._not_found()
        if program.state != "active":
            return request.render(
                "pass_numerique.pass_public_venues",
                {"program": program, "closed": True},
            )
        page = program._public_venue_page(
            town=clean_text(ville, MAX_FILTER),
            service_code=clean_text(service, MAX_FILTER),
        )
        for row in page["venues"]:
            row["hours"] = french_opening_hours(row["hours"])
        return request.render(
            "pass_numerique.pass_public_venues",
            {
                "program": program,
                "closed": False,
                "url": request.httprequest.path,
                **page,
            },
        )
