# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import (
    MANAGER_GROUP,
    USER_GROUP,
    PassNumeriqueCommon,
    make_company_user,
    make_portal_user,
)


@tagged("post_install", "-at_install")
class TestPassAccess(PassNumeriqueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.books = cls.env["pass.book"].browse(cls.program.issue_books(2, 5))
        cls.books[0].distribute(cls.prescriber.id)

    # ------------------------------------------------------------ Pass user
    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_pass_user_cannot_edit_programmes(self):
        Program = self.env["pass.program"].with_user(self.pass_user)
        # Reading is allowed: staff follow the programmes.
        self.assertEqual(Program.search([("id", "=", self.program.id)]), self.program)
        self.assertEqual(Program.browse(self.program.id).face_value, 10.0)
        with self.assertRaises(AccessError):
            Program.create(
                {"name": "Pirate", "code": "PIRATE", "date_end": "2030-12-31"}
            )
        with self.assertRaises(AccessError):
            Program.browse(self.program.id).write({"face_value": 1000.0})
        with self.assertRaises(AccessError):
            Program.browse(self.program.id).unlink()
        with self.assertRaises(AccessError):
            self.program.funding_ids[0].with_user(self.pass_user).write(
                {"share": 100.0}
            )
        with self.assertRaises(AccessError):
            self.env["pass.program.funding"].with_user(self.pass_user).create(
                {
                    "program_id": self.program.id,
                    "partner_id": self.prescriber.id,
                    "share": 1,
                }
            )
        with self.assertRaises(AccessError):
            self.env["pass.service"].with_user(self.pass_user).create(
                {"code": "pirate", "name": "Pirate", "category": "admin"}
            )
        self.program.invalidate_recordset()
        self.assertEqual(self.program.face_value, 10.0)
        self.assertEqual(sorted(self.program.funding_ids.mapped("share")), [40.0, 60.0])

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_pass_user_cannot_change_programme_state(self):
        with self.assertRaises(AccessError):
            self.program.with_user(self.pass_user).action_close()
        self.assertEqual(self.program.state, "active")
        draft = self._create_program("USERDRAFT")
        with self.assertRaises(AccessError):
            draft.with_user(self.pass_user).action_activate()
        self.assertEqual(draft.state, "draft")

    def test_pass_manager_edits_programmes(self):
        Program = self.env["pass.program"].with_user(self.pass_manager)
        program = Program.create(
            {
                "name": "Programme du responsable",
                "code": "MGR",
                "date_end": "2030-12-31",
                "funding_ids": [
                    Command.create({"partner_id": self.funder_state.id, "share": 100.0})
                ],
            }
        )
        program.write({"face_value": 20.0})
        program.action_activate()
        books = program.issue_books(1, 5)
        self.assertEqual(len(books), 1)
        program.action_close()
        self.assertEqual(program.state, "closed")
        self.assertEqual(program.voucher_count, 5)
        self.assertEqual(program.amount_issued, 100.0)

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.models")
    def test_pass_user_cannot_mark_funders_paid(self):
        with self.assertRaises(AccessError):
            self.books.with_user(self.pass_user).action_mark_funders_paid()
        self.assertFalse(any(self.books.mapped("funders_paid")))

    # ------------------------------------------------------------ partners
    def test_manager_implies_contact_creation(self):
        self.assertTrue(self.pass_manager.has_group("base.group_partner_manager"))
        self.assertFalse(self.pass_user.has_group("base.group_partner_manager"))
        Partner = self.env["res.partner"].with_user(self.pass_manager)
        venue = Partner.create(
            {
                "name": "Médiathèque de Mérignac (test)",
                "is_company": True,
                "is_pass_venue": True,
                "zip": "33700",
                "city": "Mérignac",
                "country_id": self.france.id,
                "pass_service_ids": [Command.set(self.service_admin.ids)],
            }
        )
        venue.action_pass_qualify()
        self.assertEqual(venue.pass_venue_state, "qualified")
        self.assertTrue(venue.pass_qualified_date)
        self.assertEqual(venue.country_department_id, self.gironde)
        funder = Partner.create(
            {
                "name": "Bordeaux Métropole (test)",
                "is_pass_funder": True,
                "pass_funder_type": "commune",
            }
        )
        self.assertTrue(funder.is_pass_funder)
        with (
            mute_logger("odoo.addons.base.models.ir_model"),
            self.assertRaises(AccessError),
        ):
            self.env["res.partner"].with_user(self.pass_user).create(
                {"name": "Lieu pirate", "is_pass_venue": True}
            )

    # ------------------------------------------------------------ portal
    @mute_logger(
        "odoo.addons.base.models.ir_model",
        "odoo.models",
        "odoo.addons.base.models.ir_rule",
    )
    def test_portal_user_reads_nothing(self):
        env = self.env(user=self.portal_user)
        with self.assertRaises(AccessError):
            env["pass.book.distribution"].search([])
        # Programmes and shares are readable by the portal, through record
        # rules keeping the user's organisation's own: none here.
        for model in ("pass.program", "pass.program.funding"):
            self.assertFalse(env[model].search([]), model)
        with self.assertRaises(AccessError):
            env["pass.program"].browse(self.program.id).read(["name"])
        for model in ("pass.book", "pass.voucher"):
            self.assertFalse(env[model].search([]), model)
        with self.assertRaises(AccessError):
            env["pass.book"].browse(self.books[0].id).read(["name"])
        with self.assertRaises(AccessError):
            env["pass.voucher"].browse(self.books[0].voucher_ids[0].id).read(["code"])
        with self.assertRaises(AccessError):
            env["pass.book"].browse(self.books[0].id).write({"state": "cancelled"})
        with self.assertRaises(AccessError):
            env["pass.voucher"].browse(self.books[0].voucher_ids[0].id).write(
                {"state": "cancelled"}
            )
        with self.assertRaises(AccessError):
            env["pass.program"].browse(self.program.id).issue_books(1, 5)
        self.assertEqual(
            set(self.books[0].voucher_ids.mapped("state")), {"distributed"}
        )

    @mute_logger(
        "odoo.addons.base.models.ir_model",
        "odoo.models",
        "odoo.addons.base.models.ir_rule",
    )
    def test_portal_prescriber_sees_only_its_books(self):
        user = make_portal_user(
            self.env, "ccas_portal", self.prescriber, "Agent CCAS (test)"
        )
        env = self.env(user=user)
        self.assertEqual(env["pass.book"].search([]), self.books[0])
        self.assertEqual(env["pass.voucher"].search([]), self.books[0].voucher_ids)
        with self.assertRaises(AccessError):
            env["pass.book"].browse(self.books[1].id).read(["name"])
        # The programme of the books it holds, read only.
        self.assertEqual(env["pass.program"].search([]), self.books[0].program_id)
        with self.assertRaises(AccessError):
            env["pass.program"].browse(self.books[0].program_id.id).write({"name": "x"})


@tagged("post_install", "-at_install")
class TestMultiCompany(PassNumeriqueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.books_a = cls.env["pass.book"].browse(cls.program.issue_books(1, 5))
        cls.company_b = cls.env["res.company"].create(
            {"name": "Coopérative B (test)", "currency_id": cls.eur.id}
        )
        cls.manager_b = make_company_user(
            cls.env, "pass_manager_b", MANAGER_GROUP, cls.company_b
        )
        cls.user_b = make_company_user(
            cls.env, "pass_user_b", USER_GROUP, cls.company_b
        )

    @mute_logger("odoo.addons.base.models.ir_rule", "odoo.models")
    def test_company_b_sees_nothing_of_a(self):
        for user in (self.manager_b, self.user_b):
            env = self.env(
                user=user, context={"allowed_company_ids": self.company_b.ids}
            )
            for model in (
                "pass.program",
                "pass.program.funding",
                "pass.book",
                "pass.voucher",
                "pass.book.distribution",
            ):
                self.assertFalse(env[model].search([]), f"{model} as {user.login}")
            with self.assertRaises(AccessError):
                env["pass.program"].browse(self.program.id).read(["name"])
            with self.assertRaises(AccessError):
                env["pass.book"].browse(self.books_a.id).read(["name"])
            with self.assertRaises(AccessError):
                env["pass.voucher"].browse(self.books_a.voucher_ids[0].id).read(
                    ["code"]
                )
            with self.assertRaises(AccessError):
                self.books_a.with_env(env).distribute(self.prescriber.id)
        env = self.env(
            user=self.manager_b, context={"allowed_company_ids": self.company_b.ids}
        )
        with self.assertRaises(AccessError):
            env["pass.program"].browse(self.program.id).issue_books(1, 5)
        with self.assertRaises(AccessError):
            env["pass.program"].browse(self.program.id).write({"face_value": 1.0})
        self.assertEqual(self.program.book_count, 1)
        self.assertEqual(self.books_a.state, "available")

    def test_company_b_has_its_own_programmes(self):
        env = self.env(
            user=self.manager_b, context={"allowed_company_ids": self.company_b.ids}
        )
        program_b = env["pass.program"].create(
            {
                "name": "Programme B",
                # The same code as company A's: codes are unique per company.
                "code": self.program.code,
                "date_end": "2030-12-31",
                "funding_ids": [
                    Command.create({"partner_id": self.funder_state.id, "share": 100.0})
                ],
            }
        )
        self.assertEqual(program_b.company_id, self.company_b)
        program_b.action_activate()
        books_b = env["pass.book"].browse(program_b.issue_books(1, 5))
        self.assertEqual(books_b.company_id, self.company_b)
        self.assertEqual(books_b.voucher_ids.company_id, self.company_b)
        self.assertEqual(env["pass.book"].search([]), books_b)
        # Company A's staff do not see B's books either.
        env_a = self.env(user=self.pass_manager)
        self.assertNotIn(books_b.id, env_a["pass.book"].search([]).ids)
        self.assertNotIn(program_b.id, env_a["pass.program"].search([]).ids)
