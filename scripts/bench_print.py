#!/usr/bin/env python3
# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark of printed pass books against Odoo's QWeb gift cards.

Usage (the database must exist; missing modules are installed first):

    $PY scripts/bench_print.py --db NAME [--books 1000] [--big 10000]

In one run, inside one transaction that is rolled back at the end (the
database is left as it was):

1. issues ``--big`` books of 10 passes on a bench programme;
2. renders ``--books`` of them through the print-batch path (passes read from
   the database chunk by chunk, reportlab + python-barcode, streamed to a
   temporary file): books/s, passes/s;
3. renders ``--books`` loyalty gift cards with Odoo's own QWeb report
   ``loyalty.report_gift_card`` through wkhtmltopdf (an Odoo server is started
   on ``--port`` for the report's stylesheets, as in production): cards/s;
4. measures the peak Python memory (tracemalloc) of rendering ``--books`` and
   ``--big`` books: it stays flat because only one chunk is held at a time.
"""

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request

DEFAULT_CONF = "/var/cache/pass-numerique/odoo.conf"
DEFAULT_SRC = "/opt/odoo-18.0"
CHUNK = 500


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database to run in")
    parser.add_argument("--books", type=int, default=1000)
    parser.add_argument("--big", type=int, default=10000)
    parser.add_argument("--cards", type=int, default=None, help="default: --books")
    parser.add_argument(
        "--conf", default=os.environ.get("PASS_ODOO_CONF") or DEFAULT_CONF
    )
    parser.add_argument(
        "--odoo-src",
        default=os.environ.get("ODOO_SRC")
        or os.environ.get("PASS_ODOO_SRC")
        or DEFAULT_SRC,
    )
    parser.add_argument("--port", type=int, default=18010)
    parser.add_argument(
        "--no-qweb", action="store_true", help="skip the QWeb/wkhtmltopdf baseline"
    )
    return parser.parse_args()


def odoo_bin(args, *extra):
    command = [
        sys.executable,
        os.path.join(args.odoo_src, "odoo-bin"),
        "-c",
        args.conf,
        "-d",
        args.db,
        f"--db-filter=^{args.db}$",
        *extra,
    ]
    return command


def ensure_modules(args, env_modules):
    missing = [m for m in ("pass_numerique", "loyalty") if m not in env_modules]
    if args.no_qweb and "loyalty" in missing:
        missing.remove("loyalty")
    if missing:
        print("Installing %s in %s ..." % (", ".join(missing), args.db), flush=True)
        subprocess.run(
            odoo_bin(
                args,
                "-i",
                ",".join(missing),
                "--stop-after-init",
                "--log-level=warn",
                "--http-port=%d" % args.port,
            ),
            check=True,
        )
        return True
    return False


def installed_modules(args):
    import odoo
    from odoo.sql_db import db_connect

    with db_connect(args.db).cursor() as cr:
        cr.execute(
            "SELECT name FROM ir_module_module WHERE state = 'installed' "
            "AND name IN ('pass_numerique', 'loyalty')"
        )
        return {row[0] for row in cr.fetchall()}, odoo


def bench_data(env, count):
    """A bench programme with ``count`` books of 10 passes (uncommitted)."""
    from odoo import Command, fields

    eur = env.ref("base.EUR")
    eur.active = True
    funders = env["res.partner"].create(
        [
            {
                "name": "Département de la Gironde (banc d'essai)",
                "is_pass_funder": True,
                "pass_funder_type": "departement",
            },
            {
                "name": "Caisse d'allocations familiales (banc d'essai)",
                "is_pass_funder": True,
                "pass_funder_type": "social",
            },
        ]
    )
    services = env["pass.service"].search([], limit=4)
    program = env["pass.program"].create(
        {
            "name": "Pass Numérique — banc d'essai d'impression",
            "code": "BENCH-%d" % int(time.time()),
            "currency_id": eur.id,
            "face_value": 10.0,
            "date_end": fields.Date.add(fields.Date.today(), years=1),
            "territory_zips": "33",
            "service_ids": [Command.set(services.ids)],
            "funding_ids": [
                Command.create({"partner_id": funders[0].id, "share": 60.0}),
                Command.create({"partner_id": funders[1].id, "share": 40.0}),
            ],
        }
    )
    program.action_activate()
    return env["pass.book"].browse(program.issue_books(count, passes_per_book=10))


def render_books(env, books, path):
    """The print-batch path: read a chunk's passes from the database, render
    it, append it to the file; the ORM cache is dropped between chunks as the
    cron's transactions would."""
    from odoo.addons.pass_numerique.tools.book_pdf import BookPdfWriter

    book_ids = books.ids
    Book = env["pass.book"]
    programs = {str(p.id): p._print_info() for p in books.program_id}
    labels = Book._print_labels()
    with open(path, "w+b") as output:
        writer = BookPdfWriter(output, programs, labels=labels)
        for start in range(0, len(book_ids), CHUNK):
            chunk = Book.browse(book_ids[start : start + CHUNK])
            writer.add_books(chunk._print_sheets())
            env.invalidate_all()
        pages = writer.close()
    return pages, os.path.getsize(path)


def time_books(env, books):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "books.pdf")
        env.invalidate_all()
        start = time.perf_counter()
        pages, size = render_books(env, books, path)
        elapsed = time.perf_counter() - start
        check_pdf(path, pages)
    return elapsed, pages, size


