# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One PDF file from many PDF documents, appended chunk by chunk.

Why not ``pypdf.PdfWriter.append`` (or ``odoo.tools.pdf.merge_pdf``, which is
the same): it parses and clones every object of every page, which more than
halves the print rate of pass books (measured: reportlab renders ~420 books/s
on the bench machine, reportlab then pypdf's merge ~250 books/s, the target is
400), and it holds the whole output in memory until the end.

What this module does instead: pypdf reads the structure of each document
(its cross-reference table, trailer, catalog and page tree: a few objects),
and the objects themselves are copied as they are, renumbered, to the output,
which only grows. The stream data is never parsed nor decoded. The output
gets one catalog and one page tree made of the pages of every document in
order. Between two chunks, :meth:`PdfAppender.state` (JSON-serialisable) is
all that must be kept: the bytes written so far may be stored anywhere (files,
attachments) and :meth:`PdfAppender.close` writes the tail (catalog, page
tree, cross-reference table) after them.

What it accepts (it checks and raises :class:`ValueError` otherwise): PDF
documents with a classic cross-reference table, no object streams, no
incremental updates and a flat page tree, as reportlab writes them. Page
attributes inherited from the source page tree (reportlab writes none) are not
carried over; outlines and the info dictionary of the sources are dropped.
"""

import io
import itertools
import re

import pypdf
from pypdf.generic import IndirectObject

_OBJ_HEADER = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\b")
_REF = re.compile(rb"(\d+)\s+(\d+)\s+R\b")
_STREAM = re.compile(rb">>\s*stream(\r\n|\n|\r)")


class PdfAppender:
    """Writes one PDF from the objects of several PDF documents.

    ``output`` is a binary stream that receives the bytes, in order; with a
    ``state`` (from :meth:`state`), the writing goes on after the bytes an
    earlier appender wrote, which the caller keeps (``output`` then only gets
    the new bytes).
    """

    CATALOG, PAGES = 1, 2

    def __init__(self, output, state=None):
        self.output = output
        if state:
            self.offsets = list(state["offsets"])
            self.pages = list(state["pages"])
            self.position = state["length"]
        else:
            self.offsets = [0, 0]  # objects 1 and 2 are written last
            self.pages = []
            self.position = 0
            self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data):
        self.output.write(data)
        self.position += len(data)

    def state(self):
        """What another appender needs to go on writing the same PDF."""
        return {
            "offsets": list(self.offsets),
            "pages": list(self.pages),
            "length": self.position,
        }

    @property
    def page_count(self):
        return len(self.pages)

    def append(self, data):
        """Append the pages of the PDF document ``data`` (bytes)."""
        reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
        xref_at = _xref_offset(data)
        if not data.startswith(b"xref", xref_at) or data.count(b"startxref") != 1:
            raise ValueError(
                "PDF with a cross-reference stream or incremental updates: "
                "not supported"
            )
        other_generations = any(
            objects for generation, objects in reader.xref.items() if generation
        )
        if reader.xref_objStm or other_generations:
            raise ValueError("PDF with object streams or generations: not supported")
        offsets = reader.xref.get(0, {})
        trailer = reader.trailer
        root = trailer.raw_get("/Root")
        catalog = root.get_object()
        pages_ref = catalog.raw_get("/Pages")
        pages_root = pages_ref.get_object()
        kids = pages_root["/Kids"]
        if any(not isinstance(kid, IndirectObject) for kid in kids) or int(
            pages_root["/Count"]
        ) != len(kids):
            raise ValueError("PDF with a nested page tree: not supported")
        if "/Encrypt" in trailer:
            raise ValueError("encrypted PDF: not supported")
        skipped = {root.idnum, pages_ref.idnum}
        if "/Info" in trailer:
            skipped.add(trailer.raw_get("/Info").idnum)
        outlines = catalog.raw_get("/Outlines") if "/Outlines" in catalog else None
        if isinstance(outlines, IndirectObject):
            skipped.add(outlines.idnum)
        kept = sorted(number for number in offsets if number not in skipped)
        mapping = {pages_ref.idnum: self.PAGES}
        next_number = len(self.offsets) + 1
        for number in kept:
            mapping[number] = next_number
            next_number += 1

        def renumber(match):
            number = int(match.group(1))
            if number not in mapping:
                raise ValueError("PDF object %d refers to a dropped object" % number)
            return b"%d 0 R" % mapping[number]

        # Each object's bytes run from its offset to the next object's (or
        # to the cross-reference table): no need to parse them to find ends.
        ends = sorted(offsets.values())
        ends.append(xref_at)
        next_offset = dict(itertools.pairwise(ends))
        for number in kept:
            start = offsets[number]
            chunk = data[start : next_offset[start]]
            header = _OBJ_HEADER.match(chunk)
            if not header or int(header.group(1)) != number:
                raise ValueError("PDF object %d is not at its offset" % number)
            body = chunk[header.end() :].rstrip()
            if not body.endswith(b"endobj"):
                raise ValueError("PDF object %d does not end at the next one" % number)
            body = body[: -len(b"endobj")]
            self.offsets.append(self.position)
            self._write(b"%d 0 obj\n" % mapping[number])
            stream = _STREAM.search(body)
            if stream:
                self._write(_REF.sub(renumber, body[: stream.start()]))
                self._write(body[stream.start() :])
            else:
                self._write(_REF.sub(renumber, body))
            self._write(b"\nendobj\n")
        self.pages.extend(mapping[kid.idnum] for kid in kids)

    def close(self, title=""):
        """Write the catalog, the page tree and the cross-reference table;
        returns the number of pages."""
        self.offsets[self.CATALOG - 1] = self.position
        self._write(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")
        self.offsets[self.PAGES - 1] = self.position
        kids = b" ".join(b"%d 0 R" % n for n in self.pages)
        self._write(
            b"2 0 obj\n<< /Type /Pages /Count %d /Kids [ %s ] >>\nendobj\n"
            % (len(self.pages), kids)
        )
        info_number = len(self.offsets) + 1
        self.offsets.append(self.position)
        self._write(
            b"%d 0 obj\n<< /Producer (Pass Numerique) /Title %s >>\nendobj\n"
            % (info_number, pdf_text(title))
        )
        xref_at = self.position
        rows = [b"xref\n0 %d\n" % (len(self.offsets) + 1), b"0000000000 65535 f \n"]
        rows.extend(b"%010d 00000 n \n" % offset for offset in self.offsets)
        self._write(b"".join(rows))
        self._write(
            b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (len(self.offsets) + 1, info_number, xref_at)
        )
        return len(self.pages)


def _xref_offset(data):
    """Offset of the cross-reference table of ``data`` (its last startxref)."""
    tail = data[data.rindex(b"startxref") + len(b"startxref") :]
    return int(tail.split()[0])


def pdf_text(text):
    """A PDF text string (UTF-16BE with byte-order mark) for the Info dict."""
    raw = b"\xfe\xff" + (text or "").encode("utf-16-be")
    return b"<" + raw.hex().encode() + b">"


def merge_pdfs(documents, title=""):
    """One PDF (bytes) with the pages of ``documents`` (PDF bytes) in order."""
    output = io.BytesIO()
    appender = PdfAppender(output)
    for data in documents:
        appender.append(data)
    appender.close(title)
    return output.getvalue()
