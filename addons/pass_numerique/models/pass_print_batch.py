# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Print batches: the books of an order for the print shop, as one PDF and a
CSV manifest, printed at once or in the background chunk by chunk.

Between two chunks, what is written of the PDF is kept as attachments of the
batch (``ir.attachment``: in the database's filestore or wherever attachments
are stored, so every server of the database sees them) and the writer's state
in ``writer_state``; the chunks are removed when the batch is printed, fails,
is cancelled or printed again."""

import csv
import io
import logging

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..tools.book_pdf import BookPdfWriter
from ..tools.open_data import neutralize_cell
from .pass_book_print import SYNC_PRINT_LIMIT

_logger = logging.getLogger(__name__)

# Books rendered per chunk: one chunk is rendered in memory then stored as an
# attachment of the batch, and one cron call renders one chunk (a few seconds).
CHUNK_SIZE = 500
# Name of the attachments holding the PDF written so far, by first book.
CHUNK_NAME = "pass-print-chunk-%08d.bin"
CHUNK_NAME_LIKE = "pass-print-chunk-%"

MANIFEST_COLUMNS = [
    ("book", "carnet"),
    ("passes", "nombre_passes"),
    ("first_pass", "premier_pass"),
    ("last_pass", "dernier_pass"),
    ("first_code", "premier_code"),
    ("last_code", "dernier_code"),
    ("codes_sha256", "empreinte_codes_sha256"),
    ("program_code", "code_dispositif"),
    ("program", "dispositif"),
    ("funders", "financeurs"),
    ("valid_until", "valable_jusqu_au"),
    ("duplicate", "duplicata"),
]


class PassPrintBatch(models.Model):
    _name = "pass.print.batch"
    _description = "Print batch of pass books"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one(
        "res.company",
        required=True,
        readonly=True,
        index=True,
        default=lambda self: self.env.company,
    )
    book_ids = fields.Many2many(
        "pass.book",
        "pass_print_batch_book_rel",
        "batch_id",
        "book_id",
        string="Books",
        check_company=True,
        readonly=True,
    )
    duplicate_book_ids = fields.Many2many(
        "pass.book",
        "pass_print_batch_duplicate_rel",
        "batch_id",
        "book_id",
        string="Reprinted books",
        readonly=True,
        help="Books printed before: their sheets are marked DUPLICATA.",
    )
    book_count = fields.Integer(compute="_compute_book_count", string="Books to print")
    duplicate_count = fields.Integer(compute="_compute_book_count", string="Duplicates")
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("queued", "Queued"),
            ("running", "Printing"),
            ("done", "Printed"),
            ("failed", "Failed"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    user_id = fields.Many2one(
        "res.users", string="Printed by", readonly=True, tracking=True
    )
    date_start = fields.Datetime(string="Started on", readonly=True)
    date_done = fields.Datetime(string="Printed on", readonly=True, tracking=True)
    books_done = fields.Integer(string="Books rendered", readonly=True)
    progress = fields.Float(compute="_compute_progress")
    page_count = fields.Integer(string="Pages", readonly=True)
    pdf_attachment_id = fields.Many2one("ir.attachment", string="PDF", readonly=True)
    csv_attachment_id = fields.Many2one(
        "ir.attachment", string="Manifest", readonly=True
    )
    error = fields.Text(readonly=True)
    writer_state = fields.Json(readonly=True, copy=False)

    @api.depends("book_ids", "duplicate_book_ids")
    def _compute_book_count(self):
        for batch in self:
            batch.book_count = len(batch.book_ids)
            batch.duplicate_count = len(batch.duplicate_book_ids)

    @api.depends("books_done", "book_ids")
    def _compute_progress(self):
        for batch in self:
            total = len(batch.book_ids)
            batch.progress = 100.0 * batch.books_done / total if total else 0.0

    @api.model_create_multi
    def create(self, vals_list):
        Book = self.env["pass.book"]
        for vals in vals_list:
            company = self.env["res.company"].browse(
                vals.get("company_id") or self.env.company.id
            )
            Book.browse(self._command_ids(vals.get("book_ids")))._check_printable(
                company
            )
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code(
                    "pass.print.batch"
                ) or self.env._("Print batch")
        return super().create(vals_list)

    @api.model
    def _command_ids(self, commands):
        ids = []
        for command in commands or []:
            if isinstance(command, list | tuple):
                if command[0] == Command.SET:
                    ids = list(command[2])
                elif command[0] == Command.LINK:
                    ids.append(command[1])
            elif isinstance(command, int):
                ids.append(command)
        return ids

    @api.ondelete(at_uninstall=False)
    def _unlink_except_printed(self):
        if any(batch.state in ("queued", "running", "done") for batch in self):
            raise UserError(
                self.env._(
                    "A print batch in progress or printed cannot be deleted: it keeps "
                    "track of the printed books."
                )
            )

    # ------------------------------------------------------------------ actions
    def action_print(self):
        """Print the batch: at once when small, else queue it for the cron."""
        for batch in self:
            if batch.state not in ("draft", "failed"):
                raise UserError(
                    self.env._(
                        "Batch %(batch)s is already printed or being printed.",
                        batch=batch.name,
                    )
                )
            batch.book_ids._check_printable(batch.company_id)
            batch._remove_chunks()
            batch.write(
                {
                    "state": "queued",
                    "user_id": self.env.uid,
                    "date_start": fields.Datetime.now(),
                    "books_done": 0,
                    "error": False,
                    "writer_state": False,
                    "duplicate_book_ids": [
                        Command.set(batch.book_ids.filtered("print_count").ids)
                    ],
                }
            )
            if len(batch.book_ids) <= SYNC_PRINT_LIMIT:
                while batch.state in ("queued", "running"):
                    batch._process_chunk(raise_errors=True)
            else:
                self.env.ref("pass_numerique.pass_print_batch_cron")._trigger()
        return True

    def action_retry(self):
        return self.action_print()

    def action_cancel(self):
        """Stop a batch waiting or printing in the background (or failed):
        back to draft, the PDF written so far removed, no book marked."""
        for batch in self:
            if batch.state not in ("queued", "running", "failed"):
                raise UserError(
                    self.env._(
                        "Only a batch waiting, printing or failed can be "
                        "cancelled: %(batch)s is not.",
                        batch=batch.name,
                    )
                )
        self._remove_chunks()
        self.write(
            {
                "state": "draft",
                "books_done": 0,
                "error": False,
                "writer_state": False,
                "date_start": False,
            }
        )
        return True

    def action_download_pdf(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content/%d?download=true" % self.pdf_attachment_id.id,
            "target": "self",
        }

    def action_download_csv(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": "/web/content/%d?download=true" % self.csv_attachment_id.id,
            "target": "self",
        }

    def _action_open(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "pass.print.batch",
            "res_id": self.id,
            "view_mode": "form",
            "target": "current",
        }

    # ------------------------------------------------------------------ rendering
    def _chunk_attachments(self):
        """The attachments holding the PDF written so far, in order."""
        return self.env["ir.attachment"].search(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("name", "=like", CHUNK_NAME_LIKE),
            ],
            order="res_id, name",
        )

    def _remove_chunks(self):
        self._chunk_attachments().unlink()

    def _ordered_books(self):
        self.ensure_one()
        return self.book_ids.sorted(lambda b: (b.name, b.id))

    def _process_chunk(self, chunk_size=None, raise_errors=False):
        """Render the next chunk of books and append it to the batch's file;
        the last chunk closes the PDF, attaches it with the manifest and marks
        the books printed. A chunk that fails changes nothing: the batch is
        marked failed and its books are left as they were."""
        self.ensure_one()
        chunk_size = chunk_size or CHUNK_SIZE
        try:
            with self.env.cr.savepoint():
                self._render_next_chunk(chunk_size)
        except Exception as error:
            if raise_errors:
                raise
            _logger.exception("Print batch %s failed", self.name)
            self._remove_chunks()
            self.write(
                {
                    "state": "failed",
                    "error": str(error),
                    "books_done": 0,
                    "writer_state": False,
                }
            )

    def _render_next_chunk(self, chunk_size):
        books = self._ordered_books()
        start = self.books_done if self.state == "running" else 0
        chunk = books[start : start + chunk_size]
        state = self.writer_state if start else None
        programs = {str(p.id): p._print_info() for p in books.program_id}
        output = io.BytesIO()
        writer = BookPdfWriter(
            output,
            programs,
            labels=self.env["pass.book"]._print_labels(),
            state=state,
        )
        writer.add_books(chunk._print_sheets(self.duplicate_book_ids.ids))
        done = start + len(chunk)
        if done < len(books):
            self.env["ir.attachment"].create(
                {
                    "name": CHUNK_NAME % start,
                    "raw": output.getvalue(),
                    "mimetype": "application/octet-stream",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
            self.write(
                {
                    "state": "running",
                    "books_done": done,
                    "writer_state": writer.state(),
                }
            )
            return
        chunks = self._chunk_attachments()
        head = b"".join(chunks.mapped("raw"))
        if len(head) != (state or {}).get("length", 0):
            raise UserError(
                self.env._(
                    "The pages already printed of batch %(batch)s are missing: "
                    "print it again.",
                    batch=self.name,
                )
            )
        pages = writer.close()
        self._finish(books, pages, head + output.getvalue())

    def _file_base(self, books):
        """File name (without extension) saying which books the files hold:
        ``carnet-GIR-2026-0000031``, ``carnets-GIR-2026-0000031-0000040``
        for a run of numbers, ``carnets-GIR-2026-0000031-0000040-3-carnets``
        when some numbers of the range are not in it, ``-duplicata`` when
        books are reprinted."""
        self.ensure_one()
        names = [name for name in books.mapped("name") if name]
        if not names:
            base = self.name or "lot"
        elif len(names) == 1:
            base = "carnet-%s" % names[0]
        else:
            first, last = names[0], names[-1]
            head, _sep, first_number = first.rpartition("-")
            last_head, _sep, last_number = last.rpartition("-")
            same_series = (
                head
                and head == last_head
                and first_number.isdigit()
                and last_number.isdigit()
            )
            if same_series:
                base = "carnets-%s-%s" % (first, last_number)
                contiguous = int(last_number) - int(first_number) + 1 == len(names)
            else:
                base = "carnets-%s-%s" % (first, last)
                contiguous = False
            if not contiguous:
                base += "-%d-carnets" % len(names)
        if self.duplicate_book_ids:
            base += "-duplicata"
        return "".join(
            char if char.isalnum() or char in "-_." else "-" for char in base
        )

    def _finish(self, books, pages, pdf_data):
        """Attach the PDF and the manifest, mark the books printed."""
        Attachment = self.env["ir.attachment"]
        base = self._file_base(books)
        pdf_attachment, csv_attachment = Attachment.create(
            [
                {
                    "name": "%s.pdf" % base,
                    "raw": pdf_data,
                    "mimetype": "application/pdf",
                    "res_model": self._name,
                    "res_id": self.id,
                },
                {
                    "name": "%s-manifeste.csv" % base,
                    "raw": self._manifest_csv(books),
                    "mimetype": "text/csv",
                    "res_model": self._name,
                    "res_id": self.id,
                },
            ]
        )
        now = fields.Datetime.now()
        # One write per print count (a handful), never one per book.
        by_count = {}
        for book in books:
            by_count.setdefault(book.print_count, []).append(book.id)
        for count, ids in by_count.items():
            self.env["pass.book"].browse(ids).write(
                {"print_count": count + 1, "printed_at": now}
            )
        self.write(
            {
                "state": "done",
                "books_done": len(books),
                "page_count": pages,
                "date_done": now,
                "writer_state": False,
                "pdf_attachment_id": pdf_attachment.id,
                "csv_attachment_id": csv_attachment.id,
            }
        )
        self._remove_chunks()
        self.message_post(
            body=self.env._(
                "%(count)s books printed (%(duplicates)s duplicates), %(pages)s pages.",
                count=len(books),
                duplicates=len(self.duplicate_book_ids),
                pages=pages,
            )
        )

    def _manifest_csv(self, books):
        duplicates = set(self.duplicate_book_ids.ids)
        rows = books._print_manifest_rows()
        output = io.StringIO(newline="")
        writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
        writer.writerow([title for _key, title in MANIFEST_COLUMNS])
        for book, row in zip(books, rows, strict=True):
            row["duplicate"] = "oui" if book.id in duplicates else "non"
            # Names (programme, funders) are typed by users: no cell may run
            # as a formula in the print shop's spreadsheet.
            writer.writerow(
                [neutralize_cell(row[key]) for key, _title in MANIFEST_COLUMNS]
            )
        # UTF-8 with a byte-order mark: French spreadsheets open it as such.
        return "\ufeff".encode() + output.getvalue().encode()

    @api.model
    def _cron_print(self):
        """Render one chunk of the oldest batch waiting, and say how much is
        left (the cron runs again at once while work remains)."""
        batches = self.search([("state", "in", ("queued", "running"))], order="id")
        if not batches:
            return
        batch = batches[0]
        batch._process_chunk()
        remaining = sum(
            len(b.book_ids) - b.books_done
            for b in batches
            if b.state in ("queued", "running")
        )
        self.env["ir.cron"]._notify_progress(done=batch.books_done, remaining=remaining)
        if remaining:
            self.env.ref("pass_numerique.pass_print_batch_cron")._trigger()
