# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Trust at the boundaries (issue #11), model side: guarded money and workflow
fields, group refusals as AccessError, no pass code to whoever may not read
the pass, bounded guessing on checks and redemptions, what a refusal tells a
venue, company consistency and the optional hand-over rule."""

import re
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common_redeem import RedeemCase, create_guarded, make_code

CODE_RE = re.compile(r"\d{4}\s?\d{4}\s?\d{4}\s?\d{4}")


@tagged("post_install", "-at_install")
class TestGuardedFields(RedeemCase):
    def _all_codes(self):
        return self.Voucher.sudo().search([]).mapped("code")

    def assertNoCode(self, text):
        text = str(text)
        self.assertFalse(CODE_RE.search(text), text)
        for code in self._all_codes():
            self.assertNotIn(code[-8:], text.replace(" ", ""))

    def test_plain_writes_of_money_fields_refused_for_everybody(self):
        voucher = self.book.voucher_ids[0]
        before = self.snapshot()
        for env in (
            self.env(user=self.staff),
            self.env(user=self.manager),
            self.env,  # the superuser too, as for a posted entry
        ):
            for vals in (
                {"state": "settled"},
                {"amount": 1000.0},
                {"venue_id": self.venue.id},
                {"redeemed_at": fields.Datetime.now()},
            ):
                with self.assertRaises(UserError), self.env.cr.savepoint():
                    env["pass.voucher"].browse(voucher.id).write(vals)
            book = env["pass.book"].browse(self.book_undistributed.id)
            for vals in ({"funders_paid": True}, {"state": "cancelled"}):
                with self.assertRaises(UserError), self.env.cr.savepoint():
                    book.write(vals)
            venue = env["res.partner"].browse(self.venue_candidate.id)
            with self.assertRaises(UserError), self.env.cr.savepoint():
                venue.write({"pass_venue_state": "qualified"})
        self.assertEqual(self.snapshot(), before)
        self.assertFalse(self.book_undistributed.funders_paid)
        self.assertEqual(self.venue_candidate.pass_venue_state, "candidate")
        # Not even at creation: no venue is born qualified, no pass by hand.
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.env["res.partner"].with_user(self.manager).create(
                {"name": "Born qualified", "pass_venue_state": "qualified"}
            )
        # Other fields of the same records stay editable as before.
        self.venue.with_user(self.manager).write({"city": "Bordeaux Lac"})
        self.assertEqual(self.venue.city, "Bordeaux Lac")

    def test_portal_users_get_access_errors_not_field_names(self):
        voucher = self.book.voucher_ids[0]
        for user in (self.venue_user, self.prescriber_user):
            with self.assertRaises(AccessError):
                self.Voucher.with_user(user).browse(voucher.id).write(
                    {"state": "settled"}
                )
        self.assertEqual(voucher.state, "distributed")

    def test_qualification_is_manager_only(self):
        for user in (self.staff, self.venue_user):
            for action in ("action_pass_qualify", "action_pass_suspend"):
                with self.assertRaises(AccessError):
                    getattr(self.venue_candidate.with_user(user), action)()
        self.assertEqual(self.venue_candidate.pass_venue_state, "candidate")
        # A salesman (may write partners, no Pass group) neither.
        salesman = new_test_user(
            self.env,
            login="g_salesman",
            groups="base.group_user,base.group_partner_manager",
        )
        with self.assertRaises(AccessError):
            self.venue_candidate.with_user(salesman).action_pass_qualify()
        self.venue_candidate.with_user(self.manager).action_pass_qualify()
        self.assertEqual(self.venue_candidate.pass_venue_state, "qualified")
        self.assertTrue(self.venue_candidate.pass_qualified_date)
        self.venue_candidate.with_user(self.manager).action_pass_suspend()
        self.assertEqual(self.venue_candidate.pass_venue_state, "suspended")

    def test_funders_paid_and_book_actions_check_groups(self):
        book = self.book_undistributed
        with self.assertRaises(AccessError):
            book.with_user(self.staff).action_mark_funders_paid()
        with self.assertRaises(AccessError):
            book.with_user(self.venue_user).distribute(self.prescriber.id)
        with self.assertRaises(AccessError):
            book.with_user(self.prescriber_user).cancel_unused("lost")
        self.assertEqual(book.state, "available")
        self.assertFalse(book.funders_paid)
        # Bad holder ids are a clear refusal, never a database error.
        for holder in (2**40, -3, "abc", None, [1]):
            with self.assertRaises(UserError):
                book.with_user(self.staff).distribute(holder)
        self.assertEqual(book.state, "available")

    def test_cancel_redemption_names_no_pass_to_others(self):
        mine = self.book.voucher_ids[0]
        self.assertTrue(self.redeem(mine.code)["ok"])
        theirs = self.book.voucher_ids[1]
        res = self.redeem(theirs.code, self.venue_zip, user=self.venue_zip_user)
        self.assertTrue(res["ok"], res)
        never_redeemed = self.book.voucher_ids[2]
        outsider = new_test_user(
            self.env, login="g_outsider", groups="base.group_portal"
        )
        before = self.snapshot()
        tries = [
            (outsider, mine.ids),
            (outsider, never_redeemed.ids),
            (self.venue_user, theirs.ids),
            (self.venue_user, never_redeemed.ids),
            (self.venue_user, [2**40]),
            (self.venue_user, [987654321]),
            (self.prescriber_user, mine.ids),  # holds the book, not the venue
            (self.staff, never_redeemed.ids),  # staff, not manager
        ]
        messages = set()
        for user, ids in tries:
            with self.assertRaises(AccessError) as caught:
                self.Voucher.with_user(user).browse(ids).action_cancel_redemption("x")
            self.assertNoCode(caught.exception)
            messages.add(str(caught.exception))
        # One wording whatever the reason: no oracle on existence or state.
        self.assertEqual(len(messages), 1, messages)
        self.assertEqual(self.snapshot(), before)
        # Its own venue may still cancel, and is then told about its own pass.
        mine.with_user(self.venue_user).action_cancel_redemption("Mauvais service")
        self.assertEqual(mine.state, "distributed")
        with self.assertRaises(UserError) as caught:
            mine.with_user(self.manager).action_cancel_redemption("Encore")
        self.assertIn(mine.code_display, str(caught.exception))

    def test_access_errors_never_list_codes(self):
        """Odoo lists refused records by name for users with technical
        features; a pass's name is its code."""
        other = self.env["res.company"].create({"name": "Société B (test)"})
        program_b = self.program.copy(
            {"code": "H2B", "company_id": other.id, "funding_ids": False}
        )
        program_b.write(
            {
                "funding_ids": [
                    Command.create({"partner_id": self.funder.id, "share": 100.0})
                ]
            }
        )
        program_b.action_activate()
        book_b = self.env["pass.book"].browse(program_b.issue_books(1, 2))
        techie = new_test_user(
            self.env,
            login="g_techie",
            groups="base.group_user,base.group_no_one,"
            "pass_numerique.pass_numerique_group_user",
        )
        for operation in ("read", "write"):
            with self.assertRaises(AccessError) as caught:
                vouchers = self.Voucher.with_user(techie).browse(book_b.voucher_ids.ids)
                if operation == "read":
                    vouchers.read(["state"])
                else:
                    vouchers.write({"cancel_note": "x"})
            self.assertNoCode(caught.exception)


