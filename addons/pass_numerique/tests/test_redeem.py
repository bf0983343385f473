# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The redemption engine: check_code / redeem_code (API.md), every refusal
reason, bad input, the attempt log, the rate limit, the cancellation of a
redemption, the expiry cron and the back-office redemption wizard."""

from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from ..tools.pass_code import format_code
from .api_contract import REFUSAL_REASONS
from .common_redeem import RedeemCase, make_code, write_guarded


def mistype(code):
    """The code with its first digit changed (a single-digit typing mistake)."""
    return str((int(code[0]) + 1) % 10) + code[1:]


@tagged("post_install", "-at_install")
class TestRedeemCode(RedeemCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Many refusals in one test: the rate limit has its own test below.
        cls.env["ir.config_parameter"].set_param(
            "pass_numerique.max_refused_attempts", 1000
        )

    # ------------------------------------------------------------------ accepted
    def test_check_then_redeem_exactly_once(self):
        voucher = self.book.voucher_ids[0]
        before, attempts = self.snapshot(), self.attempts()
        res = self.check(voucher.code)
        self.assertEqual(
            res,
            {
                "ok": True,
                "reason": None,
                "message": res["message"],
                "amount": 10.0,
                "program": "Pass Gironde (test)",
            },
        )
        # Checking changes no pass; it is logged (and counted) as a check.
        self.assertEqual(self.snapshot(), before)
        check = self.attempts() - attempts
        self.assertEqual(
            check.mapped(lambda a: (a.operation, a.ok, a.reason, a.voucher_id)),
            [("check", True, "ok", voucher)],
        )
        attempts |= check

        res = self.redeem(voucher.code)
        self.assertTrue(res["ok"], res)
        self.assertEqual(res["voucher_id"], voucher.id)
        self.assertEqual(res["amount"], 10.0)
        self.assertEqual(voucher.state, "redeemed")
        self.assertEqual(voucher.venue_id, self.venue)
        self.assertEqual(voucher.service_id, self.workshop)
        self.assertEqual(voucher.redeemed_by_id, self.venue_user)
        self.assertTrue(voucher.redeemed_at)
        # Only this pass changed.
        others = [row for row in self.snapshot() if row["id"] != voucher.id]
        self.assertEqual(others, [row for row in before if row["id"] != voucher.id])
        attempt = self.attempts() - attempts
        self.assertEqual(len(attempt), 1)
        self.assertTrue(attempt.ok)
        self.assertEqual(attempt.reason, "ok")
        self.assertEqual(attempt.voucher_id, voucher)
        self.assertEqual(attempt.user_id, self.venue_user)
        self.assertEqual(attempt.service_id, self.workshop)
        self.assertEqual(attempt.program_id, self.program)
        self.assertEqual(attempt.channel, "rpc")
        self.assertNotIn(voucher.code, attempt.code_masked)
        self.assertNotIn(voucher.code[:12], attempt.code_masked)
        self.assertTrue(attempt.code_masked.endswith(voucher.code[-4:]))

        # Second redemption, here or elsewhere: already redeemed, nothing moves.
        redeemed = self.snapshot()
        self.assertRefused(self.redeem(voucher.code), "already_redeemed")
        self.assertRefused(
            self.redeem(voucher.code, self.venue_zip, user=self.venue_zip_user),
            "already_redeemed",
        )
        self.assertCheckRefused(self.check(voucher.code), "already_redeemed")
        self.assertEqual(self.snapshot(), redeemed)
        self.assertEqual(voucher.venue_id, self.venue)
        # Once settled it is still "already redeemed".
        write_guarded(voucher, {"state": "settled"})
        self.assertRefused(self.redeem(voucher.code), "already_redeemed")

    def test_code_typed_with_separators(self):
        vouchers = self.book.voucher_ids
        code = vouchers[0].code
        for typed, voucher in (
            (format_code(vouchers[0].code), vouchers[0]),
            ("-".join(format_code(vouchers[1].code).split()), vouchers[1]),
            ("  %s\t%s\n" % (vouchers[2].code[:8], vouchers[2].code[8:]), vouchers[2]),
            (".".join(format_code(vouchers[3].code).split()), vouchers[3]),
        ):
            res = self.check(typed)
            self.assertTrue(res["ok"], (typed, res))
            res = self.redeem(typed)
            self.assertTrue(res["ok"], (typed, res))
            self.assertEqual(res["voucher_id"], voucher.id)
            self.assertEqual(voucher.state, "redeemed")
        # Letters are never part of a code (upper or lower case).
        self.assertRefused(self.redeem(code[:15] + "a"), "unknown_code")
        self.assertRefused(self.redeem(code[:15] + "A"), "unknown_code")

    # ------------------------------------------------------------------ code errors
    def test_mistyped_code_refused_before_any_lookup(self):
        voucher = self.book.voucher_ids[0]
        typo = mistype(voucher.code)
        swapped = voucher.code[1] + voucher.code[0] + voucher.code[2:]
        before, attempts = self.snapshot(), self.attempts()
        Model = type(self.env["pass.voucher"])
        with patch.object(
            Model, "search", autospec=True, side_effect=AssertionError("pass looked up")
        ):
            self.assertRefused(self.redeem(typo), "bad_check_digit")
            self.assertCheckRefused(self.check(format_code(typo)), "bad_check_digit")
            if swapped != voucher.code:
                self.assertRefused(self.redeem(swapped), "bad_check_digit")
        new = self.attempts() - attempts
        self.assertEqual(set(new.mapped("reason")), {"bad_check_digit"})
        self.assertFalse(new.voucher_id, "a mistyped code is never tied to a pass")
        self.assertEqual(self.snapshot(), before)
        # A mistyped code does not tell whether the pass exists.
        res = self.check(typo)
        self.assertEqual((res["amount"], res["program"]), (0.0, ""))

    def test_unknown_code(self):
        code = make_code("999999999999999")
        self.assertFalse(self.Voucher.search_count([("code", "=", code)]))
        before, attempts = self.snapshot(), self.attempts()
        res = self.check(code)
        self.assertCheckRefused(res, "unknown_code")
        self.assertEqual((res["amount"], res["program"]), (0.0, ""))
        self.assertRefused(self.redeem(code), "unknown_code")
        new = self.assertOnlyAttemptLogged(before, attempts, "unknown_code")
        self.assertFalse(new.voucher_id)
        self.assertTrue(new.code_masked.endswith(code[-4:]))
        self.assertNotIn(code, new.code_masked)

    def test_bad_input_codes(self):
        real = self.book.voucher_ids[0].code
        fullwidth = "".join(chr(0xFF10 + int(c)) for c in real)
        arabic = "".join(chr(0x0660 + int(c)) for c in real)
        bad_codes = [
            "",
            "   ",
            "-- --",
            "1" * 10240,
            "x" * 10240,
            real + " " + "9" * 10000,
            "é" * 100,
            "€☃\u200b\x00",
            "\x00" * 20,
            "1234567890\x00\x00\x00\x00\x00",
            fullwidth,
            arabic,
            real[:15],
            real + "0",
            None,
            False,
            int(real[:15]),
            [real],
            {"code": real},
        ]
        before, attempts = self.snapshot(), self.attempts()
        for code in bad_codes:
            res = self.redeem(code)
            self.assertRefused(res, "unknown_code")
            res = self.check(code)
            self.assertCheckRefused(res, "unknown_code")
        new = self.assertOnlyAttemptLogged(
            before, attempts, "unknown_code", count=len(bad_codes)
        )
        for attempt in new:
            self.assertLessEqual(len(attempt.code_masked or ""), 16)
            self.assertNotIn(real, attempt.code_masked or "")
        self.assertEqual(self.book.voucher_ids[0].state, "distributed")

    # -------------------------------------------------------- venue / service input
    def test_bad_venue_ids(self):
        voucher = self.book.voucher_ids[0]
        before, attempts = self.snapshot(), self.Attempt.search([])
        with self.assertRaises(AccessError) as caught:
            self.Voucher.with_user(self.venue_user).check_code(
                voucher.code, self.venue_zip.id
            )
        own_venue_only = str(caught.exception)
        for user in (self.staff, self.venue_user):
            Voucher = self.Voucher.with_user(user)
            for venue_id in (
                0,
                -1,
                2**31 - 1,
                2**31,
                10**20,
                "abc",
                "\x00",
                None,
                False,
                [1],
                {"id": 1},
                self.funder.id,
            ):
                for method in ("check_code", "redeem_code"):
                    with self.assertRaises(UserError) as caught:
                        getattr(Voucher, method)(voucher.code, venue_id, "h2_workshop")
                    if user == self.staff:
                        self.assertNotIsInstance(caught.exception, AccessError)
                        self.assertIn("Pass Numérique venue", str(caught.exception))
                    else:
                        # A venue is told the same whether the id exists or not.
                        self.assertIsInstance(caught.exception, AccessError)
                        self.assertEqual(str(caught.exception), own_venue_only)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.Attempt.search([]), attempts)

    def test_bad_service_codes(self):
        voucher = self.book.voucher_ids[0]
        before, attempts = self.snapshot(), self.attempts()
        bad_services = [
            "no_such_service",
            "",
            None,
            False,
            "x" * 10240,
            "é☃",
            "h2_\x00workshop",
            42,
            ["h2_workshop"],
            {"code": "h2_workshop"},
        ]
        for service in bad_services:
            self.assertRefused(
                self.redeem(voucher.code, service=service), "service_not_allowed"
            )
        self.assertOnlyAttemptLogged(
            before, attempts, "service_not_allowed", count=len(bad_services)
        )
        for service in ("no_such_service", "", "x" * 10240):
            self.assertCheckRefused(
                self.check(voucher.code, service=service), "service_not_allowed"
            )
        # Without a service, check_code only checks the pass and the venue.
        self.assertTrue(self.check(voucher.code, service=None)["ok"])

    def test_service_allowed_by_programme_and_offered_by_venue(self):
        v1, v2, v3, v4 = self.book.voucher_ids[:4]
        # The venue offers it, the programme does not allow it.
        self.assertCheckRefused(
            self.check(v1.code, service="h2_gaming"), "service_not_allowed"
        )
        self.assertRefused(
            self.redeem(v1.code, service="h2_gaming"), "service_not_allowed"
        )
        # The programme allows it, the venue does not offer it.
        Staff = self.Voucher.with_user(self.staff)
        res = Staff.redeem_code(v1.code, self.venue_email_only.id, "h2_workshop")
        self.assertRefused(res, "service_not_allowed")
        self.assertEqual(v1.state, "distributed")
        # Both: accepted.
        res = Staff.redeem_code(v1.code, self.venue_email_only.id, "h2_email")
        self.assertTrue(res["ok"], res)
        self.assertEqual(v1.service_id, self.email)
        # An archived service is refused.
        self.email.active = False
        self.assertRefused(
            self.redeem(v2.code, service="h2_email"), "service_not_allowed"
        )
        # A programme without a list of services allows every service the venue offers.
        self.program.service_ids = [Command.clear()]
        self.assertTrue(self.redeem(v3.code, service="h2_gaming")["ok"])
        self.assertRefused(
            Staff.redeem_code(v4.code, self.venue_email_only.id, "h2_gaming"),
            "service_not_allowed",
        )

    # ------------------------------------------------------------------ pass states
    def test_pass_states(self):
        distributed, cancelled, expired = self.book.voucher_ids[:3]
        available = self.book_undistributed.voucher_ids[0]
        cancelled._cancel("lost", "Carnet perdu")
        write_guarded(expired, {"state": "expired"})
        before, attempts = self.snapshot(), self.attempts()
        for voucher, reason in (
            (cancelled, "cancelled"),
            (expired, "expired"),
            (available, "not_distributed"),
        ):
            res = self.check(voucher.code)
            self.assertCheckRefused(res, reason)
            # Value and programme are told only once a pass is accepted.
            self.assertEqual((res["amount"], res["program"]), (0.0, ""))
            self.assertRefused(self.redeem(voucher.code), reason)
        self.assertEqual(self.snapshot(), before)
        new = self.attempts() - attempts
        self.assertEqual(
            sorted(new.filtered(lambda a: a.operation == "check").mapped("reason")),
            ["cancelled", "expired", "not_distributed"],
        )
        self.assertEqual(
            sorted(new.filtered(lambda a: a.operation == "redeem").mapped("reason")),
            ["cancelled", "expired", "not_distributed"],
        )
        self.assertEqual(
            (cancelled.state, expired.state, available.state),
            ("cancelled", "expired", "available"),
        )
        self.assertTrue(self.redeem(distributed.code)["ok"])

    def test_validity_enforced_at_redemption_time(self):
        v_grace, v_late, v_check = self.book.voucher_ids[:3]
        expiry = v_grace.date_expiry
        self.assertEqual(expiry, self.today + relativedelta(months=6))
        # Inside the grace month after the end of validity: still accepted.
        with freeze_time(expiry + timedelta(days=15)):
            self.assertTrue(self.check(v_check.code)["ok"])
            res = self.redeem(v_grace.code)
            self.assertTrue(res["ok"], res)
        # After validity + grace, no cron needed: refused as expired.
        before, attempts = self.snapshot(), self.attempts()
        with freeze_time(expiry + relativedelta(months=1, days=1)):
            self.assertCheckRefused(self.check(v_check.code), "expired")
            self.assertRefused(self.redeem(v_late.code), "expired")
        self.assertOnlyAttemptLogged(before, attempts, "expired")
        self.assertEqual(v_late.state, "distributed", "only the cron changes the state")
        # A closed programme accepts no pass any more.
        self.program.action_close()
        self.assertRefused(self.redeem(v_check.code), "expired")

    def test_programme_not_started(self):
        program = self.program.copy(
            {
                "code": "H2LATER",
                "date_start": self.today + timedelta(days=10),
                "funding_ids": [
                    Command.create({"partner_id": self.funder.id, "share": 100.0})
                ],
            }
        )
        program.action_activate()
        book = self.env["pass.book"].browse(program.issue_books(1, 2))
        book.distribute(self.prescriber.id)
        voucher = book.voucher_ids[0]
        self.assertCheckRefused(self.check(voucher.code), "not_activated")
        self.assertRefused(self.redeem(voucher.code), "not_activated")
        self.assertEqual(voucher.state, "distributed")
        with freeze_time(self.today + timedelta(days=10)):
            self.assertTrue(self.redeem(voucher.code)["ok"])

    def test_activation_on_payment(self):
        program = self.program.copy(
            {
                "code": "H2PAY",
                "activation": "on_payment",
                "funding_ids": [
                    Command.create({"partner_id": self.funder.id, "share": 100.0})
                ],
            }
        )
        program.action_activate()
        book = self.env["pass.book"].browse(program.issue_books(1, 3))
        # Before distribution: not distributed, whatever the payment.
        self.assertRefused(self.redeem(book.voucher_ids[0].code), "not_distributed")
        book.distribute(self.prescriber.id)
        v1, v2 = book.voucher_ids[:2]
        before, attempts = self.snapshot(), self.attempts()
        self.assertCheckRefused(self.check(v1.code), "not_activated")
        self.assertRefused(self.redeem(v1.code), "not_activated")
        self.assertEqual(v1.state, "distributed")
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(
            set((self.attempts() - attempts).mapped("reason")), {"not_activated"}
        )
        # Only a manager says the funders paid.
        with self.assertRaises(UserError):
            book.with_user(self.staff).action_mark_funders_paid()
        self.assertFalse(book.funders_paid)
        book.with_user(self.manager).action_mark_funders_paid()
        self.assertTrue(self.redeem(v1.code)["ok"])
        self.assertEqual(v1.state, "redeemed")
        # On-issue programme (the default): redeemable as soon as distributed.
        self.assertEqual(self.program.activation, "on_issue")
        self.assertTrue(self.redeem(self.book.voucher_ids[0].code)["ok"])

    # -------------------------------------------------------------- territory, venue
    def test_territory(self):
        v_dept, v_zip, v_out, v_anywhere = self.book.voucher_ids[:4]
        Staff = self.Voucher.with_user(self.staff)
        self.assertEqual(self.venue.country_department_id, self.gironde)
        # In a département of the programme.
        self.assertTrue(self.redeem(v_dept.code)["ok"])
        # In one of its postcodes (La Rochelle, Charente-Maritime).
        res = self.redeem(v_zip.code, self.venue_zip, user=self.venue_zip_user)
        self.assertTrue(res["ok"], res)
        # Outside (Paris).
        before, attempts = self.snapshot(), self.attempts(self.venue_out)
        res = Staff.check_code(v_out.code, self.venue_out.id, "h2_workshop")
        self.assertCheckRefused(res, "out_of_territory")
        res = Staff.redeem_code(v_out.code, self.venue_out.id, "h2_workshop")
        self.assertRefused(res, "out_of_territory")
        self.assertOnlyAttemptLogged(
            before, attempts, "out_of_territory", self.venue_out
        )
        # A venue without an address is outside any territory.
        self.venue_out.write({"zip": False, "city": False})
        res = Staff.redeem_code(v_out.code, self.venue_out.id, "h2_workshop")
        self.assertRefused(res, "out_of_territory")
        # A postcode prefix: 750 covers Paris.
        self.venue_out.write({"zip": "75011", "city": "Paris"})
        self.program.territory_zips = "17000, 750"
        res = Staff.redeem_code(v_out.code, self.venue_out.id, "h2_workshop")
        self.assertTrue(res["ok"], res)
        # No territory at all: anywhere.
        self.program.write(
            {"territory_zips": False, "department_ids": [Command.clear()]}
        )
        self.venue_out.write({"zip": "06000", "city": "Nice"})
        res = Staff.redeem_code(v_anywhere.code, self.venue_out.id, "h2_workshop")
        self.assertTrue(res["ok"], res)

    def test_venue_qualification(self):
        voucher = self.book.voucher_ids[0]
        Staff = self.Voucher.with_user(self.staff)
        before = self.snapshot()
        for venue in (self.venue_candidate, self.venue_suspended):
            res = Staff.check_code(voucher.code, venue.id, "h2_workshop")
            self.assertCheckRefused(res, "venue_not_qualified")
            res = Staff.redeem_code(voucher.code, venue.id, "h2_workshop")
            self.assertRefused(res, "venue_not_qualified")
        self.assertEqual(self.snapshot(), before)
        # A qualified venue that gets suspended stops redeeming at once.
        self.venue.action_pass_suspend()
        self.assertRefused(self.redeem(voucher.code), "venue_not_qualified")
        self.venue.action_pass_qualify()
        # An archived (closed) venue neither.
        self.venue.active = False
        self.assertRefused(self.redeem(voucher.code), "venue_not_qualified")
        self.assertEqual(voucher.state, "distributed")
        self.venue.active = True
        self.assertTrue(self.redeem(voucher.code)["ok"])

    def test_every_reason_has_a_message(self):
        Voucher = self.Voucher.with_user(self.venue_user)
        selection = dict(self.Attempt._fields["reason"].selection)
        self.assertEqual(set(selection) - {"ok"}, REFUSAL_REASONS)
        messages = {Voucher._reason_message(reason) for reason in REFUSAL_REASONS}
        self.assertEqual(
            len(messages), len(REFUSAL_REASONS), "one distinct sentence per reason"
        )
        self.assertNotIn(None, messages)
        self.assertFalse(messages & REFUSAL_REASONS)

    # ------------------------------------------------------------------ who may redeem
    def test_portal_user_only_for_own_venue(self):
        voucher = self.book.voucher_ids[0]
        before, attempts = self.snapshot(), self.Attempt.search([])
        for method in ("check_code", "redeem_code"):
            with self.assertRaises(AccessError):
                getattr(self.Voucher.with_user(self.venue_user), method)(
                    voucher.code, self.venue_zip.id, "h2_workshop"
                )
        # A prescriber is not a venue.
        with self.assertRaises(UserError):
            self.Voucher.with_user(self.prescriber_user).redeem_code(
                voucher.code, self.prescriber.id, "h2_workshop"
            )
        with self.assertRaises(AccessError):
            self.Voucher.with_user(self.prescriber_user).redeem_code(
                voucher.code, self.venue.id, "h2_workshop"
            )
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.Attempt.search([]), attempts)
        # A portal user's venue cannot read the attempt log, even its own.
        self.redeem(voucher.code)
        with self.assertRaises(AccessError):
            self.Attempt.with_user(self.venue_user).search([])
        # Staff redeem for any venue (a venue's phone call).
        res = self.Voucher.with_user(self.staff).redeem_code(
            self.book.voucher_ids[1].code, self.venue_zip.id, "h2_email"
        )
        self.assertTrue(res["ok"], res)
        self.assertEqual(self.book.voucher_ids[1].redeemed_by_id, self.staff)

    def test_attempt_log_for_staff(self):
        v1, v2 = self.book.voucher_ids[:2]
        self.redeem(v1.code)
        self.redeem(v1.code)
        self.redeem(mistype(v2.code))
        Staff = self.Voucher.with_user(self.staff)
        # The caller cannot choose the channel the log records: the public
        # method is the API's; the back-office wizard has its own test.
        Staff.redeem_code(
            v2.code, self.venue_out.id, "h2_workshop", channel="backoffice"
        )
        Attempt = self.Attempt.with_user(self.staff)
        domain = [("venue_id", "in", (self.venue | self.venue_out).ids)]
        counts = {
            (venue.id, reason, day is not None): count
            for venue, reason, day, count in Attempt._read_group(
                domain,
                groupby=["venue_id", "reason", "create_date:day"],
                aggregates=["__count"],
            )
        }
        self.assertEqual(
            counts,
            {
                (self.venue.id, "ok", True): 1,
                (self.venue.id, "already_redeemed", True): 1,
                (self.venue.id, "bad_check_digit", True): 1,
                (self.venue_out.id, "out_of_territory", True): 1,
            },
        )
        refused = Attempt.search([*domain, ("ok", "=", False)])
        self.assertEqual(len(refused), 3)
        self.assertEqual(
            refused.filtered(lambda a: a.reason == "out_of_territory").mapped(
                lambda a: (a.user_id, a.channel, a.program_id)
            ),
            [(self.staff, "rpc", self.program)],
        )
        self.assertTrue(all(refused.mapped("create_date")))
        # Staff read the log; they cannot rewrite or delete it.
        with self.assertRaises(AccessError):
            refused.write({"reason": "ok"})
        with self.assertRaises(AccessError):
            refused.unlink()

    def test_backoffice_wizard(self):
        voucher = self.book.voucher_ids[0]
        Wizard = self.env["pass.voucher.redeem"].with_user(self.staff)
        form = Form(Wizard)
        form.code = format_code(voucher.code)
        form.venue_id = self.venue
        form.service_id = self.workshop
        wizard = form.save()
        wizard.action_check()
        self.assertTrue(wizard.result_ok)
        self.assertFalse(wizard.done)
        self.assertEqual(voucher.state, "distributed")
        action = wizard.action_redeem()
        self.assertEqual(action["res_id"], wizard.id)
        self.assertTrue(wizard.result_ok)
        self.assertTrue(wizard.done)
        self.assertEqual(voucher.state, "redeemed")
        self.assertEqual(voucher.redeemed_by_id, self.staff)
        attempt = self.attempts()[:1]
        self.assertEqual((attempt.channel, attempt.user_id), ("backoffice", self.staff))
        # The same pass again: the refusal in plain words, nothing changes.
        wizard_2 = Wizard.create(
            {
                "code": voucher.code,
                "venue_id": self.venue.id,
                "service_id": self.workshop.id,
            }
        )
        wizard_2.action_redeem()
        self.assertFalse(wizard_2.result_ok)
        self.assertFalse(wizard_2.done)
        self.assertEqual(
            wizard_2.result_message, self.Voucher._reason_message("already_redeemed")
        )
        # A venue's portal user has no access to the wizard.
        with self.assertRaises(AccessError):
            self.env["pass.voucher.redeem"].with_user(self.venue_user).create(
                {
                    "code": voucher.code,
                    "venue_id": self.venue.id,
                    "service_id": self.workshop.id,
                }
            )


@tagged("post_install", "-at_install")
class TestRedeemFraud(RedeemCase):
    def _settings(self, **vals):
        self.env["res.config.settings"].create(vals).execute()

    def test_too_many_refused_attempts(self):
        self._settings(pass_max_refused_attempts=3, pass_attempt_window_minutes=10)
        good = self.book.voucher_ids[0]
        # Accepted redemptions do not count.
        self.assertTrue(self.redeem(self.book.voucher_ids[1].code)["ok"])
        for body in ("111111111111111", "222222222222222", "333333333333333"):
            self.assertEqual(self.redeem(make_code(body))["reason"], "unknown_code")
        before, attempts = self.snapshot(), self.attempts()
        res = self.redeem(good.code)
        self.assertEqual(res["reason"], "too_many_attempts")
        self.assertFalse(res["ok"])
        self.assertEqual(self.check(good.code)["reason"], "too_many_attempts")
        self.assertOnlyAttemptLogged(before, attempts, "too_many_attempts")
        self.assertEqual(good.state, "distributed")
        # Another venue is not blocked.
        res = self.redeem(
            self.book.voucher_ids[2].code, self.venue_zip, user=self.venue_zip_user
        )
        self.assertTrue(res["ok"], res)
        # Once the window is over, the venue may redeem again.
        with freeze_time(fields.Datetime.now() + timedelta(minutes=11)):
            res = self.redeem(good.code)
            self.assertTrue(res["ok"], res)
        self.assertEqual(good.state, "redeemed")

    def test_double_clicks_do_not_count_as_guessing(self):
        """A venue that presses twice (already_redeemed) or picks a service the
        programme does not allow is not locked out like a code guesser."""
        self._settings(pass_max_refused_attempts=2, pass_attempt_window_minutes=10)
        first = self.book.voucher_ids[0]
        self.assertTrue(self.redeem(first.code)["ok"])
        for _i in range(4):
            self.assertEqual(self.redeem(first.code)["reason"], "already_redeemed")
        res = self.redeem(self.book.voucher_ids[1].code)
        self.assertTrue(res["ok"], res)
        # two guesses do lock it out
        for body in ("111111111111111", "222222222222222"):
            self.assertEqual(self.redeem(make_code(body))["reason"], "unknown_code")
        res = self.redeem(self.book.voucher_ids[2].code)
        self.assertEqual(res["reason"], "too_many_attempts")

    def test_attempt_limit_disabled(self):
        self._settings(pass_max_refused_attempts=0, pass_attempt_window_minutes=10)
        for body in ("111111111111111", "222222222222222", "333333333333333"):
            self.redeem(make_code(body))
        self.assertTrue(self.redeem(self.book.voucher_ids[0].code)["ok"])

    def test_venue_cancels_own_redemption_within_window(self):
        self._settings(pass_cancel_window_minutes=30)
        voucher = self.book.voucher_ids[0]
        self.assertTrue(self.redeem(voucher.code)["ok"])
        as_venue = voucher.with_user(self.venue_user)
        # A reason is required from the venue.
        with self.assertRaises(UserError):
            as_venue.action_cancel_redemption("  ")
        self.assertEqual(voucher.state, "redeemed")
        # Another venue cannot cancel it.
        with self.assertRaises(AccessError):
            voucher.with_user(self.venue_zip_user).action_cancel_redemption("Erreur")
        self.assertEqual(voucher.state, "redeemed")
        as_venue.action_cancel_redemption("Mauvais service choisi")
        self.assertEqual(voucher.state, "distributed")
        self.assertFalse(voucher.venue_id)
        self.assertFalse(voucher.service_id)
        self.assertFalse(voucher.redeemed_at)
        self.assertEqual(voucher.redemption_cancel_note, "Mauvais service choisi")
        # Nothing to cancel any more.
        with self.assertRaises(UserError):
            as_venue.action_cancel_redemption("Encore")
        # The pass can be presented again.
        res = self.redeem(voucher.code, service="h2_email")
        self.assertTrue(res["ok"], res)
        self.assertEqual(voucher.service_id, self.email)

    def test_cancel_outside_window_only_manager(self):
        self._settings(pass_cancel_window_minutes=30)
        voucher = self.book.voucher_ids[0]
        self.assertTrue(self.redeem(voucher.code)["ok"])
        with freeze_time(fields.Datetime.now() + timedelta(minutes=31)):
            with self.assertRaises(UserError) as caught:
                voucher.with_user(self.venue_user).action_cancel_redemption("Trop tard")
            self.assertIn("30", str(caught.exception))
            self.assertEqual(voucher.state, "redeemed")
            # Staff who are not managers cannot either.
            with self.assertRaises(AccessError):
                voucher.with_user(self.staff).action_cancel_redemption("Appel du lieu")
            self.assertEqual(voucher.state, "redeemed")
            voucher.with_user(self.manager).action_cancel_redemption("Erreur de saisie")
        self.assertEqual(voucher.state, "distributed")
        self.assertFalse(voucher.venue_id)
        # A settled pass cannot be un-redeemed, not even by a manager.
        self.assertTrue(self.redeem(voucher.code)["ok"])
        write_guarded(voucher, {"state": "settled"})
        with self.assertRaises(UserError):
            voucher.with_user(self.manager).action_cancel_redemption("Non")
        self.assertEqual(voucher.state, "settled")

    def test_expiry_cron(self):
        redeemed, cancelled = self.book.voucher_ids[:2]
        self.assertTrue(self.redeem(redeemed.code)["ok"])
        cancelled._cancel("stolen")
        other_program = self.program.copy(
            {
                "code": "H2LONG",
                "validity_months": 24,
                "funding_ids": [
                    Command.create({"partner_id": self.funder.id, "share": 100.0})
                ],
            }
        )
        other_program.action_activate()
        other_book = self.env["pass.book"].browse(other_program.issue_books(1, 2))
        other_book.distribute(self.prescriber.id)
        cron = self.env.ref("pass_numerique.pass_voucher_cron_expire")
        unused = self.Voucher.search(
            [
                ("program_id", "=", self.program.id),
                ("state", "in", ("available", "distributed")),
            ]
        )
        self.assertEqual(len(unused), 13)
        deadline = redeemed.date_expiry + relativedelta(months=1)
        # During the grace month, nothing expires.
        with freeze_time(deadline):
            cron.method_direct_trigger()
        self.assertEqual(set(unused.mapped("state")), {"available", "distributed"})
        with freeze_time(deadline + timedelta(days=1)):
            cron.method_direct_trigger()
            self.assertEqual(self.redeem(unused[0].code)["reason"], "expired")
        self.assertEqual(set(unused.mapped("state")), {"expired"})
        self.assertEqual(redeemed.state, "redeemed")
        self.assertEqual(cancelled.state, "cancelled")
        self.assertEqual(set(other_book.voucher_ids.mapped("state")), {"distributed"})
