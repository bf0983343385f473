# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Filling remittances with their venue's redeemed passes goes through the
core's write method (``pass.voucher._pass_write_guarded``), so an override of
``pass.voucher.write`` sees it; what it fills is unchanged."""

from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.pass_numerique.tests.common import USER_GROUP, make_company_user

from .common import PassSettlementCommon


class RefusedByOverride(Exception):
    """What an override of pass.voucher.write raises in these tests."""


@tagged("post_install", "-at_install")
class TestRemittanceFill(PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls._program([(cls.state_funder, 100)], "FILL")

    def _redeemed(self, count):
        order = self._order(self.program, books=1)
        self._invoice(order)
        vouchers = order.order_line.pass_book_ids.voucher_ids.sorted("id")[:count]
        self._redeem(vouchers)
        return vouchers

    def _draft(self):
        return self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )

    def test_fill_goes_through_write(self):
        vouchers = self._redeemed(3)
        remittance = self._draft()
        Voucher = type(self.env["pass.voucher"])
        original = Voucher.write
        seen = []

        def write(records, vals):
            if "remittance_id" in vals:
                seen.append((set(records.ids), vals["remittance_id"]))
            return original(records, vals)

        with patch.object(Voucher, "write", write):
            remittance.action_add_redeemed()
        self.assertEqual(seen, [(set(vouchers.ids), remittance.id)])
        self.assertEqual(remittance.voucher_ids, vouchers)
        self.assertEqual(vouchers.remittance_id, remittance)
        self.assertEqual(remittance.amount_total, 30.0)
        self.assertLiabilityInvariant(self.program)

    def test_a_write_override_that_refuses_stops_the_fill(self):
        vouchers = self._redeemed(2)
        remittance = self._draft()
        Voucher = type(self.env["pass.voucher"])

        def write(records, vals):
            raise RefusedByOverride()

        with (
            patch.object(Voucher, "write", write),
            self.assertRaises(RefusedByOverride),
        ):
            remittance.action_add_redeemed()
        self.assertFalse(vouchers.remittance_id)

    def test_plain_write_still_refused(self):
        vouchers = self._redeemed(1)
        remittance = self._draft()
        with self.assertRaises(UserError):
            vouchers.write({"remittance_id": remittance.id})
        self.assertFalse(vouchers.remittance_id)

    def test_two_drafts_of_one_venue_the_oldest_takes_the_passes(self):
        vouchers = self._redeemed(2)
        first, second = self._draft(), self._draft()
        (second | first)._fill_redeemed()
        self.assertEqual(first.voucher_ids, vouchers)
        self.assertFalse(second.voucher_ids)
        # Filled once: a second fill finds nothing more.
        first._fill_redeemed()
        self.assertEqual(first.voucher_ids, vouchers)

    def test_pass_staff_and_accountant_fill(self):
        staff = make_company_user(self.env, "fill_staff", USER_GROUP)
        for user in (staff, self.accountant):
            vouchers = self._redeemed(2)
            remittance = self._draft()
            remittance.with_user(user).action_add_redeemed()
            self.assertEqual(remittance.voucher_ids, vouchers, user.login)

    def test_refused_to_a_venue_user_nothing_filled(self):
        vouchers = self._redeemed(1)
        remittance = self._draft()
        venue_user = new_test_user(
            self.env,
            login="fill_venue",
            groups="base.group_portal",
            partner_id=self.env["res.partner"]
            .create({"name": "Accueil du lieu", "parent_id": self.venue.id})
            .id,
        )
        with self.assertRaises(AccessError):
            remittance.with_user(venue_user).action_add_redeemed()
        self.assertFalse(vouchers.remittance_id)

    def test_passes_on_another_remittance_left_out(self):
        vouchers = self._redeemed(3)
        taken = self._draft()
        taken.add_vouchers(vouchers[:1].ids)
        remittance = self._draft()
        remittance.action_add_redeemed()
        self.assertEqual(remittance.voucher_ids, vouchers[1:])
        self.assertEqual(taken.voucher_ids, vouchers[:1])
