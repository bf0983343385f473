# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Printed books: every barcode of the rendered PDF scans to its pass's code,
the sheet carries what a beneficiary and a venue need, reprints are marked
and recorded, print batches run in chunks and fail cleanly, bad input is
refused; the public venue page the QR code points to."""

import base64
import csv
import io
from unittest.mock import patch

import pypdfium2
import zxingcpp
from barcode.codex import Code128

from odoo import Command, fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from ..models import pass_print_batch
from ..tools import book_pdf
from ..tools.pass_code import format_code, generate_codes
from .common import (
    create_guarded,
    make_funder,
    make_program,
    make_service,
    make_venue,
)

RENDER_DPI = 300


def rasterise(pdf_bytes):
    """Each page of ``pdf_bytes`` as a greyscale image at 300 dpi, and its
    text."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        for page in document:
            image = page.render(scale=RENDER_DPI / 72).to_pil().convert("L")
            text = page.get_textpage().get_text_range()
            yield image, text
    finally:
        document.close()


def decode(image, barcode_format):
    return [r.text for r in zxingcpp.read_barcodes(image, formats=barcode_format)]


class PrintCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.eur = env.ref("base.EUR")
        cls.eur.active = True
        cls.funder_dep = make_funder(env, "Département de l'Hérault")
        cls.funder_caf = make_funder(env, "CAF de l'Hérault", funder_type="social")
        cls.service = make_service(
            env, "pn_print_admin", "Démarches administratives en ligne"
        )
        cls.program = make_program(
            env,
            "PRINT34",
            "Pass Numérique Hérault Séniors",
            [(cls.funder_dep, 60.0), (cls.funder_caf, 40.0)],
            cls.service,
            currency_id=cls.eur.id,
            date_start=fields.Date.subtract(fields.Date.today(), days=5),
            date_end=fields.Date.add(fields.Date.today(), years=1),
            territory_zips="34",
        )
        cls.books = env["pass.book"].browse(
            cls.program.issue_books(3, passes_per_book=10)
        )
        cls.user = new_test_user(
            env,
            login="pn_print_user",
            groups="pass_numerique.pass_numerique_group_user",
            name="Imprimeur Test",
        )

    def _codes(self, books):
        return {v.code: v for v in books.voucher_ids}


