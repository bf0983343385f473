"""List every method of the Pass addons that a client can call over RPC.

Run with the server's Python on an existing database:

    python scripts/list_rpc_methods.py -c odoo.conf -d DATABASE

It loads the database's registry and, for every model, walks the classes of
its MRO: a public name (no leading underscore) defined or overridden in a
class of ``pass_numerique`` or ``pass_settlement`` is listed when Odoo's RPC
layer would accept to call it (``odoo.service.model.get_public_method``:
not private, not ``@api.private``). Nothing is hand-written, so a method
added later is listed too. Prints JSON on stdout:

    [{"model": "pass.voucher", "method": "check_code", "api": "model",
      "addon": "pass_numerique", "params": ["code", "venue_id", ...],
      "abstract": false, "transient": false}, ...]

``api`` is ``"model"`` / ``"model_create"`` for methods called without ids,
``null`` for methods called on records (first argument: the ids).
"""

import argparse
import inspect
import json
import logging
import sys

ADDONS = ("pass_numerique", "pass_settlement")


def _addon_of(cls):
    """The Pass addon that defines this class, or None."""
    module = getattr(cls, "__module__", "") or ""
    for addon in ADDONS:
        prefix = f"odoo.addons.{addon}"
        if module == prefix or module.startswith(prefix + "."):
            return addon
    return None


def _params(method):
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return []
    return [name for name in signature.parameters if name != "self"]


def list_methods(env):
    from odoo.exceptions import AccessError
    from odoo.service.model import get_public_method

    rows = []
    for model_name in sorted(env.registry):
        model = env[model_name]
        model_cls = type(model)
        seen = set()
        for cls in model_cls.mro():
            addon = _addon_of(cls)
            if not addon:
                continue
            for name in sorted(vars(cls)):
                if name.startswith("_") or name in seen:
                    continue
                method = getattr(model_cls, name, None)
                if not callable(method) or isinstance(method, type):
                    continue
                try:
                    get_public_method(model, name)
                except (AccessError, AttributeError):
                    continue
                seen.add(name)
                rows.append(
                    {
                        "model": model_name,
                        "method": name,
                        "api": getattr(method, "_api", None),
                        "addon": addon,
                        "params": _params(method),
                        "abstract": bool(model_cls._abstract),
                        "transient": bool(model_cls._transient),
                    }
                )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration")
    parser.add_argument("-d", "--database", required=True)
    args = parser.parse_args(argv)

    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", args.config, "--log-level=warn"])
    logging.getLogger("odoo").setLevel(logging.WARNING)
    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        rows = list_methods(env)
        cr.rollback()
    json.dump(rows, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
