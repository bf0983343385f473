# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Money and workflow fields change only through their business methods.

A plain ``write`` (or ``create``) on a guarded field is refused for everybody,
superuser included, as ``account.move.write`` refuses to touch a posted entry.
The business methods that own those fields do their writes inside
``guarded_write()``. The permission is a context variable of the running
thread, not a key of the ORM context: an RPC caller can send any context key,
it cannot set this.

Module data (XML demo and data files) is loaded before the registry is ready
and is not concerned.
"""

import contextlib
import contextvars

_ALLOWED = contextvars.ContextVar("pass_guarded_write", default=False)


@contextlib.contextmanager
def guarded_write():
    """Let the business method in this block write guarded fields."""
    token = _ALLOWED.set(True)
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def guarded_write_allowed(env):
    return _ALLOWED.get() or not env.registry.ready
