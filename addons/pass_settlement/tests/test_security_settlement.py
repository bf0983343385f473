# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Settlement at its boundaries: no pass code to a caller who may not read
the pass, money and workflow fields changed only by their methods, group
refusals as AccessError, one company per remittance, and portal routes that
answer 4xx (never 500) on bad input."""

import re

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.pass_numerique.tests.common import USER_GROUP, make_company_user
from odoo.addons.pass_numerique.tools.guard import guarded_write

from .common import PassSettlementCommon


class SettlementSecurityCommon(PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with guarded_write():
            cls.other_venue = cls.venue.copy({"name": "Lieu voisin"})
        cls.program = cls._program([(cls.state_funder, 100)], "SECU")
        cls.clerk = make_company_user(cls.env, "pass_secu_clerk", USER_GROUP)
        cls.venue_user = cls._portal_user(cls.venue, "pass_secu_venue")
        cls.other_venue_user = cls._portal_user(cls.other_venue, "pass_secu_other")
        # One book: 3 passes redeemed here, 2 at the other venue, 5 unused.
        cls.passes = cls._sold_passes(cls.program, books=1)
        cls.mine = cls.passes[:3]
        cls.theirs = cls.passes[3:5]
        cls.unredeemed = cls.passes[5:]
        cls._redeem_passes(cls.mine)
        cls._redeem_passes(cls.theirs, venue=cls.other_venue)

    def _draft(self, venue=None, **vals):
        return self.env["pass.remittance"].create(
            {
                "venue_id": (venue or self.venue).id,
                "company_id": self.company.id,
                **vals,
            }
        )

    def _run_and_reconciliation(self, with_line=False):
        """A clearing run of this month so far, and an end-of-validity
        reconciliation of the programme (set up as its method makes it),
        with one line of the State's unused pass when ``with_line``."""
        today = fields.Date.context_today(self.env["pass.clearing.run"])
        run = self.env["pass.clearing.run"].create(
            {
                "company_id": self.company.id,
                "period_start": today.replace(day=1),
                "period_end": today,
            }
        )
        vals = {
            "name": "Fin de validité SECU",
            "program_id": self.program.id,
            "company_id": self.company.id,
            "currency_id": self.eur.id,
            "date": today,
            "unused_policy": "refund",
        }
        if with_line:
            vals["line_ids"] = [
                Command.create({"partner_id": self.state_funder.id, "count_unused": 1})
            ]
        with guarded_write():
            reconciliation = self.env["pass.reconciliation"].create(vals)
        return run, reconciliation

    def assertNoPassCode(self, exception):
        """No code of any pass of the database, printed or not, in the error."""
        text = str(exception)
        # sudo: every pass of the database, whoever may read it.
        vouchers = self.env["pass.voucher"].sudo().search([])
        self.assertTrue(vouchers)
        for voucher in vouchers:
            self.assertNotIn(voucher.code, text)
            self.assertNotIn(voucher.code_display, text)


