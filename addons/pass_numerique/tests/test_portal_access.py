# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Portal access through access rights and record rules, and the portal's
model services: a portal user reads (never writes) its own organisation's
programmes and shares and the active services, nothing of another funder;
the services refuse a caller outside the organisation (AccessError) and hold
RPC callers to the beneficiary rules; amounts are in the pass's currency."""

import xmlrpc.client
from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import make_funder, make_portal_user, make_program
from .test_portal import PortalCounterCase

# odoo.service.wsgi_server.RPC_FAULT_CODE_ACCESS_ERROR
RPC_ACCESS_ERROR = 4


@tagged("post_install", "-at_install")
class TestPortalAccess(PortalCounterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.funder = cls.program.funding_ids.partner_id
        cls.funder_user = make_portal_user(
            env, "pn_access_funder", cls.funder, "Accueil financeur"
        )
        cls.other_funder = make_funder(env, "Région test", "region")
        cls.other_program = make_program(
            env,
            "OTHERFUNDER",
            "Pass autre financeur",
            [(cls.other_funder, 100)],
            cls.workshop,
            face_value=20.0,
        )
        cls.archived = env["pass.service"].create(
            {"code": "pn_access_old", "name": "Ancien service", "category": "admin"}
        )
        cls.archived.active = False

    def _rpc(self, user, model, method, *args, **kw):
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, user.id, user.login, model, method, list(args), kw
        )

    def _assert_rpc_access_error(self, user, model, method, *args, **kw):
        """The call is refused with Odoo's AccessError (XML-RPC fault 4)."""
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self._rpc(user, model, method, *args, **kw)
        self.assertEqual(caught.exception.faultCode, RPC_ACCESS_ERROR)

    # ------------------------------------------------------------------ rules over RPC
    def test_portal_funder_reads_own_programmes_only(self):
        rows = self._rpc(
            self.funder_user, "pass.program", "search_read", [], fields=["name"]
        )
        self.assertEqual([r["id"] for r in rows], self.program.ids)
        self.assertFalse(
            self._rpc(
                self.funder_user,
                "pass.program",
                "search",
                [("id", "=", self.other_program.id)],
            )
        )
        self._assert_rpc_access_error(
            self.funder_user, "pass.program", "read", [self.other_program.id]
        )
        shares = self._rpc(
            self.funder_user,
            "pass.program.funding",
            "search_read",
            [],
            fields=["share"],
        )
        self.assertEqual([s["id"] for s in shares], self.program.funding_ids.ids)

    def test_portal_user_cannot_write_programmes_or_services(self):
        name = self.program.name
        for model, record in (
            ("pass.program", self.program),
            ("pass.service", self.workshop),
            ("pass.program.funding", self.program.funding_ids),
        ):
            with self.subTest(model=model):
                self._assert_rpc_access_error(
                    self.funder_user, model, "write", record.ids, {"name": "x"}
                )
        self.assertEqual(self.program.name, name)

    def test_portal_reads_active_services_only(self):
        found = self._rpc(self.user_a, "pass.service", "search", [])
        self.assertIn(self.workshop.id, found)
        self._assert_rpc_access_error(
            self.user_a, "pass.service", "read", self.archived.ids
        )

    def test_holder_and_venue_read_their_programmes(self):
        as_prescriber = self.env["pass.program"].with_user(self.user_p1)
        self.assertEqual(as_prescriber.search([]), self.program)
        # A venue with no pass redeemed sees no programme; once a pass of the
        # programme is redeemed there, that programme.
        as_venue = self.env["pass.program"].with_user(self.user_b)
        self.assertFalse(as_venue.search([]))
        voucher = self.book_2.voucher_ids[0]
        res = self.env["pass.voucher"]._redeem_code(
            voucher.code, self.venue_b.id, "pn_tour_workshop", channel="backoffice"
        )
        self.assertTrue(res["ok"], res)
        self.assertEqual(as_venue.search([]), self.program)

    # ------------------------------------------------------------------ services
    def test_portal_context(self):
        context = self.funder_user._pass_portal_context()
        self.assertEqual(context["partner"], self.funder)
        self.assertEqual(
            (context["funder"], context["venue"], context["prescriber"]),
            (True, False, False),
        )
        self.assertEqual(self.user_a._pass_portal_partner("venue"), self.venue_a)
        self.assertFalse(self.user_a._pass_portal_partner("funder"))
        public = self.env.ref("base.public_user")._pass_portal_context()
        self.assertTrue(public["public"])
        self.assertFalse(public["partner"] or public["venue"])

    def test_dashboard_refuses_other_organisations(self):
        Dashboard = self.env["pass.funder.dashboard"]
        mine = Dashboard.with_user(self.funder_user)._dashboard(self.funder)
        self.assertEqual(mine["programs"], self.program)
        with self.assertRaises(AccessError):
            Dashboard.with_user(self.funder_user)._dashboard(self.other_funder)
        with self.assertRaises(AccessError):
            Dashboard.with_user(self.user_a)._dashboard(self.funder)
        with self.assertRaises(MissingError):
            Dashboard.with_user(self.funder_user)._dashboard(
                self.funder, self.other_program.id
            )
        for service, method in (
            ("pass.prescriber.dashboard", "_books_page"),
            ("pass.venue.counter", "_page"),
        ):
            with self.subTest(service=service), self.assertRaises(AccessError):
                getattr(self.env[service].with_user(self.funder_user), method)(
                    self.prescriber_1 if "prescriber" in service else self.venue_a
                )

    def test_beneficiary_rules_hold_for_orm_and_form(self):
        """A prescriber's user creating a beneficiary directly (as over RPC)
        or through the hand-over is held to the rules; nothing changes."""
        Beneficiary = self.env["pass.beneficiary"]
        count = Beneficiary.search_count([])
        to_give = self.book_1.voucher_ids.filtered(lambda v: not v.beneficiary_id)
        good = {
            "age_band": "25_39",
            "situation": "employed",
            "zip": "33000",
            "consent_date": fields.Date.today(),
        }
        future = fields.Date.today() + timedelta(days=1)
        for wrong in ({"consent_date": future}, {"age_band": False}, {"zip": ""}):
            with self.subTest(wrong=wrong), self.assertRaises(ValidationError):
                Beneficiary.with_user(self.user_p1).create({**good, **wrong})
        # The postcode's format is the database's check.
        with (
            mute_logger("odoo.sql_db"),
            self.cr.savepoint(),
            self.assertRaises(IntegrityError),
        ):
            Beneficiary.with_user(self.user_p1).create({**good, "zip": "3300A"})
        Service = self.env["pass.prescriber.dashboard"].with_user(self.user_p1)
        for wrong in (
            {"zip": "33 00"},
            {"zip": "33000\x00"},
            {"situation": "nonsense"},
            {"age_band": "nonsense"},
            {"consent_date": future},
        ):
            with self.subTest(wrong=wrong), self.assertRaises(ValidationError):
                Service._hand_book(
                    self.prescriber_1, self.book_1.id, values=good | wrong
                )
        self.assertEqual(Beneficiary.search_count([]), count)
        self.assertFalse(to_give.beneficiary_id)
        with self.assertRaises(MissingError):
            Service._hand_book(self.prescriber_1, self.book_2.id, values=good)
        beneficiary = Service._hand_book(self.prescriber_1, self.book_1.id, values=good)
        self.assertEqual(to_give.filtered("beneficiary_id").beneficiary_id, beneficiary)

    def test_counter_amounts_in_pass_currency(self):
        usd = self.env.ref("base.USD")
        usd.active = True
        program = make_program(
            self.env,
            "USDPASS",
            "Pass dollars",
            [(self.funder, 100)],
            self.workshop,
            currency_id=usd.id,
            face_value=7.0,
        )
        book = self.env["pass.book"].browse(program.issue_books(1, 1))
        book.distribute(self.prescriber_1.id)
        Counter = self.env["pass.venue.counter"].with_user(self.user_a)
        result = Counter._answer(
            self.venue_a, "redeem", book.voucher_ids.code, "pn_tour_workshop"
        )
        self.assertTrue(result["ok"], result)
        self.assertEqual(book.voucher_ids.state, "redeemed")
        self.assertIn("$", result["message"])
        self.assertNotIn("€", result["message"])
        today = Counter._today(self.venue_a)
        self.assertEqual(today["count"], 1)
        self.assertIn("$", today["total"])
        self.assertEqual(today["rows"][0]["program"], "Pass dollars")

    def test_archived_service_still_names_its_passes(self):
        voucher = self.book_1.voucher_ids[1]
        res = self.env["pass.voucher"]._redeem_code(
            voucher.code, self.venue_a.id, "pn_tour_procedure", channel="backoffice"
        )
        self.assertTrue(res["ok"], res)
        self.procedure.active = False
        # As on a new request: nothing read before in the cache.
        self.env.invalidate_all()
        today = (
            self.env["pass.venue.counter"].with_user(self.user_a)._today(self.venue_a)
        )
        self.assertEqual(today["rows"][0]["service"], "Démarche en ligne")
        outcome = (
            self.env["pass.prescriber.dashboard"]
            .with_user(self.user_p1)
            ._outcome(self.prescriber_1)
        )
        self.assertEqual(outcome["services"], [("Démarche en ligne", 1)])
