# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The client address of the request being served, also during XML-RPC and
JSON-RPC calls: Odoo takes the request off its stack while it runs them
(``odoo.http.borrow_request``), so ``odoo.http.request`` is unbound there."""

import contextlib
import contextvars

from odoo.http import request

_RPC_ADDRESS = contextvars.ContextVar("pass_rpc_client_address", default=None)


@contextlib.contextmanager
def rpc_client_address(address):
    """Keep ``address`` as the client's while an RPC call runs."""
    token = _RPC_ADDRESS.set(address)
    try:
        yield
    finally:
        _RPC_ADDRESS.reset(token)


def client_address():
    """The client's address (behind a proxy, as ``proxy_mode`` gives it), or
    None outside any request (cron, shell, tests without HTTP)."""
    try:
        if request:
            return request.httprequest.remote_addr
    except RuntimeError:  # no request bound to this thread: RPC's or None
        return _RPC_ADDRESS.get()
    return _RPC_ADDRESS.get()