@tagged("post_install", "-at_install")
class TestSettlementSecurity(SettlementSecurityCommon):
    # ------------------------------------------------------------ add_vouchers
    def test_add_vouchers_of_another_venue_names_no_pass(self):
        remittance = self._draft()
        for caller in (self.env.user, self.clerk):
            for ids in (self.theirs.ids, self.unredeemed[:1].ids, self.passes.ids):
                with self.assertRaises(UserError) as caught:
                    remittance.with_user(caller).add_vouchers(ids)
                self.assertNotIsInstance(caught.exception, AccessError)
                self.assertNoPassCode(caught.exception)
        self.assertFalse(self.passes.remittance_id)
        self.assertFalse(remittance.voucher_ids)

    def test_add_vouchers_unreadable_or_unknown_passes(self):
        """Passes of another company, ids that are no pass and input that is
        no id get one and the same refusal, naming no pass."""
        other_company = self.env["res.company"].create({"name": "Autre coopérative"})
        self.env.user.company_ids = [Command.link(other_company.id)]
        both = self.env["pass.program"].with_context(
            allowed_company_ids=[self.company.id, other_company.id]
        )
        program_b = both.create(
            {
                "name": "Programme autre société",
                "code": "SECUB",
                "company_id": other_company.id,
                "face_value": 10.0,
                "date_start": "2026-01-01",
                "date_end": "2030-12-31",
                "funding_ids": [
                    Command.create({"partner_id": self.state_funder.id, "share": 100})
                ],
            }
        )
        program_b.action_activate()
        book_ids = program_b.issue_books(1, 2)
        passes_b = self.env["pass.book"].sudo().browse(book_ids).voucher_ids
        self.assertTrue(passes_b)
        remittance = self._draft()
        missing_id = self.passes.sorted("id")[-1].id + passes_b.sorted("id")[-1].id
        messages = set()
        for ids in (
            passes_b.ids,
            self.mine.ids + passes_b[:1].ids,
            [missing_id],
            [2**40],
            ["abc"],
            [1.5],
            "12",
            {"id": self.mine[0].id},
        ):
            with self.assertRaises(AccessError, msg=repr(ids)) as caught:
                remittance.with_user(self.clerk).add_vouchers(ids)
            self.assertNoPassCode(caught.exception)
            messages.add(str(caught.exception))
        self.assertEqual(len(messages), 1, "one refusal for all: no existence oracle")
        self.assertFalse(self.passes.remittance_id)
        self.assertFalse(passes_b.sudo().remittance_id)
        # Its own venue's passes still go on it.
        remittance.with_user(self.clerk).add_vouchers(self.mine.ids)
        self.assertEqual(remittance.voucher_ids, self.mine)

    def test_venue_portal_user_only_reads_its_remittances(self):
        remittance = self._draft()
        as_venue = remittance.with_user(self.venue_user)
        self.assertEqual(as_venue.name, remittance.name)
        for call in (
            lambda: as_venue.add_vouchers(self.mine.ids),
            lambda: as_venue.add_vouchers(self.theirs.ids),
            as_venue.action_add_redeemed,
            as_venue.action_submit,
            as_venue.action_cancel,
            lambda: as_venue.write({"date": "2026-02-01"}),
        ):
            with self.assertRaises(AccessError) as caught:
                call()
            self.assertNoPassCode(caught.exception)
        # Another venue's user does not even read it.
        with self.assertRaises(AccessError):
            remittance.with_user(self.other_venue_user).add_vouchers(self.theirs.ids)
        self.assertEqual(remittance.state, "draft")
        self.assertFalse(self.passes.remittance_id)

    def test_submit_quotes_a_code_only_to_who_may_read_it(self):
        """A wrong pass on a remittance is named to staff who read it, not
        under sudo (the portal's controller) nor to a clearing run."""
        usd = self.env.ref("base.USD")
        usd.active = True
        foreign = self._draft(currency_id=usd.id)
        with guarded_write():
            self.mine[:1].remittance_id = foreign
        code = self.mine[0].code_display
        with self.assertRaises(UserError) as caught:
            foreign.action_submit()
        self.assertIn(code, str(caught.exception))
        for hidden in (
            foreign.sudo(),
            foreign.with_context(pass_hide_codes=True),
        ):
            with self.assertRaises(UserError) as caught:
                hidden.action_submit()
            self.assertNoPassCode(caught.exception)
        self.assertEqual(foreign.state, "draft")

    # ------------------------------------------------------------ cancel redemption
    def test_cancel_redemption_on_a_remittance_leaks_no_code(self):
        remittance = self._draft()
        remittance.add_vouchers(self.mine[:1].ids)
        # Another venue's user, a clerk, a self-registered-like portal user.
        for user in (self.other_venue_user, self.clerk):
            with self.assertRaises(AccessError) as caught:
                self.mine[:1].with_user(user).action_cancel_redemption("erreur")
            self.assertNoPassCode(caught.exception)
        # Its own venue is told the pass is on a remittance.
        with self.assertRaises(UserError):
            self.mine[:1].with_user(self.venue_user).action_cancel_redemption("erreur")
        self.assertEqual(self.mine[0].state, "redeemed")
        self.assertEqual(self.mine[0].remittance_id, remittance)

    # ------------------------------------------------------------ guarded fields
    def test_guarded_remittance_fields(self):
        remittance = self._draft()
        remittance.add_vouchers(self.mine.ids)
        move = self.env["account.move"].search([], limit=1)
        for user in (self.env.user, self.clerk):
            as_user = remittance.with_user(user)
            for vals in (
                {"state": "validated"},
                {"state": "submitted"},
                {"move_id": move.id},
                {"voucher_ids": [Command.link(self.theirs[0].id)]},
                {"voucher_ids": [Command.unlink(self.mine[0].id)]},
                {"venue_id": self.other_venue.id},
                {"validated_at": fields.Datetime.now()},
                {"name": "BR-FAUX"},
            ):
                with self.assertRaises(UserError, msg=f"{user.login} {vals}"):
                    as_user.write(vals)
            for vals in (
                {"state": "validated"},
                {"voucher_ids": [Command.link(self.mine[0].id)]},
                {"move_id": move.id},
            ):
                with self.assertRaises(UserError, msg=f"{user.login} create {vals}"):
                    self.env["pass.remittance"].with_user(user).create(
                        {"venue_id": self.venue.id, **vals}
                    )
            with self.assertRaises(UserError):
                self.theirs[:1].with_user(user).write({"remittance_id": remittance.id})
            with self.assertRaises(UserError):
                self.mine[:1].with_user(user).write({"remittance_id": False})
        self.assertEqual(remittance.state, "draft")
        self.assertFalse(remittance.move_id)
        self.assertEqual(remittance.venue_id, self.venue)
        self.assertEqual(remittance.voucher_ids, self.mine)
        self.assertFalse(self.theirs.remittance_id)
        self.assertEqual(
            self.env["pass.remittance"].search_count(
                [("venue_id", "=", self.venue.id)]
            ),
            1,
        )
        # The workflow still moves it, and a validated slip keeps its period.
        remittance.action_submit()
        with self.assertRaises(UserError):
            remittance.write({"period_end": "2026-01-31"})
        remittance.with_user(self.accountant).action_validate()
        self.assertEqual(remittance.state, "validated")
        with self.assertRaises(UserError):
            remittance.write({"date": "2026-01-31"})
        self.assertEqual(set(self.mine.mapped("state")), {"settled"})

    def test_guarded_clearing_and_reconciliation_fields(self):
        run, reconciliation = self._run_and_reconciliation(with_line=True)
        for user in (self.env.user, self.clerk):
            for vals in (
                {"state": "done"},
                {"last_error": False},
                {"skipped_venue_ids": [Command.link(self.venue.id)]},
                {"executed_at": fields.Datetime.now()},
            ):
                with self.assertRaises(UserError, msg=f"{user.login} {vals}"):
                    run.with_user(user).write(vals)
            with self.assertRaises(UserError):
                self.env["pass.clearing.run"].with_user(user).create(
                    {
                        "company_id": self.company.id,
                        "period_start": "2025-01-01",
                        "period_end": "2025-01-31",
                        "state": "done",
                    }
                )
            with self.assertRaises(UserError):
                reconciliation.with_user(user).write({"state": "done"})
            with self.assertRaises(UserError):
                reconciliation.line_ids.with_user(user).write({"amount_unused": 1e6})
            with self.assertRaises(UserError):
                self.env["pass.reconciliation"].with_user(user).create(
                    {
                        "name": "Faux",
                        "program_id": self.program.id,
                        "company_id": self.company.id,
                        "currency_id": self.eur.id,
                        "date": reconciliation.date,
                        "unused_policy": "retain",
                    }
                )
            with self.assertRaises(UserError):
                self.unredeemed[:1].with_user(user).write(
                    {"reconciliation_id": reconciliation.id}
                )
        self.assertEqual(run.state, "draft")
        self.assertFalse(run.skipped_venue_ids)
        self.assertEqual(reconciliation.state, "draft")
        self.assertEqual(reconciliation.line_ids.amount_unused, 0.0)
        self.assertFalse(self.unredeemed.reconciliation_id)
        self.assertEqual(
            self.env["pass.clearing.run"].search_count([("state", "=", "done")]), 0
        )

    def test_guarded_book_sale_line(self):
        """The sale line activates a book of an on-payment programme: nobody
        links a book to another (paid) order line by hand."""
        order = self._order(self.program, books=1)
        line = order.order_line.filtered("pass_program_id")
        book = self.passes.book_id
        for user in (self.env.user, self.clerk):
            with self.assertRaises(UserError):
                book.with_user(user).write({"sale_line_id": line.id})
        self.assertNotEqual(book.sale_line_id, line)

    # ------------------------------------------------------------ group refusals
    def test_group_refusals_are_access_errors(self):
        remittance = self._draft()
        remittance.action_add_redeemed()
        remittance.action_submit()
        run, reconciliation = self._run_and_reconciliation()
        # Odoo's full accountant without the Pass accountant role.
        odoo_accountant = make_company_user(
            self.env, "pass_secu_accountant", f"account.group_account_user,{USER_GROUP}"
        )
        for user, call in (
            (self.clerk, remittance.with_user(self.clerk).action_validate),
            (self.clerk, run.with_user(self.clerk).action_run),
            (odoo_accountant, remittance.with_user(odoo_accountant).action_validate),
            (odoo_accountant, run.with_user(odoo_accountant).action_run),
            (self.clerk, reconciliation.with_user(self.clerk).action_validate),
            (
                self.clerk,
                self.program.with_user(self.clerk).action_pass_end_of_validity,
            ),
            (self.clerk, self.program.with_user(self.clerk).action_create_product),
            (self.venue_user, remittance.with_user(self.venue_user).action_draft),
            (self.venue_user, remittance.with_user(self.venue_user).action_cancel),
        ):
            with self.assertRaises(AccessError, msg=f"{user.login} {call}"):
                call()
        self.assertEqual(remittance.state, "submitted")
        self.assertFalse(remittance.move_id)
        self.assertEqual(run.state, "draft")
        self.assertFalse(run.executed_at)
        self.assertEqual(reconciliation.state, "draft")
        self.assertFalse(self.program.pass_expiry_date)
        self.assertEqual(set(self.mine.mapped("state")), {"redeemed"})

    # ------------------------------------------------------------ companies
    def test_pass_of_another_company_refused(self):
        other_company = self.env["res.company"].create({"name": "Coopérative B"})
        self.env.user.company_ids = [Command.link(other_company.id)]
        both = self.env["pass.remittance"].with_context(
            allowed_company_ids=[self.company.id, other_company.id]
        )
        remittance_b = both.create(
            {"venue_id": self.venue.id, "company_id": other_company.id}
        )
        with self.assertRaises(UserError):
            remittance_b.add_vouchers(self.mine.ids)
        self.assertFalse(self.mine.remittance_id)
        # Filling takes only the passes of its own company: none here.
        remittance_b.action_add_redeemed()
        self.assertFalse(remittance_b.voucher_ids)
        # A venue of another company cannot be the venue of a remittance.
        with guarded_write():
            venue_b = self.venue.copy(
                {"name": "Lieu de B", "company_id": other_company.id}
            )
        with self.assertRaises(UserError):
            self._draft(venue=venue_b)

    # ------------------------------------------------------------ bad input
    def test_period_end_at_the_end_of_time(self):
        remittance = self._draft(period_end="9999-12-31")
        remittance.action_add_redeemed()
        self.assertEqual(remittance.voucher_ids, self.mine)


