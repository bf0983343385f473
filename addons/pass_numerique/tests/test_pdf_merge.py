# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""``tools/pdf_merge.py`` on its own (no database): reportlab documents
appended into one PDF that two independent readers (pypdf, pdfium) read page
by page, a merge resumed from its state, the documents it refuses."""

import io
import os

import pypdf
import pypdfium2
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas as rl_canvas

from odoo.tests import BaseCase, tagged

from ..tools import book_pdf
from ..tools.pdf_merge import PdfAppender, merge_pdfs


def document(texts, compress=1):
    """A reportlab PDF with one page per text, in DejaVu (a TrueType subset
    per document) and Helvetica."""
    book_pdf.register_fonts()
    buffer = io.BytesIO()
    canvas = rl_canvas.Canvas(buffer, pagesize=A4, pageCompression=compress)
    for text in texts:
        canvas.setFont("PassSans", 12)
        canvas.drawString(72, 720, text)
        canvas.setFont("Helvetica", 10)
        canvas.drawString(72, 700, "page")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def page_texts_pypdf(data):
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    return [page.extract_text().splitlines()[0] for page in reader.pages]


def page_texts_pdfium(data):
    pdf = pypdfium2.PdfDocument(data)
    try:
        return [
            page.get_textpage().get_text_range().splitlines()[0].strip() for page in pdf
        ]
    finally:
        pdf.close()


@tagged("post_install", "-at_install")
class TestPdfMerge(BaseCase):
    def test_pages_of_every_document_in_order(self):
        docs = [
            document(["Carnet 1 — é", "Carnet 2 — €"]),
            document(["Carnet 3 — à"]),
            document(["Carnet 4 — ç", "Carnet 5", "Carnet 6 — ô"]),
        ]
        merged = merge_pdfs(docs, title="Carnets 1 à 6")
        expected = [
            "Carnet 1 — é",
            "Carnet 2 — €",
            "Carnet 3 — à",
            "Carnet 4 — ç",
            "Carnet 5",
            "Carnet 6 — ô",
        ]
        self.assertEqual(page_texts_pypdf(merged), expected)
        self.assertEqual(page_texts_pdfium(merged), expected)
        reader = pypdf.PdfReader(io.BytesIO(merged), strict=True)
        self.assertEqual(reader.metadata.title, "Carnets 1 à 6")

    def test_stream_data_copied_untouched(self):
        # Uncompressed content holding what looks like PDF syntax: neither
        # renumbered nor taken for the end of the object.
        tricky = "endobj 1 0 R stream endstream 99 0 obj"
        merged = merge_pdfs([document(["first"]), document([tricky], compress=0)])
        self.assertEqual(page_texts_pypdf(merged), ["first", tricky])
        self.assertEqual(page_texts_pdfium(merged), ["first", tricky])

    def test_resumed_from_state_gives_the_same_file(self):
        docs = [document(["a"]), document(["b", "c"]), document(["d"])]
        whole = merge_pdfs(docs, title="t")
        # One appender per chunk, as the print batch does between cron calls;
        # the bytes of each are kept elsewhere (attachments) and joined.
        parts, state = [], None
        for data in docs:
            output = io.BytesIO()
            appender = PdfAppender(output, state=state)
            appender.append(data)
            state = appender.state()
            parts.append(output.getvalue())
        self.assertEqual(state["length"], sum(len(p) for p in parts))
        tail = io.BytesIO()
        self.assertEqual(PdfAppender(tail, state=state).close("t"), 4)
        self.assertEqual(b"".join(parts) + tail.getvalue(), whole)
        self.assertEqual(page_texts_pdfium(whole), ["a", "b", "c", "d"])

    def test_unsupported_documents_refused(self):
        data = document(["a"])
        # An incremental update (a second cross-reference section).
        writer = pypdf.PdfWriter(io.BytesIO(data), incremental=True)
        writer.add_blank_page(100, 100)
        updated = io.BytesIO()
        writer.write(updated)
        for bad in (updated.getvalue(), b"not a pdf", data[: len(data) // 2]):
            output = io.BytesIO()
            with self.assertRaises((ValueError, pypdf.errors.PdfReadError)):
                PdfAppender(output).append(bad)

    def test_fonts_found_in_reportlabs_search_path(self):
        book_pdf.register_fonts()
        for name, filename in book_pdf.FONTS.items():
            self.assertEqual(os.path.basename(filename), filename)
            path = pdfmetrics.getFont(name).face.filename
            self.assertEqual(os.path.basename(path), filename)
            self.assertTrue(
                any(
                    os.path.dirname(path) == os.path.normpath(folder)
                    for folder in rl_config.TTFSearchPath
                ),
                path,
            )
