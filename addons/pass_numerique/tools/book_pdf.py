# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Print-ready PDF of pass books, drawn with reportlab and python-barcode.

Pure Python, no ORM: the models gather plain :class:`ProgramInfo` and
:class:`BookSheet` values and call :func:`render_books` (or drive a
:class:`BookPdfWriter` chunk by chunk for batches run in the background).

Layout: one book per A4 sheet, portrait. An 8 mm margin carries the cut marks;
inside it, a stub for the prescriber (36 mm high, full width) and a grid of
2 x 5 passes of 97 x 49 mm. A book of more than ten passes continues on the
next sheets. Each pass shows, away from its code, the programme, its funders,
the face value, the end of validity, where it may be spent and a QR code to
the public list of qualified venues; its code is printed once as a Code 128
barcode (4 printer dots of 300 dpi per module, quiet zones of 12 modules) and
once in groups of four digits. Pass n/N and the book number are in the top
corner, never next to the code: the code is random and is the only secret.

Everything that is the same on every pass of a programme (texts, QR code) is
drawn once per document as a PDF form XObject and reused: the document stays
small and the rendering fast.

Large orders: :class:`BookPdfWriter` renders chunks of books with reportlab
into memory and appends their objects to one PDF as it goes
(:class:`~.pdf_merge.PdfAppender`, its own module): memory use does not grow
with the number of books, and :meth:`BookPdfWriter.state` lets a later
transaction go on writing the same PDF (the print batch keeps the bytes
written so far as attachments).

Only reportlab's public API is used (forms, ``addLiteral`` for the barcodes'
path operators, text objects); the fonts are found in reportlab's font search
path.
"""

import io
import itertools
import operator
from dataclasses import dataclass, field

from barcode.charsets import code128
from barcode.codex import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

from odoo.tools.translate import LazyTranslate

from .pass_code import format_code
from .pdf_merge import PdfAppender

_lt = LazyTranslate("pass_numerique")

# DejaVu (French accents, euro sign), found by reportlab in its font search
# path (``reportlab.rl_config.TTFSearchPath``: the system's TrueType folders,
# Debian's fonts-dejavu-core among them).
FONTS = {
    "PassSans": "DejaVuSans.ttf",
    "PassSans-Bold": "DejaVuSans-Bold.ttf",
    "PassMono-Bold": "DejaVuSansMono-Bold.ttf",
}

PAGE_W, PAGE_H = A4
MARGIN = 8 * mm
COLUMNS, ROWS = 2, 5
PASSES_PER_SHEET = COLUMNS * ROWS
STUB_H = 36 * mm
PASS_W = (PAGE_W - 2 * MARGIN) / COLUMNS  # 97 mm
PASS_H = (PAGE_H - 2 * MARGIN - STUB_H) / ROWS  # 49 mm
PAD = 3.5 * mm

# Barcode geometry: 300 dpi printers put 1/300 in per dot; a module of 4 dots
# (0.339 mm, 0.96 pt) is drawn exactly on the printer's grid and stays well
# above the 0.25 mm minimum of office laser printers and phone scanners.
DOT = 72.0 / 300
MODULE = 4 * DOT
QUIET_MODULES = 12  # Code 128 asks for 10 at least
BAR_H = 11 * mm
# Width of the bars of a 16-digit code: start, 8 symbols, check, stop.
BARS_W = (11 * 10 + 13) * MODULE

# The text block of a pass: below the programme's name, left of the QR code,
# above the barcode. Programme facts (funders, where, services) come first in
# 6.5 pt, then the programme's print text (conditions, legal mention), which is
# never cut: the facts give up lines (the QR page lists them in full), then the
# text shrinks from 5.5 pt down to 4.5 pt; a text too long even then is refused
# when the programme is saved (:func:`print_text_max_lines`).
INFO_SIZE = 6.5
INFO_LEADING = 2.75 * mm
PRINT_TEXT_SIZE = 5.5
PRINT_TEXT_MIN_SIZE = 4.5
PRINT_TEXT_SIZES = (5.5, 5.25, 5.0, 4.75, 4.5)
# Baseline of the first fact line and lowest baseline above the barcode's
# bars (measured from the pass's lower edge).
TEXT_TOP = PASS_H - PAD - 12 * mm
TEXT_LOWEST = PAD + 4.2 * mm + BAR_H + 0.8 * mm
# Lines of facts at most (funders, where, services), most to fewest.
INFO_LAYOUTS = ((2, 1, 2), (2, 1, 1), (1, 1, 1))

GREY = Color(0.35, 0.35, 0.35)
LIGHT = Color(0.75, 0.75, 0.75)
RED = Color(0.75, 0.05, 0.05)

# Texts of the printed sheet: the only list of them. English source, translated
# by pass.book._print_labels() in the user's language (i18n/fr.po). There is
# no environment at import time, hence lazy translations.
# pylint: disable=prefer-env-translation
LABELS = {
    "financed_by": _lt("Funded by"),
    "valid_until": _lt("Valid until"),
    "where": _lt("Where"),
    "services": _lt("For"),
    "anywhere": _lt("Everywhere in France"),
    "all_services": _lt("All digital-mediation services"),
    "book": _lt("Book"),
    "pass": _lt("Pass"),
    "qr_caption": _lt("Venues that accept it"),
    "stub_title": _lt("Stub to be kept by the prescriber"),
    "passes": _lt("passes"),
    "programme": _lt("Programme"),
    "beneficiary": _lt("Beneficiary reference"),
    "handed_on": _lt("Handed out on"),
    "signature": _lt("By (name, organisation)"),
    "duplicate": _lt("DUPLICATE"),
    "duplicate_note": _lt("Reprint: the original must no longer be accepted."),
    "continued": _lt("continued"),
    "sheet": _lt("sheet"),
    "face_value": _lt("Value"),
    "document_title": _lt("Pass Numérique books"),
}
# pylint: enable=prefer-env-translation


@dataclass
class ProgramInfo:
    """What every pass of a programme shows, already formatted."""

    key: str
    name: str
    funders: list = field(default_factory=list)
    face_value: str = ""
    territory: str = ""
    services: str = ""
    qr_url: str = ""
    print_text: str = ""


@dataclass
class BookSheet:
    """One book to print: ``passes`` is a list of ``(number, code)``."""

    number: str
    program_key: str
    valid_until: str
    passes: list = field(default_factory=list)
    duplicate: bool = False
    total: int = 0  # N of "pass n/N": passes in the book, printed or not


_fonts_registered = False


def register_fonts():
    """Register the DejaVu fonts (French accents, euro sign) once, found in
    reportlab's font search path."""
    global _fonts_registered
    if _fonts_registered:
        return
    for name, filename in FONTS.items():
        try:
            font = TTFont(name, filename)
        except OSError as error:
            raise OSError(
                "Font %s not found in reportlab's TTFSearchPath (install the "
                "DejaVu fonts, Debian's fonts-dejavu-core)" % filename
            ) from error
        pdfmetrics.registerFont(font)
    _fonts_registered = True