@tagged("post_install", "-at_install")
class TestSettlementPortalSecurity(SettlementSecurityCommon, HttpCase):
    def _get(self, url):
        return self.url_open(url, allow_redirects=False)

    def test_slip_pdf_download(self):
        remittance = self._draft()
        remittance.action_add_redeemed()
        remittance.action_submit()
        url = f"/my/pass/remittances/{remittance.id}?report_type=pdf"
        self.authenticate("pass_secu_venue", "pass_secu_venue-pwd-2026")
        pdf = self._get(url)
        self.assertEqual(pdf.status_code, 200)
        self.assertEqual(pdf.headers["Content-Type"], "application/pdf")
        self.assertIn(
            re.sub(r"\W+", "_", remittance.name), pdf.headers["Content-Disposition"]
        )
        download = self._get(url + "&download=true")
        self.assertEqual(download.status_code, 200)
        self.assertIn("attachment", download.headers["Content-Disposition"])

        self.authenticate("pass_secu_other", "pass_secu_other-pwd-2026")
        for other_url in (url, f"/my/pass/remittances/{remittance.id}"):
            other = self._get(other_url)
            self.assertEqual(other.status_code, 404, other_url)
            self.assertNotIn(remittance.name, other.text)
            self.assertNotIn(self.mine[0].code_display, other.text)

        # A forwarded link with its access token shows nothing to a visitor.
        token = remittance.sudo()._portal_ensure_token()
        self.authenticate(None, None)
        for query in ("", "&report_type=html", "&report_type=pdf"):
            visitor = self._get(
                f"/my/pass/remittances/{remittance.id}?access_token={token}{query}"
            )
            self.assertIn(visitor.status_code, (302, 303), query)
            self.assertIn("/web/login", visitor.headers["Location"])
            self.assertNotIn(self.mine[0].code_display, visitor.text)

    def test_bad_ids_answer_404(self):
        self.authenticate("pass_secu_venue", "pass_secu_venue-pwd-2026")
        for url in (
            f"/my/pass/remittances/{2**40}",
            f"/my/pass/remittances/{2**31}?report_type=pdf",
            "/my/pass/remittances/99999999999999999999999",
            "/my/pass/remittances/abc",
            "/my/pass/remittances/0",
        ):
            response = self._get(url)
            self.assertEqual(response.status_code, 404, url)

    def test_no_free_text_from_the_url(self):
        self.authenticate("pass_secu_venue", "pass_secu_venue-pwd-2026")
        page = self._get("/my/pass/remittances?error=Appelez+le+0899+PHISHING")
        self.assertEqual(page.status_code, 200)
        self.assertNotIn("PHISHING", page.text)

    def test_statement_bad_dates_and_ids_are_4xx(self):
        self.authenticate("pass_secu_venue", "pass_secu_venue-pwd-2026")
        venue_url = f"/my/pass-statements/venue/{self.venue.id}"
        own = self._get(venue_url + "?date_from=2026-01-01&date_to=2026-12-31")
        self.assertEqual(own.status_code, 200)
        for query in (
            "date_to=9999-12-31",
            "date_from=0001-01-01",
            "date_from=9999-12-31&date_to=9999-12-31",
            "date_to=10000-01-01",
            "date_to=2026-02-30",
            "date_to=abc",
            "date_from=%00",
        ):
            for suffix in ("", "&report_type=pdf"):
                response = self._get(f"{venue_url}?{query}{suffix}")
                self.assertTrue(
                    400 <= response.status_code < 500, (query, response.status_code)
                )
        for url in (
            "/my/pass-statements?date_to=9999-12-31",
            f"/my/pass-statements/venue/{2**40}",
            f"{venue_url}?date_to=9999-12-31&date_from=9999-12-01",
        ):
            response = self._get(url)
            self.assertTrue(400 <= response.status_code < 500, url)

    def test_funder_statement_bad_program_is_4xx(self):
        self._portal_user(self.state_funder, "pass_secu_funder")
        self.authenticate("pass_secu_funder", "pass_secu_funder-pwd-2026")
        funder_url = f"/my/pass-statements/funder/{self.state_funder.id}"
        own = self._get(f"{funder_url}?program_id={self.program.id}")
        self.assertEqual(own.status_code, 200)
        for query in (
            f"program_id={2**40}",
            "program_id=99999999999999999999999",
            "program_id=-1",
            "program_id=0",
            "program_id=1e3",
            f"program_id={self.program.id}&date_to=9999-12-31",
            f"program_id={self.program.id}&date_to=9999-12-31&report_type=pdf",
        ):
            response = self._get(f"{funder_url}?{query}")
            self.assertTrue(
                400 <= response.status_code < 500, (query, response.status_code)
            )
