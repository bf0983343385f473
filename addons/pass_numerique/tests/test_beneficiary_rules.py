# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Beneficiaries over RPC obey the portal form's rules: the server gives the
reference (a client's is refused, so nobody takes another prescriber's next
references), and the age band, postcode and consent date are required."""

import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..tools.guard import guarded_write
from .common_redeem import RedeemCase

REFERENCE = re.compile(r"B\d{4}-\d{6}")


@tagged("post_install", "-at_install")
class TestBeneficiaryRules(RedeemCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Beneficiary = cls.env["pass.beneficiary"]
        cls.sequence = cls.env.ref("pass_numerique.pass_beneficiary_sequence")

    def _vals(self, **vals):
        return {
            "age_band": "25_39",
            "zip": "33000",
            "situation": "employed",
            "consent_date": fields.Date.to_string(fields.Date.today()),
            **vals,
        }

    def _next_references(self, count):
        """The references the sequence will give next, as anybody may guess
        them from one's own last reference."""
        start = self.sequence.number_next_actual
        return [self.sequence.get_next_char(start + i) for i in range(count)]

    def _count(self):
        return self.Beneficiary.search_count([])

    # ------------------------------------------------------------------ facts
    def test_facts_required_over_rpc(self):
        as_prescriber = self.Beneficiary.with_user(self.prescriber_user)
        count = self._count()
        future = fields.Date.to_string(fields.Date.today() + timedelta(days=1))
        for missing in (
            {"age_band": False},
            {"zip": False},
            {"zip": ""},
            {"consent_date": False},
            {"consent_date": future},
            {"consent_date": "not a date"},
        ):
            with self.subTest(missing=missing), self.assertRaises(ValidationError):
                as_prescriber.create(self._vals(**missing))
        for field in ("age_band", "zip", "consent_date"):
            vals = self._vals()
            del vals[field]
            with self.subTest(field=field), self.assertRaises(ValidationError):
                as_prescriber.create(vals)
        # In a batch, one incomplete record refuses the whole batch.
        with self.assertRaises(ValidationError):
            as_prescriber.create([self._vals(), self._vals(zip=False)])
        self.assertEqual(self._count(), count)
        # The situation stays optional; today's consent is fine.
        beneficiary = as_prescriber.create(self._vals(situation=False))
        self.assertEqual(beneficiary.prescriber_id, self.prescriber)
        self.assertEqual(beneficiary.consent_date, fields.Date.today())

    def test_facts_cannot_be_removed_later(self):
        beneficiary = self.Beneficiary.with_user(self.prescriber_user).create(
            self._vals()
        )
        staff_view = beneficiary.with_user(self.staff)
        for vals in (
            {"age_band": False},
            {"zip": False},
            {"zip": "3300"},
            {"consent_date": False},
            {"consent_date": fields.Date.today() + timedelta(days=30)},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaises(ValidationError),
                self.cr.savepoint(),
            ):
                staff_view.write(vals)
        beneficiary.invalidate_recordset()
        self.assertEqual(
            (beneficiary.age_band, beneficiary.zip, beneficiary.consent_date),
            ("25_39", "33000", fields.Date.today()),
        )
        # Correcting a fact stays possible for the staff.
        staff_view.write({"age_band": "40_59", "zip": "33800"})
        self.assertEqual(beneficiary.age_band, "40_59")

    # ------------------------------------------------------------------ reference
    def test_reference_is_the_servers(self):
        as_prescriber = self.Beneficiary.with_user(self.prescriber_user)
        count = self._count()
        for reference in ("B2026-000042", "MY-OWN", " "):
            with self.subTest(reference=reference), self.assertRaises(UserError):
                as_prescriber.create(self._vals(reference=reference))
        self.assertEqual(self._count(), count)
        # No reference, or the new-record placeholder: the sequence's.
        expected = self._next_references(2)
        first = as_prescriber.create(self._vals())
        second = as_prescriber.create(self._vals(reference="/"))
        self.assertEqual([first.reference, second.reference], expected)
        self.assertRegex(first.reference, REFERENCE)
        # Nobody changes it afterwards, nor the prescriber; not even the staff.
        for user_env in (first.with_user(self.staff), first.sudo()):
            with self.assertRaises(UserError):
                user_env.write({"reference": "B2026-999999"})
            with self.assertRaises(UserError):
                user_env.write({"prescriber_id": self.prescriber_2.id})
        first.invalidate_recordset()
        self.assertEqual(
            (first.reference, first.prescriber_id), (expected[0], self.prescriber)
        )

    def test_prescriber_cannot_squat_references(self):
        """Another prescriber who guesses the next references cannot create
        them first: the first prescriber's hand-overs keep working."""
        as_other = self.Beneficiary.with_user(self.prescriber_2_user)
        guessed = self._next_references(20)
        count = self._count()
        with self.assertRaises(UserError):
            as_other.create([self._vals(reference=ref) for ref in guessed])
        for reference in guessed[:3]:
            with self.assertRaises(UserError):
                as_other.create(self._vals(reference=reference))
        self.assertEqual(self._count(), count)
        # Its own creations take the next references themselves.
        theirs = as_other.create([self._vals(), self._vals()])
        self.assertEqual(theirs.mapped("reference"), guessed[:2])
        # The first prescriber registers and hands a book as usual.
        mine = self.Beneficiary.with_user(self.prescriber_user).create(self._vals())
        self.assertEqual(mine.reference, guessed[2])
        self.assertEqual(
            self.book.with_user(self.prescriber_user).hand_to_beneficiary(mine.id), 5
        )
        self.assertEqual(self.book.voucher_ids.beneficiary_id, mine)

    def test_references_already_taken_are_skipped(self):
        """A reference typed in before the server gave them all (kept by a
        migration, inside guarded_write) is skipped, not a failure."""
        taken, after = self._next_references(2)
        with guarded_write():
            old = self.Beneficiary.create(
                self._vals(reference=taken, prescriber_id=self.prescriber_2.id)
            )
        self.assertEqual(old.reference, taken)
        mine = self.Beneficiary.with_user(self.prescriber_user).create(self._vals())
        self.assertEqual(mine.reference, after)
