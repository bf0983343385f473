# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The venue counter in a real browser (Odoo tour), at desktop size and on a
375 x 667 touch screen: no service chosen in advance and no redemption
without one, the answer cleared when the code changes, 44 px targets, the
cancellation dialog with its reasons, and the camera scan through the
vendored ZXing decoder (static/tests/tours/pass_counter_flow_tour.js)."""

from odoo.tests import tagged

from .test_portal import TOUR_CODE, PortalCounterCase


@tagged("post_install", "-at_install")
class TestTourCounter(PortalCounterCase):
    def test_counter_flow_tour(self):
        Attempt = self.env["pass.redemption.attempt"]
        self.start_tour(
            "/my/pass-counter", "pass_counter_flow_tour", login=self.user_a.login
        )
        voucher = self.tour_voucher
        # Redeemed, then cancelled with the reason picked in the dialog: the
        # pass can be presented again.
        self.assertEqual(voucher.state, "distributed")
        self.assertFalse(voucher.venue_id)
        self.assertEqual(voucher.redemption_cancel_note, "Mauvais service choisi")
        attempts = Attempt.search(
            [("venue_id", "=", self.venue_a.id), ("user_id", "=", self.user_a.id)],
            order="id",
        )
        # "Encaisser" without a service sent nothing; "Vérifier", the
        # redemption and the scanned code's check did.
        self.assertEqual(
            [(a.operation, a.ok) for a in attempts],
            [("check", True), ("redeem", True), ("check", True)],
        )
        self.assertTrue(all(a.code_masked.endswith(TOUR_CODE[-4:]) for a in attempts))


@tagged("post_install", "-at_install")
class TestTourCounterPhone(TestTourCounter):
    """The same flow on a small smartphone's touch screen."""

    browser_size = "375x667"
    touch_enabled = True
