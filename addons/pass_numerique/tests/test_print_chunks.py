# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Print batches run in the background keep what is written of the PDF as
attachments of the batch (seen by every server of the database, never as
files beside the filestore), removed when the batch is printed, fails, is
cancelled or printed again."""

import io
import os
from unittest.mock import patch

import pypdf

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import config

from ..models import pass_print_batch
from .test_print import PrintCase


@tagged("post_install", "-at_install")
class TestPrintChunks(PrintCase):
    def _batch(self):
        return (
            self.env["pass.print.batch"]
            .with_user(self.user)
            .create({"book_ids": [Command.set(self.books.ids)]})
        )

    def _chunks(self, batch):
        # As another server would find them: a plain attachment query, from
        # a fresh environment (nothing cached by this one).
        env = self.env(su=True)
        env.invalidate_all()
        return env["ir.attachment"].search(
            [
                ("res_model", "=", "pass.print.batch"),
                ("res_id", "=", batch.id),
                ("name", "=like", "pass-print-chunk-%"),
            ],
            order="name",
        )

    def _start_in_background(self, batch):
        for patcher in (
            patch.object(pass_print_batch, "SYNC_PRINT_LIMIT", 2),
            patch.object(pass_print_batch, "CHUNK_SIZE", 1),
        ):
            patcher.start()
            self.addCleanup(patcher.stop)
        batch.action_print()
        self.assertEqual(batch.state, "queued")

    def test_chunks_are_attachments_until_printed(self):
        batch = self._batch()
        self._start_in_background(batch)
        Batch = self.env["pass.print.batch"]
        Batch._cron_print()
        chunks = self._chunks(batch)
        self.assertEqual(len(chunks), 1)
        self.assertEqual(len(chunks.raw), batch.writer_state["length"])
        Batch._cron_print()
        chunks = self._chunks(batch)
        self.assertEqual(len(chunks), 2)
        self.assertEqual(sum(len(c.raw) for c in chunks), batch.writer_state["length"])
        self.assertEqual(set(self.books.mapped("print_count")), {0})
        # Nothing kept beside the filestore.
        folder = os.path.join(config.filestore(self.env.cr.dbname), "pass_print")
        self.assertFalse(os.path.isdir(folder) and os.listdir(folder))
        Batch._cron_print()
        self.assertEqual(batch.state, "done")
        self.assertFalse(self._chunks(batch), "chunks removed once printed")
        self.assertFalse(batch.writer_state)
        pdf = pypdf.PdfReader(io.BytesIO(batch.pdf_attachment_id.raw), strict=True)
        self.assertEqual(len(pdf.pages), 3)
        for page, book in zip(pdf.pages, self.books.sorted("name"), strict=True):
            text = page.extract_text()
            self.assertIn(book.name, text)
        self.assertEqual(set(self.books.mapped("print_count")), {1})

    def test_cancel_removes_the_chunks(self):
        batch = self._batch()
        self._start_in_background(batch)
        self.env["pass.print.batch"]._cron_print()
        self.assertEqual(batch.state, "running")
        self.assertTrue(self._chunks(batch))
        batch.with_user(self.user).action_cancel()
        self.assertEqual((batch.state, batch.books_done), ("draft", 0))
        self.assertFalse(batch.writer_state)
        self.assertFalse(self._chunks(batch))
        self.assertEqual(set(self.books.mapped("print_count")), {0})
        # The cron has nothing left to do for it.
        self.env["pass.print.batch"]._cron_print()
        self.assertEqual(batch.state, "draft")
        # A printed batch cannot be cancelled.
        with patch.object(pass_print_batch, "SYNC_PRINT_LIMIT", 100):
            batch.action_print()
        self.assertEqual(batch.state, "done")
        with self.assertRaises(UserError):
            batch.action_cancel()
        self.assertEqual(batch.state, "done")

    def test_failure_removes_the_chunks(self):
        batch = self._batch()
        self._start_in_background(batch)
        Batch = self.env["pass.print.batch"]
        Batch._cron_print()
        self.assertTrue(self._chunks(batch))
        with (
            patch.object(
                type(self.env["pass.book"]),
                "_print_sheets",
                side_effect=OSError("disk full"),
                autospec=True,
            ),
            self.assertLogs(
                "odoo.addons.pass_numerique.models.pass_print_batch", "ERROR"
            ),
        ):
            Batch._cron_print()
        self.assertEqual(batch.state, "failed")
        self.assertFalse(self._chunks(batch))
        self.assertEqual(set(self.books.mapped("print_count")), {0})

    def test_missing_chunk_fails_the_batch_books_untouched(self):
        batch = self._batch()
        self._start_in_background(batch)
        Batch = self.env["pass.print.batch"]
        Batch._cron_print()
        Batch._cron_print()
        self._chunks(batch)[:1].unlink()
        with self.assertLogs(
            "odoo.addons.pass_numerique.models.pass_print_batch", "ERROR"
        ):
            Batch._cron_print()
        self.assertEqual(batch.state, "failed")
        self.assertFalse(batch.pdf_attachment_id)
        self.assertFalse(self._chunks(batch))
        self.assertEqual(set(self.books.mapped("print_count")), {0})

    def test_print_again_starts_from_scratch(self):
        batch = self._batch()
        self._start_in_background(batch)
        self.env["pass.print.batch"]._cron_print()
        self.assertEqual(len(self._chunks(batch)), 1)
        batch.write({"state": "failed"})
        batch.action_retry()
        self.assertEqual(batch.state, "queued")
        self.assertFalse(self._chunks(batch), "old chunks removed")
