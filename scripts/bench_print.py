#!/usr/bin/env python3
# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Benchmark of printed pass books against Odoo's QWeb gift cards.

Usage (the database must exist; missing modules are installed first):

    $PY scripts/bench_print.py --db NAME [--books 1000] [--big 10000]
        [--cards 200] [--single-cards 3]   (sizes times BENCH_SCALE by default)

In one run, inside one transaction that is rolled back at the end (the
database is left as it was):

1. issues ``--big`` books of 10 passes on a bench programme;
2. renders ``--books`` of them through the print-batch path (passes read from
   the database chunk by chunk, reportlab + python-barcode, streamed to a
   temporary file): books/s, passes/s;
3. renders ``--cards`` loyalty gift cards in one report with Odoo's own QWeb
   report ``loyalty.report_gift_card`` through wkhtmltopdf, and
   ``--single-cards`` more one report each: cards/s, a rate measured on fewer
   cards than books to keep the run short. An Odoo server is started on
   ``--port`` (default: a free port) with ``report.url`` pointing at it, as in
   production: wkhtmltopdf downloads the report stylesheets, the gift card
   picture and the /report/barcode images from it. Debian's wkhtmltopdf is
   built against an unpatched Qt: it takes a single input document (with
   several, it exits "unknown error" and leaves an empty PDF) and ignores
   headers and footers, so the cards' HTML bodies are joined into one document
   (see ``join_bodies``); the PDF is checked (a page per card, codes in it);
4. measures the peak Python memory (tracemalloc) of rendering ``--books`` and
   ``--big`` books: it stays flat because only one chunk is held at a time.
"""

import argparse
import contextlib
import gc
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from unittest import mock

import odoo_server
from bench_common import free_port, print_table, scaled

DEFAULT_CONF = "/var/cache/pass-numerique/odoo.conf"
DEFAULT_SRC = "/opt/odoo-18.0"
CHUNK = 500


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database to run in")
    parser.add_argument("--books", type=int, default=scaled(1000))
    parser.add_argument("--big", type=int, default=scaled(10000))
    parser.add_argument(
        "--cards",
        type=int,
        default=scaled(200),
        help="gift cards printed in one QWeb report (a rate is derived)",
    )
    parser.add_argument(
        "--single-cards",
        type=int,
        default=3,
        help="gift cards printed one report each (Odoo's path untouched)",
    )
    parser.add_argument(
        "--conf", default=os.environ.get("PASS_ODOO_CONF") or DEFAULT_CONF
    )
    parser.add_argument(
        "--odoo-src",
        default=os.environ.get("ODOO_SRC")
        or os.environ.get("PASS_ODOO_SRC")
        or DEFAULT_SRC,
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("BENCH_HTTP_PORT") or 0),
        help="HTTP port of the Odoo server wkhtmltopdf reads (default: a free one)",
    )
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
    """The Odoo server wkhtmltopdf reads (one process, no workers)."""
    try:
        return odoo_server.start(
            sys.executable,
            args.odoo_src,
            args.conf,
            args.db,
            port=args.port,
            workers=0,
            log_name="bench_print_odoo",
            # One static file first, alone: the server lists the modules'
            # static folders on the first one, and wkhtmltopdf's parallel
            # requests racing on it can fail (SystemError in ast on 3.11).
            warm_paths=("/web/static/img/favicon.ico",),
        )
    except odoo_server.ServerError as exc:
        raise SystemExit(
            f"the Odoo server for wkhtmltopdf did not start: {exc}"
        ) from None


def gift_cards(env, count):
    program = env["loyalty.program"].create(
        {"name": "Cartes cadeaux (banc d'essai)", "program_type": "gift_card"}
    )
    cards = env["loyalty.card"].create(
        [{"program_id": program.id, "points": 10.0} for _i in range(count)]
    )
    return cards


def wkhtmltopdf_info():
    """(version line, True when built against Odoo's patched Qt)."""
    from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

    binary = _get_wkhtmltopdf_bin()
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return out, "patched qt" in out.lower()


def join_bodies(bodies):
    """One HTML document with every body of the report, each from a new page.

    Odoo gives wkhtmltopdf one HTML file per record (``div.article``); a
    wkhtmltopdf built against an unpatched Qt (Debian's) refuses more than one
    input document ("Exit with code 1, due to unknown error", empty PDF) and
    Odoo then fails on the empty file. The bodies share the same <head> (the
    report assets), so their <body> contents are appended to the first one."""
    import lxml.html
    from lxml import etree

    document = lxml.html.document_fromstring(bodies[0])
    target = document.body
    for body in bodies[1:]:
        etree.SubElement(target, "div", style="page-break-before: always;")
        target.extend(lxml.html.document_fromstring(body).body.getchildren())
    return lxml.html.tostring(document, encoding="unicode", doctype="<!DOCTYPE html>")


@contextlib.contextmanager
def one_input_document(env):
    """Feed wkhtmltopdf one document (see ``join_bodies``); the rest of
    Odoo's path (QWeb, _prepare_html, wkhtmltopdf arguments, assets and
    barcodes fetched over HTTP) is untouched."""
    Report = type(env["ir.actions.report"])
    original = Report._run_wkhtmltopdf

    def run_wkhtmltopdf(self, bodies, *args, **kwargs):
        if len(bodies) > 1:
            bodies = [join_bodies(bodies)]
        return original(self, bodies, *args, **kwargs)

    with mock.patch.object(Report, "_run_wkhtmltopdf", run_wkhtmltopdf):
        yield


def render_qweb(env, cards):
    pdf, _type = env["ir.actions.report"]._render_qweb_pdf(
        "loyalty.report_gift_card", res_ids=cards.ids
    )
    return pdf


def check_cards_pdf(pdf, cards):
    """Every card is in the PDF: one page each at least, first and last
    codes in its text."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = len(document)
        if pages < len(cards):
            raise RuntimeError("%d pages for %d gift cards" % (pages, len(cards)))
        text = "".join(
            document[index].get_textpage().get_text_range() for index in (0, pages - 1)
        )
    finally:
        document.close()
    for code in (cards[0].code, cards[-1].code):
        if code not in text:
            raise RuntimeError("gift card %s missing from the PDF" % code)
    return pages


class WkhtmltopdfErrors(logging.Handler):
    """Collects the errors wkhtmltopdf reports through Odoo's log (a failed
    stylesheet or barcode download ends in exit code 1, which Odoo accepts)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.errors = []

    def emit(self, record):
        message = record.getMessage()
        if "Exit with code" in message or "Failed to load" in message:
            self.errors.append(message.strip()[-300:])

    def __enter__(self):
        logging.getLogger("odoo.addons.base.models.ir_actions_report").addHandler(self)
        return self

    def __exit__(self, *exc_info):
        logging.getLogger("odoo.addons.base.models.ir_actions_report").removeHandler(
            self
        )
        if self.errors and not exc_info[0]:
            raise RuntimeError("wkhtmltopdf: %s" % self.errors[0])