START_C = code128.START_CODES["C"]
# Charset C: each pair of digits is one symbol, its value the pair's number.
_DIGIT_PAIRS = {"%02d" % value: value for value in range(100)}


def code128_symbols(code):
    """Code 128 symbol values of ``code`` (start, data, check digit), from
    python-barcode's tables: charset C (two digits per symbol) for the
    even-length digit-only codes passes use, python-barcode's own encoder
    for anything else."""
    if len(code) % 2 == 0 and code.isascii() and code.isdigit():
        symbols = [START_C]
        symbols += [_DIGIT_PAIRS[code[i : i + 2]] for i in range(0, len(code), 2)]
    else:
        symbols = Code128(code)._build()
    weights = range(1, len(symbols))
    checksum = symbols[0] + sum(map(operator.mul, weights, symbols[1:]))
    symbols.append(checksum % 103)
    return symbols


def code128_modules(code):
    """The Code 128 modules of ``code`` ('1' = bar), as python-barcode's
    ``Code128(code).build()`` gives them."""
    return "".join(code128.CODES[s] for s in code128_symbols(code)) + STOP_PATTERN


STOP_PATTERN = code128.STOP + "11"
SYMBOL_MODULES = 11


def _bar_runs(modules):
    """(start, width) in modules of every bar."""
    runs = []
    start = None
    for index, module in enumerate(modules):
        if module == "1" and start is None:
            start = index
        elif module == "0" and start is not None:
            runs.append((start, index - start))
            start = None
    if start is not None:
        runs.append((start, len(modules) - start))
    return runs


def _runs_ops(modules):
    """PDF path operators filling the bars of ``modules`` from x = 0."""
    return " ".join(
        "%s 0 %s %s re" % (_num(start * MODULE), _num(width * MODULE), _num(BAR_H))
        for start, width in _bar_runs(modules)
    )