@tagged("post_install", "-at_install")
class TestBookPdf(PrintCase):
    def test_every_barcode_scans_and_fields_printed(self):
        books = self.books.with_user(self.user)
        pdf = base64.b64decode(books.render_pdf())
        codes = self._codes(self.books)
        pages = list(rasterise(pdf))
        self.assertEqual(len(pages), 3, "one A4 sheet per book of ten passes")
        scanned = []
        for (image, text), book in zip(pages, self.books.sorted("name"), strict=True):
            page_codes = decode(image, zxingcpp.BarcodeFormat.Code128)
            self.assertEqual(
                sorted(page_codes),
                sorted(book.voucher_ids.mapped("code")),
                "every pass of the book scans to its exact code on its sheet",
            )
            scanned += page_codes
            # The QR codes lead to the programme's public venue list.
            qr = set(decode(image, zxingcpp.BarcodeFormat.QRCode))
            self.assertEqual(qr, {self.program._venues_url()})
            # Human-readable fields.
            self.assertIn("Book %s" % book.name, text)
            self.assertIn("Pass Numérique Hérault Séniors", text)
            self.assertIn(
                "Funded by : Département de l'Hérault, CAF de l'Hérault", text
            )
            self.assertIn(
                "Valid until %s" % book.date_expiry.strftime("%d/%m/%Y"), text
            )
            self.assertIn("Démarches administratives en ligne", text)
            self.assertIn("postcodes 34", text)
            self.assertRegex(text, r"10[.,]00\s?€|€\s?10[.,]00")
            self.assertIn("Pass 1/10 — Book %s" % book.name, text)
            self.assertIn("Pass 10/10 — Book %s" % book.name, text)
            self.assertIn("Stub to be kept by the prescriber", text)
            for voucher in book.voucher_ids:
                self.assertIn(format_code(voucher.code), text)
            self.assertNotIn("DUPLICATE", text)
        self.assertEqual(sorted(scanned), sorted(codes))

    def test_reprint_is_marked_duplicate_and_recorded(self):
        book = self.books[0].with_user(self.user)
        book.render_pdf()
        self.assertEqual(book.print_count, 1)
        pdf = base64.b64decode(book.render_pdf())
        [(image, text)] = rasterise(pdf)
        self.assertIn("DUPLICATE", text)
        self.assertEqual(text.count("DUPLICATE"), 11, "on the stub and on every pass")
        self.assertEqual(
            sorted(decode(image, zxingcpp.BarcodeFormat.Code128)),
            sorted(book.voucher_ids.mapped("code")),
            "the duplicate's barcodes still scan",
        )
        self.assertEqual(book.print_count, 2)
        batches = book.print_batch_ids.sorted("id")
        self.assertEqual(len(batches), 2)
        self.assertFalse(batches[0].duplicate_book_ids)
        self.assertEqual(batches[1].duplicate_book_ids, book)
        self.assertEqual(batches[1].user_id, self.user)
        self.assertTrue(batches[1].date_done)

    def test_only_unused_passes_printed_and_long_books(self):
        program = self.program
        [book_id] = program.issue_books(1, passes_per_book=12)
        book = self.env["pass.book"].browse(book_id)
        voucher = book.voucher_ids.filtered(lambda v: v.number == 3)
        voucher._cancel("lost")
        pdf = base64.b64decode(book.render_pdf())
        pages = list(rasterise(pdf))
        self.assertEqual(len(pages), 2, "twelve passes: two sheets")
        scanned = [
            c
            for image, _t in pages
            for c in decode(image, zxingcpp.BarcodeFormat.Code128)
        ]
        self.assertEqual(
            sorted(scanned), sorted((book.voucher_ids - voucher).mapped("code"))
        )
        self.assertIn("sheet 2/2", pages[1][1])
        self.assertIn("Pass 12/12", pages[1][1])

    def test_print_text_printed_whole(self):
        """The programme's print text (here a legal mention of 260
        characters) is on every pass whole, not cut with an ellipsis, beside
        long facts; the barcodes still scan."""
        legal = (
            "Ce pass est offert par vos financeurs. Il ne peut être ni vendu ni "
            "échangé contre de l'argent. Il est valable une seule fois, dans un lieu "
            "qualifié, pour le service choisi. Informations et réclamations : "
            "contact@pass-numerique.coop ou au 05 56 00 00 00, du lundi au vendredi."
        )
        self.assertGreater(len(legal), 250)
        services = self.env["pass.service"].create(
            [
                {
                    "code": f"pn_print_long_{index}",
                    "name": f"Service au nom assez long numéro {index}",
                    "category": "daily_tools",
                }
                for index in range(6)
            ]
        )
        self.program.write(
            {
                "print_text": legal,
                "service_ids": [Command.link(service.id) for service in services],
            }
        )
        book = self.books[0]
        [(image, text)] = rasterise(base64.b64decode(book.render_pdf()))
        flat = " ".join(text.split())
        self.assertEqual(flat.count(legal), 10, "the whole text on each of 10 passes")
        self.assertEqual(
            sorted(decode(image, zxingcpp.BarcodeFormat.Code128)),
            sorted(book.voucher_ids.mapped("code")),
        )

    def test_print_text_too_long_refused_at_save(self):
        self.program.print_text = "Conditions d'utilisation."
        too_long = "Mention légale très détaillée. " * 20
        with self.assertRaises(ValidationError), self.cr.savepoint():
            self.program.write({"print_text": too_long})
        self.program.invalidate_recordset(["print_text"])
        self.assertEqual(self.program.print_text, "Conditions d'utilisation.")
        # The longest text a pass has room for is accepted.
        self.assertIsNone(book_pdf.print_text_overflow("Mention légale. " * 15))
        self.program.write({"print_text": "Mention légale. " * 15})

    def test_code128_matches_python_barcode(self):
        for code in [*generate_codes(50), "0000000000000000", "9999999999999999"]:
            self.assertEqual(book_pdf.code128_modules(code), Code128(code).build()[0])


