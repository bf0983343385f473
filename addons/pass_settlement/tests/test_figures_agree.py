# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""One definition per figure (used, settled, people): the funder's
dashboard, its statement and the programme figures agree for one scenario;
the venue's statement no longer asks for passes it has sent; statement and
slip files say whose they are."""

import re
from datetime import date, timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from odoo.addons.pass_numerique.tools.filename import file_slug
from odoo.addons.pass_numerique.tools.guard import guarded_write

from .test_statement import StatementCommon


@tagged("post_install", "-at_install")
class TestFiguresAgree(StatementCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.funder_user = cls._portal_user(cls.state_funder, "agree_funder")
        cls.venue_user = cls._portal_user(cls.venue, "agree_venue")

    def _scenario(self):
        """7 passes used (5 settled), and 6 people each handed a pass they
        have not used yet: the people helped are not only those who used."""
        remittance = self._build()
        prescriber = self.env["res.partner"].create(
            {"name": "CCAS (agree)", "is_company": True, "is_pass_prescriber": True}
        )
        people = self.env["pass.beneficiary"].create(
            [
                {
                    "prescriber_id": prescriber.id,
                    "age_band": "60_74",
                    "zip": "33000",
                    "consent_date": fields.Date.today(),
                }
                for _i in range(6)
            ]
        )
        unused = self.env["pass.voucher"].search(
            [("program_id", "=", self.program.id), ("state", "=", "distributed")],
            limit=6,
        )
        self.assertEqual(len(unused), 6)
        with guarded_write():
            for voucher, person in zip(unused, people, strict=True):
                voucher.beneficiary_id = person
        self.env["pass.report"]._refresh()
        return remittance

    def _kpi(self, html, css_class):
        match = re.search(css_class + r"[^>]*>\s*([^<]+?)\s*<", html)
        self.assertTrue(match, css_class)
        return match.group(1)

    def test_dashboard_statement_and_programme_agree(self):
        self._scenario()
        figures = self.program._pass_figures()[self.program]
        self.assertEqual(figures, {"used": 7, "settled": 5, "people": 6})
        # The statement since the start: the same used and settled passes.
        statement = self._statement(self.state_funder, date(2000, 1, 1), self.today)
        [row] = statement["rows"]
        self.assertEqual(row["redeemed_count"], figures["used"])
        self.assertEqual(row["settled_count"], figures["settled"])
        # The funder's dashboard: the same three figures.
        self.authenticate("agree_funder", "agree_funder-pwd-2026")
        page = self.url_open(f"/my/pass-funding/{self.program.id}")
        self.assertEqual(page.status_code, 200)
        self.assertEqual(self._kpi(page.text, "o_pass_kpi_used"), "7")
        self.assertIn("dont 5 réglés aux lieux", page.text)
        self.assertEqual(self._kpi(page.text, "o_pass_kpi_people"), "6")
        self.assertEqual(self._kpi(page.text, "o_pass_program_used"), "7")

    def test_statement_counts_passes_of_books_not_invoiced(self):
        # Passes of a book issued without an order (never invoiced to the
        # funder) are settled on 4181: used in the statement as in "settled".
        self._build()
        book = self.env["pass.book"].browse(self.program.issue_books(1, 2))
        book.distribute(self.state_funder.id)
        self._redeem(book.voucher_ids)
        self._remit()
        statement = self._statement(
            self.state_funder, self.today - timedelta(days=1), self.today
        )
        [row] = statement["rows"]
        figures = self.program._pass_figures(
            self.today - timedelta(days=1), self.today
        )[self.program]
        self.assertEqual(row["redeemed_count"], figures["used"])
        self.assertEqual(figures["used"], 9)
        self.assertEqual(row["settled_count"], figures["settled"])
        self.assertLedgerOk()

    def test_period_cuts_used_passes_in_paris(self):
        self._build()
        figures = self.program._pass_figures(
            self.today + timedelta(days=1), self.today + timedelta(days=30)
        )[self.program]
        self.assertEqual((figures["used"], figures["settled"]), (0, 0))

    def test_venue_statement_does_not_ask_for_sent_passes(self):
        self._build()
        Statement = self.env["pass.statement"]
        start = self.today - timedelta(days=1)

        def awaiting():
            return Statement._venue_statement(
                self.venue, start, self.today, self.company
            )["totals"]["awaiting_count"]

        self.assertEqual(awaiting(), 2)
        remittance = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        remittance.action_add_redeemed()
        self.assertEqual(awaiting(), 2, "a draft has not been sent")
        remittance.action_submit()
        self.assertEqual(awaiting(), 0, "sent: nothing left to send")
        remittance.with_user(self.accountant).action_validate()
        self.assertEqual(awaiting(), 0)
        self.assertLedgerOk()

    def test_file_names_say_what_and_whom(self):
        remittance = self._build()
        Statement = self.env["pass.statement"]
        name = Statement._statement_filename(
            self.state_funder, date(2026, 1, 1), date(2026, 12, 31)
        )
        self.assertRegex(name, r"^releve-[a-z0-9-]+-2026$")
        self.assertIn(file_slug(self.state_funder.name), name)
        self.assertTrue(
            Statement._statement_filename(
                self.venue, date(2026, 3, 1), date(2026, 3, 31)
            ).endswith("-2026-03")
        )
        slip = remittance._get_report_base_filename()
        self.assertTrue(slip.startswith("bordereau-"), slip)
        self.assertIn(re.sub(r"[^A-Za-z0-9]+", "-", remittance.name), slip)
        self.authenticate("agree_funder", "agree_funder-pwd-2026")
        pdf = self.url_open(
            f"/my/pass-statements/funder/{self.state_funder.id}"
            f"?date_from={self.today.replace(month=1, day=1)}"
            f"&date_to={self.today.replace(month=12, day=31)}&report_type=pdf"
        )
        self.assertEqual(pdf.status_code, 200)
        self.assertIn(
            f'filename="releve-{name.split("-", 1)[1].rsplit("-", 1)[0]}-'
            f'{self.today.year}.pdf"',
            pdf.headers["Content-Disposition"],
        )

    def test_venue_remittance_pages_stack_on_phones(self):
        remittance = self._build()
        self.authenticate("agree_venue", "agree_venue-pwd-2026")
        for url in ("/my/pass/remittances", f"/my/pass/remittances/{remittance.id}"):
            page = self.url_open(url)
            self.assertEqual(page.status_code, 200, url)
            self.assertIn("o_pass_table_stack", page.text, url)
            self.assertIn(" label=", page.text, url)
