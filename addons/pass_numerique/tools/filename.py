# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""File names that say what a document is and whom it concerns:
``releve-departement-de-la-gironde-2026.pdf``, ``bordereau-lieu-x-REM-2026-0001.pdf``.
ASCII only, no spaces: they survive every mail client and file system."""

import calendar
import re
import unicodedata


def file_slug(text, max_length=40):
    """ "Département de la Gironde" -> "departement-de-la-gironde"."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text[:max_length].rstrip("-") or "x"


def period_slug(date_from, date_to):
    """A period as short as it can be said: "2026" (a calendar year),
    "2026-03" (a calendar month), else "2026-01-15_2026-03-31"."""
    last_day = calendar.monthrange(date_to.year, date_to.month)[1]
    if date_from.year == date_to.year and (date_from.day, date_to.day) == (
        1,
        last_day,
    ):
        if (date_from.month, date_to.month) == (1, 12):
            return str(date_from.year)
        if date_from.month == date_to.month:
            return "%04d-%02d" % (date_from.year, date_from.month)
    return "%s_%s" % (date_from.isoformat(), date_to.isoformat())


def document_filename(kind, *parts, extension="pdf"):
    """``kind``-``parts``.``extension``, each part made a slug (a part that
    is already a reference, e.g. a remittance number, keeps its case)."""
    words = [kind] + [part for part in parts if part]
    return "%s.%s" % ("-".join(words), extension)
