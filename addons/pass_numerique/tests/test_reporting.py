# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Back-office reporting: the pass and funder analyses (SQL views), their
measures and group-bys, the small-number suppression and who may read them."""

from datetime import timedelta
from itertools import pairwise

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

from .common import (
    make_funder,
    make_prescriber,
    make_program,
    make_service,
    make_venue,
)


class ReportingFixture:
    """Two funders, a co-funded programme and one of funder B's own, venues in
    two communes of Gironde, two prescribers, 8 beneficiaries (6 aged 60-74,
    2 aged 18-24) who each used one pass."""

    @classmethod
    def _build_reporting_fixture(cls):
        env = cls.env
        env.company.country_id = env.ref("base.fr")
        cls.service_mail = make_service(
            env, "pn_rep_mail", "Messagerie (rep)", "daily_tools"
        )
        cls.service_admin = make_service(env, "pn_rep_admin", "Démarche (rep)")
        services = cls.service_mail | cls.service_admin
        cls.funder_a = make_funder(env, "Financeur A (rep)", is_company=True)
        cls.funder_b = make_funder(
            env, "Financeur B (rep)", funder_type="social", is_company=True
        )
        today = fields.Date.today()

        def program(code, name, fundings):
            return make_program(
                env,
                code,
                name,
                fundings,
                services,
                date_start=today - timedelta(days=30),
                date_end=today + timedelta(days=700),
            )

        cls.program_ab = program(
            "PN_REP_AB",
            "Dispositif A et B (rep)",
            [(cls.funder_a, 60.0), (cls.funder_b, 40.0)],
        )
        cls.program_b = program(
            "PN_REP_B", "Dispositif B seul (rep)", [(cls.funder_b, 100.0)]
        )
        cls.venue_bordeaux = make_venue(env, "Lieu Bordeaux (rep)", "33000", services)
        cls.venue_pessac = make_venue(
            env, "Lieu Pessac (rep)", "33600", services, city="Pessac"
        )
        cls.prescriber_1 = make_prescriber(env, "CCAS (rep)")
        cls.prescriber_2 = make_prescriber(env, "France Services (rep)")
        Book = env["pass.book"]
        cls.books_ab = Book.browse(cls.program_ab.issue_books(9, 2))
        cls.books_ab[:8].distribute(cls.prescriber_1.id)
        cls.books_ab[8].distribute(cls.prescriber_2.id)
        cls.books_b = Book.browse(cls.program_b.issue_books(2, 2))
        cls.books_b.distribute(cls.prescriber_2.id)
        Beneficiary = env["pass.beneficiary"]
        facts = [("60_74", "retired")] * 6 + [("18_24", "job_seeker")] * 2
        cls.beneficiaries = Beneficiary.create(
            [
                {
                    "prescriber_id": cls.prescriber_1.id,
                    "age_band": band,
                    "situation": situation,
                    "zip": "33000",
                    "consent_date": fields.Date.today(),
                }
                for band, situation in facts
            ]
        )
        for book, beneficiary in zip(cls.books_ab[:8], cls.beneficiaries, strict=True):
            book.hand_to_beneficiary(beneficiary.id)
        Voucher = env["pass.voucher"]
        # One pass of each handed book used: 5 at Bordeaux for mail, 3 at
        # Pessac for an online procedure; one pass of programme B at Pessac.
        for index, book in enumerate(cls.books_ab[:8]):
            venue_used, service = (
                (cls.venue_bordeaux, cls.service_mail)
                if index < 5
                else (cls.venue_pessac, cls.service_admin)
            )
            result = Voucher.redeem_code(
                book.voucher_ids.sorted("number")[0].code, venue_used.id, service.code
            )
            assert result["ok"], result
        result = Voucher.redeem_code(
            cls.books_b[0].voucher_ids[0].code,
            cls.venue_pessac.id,
            cls.service_admin.code,
        )
        assert result["ok"], result
        # The analysis is a materialized view: refreshed as the cron does.
        env["pass.report"]._refresh()


@tagged("post_install", "-at_install")
class TestPassReport(ReportingFixture, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._build_reporting_fixture()
        cls.Report = cls.env["pass.report"]
        cls.programs = cls.program_ab | cls.program_b
        cls.domain = [("program_id", "in", cls.programs.ids)]

    def test_one_row_per_pass_with_its_facts(self):
        vouchers = self.env["pass.voucher"].search(self.domain)
        rows = self.Report.search(self.domain)
        self.assertEqual(len(rows), len(vouchers))
        self.assertEqual(len(rows), 22)
        redeemed = rows.filtered(lambda r: r.state == "redeemed")
        self.assertEqual(len(redeemed), 9)
        pessac = redeemed.filtered(lambda r: r.venue_id == self.venue_pessac)
        self.assertEqual(set(pessac.mapped("commune")), {"Pessac"})
        self.assertEqual(
            pessac.department_id,
            self.env.ref("l10n_fr_department.res_country_department_gironde"),
        )
        self.assertEqual(set(pessac.mapped("service_category")), {"admin"})
        one = redeemed.filtered(lambda r: r.beneficiary_id == self.beneficiaries[0])
        self.assertEqual((one.age_band, one.situation), ("60_74", "retired"))
        self.assertEqual(one.holder_id, self.prescriber_1)

    def test_measures_by_programme(self):
        Report = self.Report
        result = Report._read_group(
            self.domain,
            groupby=["program_id"],
            aggregates=[
                "__count",
                "distributed_count:sum",
                "redeemed_count:sum",
                "amount_redeemed:sum",
            ],
        )
        groups = {program: tuple(figures) for program, *figures in result}
        self.assertEqual(groups[self.program_ab], (18, 18, 8, 80.0))
        self.assertEqual(groups[self.program_b], (4, 4, 1, 10.0))

    def test_group_by_month_service_venue_department(self):
        month = fields.Date.today().replace(day=1)
        groups = self.Report._read_group(
            [*self.domain, ("state", "in", ("redeemed", "settled"))],
            groupby=["month:month", "service_id", "commune"],
            aggregates=["__count"],
        )
        found = {(m, s, c): n for m, s, c, n in groups}
        self.assertEqual(
            found,
            {
                (month, self.service_mail, "Bordeaux"): 5,
                (month, self.service_admin, "Pessac"): 4,
            },
        )

    def test_month_of_redemption_is_counted_in_paris(self):
        # 31 January 23:30 UTC is 1 February in Paris, 22:30 UTC is not.
        used = self.Report.search(
            [*self.domain, ("state", "in", ("redeemed", "settled"))], limit=2
        ).voucher_id
        for voucher, stamp in zip(
            used, ("2026-01-31 23:30:00", "2026-01-31 22:30:00"), strict=True
        ):
            self.env.cr.execute(
                SQL(
                    "UPDATE pass_voucher SET redeemed_at = %s WHERE id = %s",
                    stamp,
                    voucher.id,
                )
            )
        self.Report._refresh()
        months = {
            r.voucher_id: r.month
            for r in self.Report.search([("voucher_id", "in", used.ids)])
        }
        self.assertEqual(months[used[0]], fields.Date.to_date("2026-02-01"))
        self.assertEqual(months[used[1]], fields.Date.to_date("2026-01-01"))
        groups = self.Report.read_group(
            [("voucher_id", "in", used.ids)], ["__count"], ["month:month"]
        )
        self.assertEqual([g["month_count"] for g in groups], [1, 1])

    def test_pivot_groups_in_the_order_of_names(self):
        # Sorted after the query, by the venues' order (their names), empty
        # group last; the same order as the ORM's, which a limit falls back to.
        self.venue_bordeaux.name = "Zz Lieu Bordeaux (rep)"
        self.env.flush_all()
        domain = [*self.domain, ("state", "in", ("redeemed", "settled"))]
        for model in (self.Report, self.env["pass.funder.report"]):
            groups = model.read_group(domain, ["__count"], ["venue_id"])
            limited = model.read_group(domain, ["__count"], ["venue_id"], limit=80)
            self.assertEqual(
                [g["venue_id"][0] for g in groups],
                [self.venue_pessac.id, self.venue_bordeaux.id],
            )
            self.assertEqual(groups, limited)
            both = model.read_group(
                self.domain, ["__count"], ["state", "venue_id"], lazy=False
            )
            self.assertEqual(
                [(g["state"], g["venue_id"] and g["venue_id"][0]) for g in both],
                [
                    (g["state"], g["venue_id"] and g["venue_id"][0])
                    for g in model.read_group(
                        self.domain,
                        ["__count"],
                        ["state", "venue_id"],
                        lazy=False,
                        limit=1000,
                    )
                ],
            )
            self.assertIn(
                (self.venue_pessac.id, self.venue_bordeaux.id),
                [
                    (a["venue_id"][0], b["venue_id"][0])
                    for a, b in pairwise(both)
                    if a["venue_id"] and b["venue_id"] and a["state"] == b["state"]
                ],
            )

    def test_delay_from_hand_out_to_redemption(self):
        # The programme B books were handed out 10 days ago.
        self.env.cr.execute(
            SQL(
                "UPDATE pass_book_distribution SET date = date - interval '10 days' "
                "WHERE book_id IN %(books)s",
                books=tuple(self.books_b.ids),
            )
        )
        self.Report._refresh()
        [(delay,)] = self.Report._read_group(
            [("program_id", "=", self.program_b.id), ("state", "=", "redeemed")],
            aggregates=["delay_days:avg"],
        )
        self.assertAlmostEqual(delay, 10.0, delta=0.1)

    def test_refresh_brings_new_redemptions(self):
        voucher = self.books_b[1].voucher_ids[0]
        result = self.env["pass.voucher"].redeem_code(
            voucher.code, self.venue_bordeaux.id, self.service_mail.code
        )
        self.assertTrue(result["ok"])
        used = [("program_id", "=", self.program_b.id), ("state", "=", "redeemed")]
        self.assertEqual(self.Report.search_count(used), 1)
        self.Report._refresh()
        self.assertEqual(self.Report.search_count(used), 2)

    def test_funder_report_splits_by_share(self):
        groups = {
            (funder, program): (funded, redeemed, count)
            for funder, program, funded, redeemed, count in self.env[
                "pass.funder.report"
            ]._read_group(
                self.domain,
                groupby=["funder_id", "program_id"],
                aggregates=[
                    "amount_funded:sum",
                    "amount_redeemed:sum",
                    "redeemed_count:sum",
                ],
            )
        }
        self.assertEqual(
            groups,
            {
                (self.funder_a, self.program_ab): (108.0, 48.0, 8),
                (self.funder_b, self.program_ab): (72.0, 32.0, 8),
                (self.funder_b, self.program_b): (40.0, 10.0, 1),
            },
        )
        [(funder_type,)] = self.env["pass.funder.report"]._read_group(
            [
                ("funder_id", "=", self.funder_b.id),
                ("program_id", "=", self.program_b.id),
            ],
            groupby=["funder_type"],
        )
        self.assertEqual(funder_type, "social")

    def test_small_numbers_suppressed_by_age_band(self):
        groups = {
            g["age_band"]: g
            for g in self.Report.read_group(
                [*self.domain, ("beneficiary_id", "!=", False)],
                ["people_count", "redeemed_count"],
                ["age_band"],
                lazy=False,
            )
        }
        self.assertEqual(groups["60_74"]["people_count"], 6)
        self.assertEqual(groups["60_74"]["redeemed_count"], 6)
        self.assertEqual(groups["60_74"]["__count"], 12)
        # Two people: nothing of the group is shown.
        self.assertIs(groups["18_24"]["people_count"], False)
        self.assertIs(groups["18_24"]["redeemed_count"], False)
        self.assertIs(groups["18_24"]["__count"], False)

    def test_small_numbers_suppressed_when_people_asked(self):
        groups = {
            g["venue_id"][0]: g
            for g in self.Report.read_group(
                [*self.domain, ("state", "=", "redeemed")],
                ["people_count", "redeemed_count"],
                ["venue_id"],
            )
        }
        self.assertEqual(groups[self.venue_bordeaux.id]["people_count"], 5)
        # Pessac: 3 people, hidden; its passes (not a group of people) shown.
        self.assertIs(groups[self.venue_pessac.id]["people_count"], False)
        self.assertEqual(groups[self.venue_pessac.id]["redeemed_count"], 4)

    def test_without_people_nothing_is_hidden(self):
        [group] = self.Report.read_group(
            [("program_id", "=", self.program_b.id)], ["redeemed_count"], []
        )
        self.assertEqual(group["redeemed_count"], 1)
        self.assertNotIn("people_count", group)

    def test_only_pass_users_read_the_analyses(self):
        portal = new_test_user(
            self.env, login="pn_rep_portal", groups="base.group_portal"
        )
        employee = new_test_user(
            self.env, login="pn_rep_employee", groups="base.group_user"
        )
        staff = new_test_user(
            self.env,
            login="pn_rep_staff",
            groups="pass_numerique.pass_numerique_group_user",
        )
        for user in (portal, employee):
            for model in ("pass.report", "pass.funder.report"):
                with self.assertRaises(AccessError):
                    self.env[model].with_user(user).search_count(self.domain)
        self.assertEqual(self.Report.with_user(staff).search_count(self.domain), 22)

    def test_funder_money_hook_answers_for_the_portal(self):
        money = self.env["pass.funder.report"]._funder_money(
            self.funder_a, self.program_ab
        )
        self.assertEqual(set(money) >= {"received", "spent", "held", "currency"}, True)
        self.assertIsInstance(
            self.env["pass.funder.report"]._funder_statements(
                self.funder_a, self.program_ab
            ),
            list,
        )
