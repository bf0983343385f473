"""Shared helpers of the scripts/bench_*.py benchmarks (not a benchmark itself).

Every benchmark takes the same arguments (``--db``, ``--conf``, ``--odoo-src``,
``--python``), defaulting to the environment ``scripts/run_bench.sh`` exports
(PASS_BENCH_DB, PASS_ODOO_CONF, PASS_ODOO_SRC, PASS_PYTHON). ``BENCH_SCALE``
(default 1) shrinks or grows every benchmark's size, e.g. ``BENCH_SCALE=0.1``
for a quick run. A benchmark that needs a server starts its own on a free
port (or on BENCH_HTTP_PORT).
"""

import argparse
import contextlib
import os
import sys

import odoo_server as odoo_server_module
from odoo_server import free_port  # noqa: F401 - the benchmarks import it here

_CONFIGURED = []


def scale():
    try:
        value = float(os.environ.get("BENCH_SCALE", "1"))
    except ValueError:
        sys.exit("BENCH_SCALE must be a number (e.g. 0.1 for a quick run).")
    if value <= 0:
        sys.exit("BENCH_SCALE must be positive.")
    return value


def scaled(full_size, minimum=1):
    """``full_size`` times BENCH_SCALE, at least ``minimum``."""
    return max(minimum, round(full_size * scale()))


def parse_args(description, extra=None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--db", default=os.environ.get("PASS_BENCH_DB"), help="database"
    )
    parser.add_argument(
        "--conf", default=os.environ.get("PASS_ODOO_CONF"), help="odoo.conf to use"
    )
    parser.add_argument(
        "--odoo-src", default=os.environ.get("PASS_ODOO_SRC"), help="Odoo 18.0 source"
    )
    parser.add_argument(
        "--python",
        default=os.environ.get("PASS_PYTHON", sys.executable),
        help="Python of Odoo's virtualenv (to start a server)",
    )
    if extra:
        extra(parser)
    args = parser.parse_args()
    if not args.db or not args.conf:
        parser.error(
            "give --db and --conf (or run it through `make bench`, which sets them)"
        )
    return args


@contextlib.contextmanager
def odoo_env(args, login="admin"):
    """An Odoo environment on ``args.db`` as user ``login``, in one
    transaction committed on success (the database is a throw-away one)."""
    if args.odoo_src and args.odoo_src not in sys.path:
        sys.path.insert(0, args.odoo_src)
    import odoo
    from odoo.modules.registry import Registry
    from odoo.tools import config

    if not _CONFIGURED:
        config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
        odoo.netsvc.init_logger()
        _CONFIGURED.append(True)
    registry = Registry(args.db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        user = env["res.users"].search([("login", "=", login)], limit=1)
        env = env(user=user.id, context=dict(user.context_get()))
        yield env


@contextlib.contextmanager
def odoo_server(args, workers=4, port=None):
    """Start an Odoo server on ``args.db`` with ``workers`` workers; yields
    its port and stops it on exit."""
    if not args.odoo_src:
        sys.exit("give --odoo-src (the Odoo 18.0 source) to start a server")
    port = port or int(os.environ.get("BENCH_HTTP_PORT") or 0) or None
    try:
        server = odoo_server_module.start(
            args.python,
            args.odoo_src,
            args.conf,
            args.db,
            port=port,
            workers=workers,
            log_name="odoo-bench",
            timeout=180,
        )
    except odoo_server_module.ServerError as exc:
        sys.exit(str(exc))
    try:
        yield server.port
    finally:
        server.stop()


def print_table(title, headers, rows):
    """Print a Markdown table (pastes as is into the README)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    print()
    print(f"### {title}")
    print()
    for n, row in enumerate(cells):
        print(
            "| "
            + " | ".join(
                c.rjust(w) if n and i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=False))
            )
            + " |"
        )
        if n == 0:
            rules = [":" + "-" * (widths[0] + 1)]
            rules += ["-" * (w + 1) + ":" for w in widths[1:]]
            print("|" + "|".join(rules) + "|")
    print()
    sys.stdout.flush()


def _fmt(value):
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
