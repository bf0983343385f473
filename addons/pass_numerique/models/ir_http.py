# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Two inputs that Odoo's router turns into a 500 answer a 404 instead; the
addon's scripts are translated on the portal and the website."""

from werkzeug.exceptions import NotFound

from odoo import models
from odoo.http import request

from odoo.addons.base.models.ir_http import SignedIntConverter


class BoundedIntConverter(SignedIntConverter):
    """``<int:...>`` of at most 10 digits (every PostgreSQL id): a longer
    number is no record, and Python refuses to convert one of over 4,300
    digits (a 500 before any controller runs)."""

    regex = r"-?\d{1,10}"


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_translation_frontend_modules_name(cls):
        # The counter's and the public venue page's _t() texts.
        return [*super()._get_translation_frontend_modules_name(), "pass_numerique"]

    @classmethod
    def _get_converters(cls):
        return dict(super()._get_converters(), int=BoundedIntConverter)

    @classmethod
    def _serve_fallback(cls):
        # A NUL byte in a path that matches no route reached the attachment
        # lookup, which PostgreSQL refuses (a 500).
        if "\x00" in request.httprequest.path:
            raise NotFound()
        return super()._serve_fallback()