@tagged("post_install", "-at_install")
class TestGuessingBounded(RedeemCase):
    def _limits(self, venue=3, ip=30, window=10):
        self.env["res.config.settings"].create(
            {
                "pass_max_refused_attempts": venue,
                "pass_max_refused_attempts_ip": ip,
                "pass_attempt_window_minutes": window,
            }
        ).execute()

    def test_checks_count_like_redemptions(self):
        self._limits(venue=3)
        good = self.book.voucher_ids[0]
        for body in ("111111111111111", "222222222222222", "333333333333333"):
            self.assertEqual(self.check(make_code(body))["reason"], "unknown_code")
        res = self.check(good.code)
        self.assertEqual(res["reason"], "too_many_attempts")
        self.assertEqual((res["amount"], res["program"]), (0.0, ""))
        # The French message says when to try again.
        self.assertRegex(res["message"], r"\d{2}:\d{2}")
        self.assertEqual(self.redeem(good.code)["reason"], "too_many_attempts")
        self.assertEqual(good.state, "distributed")
        checks = self.attempts().filtered(lambda a: a.operation == "check")
        self.assertEqual(len(checks), 4)
        self.assertEqual(set(checks.mapped("channel")), {"rpc"})

    def test_staff_see_and_manager_lifts_a_block(self):
        self._limits(venue=2)
        for body in ("111111111111111", "222222222222222"):
            self.redeem(make_code(body))
        good = self.book.voucher_ids[0]
        self.assertEqual(self.redeem(good.code)["reason"], "too_many_attempts")
        Limit = self.env["pass.rate.limit"]
        blocked = Limit.with_user(self.staff).search([("blocked", "=", True)])
        self.assertEqual(
            sorted(blocked.mapped(lambda c: (c.scope, c.venue_id, c.user_id))),
            sorted(
                [
                    ("user", self.env["res.partner"], self.venue_user),
                    ("venue", self.venue, self.env["res.users"]),
                ]
            ),
        )
        with self.assertRaises(AccessError):
            blocked.with_user(self.staff).action_unblock()
        with self.assertRaises(AccessError):
            Limit.with_user(self.venue_user).search([])
        blocked.with_user(self.manager).action_unblock()
        self.assertFalse(Limit.search([("blocked", "=", True)]))
        self.assertTrue(self.redeem(good.code)["ok"])

    def test_limit_per_user_across_venues(self):
        """Staff guessing for many venues is blocked as a user."""
        self._limits(venue=3)
        Staff = self.Voucher.with_user(self.staff)
        bodies = ("111111111111111", "222222222222222", "333333333333333")
        for venue, body in zip(
            (self.venue, self.venue_zip, self.venue_out), bodies, strict=True
        ):
            res = Staff.check_code(make_code(body), venue.id, "h2_workshop")
            self.assertEqual(res["reason"], "unknown_code")
        res = Staff.redeem_code(
            self.book.voucher_ids[0].code, self.venue_email_only.id, "h2_email"
        )
        self.assertEqual(res["reason"], "too_many_attempts")
        # The venues themselves are not blocked (one guess each).
        res = self.redeem(self.book.voucher_ids[0].code)
        self.assertTrue(res["ok"], res)

    def test_accepted_and_counter_mistakes_give_their_slot_back(self):
        self._limits(venue=2)
        first = self.book.voucher_ids[0]
        self.assertTrue(self.redeem(first.code)["ok"])
        for _i in range(5):
            self.assertEqual(self.redeem(first.code)["reason"], "already_redeemed")
            self.assertTrue(self.check(self.book.voucher_ids[1].code)["ok"])
        self.assertTrue(self.redeem(self.book.voucher_ids[1].code)["ok"])
        # The window is over: the block is lifted by itself.
        for body in ("111111111111111", "222222222222222"):
            self.redeem(make_code(body))
        self.assertEqual(
            self.redeem(self.book.voucher_ids[2].code)["reason"], "too_many_attempts"
        )
        with freeze_time(fields.Datetime.now() + timedelta(minutes=11)):
            self.assertTrue(self.redeem(self.book.voucher_ids[2].code)["ok"])

    def test_channel_is_set_by_the_server(self):
        voucher = self.book.voucher_ids[0]
        self.Voucher.with_user(self.staff).redeem_code(
            voucher.code, self.venue.id, "h2_workshop", channel="backoffice"
        )
        self.assertEqual(self.attempts()[:1].channel, "rpc")
        wizard = Form(self.env["pass.voucher.redeem"].with_user(self.staff))
        wizard.code = self.book.voucher_ids[1].code
        wizard.venue_id = self.venue
        wizard.service_id = self.workshop
        wizard.save().action_check()
        self.assertEqual(
            (self.attempts()[:1].channel, self.attempts()[:1].operation),
            ("backoffice", "check"),
        )


