# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from ..models.pass_program import MAX_BOOKS_PER_CALL
from .common import PassNumeriqueCommon


@tagged("post_install", "-at_install")
class TestIssueBooks(PassNumeriqueCommon):
    def _counts(self):
        return (
            self.env["pass.book"].search_count([]),
            self.env["pass.voucher"].search_count([]),
            self.env.ref("pass_numerique.pass_book_sequence").number_next_actual,
        )

    def test_issue_ten_and_five(self):
        # Counters read before issuing are refreshed afterwards.
        self.assertEqual(self.program.book_count, 0)
        self.assertFalse(self.program.book_ids)
        with freeze_time("2026-03-15"):
            books10 = self._issue(3, 10)
            books5 = self._issue(2, 5)
        self.assertEqual(len(books10), 3)
        self.assertEqual(self.program.book_ids, books10 | books5)
        self.assertEqual(len(books5), 2)
        for books, size in ((books10, 10), (books5, 5)):
            for book in books:
                self.assertEqual(book.passes_per_book, size)
                self.assertEqual(len(book.voucher_ids), size)
                self.assertEqual(
                    sorted(book.voucher_ids.mapped("number")), list(range(1, size + 1))
                )
                self.assertEqual(book.state, "available")
                self.assertEqual(book.program_id, self.program)
                self.assertEqual(book.company_id, self.company)
                self.assertEqual(book.date_issue, date(2026, 3, 15))
                self.assertEqual(book.amount_total, 10.0 * size)
                self.assertEqual(book.voucher_unused_count, size)
                self.assertFalse(book.holder_id)
        vouchers = (books10 | books5).voucher_ids
        self.assertEqual(len(vouchers), 40)
        self.assertEqual(set(vouchers.mapped("state")), {"available"})
        self.assertEqual(set(vouchers.mapped("amount")), {10.0})
        self.assertEqual(vouchers.currency_id, self.eur)
        self.assertEqual(vouchers.program_id, self.program)
        self.assertEqual(self.program.book_count, 5)
        self.assertEqual(self.program.voucher_count, 40)
        self.assertEqual(self.program.amount_issued, 400.0)
        bodies = self.program.message_ids.mapped("body")
        self.assertTrue(any("3 books of 10 passes issued" in body for body in bodies))
        self.assertTrue(any("2 books of 5 passes issued" in body for body in bodies))

    def test_book_numbers_from_sequence(self):
        sequence = self.env.ref("pass_numerique.pass_book_sequence")
        with freeze_time("2026-03-15"):
            before = sequence.number_next_actual
            books = self._issue(4, 5)
            sequence.invalidate_recordset()
            after = sequence.number_next_actual
            following = sequence.next_by_id()
        names = sorted(books.mapped("name"))
        self.assertEqual(after - before, 4)
        numbers = []
        for name in names:
            match = re.fullmatch(r"C2026-(\d{7})", name)
            self.assertTrue(match, name)
            numbers.append(int(match.group(1)))
        self.assertEqual(numbers, list(range(before, before + 4)))
        # The sequence goes on after the reserved numbers: no duplicate book.
        self.assertEqual(following, f"C2026-{before + 4:07d}")

    def test_expiry_from_issue_date(self):
        with freeze_time("2026-03-15"):
            books = self._issue(1, 5)
        self.assertEqual(books.date_expiry, date(2027, 3, 15))
        self.assertEqual(
            set(books.voucher_ids.mapped("date_expiry")), {date(2027, 3, 15)}
        )

    def test_expiry_capped_by_end_date(self):
        program = self._create_program(
            "SHORT", date_end="2026-12-31", validity_months=12
        )
        program.action_activate()
        with freeze_time("2026-06-01"):
            books = self._issue(1, 10, program=program)
        self.assertEqual(books.date_expiry, date(2026, 12, 31))
        self.assertEqual(
            set(books.voucher_ids.mapped("date_expiry")), {date(2026, 12, 31)}
        )

    def test_refused_after_end_date(self):
        program = self._create_program("ENDED", date_end="2026-12-31")
        program.action_activate()
        before = self._counts()
        with freeze_time("2027-01-01"):
            with self.assertRaises(UserError):
                program.issue_books(1, 10)
        self.assertEqual(self._counts(), before)

    def test_refused_on_draft_or_closed(self):
        draft = self._create_program("DRAFT")
        closed = self._create_program("CLOSED")
        closed.action_activate()
        closed.action_close()
        before = self._counts()
        for program in (draft, closed):
            with self.assertRaises(UserError):
                program.issue_books(2, 10)
        self.assertEqual(self._counts(), before)
        self.assertFalse(
            self.env["pass.book"].search([("program_id", "in", (draft | closed).ids)])
        )

    def test_refused_counts(self):
        before = self._counts()
        for count in (0, -1, -100, MAX_BOOKS_PER_CALL + 1, 10**9):
            with self.assertRaises(UserError):
                self.program.issue_books(count, 10)
        for size in (0, -5, 51, 1000):
            with self.assertRaises(UserError):
                self.program.issue_books(1, size)
        for count in ("beaucoup", None, "2.5"):
            with self.assertRaises(UserError):
                self.program.issue_books(count, 10)
        self.assertEqual(self._counts(), before)

    def test_issue_wizard(self):
        wizard = Form(
            self.env["pass.program.issue"].with_context(
                active_model="pass.program", active_id=self.program.id
            )
        )
        wizard.count = 2
        wizard.passes_per_book = "5"
        action = wizard.save().action_confirm()
        books = self.env["pass.book"].search(action["domain"])
        self.assertEqual(len(books), 2)
        self.assertEqual(len(books.voucher_ids), 10)

    def test_pass_user_cannot_issue(self):
        before = self._counts()
        with self.assertRaises(AccessError):
            self.program.with_user(self.pass_user).issue_books(1, 10)
        self.assertEqual(self._counts(), before)
        books = self.program.with_user(self.pass_manager).issue_books(1, 10)
        self.assertEqual(len(books), 1)


