# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Distribution: books handed from the cooperative to funders and
prescribers (holder history), pseudonymous beneficiaries, and the hand-over
of a book's passes to a beneficiary, which checks who asks for it."""

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_redeem import RedeemCase, write_guarded


@tagged("post_install", "-at_install")
class TestDistribution(RedeemCase):
    def _book_state(self, book):
        book.invalidate_recordset()
        book.voucher_ids.invalidate_recordset()
        return (
            book.state,
            book.holder_id,
            len(book.distribution_ids),
            book.voucher_ids.mapped("state"),
            book.voucher_ids.mapped("beneficiary_id"),
        )

    def _beneficiary(self, user=None, **vals):
        values = {
            "age_band": "60_74",
            "zip": "33800",
            "situation": "retired",
            "consent_date": fields.Date.today(),
            **vals,
        }
        return (
            self.env["pass.beneficiary"]
            .with_user(user or self.prescriber_user)
            .create(values)
        )

    # -------------------------------------------------------------- books to holders
    def test_distribute_to_funder_then_prescriber(self):
        book = self.book_undistributed.with_user(self.staff)
        self.assertEqual(book.state, "available")
        self.assertFalse(book.holder_id)
        self.assertEqual(set(book.voucher_ids.mapped("state")), {"available"})
        self.assertIs(book.distribute(self.funder.id), True)
        self.assertEqual(book.state, "distributed")
        self.assertEqual(book.holder_id, self.funder)
        self.assertEqual(set(book.voucher_ids.mapped("state")), {"distributed"})
        self.assertEqual(book.voucher_ids.holder_id, self.funder)
        # The funder hands it on to a prescriber: the history keeps both.
        book.distribute(self.prescriber.id)
        self.assertEqual(book.holder_id, self.prescriber)
        history = book.distribution_ids.sorted("id")
        self.assertEqual(len(history), 2)
        self.assertFalse(history[0].from_partner_id)
        self.assertEqual(history[0].holder_id, self.funder)
        self.assertEqual(history[1].from_partner_id, self.funder)
        self.assertEqual(history[1].holder_id, self.prescriber)
        self.assertEqual(history.user_id, self.staff)
        self.assertEqual(history.program_id, self.program)
        self.assertTrue(all(history.mapped("date")))
        # Its passes can now be redeemed.
        self.assertTrue(self.redeem(book.voucher_ids[0].code)["ok"])

    def test_distribute_leaves_used_passes(self):
        redeemed, cancelled, expired = self.book.voucher_ids[:3]
        self.assertTrue(self.redeem(redeemed.code)["ok"])
        cancelled._cancel("lost")
        write_guarded(expired, {"state": "expired"})
        self.book.with_user(self.staff).distribute(self.prescriber_2.id)
        self.assertEqual(
            (redeemed.state, cancelled.state, expired.state),
            ("redeemed", "cancelled", "expired"),
        )
        self.assertEqual(redeemed.venue_id, self.venue)
        self.assertEqual(
            set(self.book.voucher_ids[3:].mapped("state")), {"distributed"}
        )
        self.assertEqual(self.book.holder_id, self.prescriber_2)
        self.assertEqual(
            self.book.distribution_ids[:1].from_partner_id, self.prescriber
        )

    def test_distribute_refusals(self):
        book = self.book_undistributed.with_user(self.staff)
        before = self._book_state(book)
        for holder_id in (0, 999999999, self.venue.id):
            with self.assertRaises(UserError):
                book.distribute(holder_id)
        self.assertEqual(self._book_state(book), before)
        with self.assertRaises(UserError):
            self.book.with_user(self.staff).distribute(self.prescriber.id)
        # A prescriber cannot hand books on by itself (no write right).
        held = self._book_state(self.book)
        with self.assertRaises(AccessError):
            self.book.with_user(self.prescriber_user).distribute(self.prescriber_2.id)
        self.assertEqual(self._book_state(self.book), held)
        # A cancelled book goes nowhere.
        book.cancel_unused("destroyed")
        with self.assertRaises(UserError):
            book.distribute(self.funder.id)

    # ------------------------------------------------------------------ beneficiaries
    def test_beneficiary_is_pseudonymous(self):
        Beneficiary = self.env["pass.beneficiary"]
        for field in ("name", "email", "phone", "partner_id", "birthdate", "street"):
            self.assertNotIn(field, Beneficiary._fields)
        first = self._beneficiary()
        second = self._beneficiary(
            age_band="18_24", situation="job_seeker", zip="33000"
        )
        self.assertEqual(
            first.prescriber_id, self.prescriber, "defaults to the user's organisation"
        )
        self.assertTrue(first.reference)
        self.assertNotEqual(first.reference, "/")
        self.assertNotEqual(first.reference, second.reference)
        self.assertEqual(
            (first.age_band, first.zip, first.situation, first.consent_date),
            ("60_74", "33800", "retired", fields.Date.today()),
        )
        # Another prescriber sees none of them.
        other = Beneficiary.with_user(self.prescriber_2_user)
        self.assertFalse(other.search([("id", "in", (first | second).ids)]))
        with self.assertRaises(AccessError):
            other.browse(first.id).read(["reference"])

    def test_beneficiary_bad_input(self):
        Beneficiary = self.env["pass.beneficiary"]
        count = Beneficiary.search_count([])
        for zip_code in ("3300", "330000", "33A00", "٣٣٠٠٠"):
            with (
                mute_logger("odoo.sql_db"),
                self.assertRaises(IntegrityError),
                self.cr.savepoint(),
            ):
                self._beneficiary(zip=zip_code)
        # A prescriber registers its own beneficiaries only.
        with self.assertRaises(AccessError):
            self._beneficiary(prescriber_id=self.prescriber_2.id)
        # A venue is not a prescriber, even for itself.
        with self.assertRaises(ValidationError):
            self._beneficiary(user=self.venue_user, prescriber_id=self.venue.id)
        with self.assertRaises(ValidationError):
            self._beneficiary(user=self.staff, prescriber_id=self.funder.id)
        self.assertEqual(Beneficiary.search_count([]), count)

    # ------------------------------------------------------------------ hand-over
    def test_prescriber_hands_book_to_beneficiary(self):
        beneficiary = self._beneficiary()
        self.assertTrue(self.redeem(self.book.voucher_ids[0].code)["ok"])
        book = self.book.with_user(self.prescriber_user)
        self.assertEqual(book.hand_to_beneficiary(beneficiary.id), 4)
        self.assertFalse(
            self.book.voucher_ids[0].beneficiary_id, "used before the hand-over"
        )
        self.assertEqual(self.book.voucher_ids[1:].beneficiary_id, beneficiary)
        self.assertEqual(beneficiary.voucher_ids, self.book.voucher_ids[1:])
        # The passes keep working, and keep their beneficiary once used.
        self.assertTrue(self.redeem(self.book.voucher_ids[1].code)["ok"])
        self.assertEqual(self.book.voucher_ids[1].beneficiary_id, beneficiary)
        # Nothing left to hand over.
        with self.assertRaises(UserError) as caught:
            book.hand_to_beneficiary(self._beneficiary().id)
        self.assertIn("no pass left", str(caught.exception))

    def test_hand_over_checks_the_caller(self):
        mine = self._beneficiary()
        theirs = self._beneficiary(user=self.prescriber_2_user)
        before = self._book_state(self.book)
        # Another prescriber, with its own beneficiary: refused, even with
        # sudo() as a controller would call it.
        for book in (
            self.book.with_user(self.prescriber_2_user),
            self.book.with_user(self.prescriber_2_user).sudo(),
            self.book.with_user(self.venue_user).sudo(),
        ):
            with self.assertRaises(AccessError):
                book.hand_to_beneficiary(theirs.id)
        # The holder, with another prescriber's beneficiary: refused.
        with self.assertRaises(AccessError):
            self.book.with_user(self.prescriber_user).sudo().hand_to_beneficiary(
                theirs.id
            )
        # A book held by somebody else together with one of mine: refused.
        self.book_undistributed.distribute(self.prescriber_2.id)
        with self.assertRaises(AccessError):
            (self.book | self.book_undistributed).with_user(
                self.prescriber_user
            ).hand_to_beneficiary(mine.id)
        # Beneficiaries that do not exist.
        for beneficiary_id in (0, -1, 999999999, 10**20, "abc", None, [mine.id]):
            with self.assertRaises(UserError):
                self.book.with_user(self.prescriber_user).hand_to_beneficiary(
                    beneficiary_id
                )
        self.assertEqual(self._book_state(self.book), before)
        # Staff record it for the prescriber, with a beneficiary of the holder only.
        with self.assertRaises(UserError):
            self.book.with_user(self.staff).hand_to_beneficiary(theirs.id)
        self.assertEqual(self._book_state(self.book), before)
        self.assertEqual(
            self.book.with_user(self.staff).hand_to_beneficiary(mine.id), 5
        )
        self.assertEqual(self.book.voucher_ids.beneficiary_id, mine)

    def test_prescriber_sees_only_its_books(self):
        self.book_undistributed.distribute(self.prescriber_2.id)
        Book = self.env["pass.book"]
        self.assertEqual(
            Book.with_user(self.prescriber_user).search([]), self.book | self.book_2
        )
        self.assertEqual(
            Book.with_user(self.prescriber_2_user).search([]), self.book_undistributed
        )
        self.assertEqual(
            self.env["pass.voucher"].with_user(self.prescriber_2_user).search([]),
            self.book_undistributed.voucher_ids,
        )
