# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The optional hand-over rule's setting, and the cooperative's report of
passes redeemed without having been handed to a beneficiary."""

from odoo import fields
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from ..tools.guard import guarded_write
from .common_redeem import RedeemCase


@tagged("post_install", "-at_install")
class TestHandoverReport(RedeemCase):
    def test_setting_off_by_default(self):
        field = self.env["pass.program"]._fields["require_handover"]
        self.assertEqual(
            field.string, "Pass must be handed to a beneficiary before use"
        )
        self.assertFalse(self.program.require_handover)

    def test_report_finds_passes_redeemed_without_hand_over(self):
        v_book = self.book.voucher_ids.sorted("number")
        v_book_2 = self.book_2.voucher_ids.sorted("number")
        # Book 1: two passes redeemed, never handed to anybody; one of them
        # then settled; one cancelled, the others still distributed.
        for voucher in v_book[:2]:
            self.assertTrue(self.redeem(voucher.code)["ok"])
        with guarded_write():
            v_book[1].write({"state": "settled"})
        v_book[2]._cancel("lost")
        # Book 2: one pass redeemed at La Rochelle before the hand-over, then
        # the rest handed to a beneficiary and one of them redeemed.
        self.assertTrue(
            self.redeem(
                v_book_2[0].code, venue=self.venue_zip, user=self.venue_zip_user
            )["ok"]
        )
        beneficiary = (
            self.env["pass.beneficiary"]
            .with_user(self.prescriber_user)
            .create(
                {
                    "age_band": "40_59",
                    "zip": "33000",
                    "consent_date": fields.Date.today(),
                }
            )
        )
        self.book_2.with_user(self.prescriber_user).hand_to_beneficiary(beneficiary.id)
        self.assertTrue(self.redeem(v_book_2[1].code)["ok"])
        self.assertEqual(v_book_2[1].beneficiary_id, beneficiary)

        action = self.env.ref("pass_numerique.pass_voucher_action_unhanded")
        domain = safe_eval(action.domain)
        mine = [("program_id", "=", self.program.id)]
        # A plain Pass user reads the report (the menu too).
        Voucher = self.env["pass.voucher"].with_user(self.staff)
        found = Voucher.search(domain + mine)
        self.assertEqual(found, v_book[:2] | v_book_2[0])
        menu = self.env.ref("pass_numerique.pass_voucher_unhanded_menu")
        self.assertIn(
            menu.id, self.env["ir.ui.menu"].with_user(self.staff)._visible_menu_ids()
        )
        # Grouped by holder and venue, as the pivot shows it.
        groups = {
            (holder.id, venue.id): (count, amount)
            for holder, venue, count, amount in Voucher._read_group(
                domain + mine,
                groupby=["holder_id", "venue_id"],
                aggregates=["__count", "amount:sum"],
            )
        }
        self.assertEqual(
            groups,
            {
                (self.prescriber.id, self.venue.id): (2, 20.0),
                (self.prescriber.id, self.venue_zip.id): (1, 10.0),
            },
        )
