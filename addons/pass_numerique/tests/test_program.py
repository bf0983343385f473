# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import date

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import PassNumeriqueCommon


@tagged("post_install", "-at_install")
class TestProgram(PassNumeriqueCommon):
    # ------------------------------------------------------------ defaults
    def test_defaults(self):
        program = self.env["pass.program"].create(
            {"name": "Programme minimal", "code": "MIN", "date_end": "2030-12-31"}
        )
        self.assertEqual(program.state, "draft")
        self.assertEqual(program.fee_rate, 4.0)
        self.assertEqual(program.activation, "on_issue")
        self.assertEqual(program.unused_policy, "refund")
        self.assertEqual(program.validity_months, 12)
        self.assertEqual(program.company_id, self.env.company)
        self.assertEqual(program.currency_id, self.env.company.currency_id)
        self.assertEqual(program.display_name, "[MIN] Programme minimal")

    def test_fixture_programme(self):
        self.assertEqual(self.program.state, "active")
        self.assertEqual(self.program.funder_ids, self.funder_state | self.funder_dept)
        self.assertEqual(sorted(self.program.funding_ids.mapped("share")), [40.0, 60.0])
        self.assertEqual(
            set(self.program.funding_ids.mapped("funder_type")),
            {"state", "departement"},
        )
        self.assertTrue(self.program._covers_venue(self.venue))

    def test_activation_field(self):
        program = self._create_program("PAY", activation="on_payment")
        self.assertEqual(program.activation, "on_payment")
        with self.assertRaises(ValueError):
            self._create_program("BADACT", activation="whenever")

    # ------------------------------------------------------------ state machine
    def test_draft_active_closed(self):
        program = self._create_program("SM")
        self.assertEqual(program.state, "draft")
        program.action_activate()
        self.assertEqual(program.state, "active")
        program.action_close()
        self.assertEqual(program.state, "closed")

    def test_refused_transitions(self):
        program = self._create_program("SM2")
        with self.assertRaises(UserError):
            program.action_close()
        self.assertEqual(program.state, "draft")
        program.action_activate()
        with self.assertRaises(UserError):
            program.action_activate()
        program.action_close()
        with self.assertRaises(UserError):
            program.action_activate()
        with self.assertRaises(UserError):
            program.action_close()
        with self.assertRaises(UserError):
            program.action_draft()
        self.assertEqual(program.state, "closed")

    def test_back_to_draft_only_without_books(self):
        program = self._create_program("SM3")
        program.action_activate()
        program.action_draft()
        self.assertEqual(program.state, "draft")
        program.action_activate()
        self._issue(1, 5, program=program)
        with self.assertRaises(UserError):
            program.action_draft()
        self.assertEqual(program.state, "active")

    def test_correct_shares_back_in_draft(self):
        program = self._create_program("FIX")
        program.action_activate()
        line = program.funding_ids.filtered(lambda f: f.partner_id == self.funder_dept)
        with self.assertRaises(UserError):
            line.write({"share": 50.0})
        program.action_draft()
        program.write(
            {
                "funding_ids": [
                    Command.update((program.funding_ids - line).id, {"share": 50.0}),
                    Command.update(line.id, {"share": 50.0}),
                ]
            }
        )
        program.action_activate()
        self.assertEqual(program.state, "active")
        self.assertEqual(program.funding_ids.mapped("share"), [50.0, 50.0])

    def test_activation_needs_funders(self):
        program = self._create_program("NOFUND", shares=[])
        with self.assertRaises(UserError):
            program.action_activate()
        self.assertEqual(program.state, "draft")

    def test_state_change_is_tracked(self):
        program = self._create_program("TRACK")
        self.env.flush_all()
        self.env.cr.precommit.run()
        program.action_activate()
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = program.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state"
        )
        self.assertTrue(tracked)

    # ------------------------------------------------------------ shares
    def test_shares_total_100(self):
        self.assertEqual(
            self._create_program(
                "S60", shares=[(self.funder_state, 60.0), (self.funder_dept, 40.0)]
            ).state,
            "draft",
        )
        third = self.env["res.partner"].create(
            {"name": "CAF (test)", "is_pass_funder": True, "pass_funder_type": "social"}
        )
        program = self._create_program(
            "S33",
            shares=[
                (self.funder_state, 33.33),
                (self.funder_dept, 33.33),
                (third, 33.34),
            ],
        )
        program.action_activate()
        self.assertEqual(program.state, "active")
        self.assertEqual(
            self._create_program("S100", shares=[(third, 100.0)]).state, "draft"
        )

    def test_shares_not_100_refused(self):
        Program = self.env["pass.program"]
        count = Program.search_count([])
        for shares in (
            [(self.funder_state, 60.0), (self.funder_dept, 39.99)],
            [(self.funder_state, 60.0), (self.funder_dept, 40.01)],
            [(self.funder_state, 50.0)],
        ):
            with self.assertRaises(ValidationError):
                with self.env.cr.savepoint():
                    self._create_program("BAD", shares=shares)
        self.assertEqual(Program.search_count([]), count)

    def test_share_change_on_program_checked(self):
        program = self._create_program("EDIT")
        line = program.funding_ids.filtered(lambda f: f.partner_id == self.funder_dept)
        with self.assertRaisesRegex(ValidationError, r"\b90\b"):
            with self.env.cr.savepoint():
                program.write(
                    {"funding_ids": [Command.update(line.id, {"share": 30.0})]}
                )
        self.env.invalidate_all()
        self.assertEqual(line.share, 40.0)
        # Moving 10 points from one funder to the other in one save is fine.
        state_line = program.funding_ids - line
        program.write(
            {
                "funding_ids": [
                    Command.update(state_line.id, {"share": 50.0}),
                    Command.update(line.id, {"share": 50.0}),
                ]
            }
        )
        self.assertEqual(program.funding_ids.mapped("share"), [50.0, 50.0])

    def test_share_change_on_funding_line_checked(self):
        """Editing or deleting a funding line directly (e.g. through RPC)
        cannot break the 100 % total either."""
        program = self._create_program("LINE")
        line = program.funding_ids.filtered(lambda f: f.partner_id == self.funder_dept)
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                line.write({"share": 10.0})
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                line.unlink()
        other = self.env["res.partner"].create(
            {
                "name": "Commune (test)",
                "is_pass_funder": True,
                "pass_funder_type": "commune",
            }
        )
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                self.env["pass.program.funding"].create(
                    {"program_id": program.id, "partner_id": other.id, "share": 5.0}
                )
        program.invalidate_recordset()
        self.assertEqual(sorted(program.funding_ids.mapped("share")), [40.0, 60.0])

    def test_funding_of_active_programme_is_frozen(self):
        """Passes are split between funders by the shares: once books are
        issued, the shares cannot move."""
        line = self.program.funding_ids.filtered(
            lambda f: f.partner_id == self.funder_dept
        )
        state_line = self.program.funding_ids - line
        with self.assertRaises(UserError):
            self.program.write(
                {
                    "funding_ids": [
                        Command.update(state_line.id, {"share": 50.0}),
                        Command.update(line.id, {"share": 50.0}),
                    ]
                }
            )
        self.assertEqual(sorted(self.program.funding_ids.mapped("share")), [40.0, 60.0])

    def test_share_range_and_duplicate_funder(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self._create_program(
                    "NEG",
                    shares=[(self.funder_state, 110.0), (self.funder_dept, -10.0)],
                )
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self._create_program(
                    "DUP", shares=[(self.funder_state, 50.0), (self.funder_state, 50.0)]
                )

    # ------------------------------------------------------------ other constraints
    def test_duplicate_code_refused(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self._create_program("TEST-GIRONDE")
        self.assertEqual(
            self.env["pass.program"].search_count([("code", "=", "TEST-GIRONDE")]), 1
        )

    def test_duplicate_code_message(self):
        constraint = dict(
            (name, message)
            for name, _definition, message in self.env["pass.program"]._sql_constraints
        )
        self.assertIn("already exists", constraint["code_company_unique"])

    def test_dates(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self._create_program(
                    "DATES", date_start="2027-01-01", date_end="2026-12-31"
                )
        program = self._create_program(
            "ONEDAY", date_start="2027-01-01", date_end="2027-01-01"
        )
        self.assertEqual(program.date_end, date(2027, 1, 1))
        for field, value in (
            ("validity_months", 0),
            ("face_value", 0.0),
            ("fee_rate", 100.0),
        ):
            with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
                with self.env.cr.savepoint():
                    self._create_program(f"BAD-{field}", **{field: value})

    def test_voucher_expiry_capped_by_end_date(self):
        program = self._create_program(
            "EXP", date_start="2026-01-01", date_end="2027-03-31", validity_months=6
        )
        self.assertEqual(
            program._voucher_expiry_date(date(2026, 5, 15)), date(2026, 11, 15)
        )
        self.assertEqual(
            program._voucher_expiry_date(date(2027, 1, 10)), date(2027, 3, 31)
        )

    def test_territory_postcodes(self):
        program = self._create_program("ZIP", territory_zips="33000, 331, 2A004")
        self.assertEqual(program._territory_zip_list(), ["33000", "331", "2A004"])
        self.assertTrue(program._covers_venue(self.venue))
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                program.territory_zips = "33000, Bordeaux"
        elsewhere = self._create_program("ZIP2", territory_zips="16")
        self.assertFalse(elsewhere._covers_venue(self.venue))

    def test_form_creation(self):
        with freeze_time("2026-03-02"):
            form = Form(self.env["pass.program"])
            form.name = "Programme saisi"
            form.code = "FORM"
            form.date_end = date(2027, 12, 31)
            with form.funding_ids.new() as line:
                line.partner_id = self.funder_state
                line.share = 100.0
            program = form.save()
        self.assertEqual(program.date_start, date(2026, 3, 2))
        self.assertEqual(program.fee_rate, 4.0)
        self.assertEqual(program.funding_ids.share, 100.0)

    def test_duplicate_programme(self):
        copy = self.program.copy()
        self.assertEqual(copy.code, "TEST-GIRONDE-COPY")
        self.assertEqual(copy.name, "Pass Numérique Gironde (test) (copy)")
        self.assertEqual(copy.state, "draft")
        self.assertEqual(sorted(copy.funding_ids.mapped("share")), [40.0, 60.0])
        self.assertEqual(sorted(self.program.funding_ids.mapped("share")), [40.0, 60.0])


@tagged("post_install", "-at_install")
class TestPartnerRoles(PassNumeriqueCommon):
    def test_invalid_siret_refused(self):
        Partner = self.env["res.partner"]
        for siret in (
            "12345678901234",
            "7328293200007",
            "73282932000075",
            "ABCDEFGHIJKLMN",
        ):
            with self.assertRaises(ValidationError):
                with self.env.cr.savepoint():
                    Partner.create(
                        {
                            "name": "Lieu (SIRET faux)",
                            "is_pass_venue": True,
                            "siret": siret,
                        }
                    )
        self.assertFalse(Partner.search([("name", "=", "Lieu (SIRET faux)")]))
        venue = Partner.create(
            {
                "name": "Lieu (SIRET juste)",
                "is_pass_venue": True,
                "siret": "73282932000074",
            }
        )
        self.assertEqual(venue.siret, "73282932000074")
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                self.venue.siret = "73282932000075"
        self.env.invalidate_all()
        self.assertFalse(self.venue.siret)

    def test_funder_type(self):
        types = dict(self.env["res.partner"]._fields["pass_funder_type"].selection)
        for key in (
            "state",
            "region",
            "departement",
            "commune",
            "social",
            "company",
            "association",
        ):
            self.assertIn(key, types)
        with self.assertRaises(ValidationError):
            self.env["res.partner"].create(
                {"name": "Financeur sans type", "is_pass_funder": True}
            )
        with self.assertRaises(ValidationError):
            with self.env.cr.savepoint():
                self.funder_dept.pass_funder_type = False
        self.env.invalidate_all()
        self.assertEqual(self.funder_dept.pass_funder_type, "departement")
        self.assertEqual(
            self.program.funding_ids.mapped("funder_type"), ["state", "departement"]
        )


@tagged("post_install", "-at_install")
class TestServices(PassNumeriqueCommon):
    def test_referential_shipped(self):
        services = self.env["pass.service"].search(
            [("id", "not in", (self.service_admin | self.service_mail).ids)]
        )
        self.assertGreaterEqual(len(services), 15)
        categories = dict(self.env["pass.service"]._fields["category"].selection)
        self.assertEqual(len(categories), 9)
        self.assertEqual(set(services.mapped("category")), set(categories))
        codes = services.mapped("code")
        self.assertEqual(len(codes), len(set(codes)))
        self.assertTrue(all(codes))

    def test_service_code_unique(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint():
                self.env["pass.service"].create(
                    {
                        "code": self.service_admin.code,
                        "name": "Doublon",
                        "category": "admin",
                    }
                )
        service = (
            self.env["pass.service"]
            .with_user(self.pass_manager)
            .create(
                {
                    "code": "test_nouveau",
                    "name": "Nouveau service",
                    "category": "leisure",
                }
            )
        )
        service.with_user(self.pass_manager).name = "Créer un montage vidéo"
        self.assertEqual(service.name, "Créer un montage vidéo")