@tagged("post_install", "-at_install")
class TestWhatARefusalTells(RedeemCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param(
            "pass_numerique.max_refused_attempts", 1000
        )

    def test_other_venues_redemption_tells_no_amount_or_programme(self):
        voucher = self.book.voucher_ids[0]
        res = self.redeem(voucher.code, self.venue_zip, user=self.venue_zip_user)
        self.assertTrue(res["ok"], res)
        res = self.check(voucher.code)
        self.assertEqual(
            (res["reason"], res["amount"], res["program"]),
            ("already_redeemed", 0.0, ""),
        )
        res = self.redeem(voucher.code)
        self.assertEqual(set(res), {"ok", "reason", "message"})
        self.assertNotIn(self.venue_zip.name, res["message"])

    def test_unqualified_venue_told_so_whatever_the_code(self):
        user = new_test_user(
            self.env,
            login="g_candidate",
            groups="base.group_portal",
            partner_id=self.env["res.partner"]
            .create({"name": "Accueil", "parent_id": self.venue_candidate.id})
            .id,
        )
        live = self.book.voucher_ids[0].code
        for code in (live, make_code("999999999999999"), "12", "x" * 100):
            for method in ("check_code", "redeem_code"):
                res = getattr(self.Voucher.with_user(user), method)(
                    code, self.venue_candidate.id, "h2_workshop"
                )
                self.assertEqual(res["reason"], "venue_not_qualified", code)
        self.assertEqual(self.book.voucher_ids[0].state, "distributed")

    def test_venue_of_another_company_does_not_know_the_pass(self):
        other = self.env["res.company"].create({"name": "Autre coopérative (test)"})
        venue_b = create_guarded(
            self.env["res.partner"],
            {
                "name": "Lieu société B (test)",
                "is_company": True,
                "is_pass_venue": True,
                "pass_venue_state": "qualified",
                "company_id": other.id,
                "zip": "33000",
                "city": "Bordeaux",
                "country_id": self.fr.id,
                "pass_service_ids": [Command.set(self.workshop.ids)],
            },
        )
        user_b = new_test_user(
            self.env,
            login="g_venue_b",
            groups="base.group_portal",
            company_id=other.id,
            partner_id=self.env["res.partner"]
            .create(
                {"name": "Accueil B", "parent_id": venue_b.id, "company_id": other.id}
            )
            .id,
        )
        voucher = self.book.voucher_ids[0]
        before = self.snapshot()
        res = self.redeem(voucher.code, venue_b, user=user_b)
        self.assertEqual(res["reason"], "unknown_code")
        self.assertEqual(self.snapshot(), before)
        # Staff of company A only may not redeem for company B's venue either.
        with self.assertRaises(UserError):
            self.Voucher.with_user(self.staff).redeem_code(
                voucher.code, venue_b.id, "h2_workshop"
            )
        self.assertEqual(self.snapshot(), before)

    def test_programme_requiring_hand_over(self):
        self.program.require_handover = True
        voucher = self.book.voucher_ids[0]
        self.assertEqual(self.check(voucher.code)["reason"], "not_distributed")
        self.assertEqual(self.redeem(voucher.code)["reason"], "not_distributed")
        beneficiary = (
            self.env["pass.beneficiary"]
            .with_user(self.prescriber_user)
            .create(
                {
                    "age_band": "60_74",
                    "zip": "33800",
                    "consent_date": fields.Date.today(),
                }
            )
        )
        self.book.with_user(self.prescriber_user).hand_to_beneficiary(beneficiary.id)
        res = self.redeem(voucher.code)
        self.assertTrue(res["ok"], res)
        # Off (the default): a distributed pass is enough.
        self.program.require_handover = False
        self.assertTrue(self.redeem(self.book_2.voucher_ids[0].code)["ok"])
