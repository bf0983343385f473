# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The back office as its users meet it: analyses that say how fresh they
are and agree with the live pivot once refreshed, the redemption wizard,
the programme's shared figures, opening hours read in French."""

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from .common import write_guarded
from .test_reporting import ReportingFixture


@tagged("post_install", "-at_install")
class TestBackOffice(ReportingFixture, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._build_reporting_fixture()
        cls.programs = cls.program_ab | cls.program_b
        cls.domain = [("program_id", "in", cls.programs.ids)]
        cls.staff = new_test_user(
            cls.env,
            login="pn_bo_staff",
            groups="pass_numerique.pass_numerique_group_user",
            lang="fr_FR",
        )
        cls.employee = new_test_user(
            cls.env, login="pn_bo_employee", groups="base.group_user"
        )

    def _live(self):
        """The live "Analyse > Pass" pivot: passes by programme and state."""
        return {
            (g["program_id"][0], g["state"]): (g["__count"], g["amount"])
            for g in self.env["pass.voucher"].read_group(
                self.domain, ["amount:sum"], ["program_id", "state"], lazy=False
            )
        }

    def _analysis(self):
        return {
            (g["program_id"][0], g["state"]): (g["__count"], g["amount"])
            for g in self.env["pass.report"].read_group(
                self.domain, ["amount:sum"], ["program_id", "state"], lazy=False
            )
        }

    def test_refresh_brings_the_analysis_in_line_with_the_live_pivot(self):
        self.assertEqual(self._analysis(), self._live())
        # A redemption after the last refresh: the analysis lags behind...
        voucher = self.books_b[1].voucher_ids[0]
        result = self.env["pass.voucher"].redeem_code(
            voucher.code, self.venue_bordeaux.id, self.service_mail.code
        )
        self.assertTrue(result["ok"], result)
        self.assertNotEqual(self._analysis(), self._live())
        # ...and says so; a staff member refreshes it from the analysis.
        Report = self.env["pass.report"].with_user(self.staff)
        before = Report.get_freshness()
        self.assertTrue(before["can_refresh"])
        self.assertTrue(before["label"].startswith("Data as of "), before)
        after = Report.action_refresh_analysis()
        self.assertTrue(after["label"].startswith("Data as of "), after)
        self.assertEqual(self._analysis(), self._live())
        # The funders analysis is refreshed with it.
        [(redeemed,)] = self.env["pass.funder.report"]._read_group(
            [
                ("program_id", "=", self.program_b.id),
                ("state", "in", ("redeemed", "settled")),
            ],
            aggregates=["redeemed_count:sum"],
        )
        self.assertEqual(redeemed, 2)

    def test_only_pass_staff_refresh_the_analyses(self):
        for model in ("pass.report", "pass.funder.report"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.employee).action_refresh_analysis()
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.employee).get_freshness()
        self.assertTrue(
            self.env["pass.funder.report"]
            .with_user(self.staff)
            .action_refresh_analysis()["can_refresh"]
        )

    def test_programme_figures_one_definition(self):
        figures = self.programs._pass_figures()
        # 8 people handed a pass of programme AB (each used one); none of B.
        self.assertEqual(
            figures[self.program_ab], {"used": 8, "settled": 0, "people": 8}
        )
        self.assertEqual(
            figures[self.program_b], {"used": 1, "settled": 0, "people": 0}
        )
        # People of both programmes together: each person once.
        self.assertEqual(self.programs._pass_people()[1], 8)
        # A person handed a pass not used yet is helped all the same: the
        # used pass of the first book unlinked, its unused one still counts.
        used = self.books_ab[0].voucher_ids.filtered(lambda v: v.state == "redeemed")
        write_guarded(used, {"beneficiary_id": False})
        self.assertEqual(self.program_ab._pass_figures()[self.program_ab]["people"], 8)

    def test_redeem_wizard_keeps_its_title_and_offers_another(self):
        code = self.books_b[1].voucher_ids[0].code
        wizard = (
            self.env["pass.voucher.redeem"]
            .with_context(lang="fr_FR")
            .create(
                {
                    "venue_id": self.venue_pessac.id,
                    "service_id": self.service_admin.id,
                    "code": code,
                }
            )
        )
        action = wizard.action_check()
        title = "Encaisser un pass"  # the menu's title, in the user's language
        self.assertEqual(action["name"], title)
        self.assertEqual(action["res_id"], wizard.id)
        self.assertTrue(wizard.result_ok)
        # The answer names the programme, the amount and the validity end.
        self.assertIn(self.program_b.name, wizard.result_message)
        self.assertIn("10,00", wizard.result_message)
        self.assertIn("valable jusqu'au", wizard.result_message)
        wizard.action_redeem()
        self.assertTrue(wizard.done)
        another = wizard.action_redeem_another()
        self.assertEqual(another["name"], title)
        fresh = self.env["pass.voucher.redeem"].browse(another["res_id"])
        self.assertNotEqual(fresh, wizard)
        self.assertEqual(
            (fresh.venue_id, fresh.service_id, fresh.code, fresh.done),
            (self.venue_pessac, self.service_admin, False, False),
        )

    def test_opening_hours_read_in_french(self):
        venue = self.venue_pessac.with_context(lang="fr_FR")
        venue.pass_opening_hours = "Mo-Fr 09:00-18:00; Sa 10:00-12:00"
        self.assertEqual(
            venue.pass_opening_hours_display,
            "lun.\u2013ven. 09:00\u201318:00\nsam. 10:00\u201312:00",
        )
        english = self.venue_pessac.with_context(lang="en_US")
        self.assertEqual(
            english.pass_opening_hours_display, "Mo-Fr 09:00-18:00; Sa 10:00-12:00"
        )

    def test_programme_shows_its_public_venue_page(self):
        url = self.program_ab.venues_public_url
        self.assertTrue(url.endswith(self.program_ab._venues_token()), url)
        self.assertIn(f"/pass/lieux/{self.program_ab.id}/", url)


@tagged("post_install", "-at_install")
class TestBackOfficeWebClient(HttpCase):
    """The back office as a browser loads it: the web client starts with no
    JavaScript error. A module of ours in the wrong asset bundle breaks every
    page of the ERP, not only ours: the analyses' "data as of" banner extends
    Odoo's pivot and graph views, which Odoo 18 loads lazily, so it belongs
    to the lazy bundle (found by Odoo's own sale tour in `make test-odoo`)."""

    def test_web_client_loads_without_errors(self):
        self.browser_js(
            "/odoo",
            "console.log('test successful')",
            "odoo.isReady",
            login="admin",
            timeout=120,
        )
