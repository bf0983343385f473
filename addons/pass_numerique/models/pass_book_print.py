# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Printing books: what the PDF of a book shows, and the print history."""

import base64
import hashlib

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..tools.book_pdf import LABELS, BookSheet

# render_pdf() and the print action render at most this many books in the
# request; more go to a print batch run in the background.
SYNC_PRINT_LIMIT = 1000
# Passes worth printing: the others can no longer be spent.
PRINTABLE_VOUCHER_STATES = ("available", "distributed")


class PassBook(models.Model):
    _inherit = "pass.book"

    print_count = fields.Integer(
        string="Printed", readonly=True, copy=False, help="Number of times printed."
    )
    printed_at = fields.Datetime(string="Last printed on", readonly=True, copy=False)
    print_batch_ids = fields.Many2many(
        "pass.print.batch",
        "pass_print_batch_book_rel",
        "book_id",
        "batch_id",
        string="Print batches",
        readonly=True,
        copy=False,
    )

    @api.model
    def _print_labels(self):
        """Texts of the printed sheet (tools.book_pdf.LABELS), in the user's
        language."""
        return {key: self.env._(label) for key, label in LABELS.items()}

    def _print_sheets(self, duplicate_ids=()):
        """One :class:`BookSheet` per book, in the order of ``self``; the
        passes are read in one query."""
        duplicate_ids = set(duplicate_ids)
        vouchers = self.env["pass.voucher"].search_fetch(
            [("book_id", "in", self.ids), ("state", "in", PRINTABLE_VOUCHER_STATES)],
            ["book_id", "number", "code"],
            order="book_id, number",
        )
        passes = {}
        for voucher in vouchers:
            passes.setdefault(voucher.book_id.id, []).append(
                (voucher.number, voucher.code)
            )
        return [
            BookSheet(
                number=book.name,
                program_key=str(book.program_id.id),
                # In the user's language, as every date the users read.
                valid_until=format_date(self.env, book.date_expiry)
                if book.date_expiry
                else "",
                passes=passes.get(book.id, []),
                total=book.passes_per_book or len(passes.get(book.id, [])),
                duplicate=book.id in duplicate_ids,
            )
            for book in self
        ]

    def _check_printable(self, company=None):
        """Refuse, with a French message, books that must not be printed."""
        if not self:
            raise UserError(self.env._("Select at least one book to print."))
        company = company or self.env.company
        # sudo: books of a company the user cannot read must be refused with a
        # clear message, not an access error; only their company is compared.
        if any(book.company_id != company for book in self.sudo()):
            raise UserError(
                self.env._(
                    "Some selected books belong to a company other than %(company)s: "
                    "a print batch only holds the books of one company.",
                    company=company.name,
                )
            )
        for program in self.program_id:
            if program.state != "active":
                book = self.filtered(lambda b, p=program: b.program_id == p)[0]
                raise UserError(
                    self.env._(
                        "Book %(book)s belongs to programme %(program)s, which is not "
                        "active (%(state)s): its books cannot be printed.",
                        book=book.name,
                        program=program.display_name,
                        state=program._state_label(),
                    )
                )
        cancelled = self.filtered(lambda b: b.state == "cancelled")
        if cancelled:
            raise UserError(
                self.env._(
                    "Book %(book)s is cancelled: it cannot be printed.",
                    book=cancelled[0].name,
                )
            )
        printable = {
            book
            for [book] in self.env["pass.voucher"]._read_group(
                [
                    ("book_id", "in", self.ids),
                    ("state", "in", PRINTABLE_VOUCHER_STATES),
                ],
                groupby=["book_id"],
            )
        }
        empty = self.filtered(lambda b: b not in printable)
        if empty:
            raise UserError(
                self.env._(
                    "Book %(book)s has no usable pass left: there is nothing to print.",
                    book=empty[0].name,
                )
            )
        running = self.env["pass.print.batch"].search(
            [("book_ids", "in", self.ids), ("state", "in", ("queued", "running"))],
            limit=1,
        )
        if running:
            raise UserError(
                self.env._(
                    "Some of these books are already in print batch %(batch)s, in "
                    "progress: wait until it is done.",
                    batch=running.name,
                )
            )

    def render_pdf(self):
        """The print-ready PDF of these books, base64-encoded (API.md).

        Printing is recorded: a print batch keeps who printed which books and
        when, and a book printed before comes out marked "DUPLICATA".
        """
        if len(self) > SYNC_PRINT_LIMIT:
            raise UserError(
                self.env._(
                    "%(count)s books: above %(max)s, print them through a print "
                    "batch, which runs in the background.",
                    count=len(self),
                    max=SYNC_PRINT_LIMIT,
                )
            )
        batch = self.env["pass.print.batch"].create(
            {"book_ids": [Command.set(self.ids)]}
        )
        batch.action_print()
        return base64.b64encode(batch.pdf_attachment_id.raw).decode()

    def action_print_books(self):
        """Print action of the books' list and form: small selections are
        printed at once and downloaded, larger ones become a print batch run in
        the background."""
        batch = self.env["pass.print.batch"].create(
            {"book_ids": [Command.set(self.ids)]}
        )
        batch.action_print()
        if batch.state == "done":
            return batch.action_download_pdf()
        return batch._action_open()

    def _print_manifest_rows(self):
        """CSV manifest rows of these books: number, pass code range,
        programme, funders."""
        vouchers = self.env["pass.voucher"].search_fetch(
            [("book_id", "in", self.ids), ("state", "in", PRINTABLE_VOUCHER_STATES)],
            ["book_id", "number", "code"],
            order="book_id, number",
        )
        by_book = {}
        for voucher in vouchers:
            by_book.setdefault(voucher.book_id.id, []).append(voucher)
        rows = []
        for book in self:
            passes = by_book.get(book.id, [])
            program = book.program_id
            rows.append(
                {
                    "book": book.name,
                    "passes": len(passes),
                    "first_pass": passes[0].number if passes else "",
                    "last_pass": passes[-1].number if passes else "",
                    "first_code": passes[0].code if passes else "",
                    "last_code": passes[-1].code if passes else "",
                    "codes_sha256": hashlib.sha256(
                        "\n".join(v.code for v in passes).encode()
                    ).hexdigest(),
                    "program_code": program.code,
                    "program": program.name,
                    "funders": " | ".join(
                        "%s (%s %%)" % (f.partner_id.name, round(f.share, 2))
                        for f in program._pass_fundings()
                    ),
                    "valid_until": fields.Date.to_string(book.date_expiry) or "",
                }
            )
        return rows
