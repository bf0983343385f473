# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""XML-RPC and JSON-RPC keep the caller's address for the guessing limits
(Odoo unbinds the request while the call runs)."""

from odoo.http import request, route

from odoo.addons.base.controllers.rpc import RPC

from ..tools.client import rpc_client_address


class PassRPC(RPC):
    def _xmlrpc(self, service):
        with rpc_client_address(request.httprequest.remote_addr):
            return super()._xmlrpc(service)

    @route()
    def jsonrpc(self, service, method, args):
        with rpc_client_address(request.httprequest.remote_addr):
            return super().jsonrpc(service, method, args)