def _num(value):
    return ("%.4f" % value).rstrip("0").rstrip(".")


# Each Code 128 symbol is 11 modules that start with a bar and end with a
# space: its bars are drawn once as PDF operators, then the origin moves on.
_SYMBOL_OPS = [
    "%s f 1 0 0 1 %s 0 cm" % (_runs_ops(pattern), _num(SYMBOL_MODULES * MODULE))
    for pattern in code128.CODES
]
_STOP_OPS = "%s f" % _runs_ops(STOP_PATTERN)


def barcode_ops(code, x, y):
    """PDF content drawing the barcode of ``code`` with its first bar at
    (``x``, ``y``)."""
    return "q 0 g 1 0 0 1 %s %s cm %s %s Q" % (
        _num(x),
        _num(y),
        " ".join(_SYMBOL_OPS[s] for s in code128_symbols(code)),
        _STOP_OPS,
    )


def barcode_width(code):
    return (len(code128_modules(code)) + 2 * QUIET_MODULES) * MODULE


_QR_CACHE = {}


def qr_modules(url):
    """The module matrix (rows of booleans) of the QR code of ``url``."""
    if url not in _QR_CACHE:
        widget = QrCodeWidget(url, barLevel="M")
        widget.qr.make()
        _QR_CACHE.clear() if len(_QR_CACHE) > 64 else None
        _QR_CACHE[url] = [[bool(m) for m in row] for row in widget.qr.modules]
    return _QR_CACHE[url]


def _snap(value):
    """Round a coordinate to the 300 dpi printer grid."""
    return round(value / DOT) * DOT


def fit_lines(text, font, size, width, max_lines):
    """Wrap ``text`` into at most ``max_lines`` lines of ``width``; an
    ellipsis ends the last line when the text is cut."""
    lines = simpleSplit(text or "", font, size, width)
    if len(lines) <= max_lines:
        return lines
    lines = lines[:max_lines]
    last = lines[-1]
    while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return lines


def _print_leading(size):
    return size * 1.2


def _print_lines_room(info_lines, size):
    """Lines of print text at ``size`` that fit under ``info_lines`` lines
    of programme facts."""
    first = TEXT_TOP - info_lines * INFO_LEADING
    if first < TEXT_LOWEST:
        return 0
    return 1 + int((first - TEXT_LOWEST) / _print_leading(size) + 1e-9)


def text_width():
    """Width of the text block of a pass (left of the QR code)."""
    return PASS_W - 2 * PAD - 19 * mm - 2 * mm


def layout_pass_text(facts, print_text):
    """Lay out the facts (three texts: funders, where, services) and the
    print text of a pass. Returns (fact lines, print text lines, print text
    size); the print text is whole whenever :func:`print_text_max_lines`
    allows it, the facts lose lines first."""
    register_fonts()
    width = text_width()
    wrapped = (
        simpleSplit(print_text or "", "PassSans", size, width)
        for size in PRINT_TEXT_SIZES
    )
    wrapped = dict(zip(PRINT_TEXT_SIZES, wrapped, strict=True))
    candidates = [(layout, PRINT_TEXT_SIZE) for layout in INFO_LAYOUTS] + [
        (INFO_LAYOUTS[-1], size) for size in PRINT_TEXT_SIZES[1:]
    ]
    for layout, size in candidates:
        facts_lines = []
        for text, most in zip(facts, layout, strict=True):
            facts_lines += fit_lines(text, "PassSans", INFO_SIZE, width, most)
        if len(wrapped[size]) <= _print_lines_room(len(facts_lines), size):
            return facts_lines, wrapped[size], size
    # Too long (refused at save; an old programme): cut, with an ellipsis.
    facts_lines = []
    for text, most in zip(facts, INFO_LAYOUTS[-1], strict=True):
        facts_lines += fit_lines(text, "PassSans", INFO_SIZE, width, most)
    room = _print_lines_room(len(facts_lines), PRINT_TEXT_MIN_SIZE)
    return (
        facts_lines,
        fit_lines(print_text, "PassSans", PRINT_TEXT_MIN_SIZE, width, room),
        PRINT_TEXT_MIN_SIZE,
    )


def print_text_max_lines():
    """Lines of print text a pass always has room for (at the smallest
    size, under the fewest fact lines)."""
    return _print_lines_room(len(INFO_LAYOUTS[-1]), PRINT_TEXT_MIN_SIZE)