def check_pdf(path, pages):
    """The streamed PDF is a valid document with every page."""
    import pypdfium2

    document = pypdfium2.PdfDocument(path)
    try:
        if len(document) != pages:
            raise SystemExit("PDF has %d pages, %d expected" % (len(document), pages))
    finally:
        document.close()


def memory_books(env, books):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "books.pdf")
        env.invalidate_all()
        gc.collect()
        tracemalloc.start()
        start = time.perf_counter()
        render_books(env, books, path)
        elapsed = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, elapsed


def start_server(args):
    log = open(os.path.join(tempfile.gettempdir(), "bench_print_odoo.log"), "w")
    server = subprocess.Popen(
        odoo_bin(
            args,
            "--http-port=%d" % args.port,
            "--http-interface=127.0.0.1",
            "--workers=0",
            "--max-cron-threads=0",
            "--log-level=warn",
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = "http://127.0.0.1:%d/web/login" % args.port
    for _i in range(120):
        try:
            urllib.request.urlopen(url, timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(
                    "the Odoo server for wkhtmltopdf did not start"
                ) from None
            time.sleep(1)
    server.terminate()
    raise SystemExit("the Odoo server for wkhtmltopdf did not answer")


def gift_cards(env, count):
    program = env["loyalty.program"].create(
        {"name": "Cartes cadeaux (banc d'essai)", "program_type": "gift_card"}
    )
    cards = env["loyalty.card"].create(
        [{"program_id": program.id, "points": 10.0} for _i in range(count)]
    )
    return cards


def time_qweb(env, cards):
    start = time.perf_counter()
    pdf, _type = env["ir.actions.report"]._render_qweb_pdf(
        "loyalty.report_gift_card", res_ids=cards.ids
    )
    elapsed = time.perf_counter() - start
    return elapsed, len(pdf)


def main():
    args = parse_args()
    args.cards = args.cards or args.books
    sys.path.insert(0, args.odoo_src)
    import odoo

    odoo.tools.config.parse_config(["-c", args.conf, "-d", args.db, "--log-level=warn"])
    modules, _odoo = installed_modules(args)
    ensure_modules(args, modules)

    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    registry = Registry(args.db)
    server = None
    results = {}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"lang": "fr_FR"})
        if not env["res.lang"]._lang_get("fr_FR"):
            env = env(context={})
        try:
            print(
                "Issuing %d books of 10 passes (rolled back at the end)..." % args.big
            )
            all_books = bench_data(env, max(args.big, args.books))
            books = all_books[: args.books]

            elapsed, pages, size = time_books(env, books)
            results["books_s"] = args.books / elapsed
            print(
                "reportlab books : %5d books (%d passes, %d pages, %.1f MB) in %6.2f s "
                "= %7.1f books/s, %8.1f passes/s"
                % (
                    args.books,
                    args.books * 10,
                    pages,
                    size / 1e6,
                    elapsed,
                    args.books / elapsed,
                    args.books * 10 / elapsed,
                ),
                flush=True,
            )
            if not args.no_qweb:
                server = start_server(args)
                env["ir.config_parameter"].set_param(
                    "report.url", "http://127.0.0.1:%d" % args.port
                )
                cards = gift_cards(env, args.cards)
                try:
                    with cr.savepoint():
                        elapsed, size = time_qweb(env, cards)
                except Exception as error:  # report the failure and go on
                    print(
                        "QWeb gift cards : FAILED (%s: %s) - see wkhtmltopdf above"
                        % (type(error).__name__, error),
                        flush=True,
                    )
                    elapsed = None
            if not args.no_qweb and elapsed:
                results["cards_s"] = args.cards / elapsed
                print(
                    "QWeb gift cards : %5d cards (wkhtmltopdf, %.1f MB) in %6.2f s "
                    "= %7.1f cards/s"
                    % (args.cards, size / 1e6, elapsed, args.cards / elapsed),
                    flush=True,
                )
                print(
                    "speed-up        : %.1fx (books/s over gift cards/s; each book "
                    "holds 10 passes)" % (results["books_s"] / results["cards_s"])
                )
            for count, selection in ((args.books, books), (args.big, all_books)):
                peak, elapsed = memory_books(env, selection[:count])
                results["peak_%d" % count] = peak
                print(
                    "memory          : %5d books, peak Python memory %6.1f MB "
                    "(tracemalloc, %.0f s)" % (count, peak / 2**20, elapsed),
                    flush=True,
                )
            if args.big != args.books:
                ratio = results["peak_%d" % args.big] / results["peak_%d" % args.books]
                print(
                    "memory ratio    : %.2f for %dx the books (flat when close to 1)"
                    % (ratio, args.big // max(args.books, 1))
                )
            print(
                "max RSS         : %.0f MB (this process, Odoo included)"
                % (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            )
        finally:
            cr.rollback()
            if server:
                server.terminate()
                server.wait(timeout=30)
    ok = results["books_s"] >= 200 and (
        "cards_s" not in results or results["books_s"] >= 20 * results["cards_s"]
    )
    print("targets (>= 200 books/s, >= 20x QWeb): %s" % ("met" if ok else "NOT met"))


if __name__ == "__main__":
    main()
