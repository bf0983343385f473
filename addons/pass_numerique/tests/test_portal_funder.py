# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Portal: the funders' dashboard and the prescribers' outcome of their
passes, through HTTP as the restricted users; each sees only its own."""

import re

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from ..tools.formatting import format_count, format_days, format_number, format_percent
from .test_reporting import ReportingFixture


def _text(html):
    """The visible text of a page, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&lt;", "<")


@tagged("post_install", "-at_install")
class TestPortalFunder(ReportingFixture, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._build_reporting_fixture()
        env = cls.env

        def portal_user(login, organisation):
            contact = env["res.partner"].create(
                {"name": f"Contact {login}", "parent_id": organisation.id}
            )
            return new_test_user(
                env, login=login, groups="base.group_portal", partner_id=contact.id
            )

        cls.user_a = portal_user("pn_funder_a", cls.funder_a)
        cls.user_b = portal_user("pn_funder_b", cls.funder_b)
        cls.user_p1 = portal_user("pn_rep_prescriber_1", cls.prescriber_1)
        cls.user_p2 = portal_user("pn_rep_prescriber_2", cls.prescriber_2)

    def _get(self, login, url):
        self.authenticate(login, login)
        return self.url_open(url)

    # ------------------------------------------------------------------ funders
    def test_funder_sees_only_its_programmes(self):
        page = self._get(self.user_a.login, "/my/pass-funding")
        self.assertEqual(page.status_code, 200)
        text = _text(page.text)
        self.assertIn(self.program_ab.name, text)
        self.assertNotIn(self.program_b.name, text)
        rows = re.findall(r'data-program-id="(\d+)"', page.text)
        self.assertEqual(rows, [str(self.program_ab.id)])
        # 8 of the 18 passes handed out were used: 44.4 %; funder A's 60 %
        # share of 180 € is 108 €.
        kpi = re.search(r'o_pass_kpi_used">\s*(\d+)', page.text).group(1)
        self.assertEqual(kpi, "8")
        # In French: a decimal comma and a (no-break) space before "%".
        self.assertIn("44,4 %", text)
        self.assertNotIn("44.4", text)
        self.assertRegex(text, r"108[,.]00")
        # Breakdowns: the venues and services of programme AB only.
        self.assertIn(self.venue_bordeaux.name, text)
        self.assertIn(self.service_mail.name, text)
        # Pessac was used 3 times for programme AB (4 with programme B).
        pessac = re.search(
            re.escape(self.venue_pessac.name) + r"</div>.*?<td[^>]*>\s*(\d+)\s*</td>",
            page.text,
            re.S,
        )
        self.assertEqual(pessac.group(1), "3")
        self.assertNotIn(self.funder_b.name, text)

    def test_other_funders_programme_is_not_found(self):
        page = self._get(self.user_a.login, f"/my/pass-funding/{self.program_b.id}")
        self.assertEqual(page.status_code, 404)
        self.assertNotIn(self.program_b.name, page.text)
        page = self._get(self.user_a.login, "/my/pass-funding/999999999")
        self.assertEqual(page.status_code, 404)
        # Its own programme opens; B opens programme B.
        page = self._get(self.user_a.login, f"/my/pass-funding/{self.program_ab.id}")
        self.assertEqual(page.status_code, 200)
        page = self._get(self.user_b.login, f"/my/pass-funding/{self.program_b.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.program_b.name, page.text)
        self.assertNotIn(self.venue_bordeaux.name, page.text)

    def test_non_funders_get_no_dashboard(self):
        self.assertEqual(
            self._get(self.user_p1.login, "/my/pass-funding").status_code, 404
        )
        self.authenticate(None, None)
        page = self.url_open("/my/pass-funding", allow_redirects=False)
        self.assertIn(page.status_code, (302, 303))
        self.assertIn("/web/login", page.headers["Location"])

    def test_funder_user_cannot_read_the_data_directly(self):
        # The page reads with sudo and an explicit domain; the models stay
        # closed to the funder's user.
        for model in ("pass.program", "pass.report", "pass.funder.report"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.user_a).search_count([])
        self.assertFalse(
            self.env["pass.voucher"]
            .with_user(self.user_a)
            .search_count([("program_id", "=", self.program_ab.id)])
        )

    def test_small_numbers_suppressed_on_the_dashboard(self):
        page = self._get(self.user_a.login, "/my/pass-funding")
        ages = page.text.split("o_pass_funding_age_bands", 1)[1].split(
            "o_pass_funding_situations", 1
        )[0]
        ages = _text(ages)
        # 6 people aged 60-74, 2 aged 18-24, 8 in all: the 2 are masked, and
        # so are the 6 (else 8 - 6 gives the 2 back); their passes with them.
        self.assertRegex(ages, r"60-74 ans masqué —")
        self.assertRegex(ages, r"18-24 ans masqué —")
        self.assertNotRegex(ages, r"ans [0-9]")
        # By venue: 3 people at Pessac masked, and the 5 at Bordeaux too (the
        # passes used are not people: shown).
        venues = _text(
            page.text.split("o_pass_funding_venues", 1)[1].split(
                "o_pass_funding_territories", 1
            )[0]
        )
        self.assertIn(f"{self.venue_bordeaux.name} 5 masqué", venues)
        self.assertIn(f"{self.venue_pessac.name} 3 masqué", venues)
        kpi = re.search(r'o_pass_kpi_people">\s*([^<]+)<', page.text).group(1).strip()
        self.assertEqual(kpi, "8")

    def test_funder_b_with_few_people(self):
        page = self._get(self.user_b.login, "/my/pass-funding")
        rows = re.findall(r'data-program-id="(\d+)"', page.text)
        self.assertEqual(
            sorted(rows), sorted([str(self.program_ab.id), str(self.program_b.id)])
        )
        page = self._get(self.user_b.login, f"/my/pass-funding/{self.program_b.id}")
        # Programme B: its one used pass went to nobody recorded.
        kpi = re.search(r'o_pass_kpi_people">\s*([^<]+)<', page.text).group(1).strip()
        self.assertEqual(kpi, "0")
        self.assertIn("Aucun bénéficiaire enregistré", page.text)

    # ------------------------------------------------------------------ prescribers
    def test_prescriber_sees_what_became_of_its_passes(self):
        page = self._get(self.user_p1.login, "/my/pass-books")
        self.assertEqual(page.status_code, 200)

        def figure(name):
            return int(
                re.search(rf'o_pass_outcome_{name}">\s*(\d+)', page.text).group(1)
            )

        # 8 books of 2 passes, all handed to beneficiaries, one pass of each used.
        self.assertEqual(figure("total"), 16)
        self.assertEqual(figure("handed"), 16)
        self.assertEqual(figure("redeemed"), 8)
        self.assertEqual(figure("waiting"), 8)
        self.assertEqual(figure("not_handed"), 0)
        self.assertIn(f"{self.service_mail.name} : 5", _text(page.text))
        # No beneficiary's facts on the page (age bands are only in the form).
        outcome = page.text.split("o_pass_books_outcome", 1)[1].split(
            "o_pass_book_row", 1
        )[0]
        self.assertNotIn("60 à 74", outcome)

    def test_prescriber_counts_only_its_books(self):
        page = self._get(self.user_p2.login, "/my/pass-books")

        def figure(name):
            return int(
                re.search(rf'o_pass_outcome_{name}">\s*(\d+)', page.text).group(1)
            )

        # One book of AB and two of B, 6 passes, none handed to a beneficiary;
        # one was used all the same: used, not "to hand" any more, as on the
        # book cards.
        self.assertEqual(figure("total"), 6)
        self.assertEqual(figure("handed"), 0)
        self.assertEqual(figure("redeemed"), 1)
        self.assertEqual(figure("not_handed"), 5)
        cards = sum(int(n) for n in re.findall(r'o_pass_book_used">(\d+)<', page.text))
        self.assertEqual(cards, 1)
        self.assertNotIn(self.service_mail.name, page.text)


@tagged("post_install", "-at_install")
class TestFormatting(TransactionCase):
    """Numbers as the user's language writes them (tools/formatting.py)."""

    def test_french_and_english(self):
        self.env["res.lang"]._activate_lang("en_US")
        self.env["res.lang"]._activate_lang("fr_FR")
        fr = self.env(context={"lang": "fr_FR"})
        en = self.env(context={"lang": "en_US"})
        self.assertEqual(format_percent(fr, 11.56), "11,6\xa0%")
        self.assertEqual(format_percent(en, 11.56), "11.6%")
        self.assertEqual(format_percent(fr, 40, 0), "40\xa0%")
        self.assertEqual(format_days(fr, 0.0), "0,0 j")
        # A tiny negative average is no "-0,0".
        self.assertEqual(format_days(fr, -0.01), "0,0 j")
        # The thousands separator is the language's (a no-break space).
        self.assertRegex(format_number(fr, 1250.5, 1), r"^1\s250,5$")
        self.assertEqual(format_count(en, 1250), "1,250")
        self.assertEqual(format_percent(fr, None), "")
