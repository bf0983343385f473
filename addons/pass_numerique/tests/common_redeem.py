# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Fixtures of the redemption and distribution tests: one programme on the
Gironde (département 33) plus the postcode 17000, venues inside and outside
it in every qualification state, their portal users, staff users, and books
handed to a prescriber. Nothing depends on demo data."""

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user

from ..tools.pass_code import damm_digit
from .common import (  # noqa: F401
    create_guarded,
    make_portal_user,
    make_prescriber,
    make_venue,
    write_guarded,
)


def make_code(body):
    """A well-formed code (valid check digit) from 15 digits."""
    return body + str(damm_digit(body))


class RedeemCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.fr = env.ref("base.fr")
        cls.company = env.company
        Partner = env["res.partner"]
        cls.Voucher = env["pass.voucher"]
        cls.Attempt = env["pass.redemption.attempt"]
        cls.workshop, cls.email, cls.gaming = env["pass.service"].create(
            [
                {
                    "code": "h2_workshop",
                    "name": "Atelier tablette",
                    "category": "daily_tools",
                },
                {
                    "code": "h2_email",
                    "name": "Utiliser une messagerie",
                    "category": "daily_tools",
                },
                {"code": "h2_gaming", "name": "Jeux en réseau", "category": "leisure"},
            ]
        )
        cls.funder = Partner.create(
            {
                "name": "Département de la Gironde (test)",
                "is_company": True,
                "is_pass_funder": True,
                "pass_funder_type": "departement",
            }
        )
        cls.gironde = env["res.country.department"].search(
            [("code", "=", "33"), ("country_id", "=", cls.fr.id)], limit=1
        )
        assert cls.gironde, "l10n_fr_department data missing"
        today = fields.Date.context_today(env.user)
        cls.today = today
        program_vals = {
            "company_id": cls.company.id,
            "face_value": 10.0,
            "date_start": fields.Date.subtract(today, days=30),
            "date_end": fields.Date.add(today, years=2),
            "validity_months": 6,
            "grace_months": 1,
            "funding_ids": [
                Command.create({"partner_id": cls.funder.id, "share": 100.0})
            ],
        }
        cls.program = env["pass.program"].create(
            {
                **program_vals,
                "name": "Pass Gironde (test)",
                "code": "H2GIR",
                "department_ids": [Command.set(cls.gironde.ids)],
                "territory_zips": "17000",
                "service_ids": [Command.set((cls.workshop | cls.email).ids)],
            }
        )
        cls.program.action_activate()

        def venue(name, zip_code, city, state="qualified", services=None):
            services = services or (cls.workshop | cls.email | cls.gaming)
            return make_venue(
                env, name, zip_code, services, city=city, pass_venue_state=state
            )

        cls.venue = venue("Médiathèque de Bordeaux (test)", "33000", "Bordeaux")
        cls.venue_zip = venue(
            "Espace numérique La Rochelle (test)", "17000", "La Rochelle"
        )
        cls.venue_out = venue("Tiers-lieu parisien (test)", "75011", "Paris")
        cls.venue_candidate = venue(
            "Candidat Pessac (test)", "33600", "Pessac", "candidate"
        )
        cls.venue_suspended = venue(
            "Suspendu Blaye (test)", "33390", "Blaye", "suspended"
        )
        cls.venue_email_only = venue(
            "Cyber-base Mérignac (test)", "33700", "Mérignac", services=cls.email
        )
        cls.prescriber = make_prescriber(env, "CCAS de Bordeaux (test)")
        cls.prescriber_2 = make_prescriber(env, "France Services Libourne (test)")
        cls.venue_user = make_portal_user(env, "h2_venue", cls.venue)
        cls.venue_zip_user = make_portal_user(env, "h2_venue_zip", cls.venue_zip)
        cls.prescriber_user = make_portal_user(env, "h2_prescriber", cls.prescriber)
        cls.prescriber_2_user = make_portal_user(
            env, "h2_prescriber_2", cls.prescriber_2
        )
        cls.staff = new_test_user(
            env,
            login="h2_staff",
            groups="base.group_user,pass_numerique.pass_numerique_group_user",
        )
        cls.manager = new_test_user(
            env,
            login="h2_manager",
            groups="base.group_user,pass_numerique.pass_numerique_group_manager",
        )
        Book = env["pass.book"]
        cls.book, cls.book_2, cls.book_undistributed = Book.browse(
            cls.program.issue_books(3, 5)
        )
        (cls.book | cls.book_2).distribute(cls.prescriber.id)

    # ------------------------------------------------------------------ helpers
    def redeem(self, code, venue=None, service="h2_workshop", user=None):
        venue = venue or self.venue
        return self.Voucher.with_user(user or self.venue_user).redeem_code(
            code, venue.id, service
        )

    def check(self, code, venue=None, service="h2_workshop", user=None):
        venue = venue or self.venue
        return self.Voucher.with_user(user or self.venue_user).check_code(
            code, venue.id, service
        )

    def attempts(self, venue=None):
        return self.Attempt.search([("venue_id", "=", (venue or self.venue).id)])

    def snapshot(self):
        """Every field a redemption may change, for all passes of the fixtures."""
        vouchers = self.Voucher.search(
            [("program_id", "=", self.program.id)], order="id"
        )
        vouchers.invalidate_recordset()
        return vouchers.read(
            [
                "state",
                "venue_id",
                "service_id",
                "redeemed_at",
                "redeemed_by_id",
                "beneficiary_id",
            ]
        )

    def assertRefused(self, res, reason):
        self.assertEqual(
            res, {"ok": False, "reason": reason, "message": res.get("message")}
        )
        self.assertTrue(res["message"], "a refusal explains itself")
        self.assertNotEqual(
            res["message"], reason, "the message is a sentence, not the code"
        )

    def assertCheckRefused(self, res, reason):
        self.assertIs(res["ok"], False)
        self.assertEqual(res["reason"], reason)
        self.assertTrue(res["message"])

    def assertOnlyAttemptLogged(
        self, before, attempts_before, reason, venue=None, count=1
    ):
        """Nothing but the attempt log changed: ``count`` new refused
        redemptions (and the checks made with them, refused alike)."""
        self.assertEqual(self.snapshot(), before, "a refusal changed a pass")
        new = self.attempts(venue) - attempts_before
        redemptions = new.filtered(lambda a: a.operation == "redeem")
        self.assertEqual(len(redemptions), count)
        self.assertEqual(set(new.mapped("reason")), {reason})
        self.assertFalse(any(new.mapped("ok")))
        return redemptions