@tagged("post_install", "-at_install")
class TestPrintBatch(PrintCase):
    def _batch(self, books):
        return (
            self.env["pass.print.batch"]
            .with_user(self.user)
            .create({"book_ids": [Command.set(books.ids)]})
        )

    def test_batch_pdf_manifest_and_books_marked(self):
        batch = self._batch(self.books)
        self.assertEqual(batch.state, "draft")
        batch.action_print()
        self.assertEqual(batch.state, "done")
        self.assertEqual(batch.page_count, 3)
        self.assertEqual(batch.user_id, self.user)
        self.assertEqual(set(self.books.mapped("print_count")), {1})
        self.assertTrue(all(self.books.mapped("printed_at")))
        self.assertEqual(batch.pdf_attachment_id.res_id, batch.id)
        self.assertEqual(batch.pdf_attachment_id.mimetype, "application/pdf")
        rows = list(
            csv.DictReader(
                io.StringIO(batch.csv_attachment_id.raw.decode("utf-8-sig")),
                delimiter=";",
            )
        )
        self.assertEqual([r["carnet"] for r in rows], sorted(self.books.mapped("name")))
        for row in rows:
            book = self.books.filtered(lambda b, n=row["carnet"]: b.name == n)
            vouchers = book.voucher_ids.sorted("number")
            self.assertEqual(row["nombre_passes"], "10")
            self.assertEqual(row["premier_code"], vouchers[0].code)
            self.assertEqual(row["dernier_code"], vouchers[-1].code)
            self.assertEqual(row["code_dispositif"], "PRINT34")
            self.assertEqual(
                row["financeurs"],
                "Département de l'Hérault (60.0 %) | CAF de l'Hérault (40.0 %)",
            )
            self.assertEqual(row["duplicata"], "non")

    def test_large_batch_in_background_chunks(self):
        batch = self._batch(self.books)
        with (
            patch.object(pass_print_batch, "SYNC_PRINT_LIMIT", 2),
            patch.object(pass_print_batch, "CHUNK_SIZE", 1),
        ):
            batch.action_print()
            self.assertEqual(batch.state, "queued")
            Batch = self.env["pass.print.batch"]
            Batch._cron_print()
            self.assertEqual(
                (batch.state, batch.books_done, round(batch.progress)),
                ("running", 1, 33),
            )
            self.assertEqual(
                set(self.books.mapped("print_count")), {0}, "not marked before the end"
            )
            Batch._cron_print()
            Batch._cron_print()
        self.assertEqual(batch.state, "done")
        self.assertEqual(set(self.books.mapped("print_count")), {1})
        pages = list(rasterise(batch.pdf_attachment_id.raw))
        self.assertEqual(len(pages), 3)
        scanned = [
            c
            for image, _t in pages
            for c in decode(image, zxingcpp.BarcodeFormat.Code128)
        ]
        self.assertEqual(sorted(scanned), sorted(self._codes(self.books)))

    def test_failed_batch_leaves_no_half_marked_books(self):
        batch = self._batch(self.books)
        calls = []
        original = type(self.env["pass.book"])._print_sheets

        def failing(books, duplicate_ids=()):
            calls.append(books)
            if len(calls) == 3:
                raise OSError("disk full")
            return original(books, duplicate_ids)

        with (
            patch.object(pass_print_batch, "SYNC_PRINT_LIMIT", 2),
            patch.object(pass_print_batch, "CHUNK_SIZE", 1),
            patch.object(type(self.env["pass.book"]), "_print_sheets", failing),
            self.assertLogs(
                "odoo.addons.pass_numerique.models.pass_print_batch", "ERROR"
            ),
        ):
            batch.action_print()
            for _i in range(3):
                self.env["pass.print.batch"]._cron_print()
        self.assertEqual(batch.state, "failed")
        self.assertIn("disk full", batch.error)
        self.assertEqual(set(self.books.mapped("print_count")), {0})
        self.assertFalse(batch.pdf_attachment_id)
        # Printing again after the failure works and marks every book once.
        batch.action_retry()
        self.assertEqual(batch.state, "done")
        self.assertEqual(set(self.books.mapped("print_count")), {1})

    def test_bad_input_refused_nothing_written(self):
        Batch = self.env["pass.print.batch"].with_user(self.user)
        other_company = self.env["res.company"].create({"name": "Autre coopérative"})
        other_program = self.program.copy(
            {"code": "OTHER", "company_id": other_company.id, "name": "Autre"}
        )
        other_program.action_activate()
        other_book = (
            self.env["pass.book"]
            .with_company(other_company)
            .browse(other_program.with_company(other_company).issue_books(1))
        )
        closed_book = self.books[2]
        batches_before = Batch.sudo().search_count([])
        # no book; books of two companies
        for books in (self.env["pass.book"], self.books[0] | other_book):
            with self.assertRaises(UserError):
                Batch.create({"book_ids": [Command.set(books.ids)]})
            with self.assertRaises(UserError):
                books.with_user(self.user).render_pdf()
        # A cancelled book.
        self.books[1].cancel_unused("lost")
        with self.assertRaises(UserError):
            self.books[1].with_user(self.user).render_pdf()
        # A closed programme.
        self.program.action_close()
        with self.assertRaises(UserError):
            closed_book.with_user(self.user).render_pdf()
        self.assertEqual(Batch.sudo().search_count([]), batches_before)
        self.assertEqual(set(self.books.mapped("print_count")), {0})
        self.assertFalse(
            self.env["ir.attachment"].search([("res_model", "=", "pass.print.batch")])
        )

    def test_file_names_say_which_books(self):
        books = self.books.sorted("name")
        first, last = books[0].name, books[-1].name
        head, _sep, last_number = last.rpartition("-")
        batch = self._batch(books)
        batch.action_print()
        self.assertEqual(
            batch.pdf_attachment_id.name, f"carnets-{first}-{last_number}.pdf"
        )
        self.assertEqual(
            batch.csv_attachment_id.name,
            f"carnets-{first}-{last_number}-manifeste.csv",
        )
        self.assertTrue(first.startswith(head))
        # One book; then two books with a gap between them, reprinted.
        batch = self._batch(books[1])
        batch.action_print()
        self.assertEqual(
            batch.pdf_attachment_id.name, f"carnet-{books[1].name}-duplicata.pdf"
        )
        batch = self._batch(books[0] | books[2])
        batch.action_print()
        self.assertEqual(
            batch.pdf_attachment_id.name,
            f"carnets-{first}-{last_number}-2-carnets-duplicata.pdf",
        )

    def test_book_in_running_batch_refused(self):
        batch = self._batch(self.books)
        with patch.object(pass_print_batch, "SYNC_PRINT_LIMIT", 2):
            batch.action_print()
        self.assertEqual(batch.state, "queued")
        with self.assertRaises(UserError):
            self.books[0].with_user(self.user).render_pdf()


