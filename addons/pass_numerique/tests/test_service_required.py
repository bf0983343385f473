# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Whether the service decides a check or a redemption: one explicit boolean
(``service_required``), derived in one place from what the caller sent."""

from odoo.tests import tagged

from .common_redeem import RedeemCase


@tagged("post_install", "-at_install")
class TestServiceRequired(RedeemCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param(
            "pass_numerique.max_refused_attempts", 1000
        )

    def test_which_service_codes_require_a_check(self):
        Voucher = self.Voucher
        # The API's "no service": None, or False from XML-RPC clients.
        self.assertFalse(Voucher._service_required(None))
        self.assertFalse(Voucher._service_required(False))
        # Anything else is a service named by the caller, even empty.
        for named in ("", "h2_workshop", "no_such_service", 0, 42):
            self.assertTrue(Voucher._service_required(named), repr(named))

    def test_evaluate_follows_the_boolean_only(self):
        voucher = self.book.voucher_ids[0]
        Voucher = self.Voucher.with_user(self.venue_user)
        cases = [
            # (service code, required, expected reason)
            ("h2_workshop", True, None),
            ("h2_workshop", False, None),
            ("h2_gaming", True, "service_not_allowed"),  # not in the programme
            ("h2_gaming", False, None),
            ("no_such_service", True, "service_not_allowed"),
            ("no_such_service", False, None),
            ("", True, "service_not_allowed"),
            ("", False, None),
            (None, True, "service_not_allowed"),
            (None, False, None),
            (False, True, "service_not_allowed"),
            (False, False, None),
        ]
        for service_code, required, expected in cases:
            reason, found, service = Voucher._evaluate(
                voucher.code, self.venue, service_code, required
            )
            self.assertEqual(reason, expected, (service_code, required))
            self.assertEqual(found, voucher)
            if service_code == "h2_workshop":
                self.assertEqual(service, self.workshop)
        self.assertEqual(voucher.state, "distributed", "a check changes nothing")

    def test_check_code_without_a_service_checks_only_the_pass(self):
        voucher = self.book.voucher_ids[0]
        for service in (None, False):
            self.assertTrue(self.check(voucher.code, service=service)["ok"], service)
        # A service named, even empty, is checked.
        for service in ("", "no_such_service", "h2_gaming"):
            res = self.check(voucher.code, service=service)
            self.assertEqual(res["reason"], "service_not_allowed", repr(service))
        self.assertTrue(self.check(voucher.code, service="h2_workshop")["ok"])
        self.assertEqual(voucher.state, "distributed")

    def test_redeem_always_requires_a_service(self):
        voucher = self.book.voucher_ids[0]
        for service in (None, False, "", "no_such_service"):
            res = self.redeem(voucher.code, service=service)
            self.assertEqual(res["reason"], "service_not_allowed", repr(service))
        self.assertEqual(voucher.state, "distributed", "nothing redeemed")
        self.assertTrue(self.redeem(voucher.code, service="h2_workshop")["ok"])
        self.assertEqual(voucher.state, "redeemed")
        self.assertEqual(voucher.service_id, self.workshop)

    def test_counter_without_service_is_told_before_any_lookup(self):
        voucher = self.book.voucher_ids[0]
        Voucher = self.Voucher.with_user(self.venue_user)
        attempts = self.attempts()
        for service in (None, False, "", "  "):
            res = Voucher._redeem_code(
                voucher.code, self.venue.id, service, channel="portal"
            )
            self.assertEqual(res["reason"], "no_service", repr(service))
        self.assertEqual(self.attempts(), attempts, "nothing logged or counted")
        # The counter's check without a service checks the pass alone.
        res = Voucher._check_code(voucher.code, self.venue.id, None, channel="portal")
        self.assertTrue(res["ok"])
        self.assertEqual(voucher.state, "distributed")