def time_qweb(env, cards, patched_qt):
    """All ``cards`` in one report, one wkhtmltopdf run (as Odoo does with a
    patched-Qt build; with Debian's build, one joined input document)."""
    context = contextlib.nullcontext() if patched_qt else one_input_document(env)
    with context, WkhtmltopdfErrors():
        start = time.perf_counter()
        pdf = render_qweb(env, cards)
        elapsed = time.perf_counter() - start
    return elapsed, len(pdf), check_cards_pdf(pdf, cards)


def time_qweb_single(env, cards):
    """One report per card: Odoo's path exactly as it runs with Debian's
    wkhtmltopdf (a single record is a single input document)."""
    with WkhtmltopdfErrors():
        start = time.perf_counter()
        for card in cards:
            check_cards_pdf(render_qweb(env, card), card)
        return time.perf_counter() - start


def main():
    args = parse_args()
    args.port = args.port or free_port()
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
            rows = [
                (
                    "pass books, reportlab (print batch)",
                    "%d books, %d passes, %d pages, %.1f MB"
                    % (args.books, args.books * 10, pages, size / 1e6),
                    elapsed,
                    "%.1f books/s (%.0f passes/s)"
                    % (args.books / elapsed, args.books * 10 / elapsed),
                ),
            ]
            if not args.no_qweb:
                version, patched_qt = wkhtmltopdf_info()
                print(
                    "wkhtmltopdf     : %s%s"
                    % (
                        version,
                        ""
                        if patched_qt
                        else " - unpatched Qt: one input document per run, the "
                        "cards' bodies are joined into one (headers/footers ignored)",
                    ),
                    flush=True,
                )
                server = start_server(args)
                env["ir.config_parameter"].set_param(
                    "report.url", "http://127.0.0.1:%d" % args.port
                )
                cards = gift_cards(env, args.cards + args.single_cards + 1)
                # untimed warm-up: the server builds the report asset bundles
                render_qweb(env, cards[-1])
                try:
                    with cr.savepoint():
                        elapsed, size, pages = time_qweb(
                            env, cards[: args.cards], patched_qt
                        )
                except Exception as error:  # report the failure and go on
                    print(
                        "QWeb gift cards : FAILED (%s: %s) - see wkhtmltopdf above"
                        % (type(error).__name__, error),
                        flush=True,
                    )
                    results["qweb_failed"] = True
                else:
                    results["cards_s"] = args.cards / elapsed
                    print(
                        "QWeb gift cards : %5d cards in one report (%d pages, %.1f MB) "
                        "in %6.2f s = %7.2f cards/s"
                        % (args.cards, pages, size / 1e6, elapsed, results["cards_s"]),
                        flush=True,
                    )
                    rows.append(
                        (
                            "gift cards, QWeb + wkhtmltopdf, one report",
                            "%d cards, %d pages, %.1f MB"
                            % (args.cards, pages, size / 1e6),
                            elapsed,
                            "%.2f cards/s (rate, %d cards)"
                            % (results["cards_s"], args.cards),
                        )
                    )
                if args.single_cards:
                    single = cards[args.cards : args.cards + args.single_cards]
                    try:
                        elapsed = time_qweb_single(env, single)
                    except Exception as error:  # report the failure and go on
                        print(
                            "QWeb gift cards : one report per card FAILED (%s: %s)"
                            % (type(error).__name__, error),
                            flush=True,
                        )
                    else:
                        print(
                            "QWeb gift cards : %5d cards one report each in %6.2f s "
                            "= %7.2f cards/s"
                            % (len(single), elapsed, len(single) / elapsed),
                            flush=True,
                        )
                        rows.append(
                            (
                                "gift cards, QWeb + wkhtmltopdf, one report per card",
                                "%d cards" % len(single),
                                elapsed,
                                "%.2f cards/s (rate, %d cards)"
                                % (len(single) / elapsed, len(single)),
                            )
                        )
                if "cards_s" in results:
                    speed_up = results["books_s"] / results["cards_s"]
                    print(
                        "speed-up        : %.1fx (books/s over gift cards/s of one "
                        "report; each book holds 10 passes)" % speed_up
                    )
                    rows.append(
                        (
                            "speed-up (books/s over one-report cards/s)",
                            "",
                            "",
                            "%.1fx" % speed_up,
                        )
                    )
            for count, selection in ((args.books, books), (args.big, all_books)):
                peak, elapsed = memory_books(env, selection[:count])
                results["peak_%d" % count] = peak
                print(
                    "memory          : %5d books, peak Python memory %6.1f MB "
                    "(tracemalloc, %.0f s)" % (count, peak / 2**20, elapsed),
                    flush=True,
                )
                rows.append(
                    (
                        "peak Python memory (tracemalloc)",
                        "%d books" % count,
                        elapsed,
                        "%.1f MB" % (peak / 2**20),
                    )
                )
            if args.big != args.books:
                ratio = results["peak_%d" % args.big] / results["peak_%d" % args.books]
                print(
                    "memory ratio    : %.2f for %dx the books (flat when close to 1)"
                    % (ratio, args.big // max(args.books, 1))
                )
                rows.append(
                    (
                        "memory ratio (flat when close to 1)",
                        "%dx the books" % (args.big // max(args.books, 1)),
                        "",
                        "%.2f" % ratio,
                    )
                )
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print("max RSS         : %.0f MB (this process, Odoo included)" % rss)
            rows.append(
                ("max RSS (this process, Odoo included)", "", "", "%.0f MB" % rss)
            )
        finally:
            cr.rollback()
            if server:
                server.stop()
    if results.get("qweb_failed"):
        verdict = "NOT met (no QWeb baseline)"
    else:
        ok = results["books_s"] >= 200 and (
            "cards_s" not in results or results["books_s"] >= 20 * results["cards_s"]
        )
        verdict = "met" if ok else "NOT met"
    rows.append(("targets (>= 200 books/s, >= 20x QWeb)", "", "", verdict))
    print_table(
        "Printing: pass books vs Odoo gift cards", ["", "size", "s", "result"], rows
    )


if __name__ == "__main__":
    main()