@tagged("post_install", "-at_install")
class TestPublicVenues(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        service = make_service(
            env, "pn_public_web", "Naviguer sur internet", "daily_tools"
        )
        other_service = make_service(
            env, "pn_public_other", "Réparer un ordinateur", "equipment"
        )
        funder = make_funder(env, "Ville de Sète", funder_type="commune")
        cls.program = make_program(
            env,
            "SETE",
            "Pass Sète",
            [(funder, 100.0)],
            service,
            date_start=fields.Date.today(),
            date_end=fields.Date.add(fields.Date.today(), years=1),
            territory_zips="342",
        )

        def venue(name, zip_code, state, services, **extra):
            return make_venue(
                env,
                name,
                zip_code,
                services,
                pass_venue_state=state,
                street="1 quai de la Consigne",
                city="Sète",
                email="secret-%s@example.com" % zip_code,
                **extra,
            )

        cls.good = venue(
            "Médiathèque François Mitterrand",
            "34200",
            "qualified",
            service,
            pass_opening_hours="Mo-Fr 09:00-12:00; Sa 10:00-12:00",
        )
        cls.suspended = venue("Lieu suspendu", "34200", "suspended", service)
        cls.outside = venue("Lieu de Montpellier", "34000", "qualified", service)
        cls.wrong_service = venue(
            "Atelier réparation", "34200", "qualified", other_service
        )

    def test_public_page_lists_qualified_venues(self):
        url = "/pass/lieux/%d/%s" % (self.program.id, self.program._venues_token())
        self.assertTrue(self.program._venues_url().endswith(url))
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn("Pass Sète", page)
        self.assertIn("Médiathèque François Mitterrand", page)
        self.assertIn("1 quai de la Consigne", page)
        self.assertIn("34200 Sète", page)
        self.assertIn("Naviguer sur internet", page)
        self.assertIn("lun.\u2013ven. 09:00\u201312:00", page)
        for name in ("Lieu suspendu", "Lieu de Montpellier", "Atelier réparation"):
            self.assertNotIn(name, page)
        self.assertNotIn("secret-", page, "no e-mail address on the public page")

    def test_public_page_filters_and_groups_services(self):
        """Filter by town and by service; each venue's services grouped by
        category, folded in a <details> (unfolded by the script on wide
        screens)."""
        Partner = self.env["res.partner"]
        mail = self.env["pass.service"].create(
            {
                "code": "pn_public_mail",
                "name": "Envoyer un courriel",
                "category": "admin",
            }
        )
        self.program.service_ids = [Command.link(mail.id)]
        palavas = create_guarded(
            Partner,
            {
                "name": "Espace numérique de Palavas",
                "is_company": True,
                "is_pass_venue": True,
                "pass_venue_state": "qualified",
                "zip": "34250",
                "city": "Palavas-les-Flots",
                "pass_service_ids": [Command.set(mail.ids)],
            },
        )
        url = "/pass/lieux/%d/%s" % (self.program.id, self.program._venues_token())
        page = self.url_open(url).text
        self.assertIn(self.good.name, page)
        self.assertIn(palavas.name, page)
        self.assertIn('<html lang="fr-FR"', page)
        self.assertIn("o_pass_public_services", page)
        self.assertIn("Maîtrise des outils numériques du quotidien", page)
        self.assertIn("Aide aux démarches administratives", page)
        # By town (any case).
        page = self.url_open(url + "?ville=palavas-les-flots").text
        self.assertIn(palavas.name, page)
        self.assertNotIn(self.good.name, page)
        self.assertRegex(page, r"1 lieu\s+sur 2")
        # By service.
        page = self.url_open(url + "?service=pn_public_web").text
        self.assertIn(self.good.name, page)
        self.assertNotIn(palavas.name, page)
        # A service the programme does not pay for, or an unknown town: no
        # filter on it.
        page = self.url_open(url + "?service=pn_public_other&ville=Paris").text
        self.assertIn(self.good.name, page)
        self.assertIn(palavas.name, page)
        # Both filters, nothing matches: said so.
        page = self.url_open(url + "?service=pn_public_web&ville=Palavas-les-Flots")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Aucun lieu ne correspond", page.text)

    def test_public_page_not_found_in_french(self):
        for url in (
            "/pass/lieux/%d/%s" % (self.program.id, "0" * 24),
            "/pass/lieux/abc/def",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404)
            self.assertIn("Page introuvable", response.text)
            self.assertIn("Scannez à nouveau le QR code", response.text)
            self.assertNotIn("Not Found", response.text)
            self.assertIn('<html lang="fr-FR"', response.text)

    def test_public_page_needs_the_token(self):
        for url in (
            "/pass/lieux/%d/%s" % (self.program.id, "0" * 24),
            "/pass/lieux/%d/%s"
            % (self.program.id + 1000, self.program._venues_token()),
        ):
            self.assertEqual(self.url_open(url).status_code, 404)
        self.program.action_close()
        url = "/pass/lieux/%d/%s" % (self.program.id, self.program._venues_token())
        page = self.url_open(url).text
        self.assertIn("Ce programme est terminé", page)
        self.assertNotIn("Médiathèque François Mitterrand", page)