def print_text_overflow(print_text):
    """None when ``print_text`` fits every pass whole; else (its lines at
    the smallest size, the lines there is room for, about how many
    characters fit)."""
    if not print_text:
        return None
    register_fonts()
    width = text_width()
    lines = simpleSplit(print_text, "PassSans", PRINT_TEXT_MIN_SIZE, width)
    room = print_text_max_lines()
    if len(lines) <= room:
        return None
    per_char = pdfmetrics.stringWidth(print_text, "PassSans", PRINT_TEXT_MIN_SIZE)
    per_char /= max(len(print_text), 1)
    return len(lines), room, int(room * width / per_char * 0.95)


def fit_size(text, font, size, width, min_size=5):
    """The largest font size <= ``size`` at which ``text`` fits ``width``."""
    while size > min_size and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


class _Document:
    """One reportlab canvas: forms defined once, sheets drawn on it."""

    def __init__(self, programs, labels):
        self.buffer = io.BytesIO()
        self.canvas = rl_canvas.Canvas(
            self.buffer, pagesize=A4, pageCompression=1, invariant=1
        )
        self.programs = programs
        self.labels = labels
        self.forms = {}
        self.chars = {}

    def _form(self, key, draw, *args):
        """Name of the form XObject ``key``, drawn by ``draw(*args)`` the
        first time it is needed."""
        name = self.forms.get(key)
        if name is None:
            name = "f%d" % len(self.forms)
            self.canvas.beginForm(name)
            draw(*args)
            self.canvas.endForm()
            self.forms[key] = name
        return name

    # ---------------------------------------------------------------- forms
    def _draw_pass_form(self, program, valid_until):
        """What every pass of ``program`` valid until ``valid_until`` shows,
        drawn at the pass's origin (its lower left corner)."""
        c = self.canvas
        labels = self.labels
        inner_w = PASS_W - 2 * PAD
        qr_size = 19 * mm
        text_w = inner_w - qr_size - 2 * mm
        top = PASS_H - PAD
        c.setFillColor(black)
        value_size = fit_size(program.face_value, "PassSans-Bold", 16, qr_size + 4 * mm)
        c.setFont("PassSans-Bold", value_size)
        c.drawRightString(PASS_W - PAD, top - value_size * 0.8, program.face_value)
        c.setFont("PassSans-Bold", 7)
        c.drawString(
            PAD, top - 5.2 * mm, "%s %s" % (labels["valid_until"], valid_until)
        )
        size = fit_size(program.name, "PassSans-Bold", 9, text_w, min_size=6.5)
        c.setFont("PassSans-Bold", size)
        c.drawString(
            PAD,
            top - 8.7 * mm,
            fit_lines(program.name, "PassSans-Bold", size, text_w, 1)[0],
        )
        facts = (
            "%s : %s" % (labels["financed_by"], ", ".join(program.funders)),
            "%s : %s" % (labels["where"], program.territory or labels["anywhere"]),
            "%s : %s"
            % (labels["services"], program.services or labels["all_services"]),
        )
        lines, print_lines, print_size = layout_pass_text(facts, program.print_text)
        y = TEXT_TOP
        c.setFont("PassSans", INFO_SIZE)
        for line in lines:
            c.drawString(PAD, y, line)
            y -= INFO_LEADING
        if print_lines:
            c.setFillColor(GREY)
            c.setFont("PassSans", print_size)
            for line in print_lines:
                c.drawString(PAD, y, line)
                y -= _print_leading(print_size)
            c.setFillColor(black)
        if program.qr_url:
            qr_x = PASS_W - PAD - qr_size
            qr_y = PAD + 3.2 * mm
            self._draw_qr(program.qr_url, qr_x, qr_y, qr_size)
            c.setFont("PassSans", 5.5)
            c.drawCentredString(
                qr_x + qr_size / 2, PAD + 0.6 * mm, labels["qr_caption"]
            )

    def _draw_qr(self, url, x, y, size):
        rows = qr_modules(url)
        box = size / len(rows)
        path = self.canvas.beginPath()
        for r, row in enumerate(rows):
            col = 0
            for dark, group in itertools.groupby(row):
                count = len(list(group))
                if dark:
                    path.rect(x + col * box, y + size - (r + 1) * box, count * box, box)
                col += count
        self.canvas.drawPath(path, stroke=0, fill=1)

    def _draw_sheet_form(self, program, valid_until, count, sheet, sheets):
        """Cut marks and the stub of a sheet, but the book number."""
        self._draw_cut_marks()
        c = self.canvas
        labels = self.labels
        x0 = MARGIN + PAD
        top = PAGE_H - MARGIN - PAD
        width = PAGE_W - 2 * MARGIN - 2 * PAD
        c.setFillColor(GREY)
        c.setFont("PassSans", 7)
        stub_title = labels["stub_title"]
        if sheets > 1:
            stub_title += " — %s %d/%d" % (labels["sheet"], sheet + 1, sheets)
        c.drawString(x0, top - 2.5 * mm, stub_title)
        c.setFillColor(black)
        c.setFont("PassSans", 8)
        line = "%s : %s — %d %s — %s %s" % (
            labels["programme"],
            program.name,
            count,
            labels["passes"],
            labels["valid_until"],
            valid_until,
        )
        c.drawString(x0, top - 13 * mm, fit_lines(line, "PassSans", 8, width, 1)[0])
        c.setFont("PassSans", 7.5)
        c.setLineWidth(0.4)
        y = top - 21 * mm
        col_w = width / 3
        for i, key in enumerate(("beneficiary", "handed_on", "signature")):
            x = x0 + i * col_w
            c.drawString(x, y, labels[key] + " :")
            c.line(x, y - 6 * mm, x + col_w - 4 * mm, y - 6 * mm)

    def _draw_cut_marks(self):
        """Crop marks in the margin at every cut line, and light dashed
        lines between stub and passes for scissors."""
        c = self.canvas
        c.setLineWidth(0.3)
        c.setStrokeColor(black)
        xs = [MARGIN + i * PASS_W for i in range(COLUMNS + 1)]
        ys = [PAGE_H - MARGIN, PAGE_H - MARGIN - STUB_H] + [
            PAGE_H - MARGIN - STUB_H - (i + 1) * PASS_H for i in range(ROWS)
        ]
        gap, length = 1.5 * mm, 5 * mm
        path = c.beginPath()
        for x in xs:
            path.moveTo(x, PAGE_H - MARGIN + gap)
            path.lineTo(x, PAGE_H - MARGIN + gap + length)
            path.moveTo(x, MARGIN - gap)
            path.lineTo(x, MARGIN - gap - length)
        for y in ys:
            path.moveTo(MARGIN - gap, y)
            path.lineTo(MARGIN - gap - length, y)
            path.moveTo(PAGE_W - MARGIN + gap, y)
            path.lineTo(PAGE_W - MARGIN + gap + length, y)
        c.drawPath(path, stroke=1, fill=0)
        c.setStrokeColor(LIGHT)
        c.setDash(2, 2)
        path = c.beginPath()
        for x in xs[1:-1]:
            path.moveTo(x, MARGIN)
            path.lineTo(x, PAGE_H - MARGIN - STUB_H)
        for y in ys[1:-1]:
            path.moveTo(MARGIN, y)
            path.lineTo(PAGE_W - MARGIN, y)
        c.drawPath(path, stroke=1, fill=0)
        c.setDash()
        c.setStrokeColor(black)

    # ---------------------------------------------------------------- sheets
    def draw_book(self, book):
        passes = book.passes or []
        sheets = max(1, -(-len(passes) // PASSES_PER_SHEET))
        for sheet in range(sheets):
            chunk = passes[sheet * PASSES_PER_SHEET : (sheet + 1) * PASSES_PER_SHEET]
            self._draw_sheet(book, chunk, sheet, sheets)
        return sheets

    def _draw_sheet(self, book, passes, sheet, sheets):
        c = self.canvas
        labels = self.labels
        program = self.programs[book.program_key]
        total = book.total or len(book.passes)
        c.doForm(
            self._form(
                ("sheet", book.program_key, book.valid_until, total, sheet, sheets),
                self._draw_sheet_form,
                program,
                book.valid_until,
                total,
                sheet,
                sheets,
            )
        )
        pass_form = self._form(
            ("pass", book.program_key, book.valid_until),
            self._draw_pass_form,
            program,
            book.valid_until,
        )
        top = PAGE_H - MARGIN - PAD
        c.setFont("PassSans-Bold", 14)
        c.drawString(
            MARGIN + PAD, top - 8.5 * mm, "%s %s" % (labels["book"], book.number)
        )
        if book.duplicate:
            right = PAGE_W - MARGIN - PAD
            c.setFillColor(RED)
            c.setFont("PassSans-Bold", 20)
            c.drawRightString(right, top - 8.5 * mm, labels["duplicate"])
            c.setFont("PassSans", 7)
            c.drawRightString(right, top - 13 * mm, labels["duplicate_note"])
            c.setFillColor(black)
        header = "%s %%d/%d — %s %s" % (
            labels["pass"],
            total,
            labels["book"],
            book.number,
        )
        # Through reportlab's public API: the pass form placed at each
        # pass's origin, the barcodes as one block of path operators, the
        # texts of the sheet in one text object, grouped by font and colour.
        bars = []
        headers = []
        codes = []
        for index, (number, code) in enumerate(passes):
            row, col = divmod(index, COLUMNS)
            x = _snap(MARGIN + col * PASS_W)
            y = _snap(PAGE_H - MARGIN - STUB_H - (row + 1) * PASS_H)
            c.addLiteral("q 1 0 0 1 %s %s cm" % (_num(x), _num(y)))
            c.doForm(pass_form)
            c.addLiteral("Q")
            # Pass n/N and book number, top left, far from the code.
            headers.append((x + PAD, y + PASS_H - PAD - 2.4 * mm, header % number))
            # The code, bottom left, quiet zones kept clear around the bars.
            bars_x = x + _snap(PAD + QUIET_MODULES * MODULE)
            bars.append(barcode_ops(code, bars_x, y + PAD + 4.2 * mm))
            printed = format_code(code)
            width = pdfmetrics.stringWidth(printed, "PassMono-Bold", 10)
            codes.append((bars_x + (BARS_W - width) / 2, y + PAD + 0.6 * mm, printed))
        c.addLiteral(" ".join(bars))
        text = c.beginText()
        runs = [(GREY, "PassSans", 6.5, headers), (black, "PassMono-Bold", 10, codes)]
        if book.duplicate:
            mark = labels["duplicate"]
            width = pdfmetrics.stringWidth(mark, "PassSans-Bold", 8)
            marks = [
                (x + PASS_W - PAD * 2 - width, y - 6.2 * mm, mark)
                for x, y, _header in headers
            ]
            runs.append((RED, "PassSans-Bold", 8, marks))
        for color, font, size, lines in runs:
            text.setFillColor(color)
            text.setFont(font, size)
            for x, y, line in lines:
                text.setTextOrigin(x, y)
                text.textOut(line)
        c.drawText(text)
        c.showPage()


class BookPdfWriter:
    """Render books chunk by chunk into one PDF.

    ``fileobj`` receives the bytes of the PDF in order; with a ``state``
    (from :meth:`state`) it only receives what follows the bytes written
    before, which the caller keeps.

    ``programs`` maps :attr:`BookSheet.program_key` to :class:`ProgramInfo`.
    Call :meth:`add_books` with each chunk of books (the renderer holds one
    chunk at a time), then :meth:`close`.
    """

    def __init__(self, fileobj, programs, labels=None, state=None):
        register_fonts()
        self.programs = programs
        # labels: the translated texts (pass.book._print_labels()); the
        # English source for any missing one
        self.labels = {key: label._translate("en_US") for key, label in LABELS.items()}
        self.labels.update(labels or {})
        self.appender = PdfAppender(fileobj, state=state)
        self.sheets = 0

    def add_books(self, books):
        document = _Document(self.programs, self.labels)
        for book in books:
            self.sheets += document.draw_book(book)
        document.canvas.save()
        self.appender.append(document.buffer.getvalue())

    def state(self):
        return self.appender.state()

    def close(self):
        return self.appender.close(self.labels.get("document_title", ""))


def render_books(books, programs, fileobj=None, labels=None, chunk_size=200):
    """Render ``books`` (any iterable of :class:`BookSheet`) into ``fileobj``
    (a binary file opened for writing and reading), or return the PDF bytes
    when no file is given."""
    output = fileobj if fileobj is not None else io.BytesIO()
    writer = BookPdfWriter(output, programs, labels=labels)
    chunk = []
    for book in books:
        chunk.append(book)
        if len(chunk) >= chunk_size:
            writer.add_books(chunk)
            chunk = []
    if chunk:
        writer.add_books(chunk)
    writer.close()
    if fileobj is None:
        return output.getvalue()
    return None
