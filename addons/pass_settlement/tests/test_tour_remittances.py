# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The venue's remittances and the funder's dashboard in a real browser (Odoo
tours, static/tests/tours/): on a 375 x 667 touch screen the slips are cards
whose status, amount and PDF link stay inside the screen, and the dashboard
writes its figures the French way ("44,4 %", never "44.4 %")."""

from odoo import Command
from odoo.tests import HttpCase, tagged

from odoo.addons.pass_numerique.tests.common import make_portal_user
from odoo.addons.pass_numerique.tests.test_reporting import ReportingFixture

from .common import PassSettlementCommon


@tagged("post_install", "-at_install")
class TestTourRemittances(PassSettlementCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        contact = cls.env["res.partner"].create(
            {"name": f"Accueil {cls.venue.name}", "parent_id": cls.venue.id}
        )
        cls.venue_user = cls.env["res.users"].create(
            {
                "name": contact.name,
                "login": "pn_tour_venue",
                "password": "pn_tour_venue",
                "partner_id": contact.id,
                "lang": "fr_FR",
                "groups_id": [Command.set(cls.env.ref("base.group_portal").ids)],
            }
        )

    def test_remittances_tour(self):
        program = self._program([(self.state_funder, 100)], "TOURREM")
        order = self._order(program, books=1)
        self._invoice(order)
        vouchers = order.order_line.pass_book_ids.voucher_ids.sorted("number")
        # A slip validated by the accountant (its passes settled, the
        # transfer still to come) and a slip only sent.
        self._redeem(vouchers[:3])
        validated = self._remit()
        self._redeem(vouchers[3:5])
        sent = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        sent.action_add_redeemed()
        sent.action_submit()
        self.assertEqual(validated.state, "validated")
        self.assertEqual(validated.payment_state, "not_paid")
        self.assertEqual(set(vouchers[:3].mapped("state")), {"settled"})
        self.assertEqual(sent.state, "submitted")
        self.start_tour(
            "/my/pass/remittances",
            "pass_remittances_phone_tour",
            login=self.venue_user.login,
        )
        # Looking is all the venue did: both slips as they were.
        self.assertEqual((validated | sent).mapped("state"), ["validated", "submitted"])
        self.assertLedgerOk()


@tagged("post_install", "-at_install")
class TestTourRemittancesPhone(TestTourRemittances):
    """The same pages on a small smartphone's touch screen."""

    browser_size = "375x667"
    touch_enabled = True


@tagged("post_install", "-at_install")
class TestTourFunderDashboard(ReportingFixture, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._build_reporting_fixture()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.funder_user = make_portal_user(
            cls.env,
            "pn_tour_funder",
            cls.funder_a,
            "Contact pn_tour_funder",
            lang="fr_FR",
        )

    def test_funder_dashboard_in_french(self):
        self.start_tour(
            "/my/pass-funding",
            "pass_funder_dashboard_tour",
            login=self.funder_user.login,
        )


@tagged("post_install", "-at_install")
class TestTourFunderDashboardPhone(TestTourFunderDashboard):
    browser_size = "375x667"
    touch_enabled = True