@tagged("post_install", "-at_install")
class TestDistributeCancel(PassNumeriqueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.books = cls.env["pass.book"].browse(cls.program.issue_books(2, 10))
        cls.prescriber2 = cls.env["res.partner"].create(
            {"name": "France Services Blaye (test)", "is_pass_prescriber": True}
        )

    def test_distribute_with_history(self):
        books = self.books.with_user(self.pass_user)
        books.distribute(self.funder_dept.id)
        self.assertEqual(set(books.mapped("state")), {"distributed"})
        self.assertEqual(books.holder_id, self.funder_dept)
        self.assertEqual(set(books.voucher_ids.mapped("state")), {"distributed"})
        self.assertEqual(books.voucher_ids.holder_id, self.funder_dept)
        books.distribute(self.prescriber.id)
        self.assertEqual(books.holder_id, self.prescriber)
        for book in books:
            history = book.distribution_ids.sorted("id")
            self.assertEqual(len(history), 2)
            self.assertFalse(history[0].from_partner_id)
            self.assertEqual(history[0].holder_id, self.funder_dept)
            self.assertEqual(history[1].from_partner_id, self.funder_dept)
            self.assertEqual(history[1].holder_id, self.prescriber)
            self.assertEqual(history.user_id, self.pass_user)
            self.assertEqual(history.program_id, self.program)

    def test_distribute_leaves_used_passes(self):
        book = self.books[0]
        book.distribute(self.prescriber.id)
        redeemed = book.voucher_ids.sorted("number")[0]
        self._redeem(redeemed)
        self.assertEqual(redeemed.state, "redeemed")
        lost = book.voucher_ids.sorted("number")[1]
        lost.action_cancel("lost", "Pass déchiré")
        book.distribute(self.prescriber2.id)
        self.assertEqual(redeemed.state, "redeemed")
        self.assertEqual(redeemed.venue_id, self.venue)
        self.assertEqual(lost.state, "cancelled")
        self.assertEqual(
            set((book.voucher_ids - redeemed - lost).mapped("state")), {"distributed"}
        )
        self.assertEqual(book.holder_id, self.prescriber2)

    def test_distribute_refusals(self):
        venue_only = self.venue
        # not a funder nor a prescriber, no such partner
        for holder_id in (venue_only.id, 0, 999999999):
            with self.assertRaises(UserError):
                self.books.distribute(holder_id)
        self.assertEqual(set(self.books.mapped("state")), {"available"})
        self.assertFalse(self.books.distribution_ids)
        with self.assertRaises(UserError):
            self.env["pass.book"].distribute(self.prescriber.id)
        self.books.distribute(self.prescriber.id)
        with self.assertRaises(UserError):
            self.books.distribute(self.prescriber.id)
        self.assertEqual(len(self.books.distribution_ids), 2)

    def test_distribute_refused_on_closed_programme(self):
        self.program.action_close()
        with self.assertRaises(UserError):
            self.books.distribute(self.prescriber.id)
        self.assertEqual(set(self.books.voucher_ids.mapped("state")), {"available"})

    def test_distribute_wizard(self):
        wizard = Form(
            self.env["pass.book.distribute"]
            .with_user(self.pass_user)
            .with_context(active_model="pass.book", active_ids=self.books.ids)
        )
        wizard.holder_id = self.prescriber
        wizard.save().action_confirm()
        self.assertEqual(self.books.holder_id, self.prescriber)
        self.assertEqual(set(self.books.voucher_ids.mapped("state")), {"distributed"})

    def test_cancel_lost_book(self):
        book, other = self.books
        (book | other).distribute(self.prescriber.id)
        used = book.voucher_ids.sorted("number")[:2]
        for voucher in used:
            self._redeem(voucher)
        cancelled = book.with_user(self.pass_user).cancel_unused(
            "lost", "Perdu au CCAS"
        )
        self.assertEqual(cancelled, 8)
        unused = book.voucher_ids - used
        self.assertEqual(set(unused.mapped("state")), {"cancelled"})
        self.assertEqual(set(unused.mapped("cancel_reason")), {"lost"})
        self.assertEqual(set(unused.mapped("cancel_note")), {"Perdu au CCAS"})
        self.assertTrue(all(unused.mapped("cancelled_at")))
        # Redeemed passes are untouched, and the book keeps them.
        self.assertEqual(set(used.mapped("state")), {"redeemed"})
        self.assertFalse(any(used.mapped("cancel_reason")))
        self.assertEqual(book.state, "distributed")
        self.assertEqual(book.voucher_used_count, 2)
        self.assertEqual(book.voucher_unused_count, 0)
        self.assertEqual(book.amount_total, 20.0)
        # The other book is untouched.
        self.assertEqual(set(other.voucher_ids.mapped("state")), {"distributed"})
        # A cancelled pass can no longer be redeemed.
        result = self.env["pass.voucher"].redeem_code(
            unused[0].code, self.venue.id, self.service_admin.code
        )
        self.assertFalse(result["ok"])
        self.assertEqual(result["reason"], "cancelled")
        with self.assertRaises(UserError):
            book.cancel_unused("lost")

    def test_cancel_whole_book(self):
        book = self.books[0]
        book.cancel_unused("destroyed")
        self.assertEqual(book.state, "cancelled")
        self.assertEqual(set(book.voucher_ids.mapped("state")), {"cancelled"})
        with self.assertRaises(UserError):
            book.distribute(self.prescriber.id)

    def test_cancel_needs_reason(self):
        for reason in (False, "", "because"):
            with self.assertRaises(UserError):
                self.books.cancel_unused(reason)
        self.assertEqual(set(self.books.voucher_ids.mapped("state")), {"available"})

    def test_cancel_wizard(self):
        wizard = Form(
            self.env["pass.book.cancel"]
            .with_user(self.pass_user)
            .with_context(active_model="pass.book", active_ids=self.books[:1].ids)
        )
        wizard.reason = "stolen"
        wizard.note = "Plainte n° 2026/123"
        wizard.save().action_confirm()
        vouchers = self.books[0].voucher_ids
        self.assertEqual(set(vouchers.mapped("cancel_reason")), {"stolen"})
        self.assertEqual(set(vouchers.mapped("cancel_note")), {"Plainte n° 2026/123"})
        self.assertEqual(set(self.books[1].voucher_ids.mapped("state")), {"available"})

    def test_on_payment_activation(self):
        """A programme activated on payment: distributed passes are refused
        until the funders have paid for the book."""
        program = self._create_program("PAYFIRST", activation="on_payment")
        program.action_activate()
        book = self._issue(1, 5, program=program)
        book.distribute(self.prescriber.id)
        voucher = book.voucher_ids[0]
        result = self.env["pass.voucher"].redeem_code(
            voucher.code, self.venue.id, self.service_admin.code
        )
        self.assertFalse(result["ok"])
        self.assertEqual(result["reason"], "not_activated")
        self.assertEqual(voucher.state, "distributed")
        book.with_user(self.pass_manager).action_mark_funders_paid()
        self.assertTrue(book.funders_paid)
        self._redeem(voucher)
        self.assertEqual(voucher.state, "redeemed")
        # The default programme (on issue) needs no payment.
        other = self._issue(1, 5)
        other.distribute(self.prescriber.id)
        self._redeem(other.voucher_ids[0])
