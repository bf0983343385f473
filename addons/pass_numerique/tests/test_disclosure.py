# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Small-cell suppression that survives subtraction: the rule alone, then
the funders' dashboard, its breakdowns checked against their totals."""

import itertools
import re

from odoo import fields
from odoo.tests import BaseCase, HttpCase, tagged

from ..tools.disclosure import SMALL_NUMBER, is_small, suppress
from .common import make_portal_user
from .test_reporting import ReportingFixture


def _recoverable(counts, hidden, total):
    """The hidden cells anybody can work out from the shown ones and the
    total, knowing a shown row holds at least one person: the hidden cells
    hold ``total - sum(shown)``, each from 1 to that minus one per other
    hidden cell. Returns {index: value} of the cells pinned to one value."""
    shown = sum(c for c, h in zip(counts, hidden, strict=True) if not h)
    rest = total - shown
    indexes = [i for i, h in enumerate(hidden) if h and counts[i]]
    if not indexes:
        return {}
    if len(indexes) == 1:
        return {indexes[0]: rest}
    top = rest - (len(indexes) - 1)
    return {i: 1 for i in indexes} if top <= 1 else {}


@tagged("post_install", "-at_install")
class TestSuppressRule(BaseCase):
    def assertSafe(self, counts, total=None):
        hidden, total_hidden = suppress(counts, total)
        total = sum(counts) if total is None else total
        self.assertEqual(len(hidden), len(counts))
        # Every small cell is hidden; zero cells are shown unless all is.
        for count, masked in zip(counts, hidden, strict=True):
            if is_small(count):
                self.assertTrue(masked, (counts, hidden))
            if count == 0 and 0 < total and not is_small(total):
                self.assertFalse(masked, (counts, hidden))
        if is_small(total):
            self.assertTrue(all(hidden) and total_hidden, (counts, hidden))
            return hidden, total_hidden
        if not total_hidden:
            # With the total known, no hidden cell comes back...
            self.assertEqual(_recoverable(counts, hidden, total), {}, counts)
            # ... and what the hidden cells share is not a small number.
            shown = sum(c for c, h in zip(counts, hidden, strict=True) if not h)
            if any(hidden):
                self.assertGreaterEqual(total - shown, SMALL_NUMBER, counts)
                for count, masked in zip(counts, hidden, strict=True):
                    if masked and count:
                        self.assertNotEqual(total - shown, count, counts)
        else:
            # Only when every person is alone in a cell.
            self.assertTrue(all(h for c, h in zip(counts, hidden, strict=True) if c))
        return hidden, total_hidden

    def test_the_issue_example(self):
        # Total 8 people, 25-39: 6, 18-24: 2 -> before, 8 - 6 gave the 2 back.
        self.assertEqual(suppress([2, 6]), ([True, True], False))
        self.assertEqual(suppress([2, 6], total=8), ([True, True], False))

    def test_examples(self):
        # Nothing small: everything shown.
        self.assertEqual(suppress([5, 9, 0]), ([False, False, False], False))
        # One small cell: the next smallest hides with it, the rest shows.
        self.assertEqual(suppress([20, 9, 6, 2]), ([False, False, True, True], False))
        # Two small cells sharing 4 people (< 5): a third one.
        self.assertEqual(suppress([20, 10, 3, 1]), ([False, True, True, True], False))
        # A small total: everything, the total too.
        self.assertEqual(suppress([2, 1, 1]), ([True, True, True], True))
        # Zeros are shown, never picked as the second cell.
        self.assertEqual(suppress([0, 6, 7, 2]), ([False, True, False, True], False))
        # Five people, one per cell: each would be 1; the total must go too.
        self.assertEqual(suppress([1] * 5), ([True] * 5, True))
        self.assertEqual(suppress([1, 1, 1, 1, 2]), ([True] * 5, False))
        # Cells sharing people (venues), with the number of people known.
        self.assertEqual(suppress([5, 3], total=8), ([True, True], False))
        self.assertEqual(suppress([6, 6, 3], total=9), ([True, True, True], False))
        self.assertEqual(suppress([]), ([], False))

    def test_every_small_breakdown(self):
        """Every breakdown of up to 4 cells of 0 to 11 people: nothing comes
        back by subtraction from its total."""
        for size in range(1, 5):
            for counts in itertools.product(range(12), repeat=size):
                self.assertSafe(list(counts))

    def test_breakdowns_sharing_people(self):
        """Cells that may share people, with the number of people known."""
        for counts in itertools.product(range(9), repeat=3):
            for total in range(max(counts), sum(counts) + 1):
                hidden, total_hidden = suppress(list(counts), total)
                if is_small(total):
                    self.assertTrue(all(hidden))
                    continue
                shown = sum(c for c, h in zip(counts, hidden, strict=True) if not h)
                masked = [c for c, h in zip(counts, hidden, strict=True) if h and c]
                self.assertTrue(
                    all(h for c, h in zip(counts, hidden, strict=True) if is_small(c))
                )
                if masked and not total_hidden:
                    self.assertGreaterEqual(len(masked), 2)
                    self.assertGreaterEqual(total - shown, SMALL_NUMBER)


@tagged("post_install", "-at_install")
class TestFunderDashboardDisclosure(ReportingFixture, HttpCase):
    """The figures of the page, against the people behind them: for every
    breakdown, its total minus its shown cells gives no masked cell back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._build_reporting_fixture()
        cls.user_a = make_portal_user(
            cls.env, "pn_disc_funder", cls.funder_a, "Contact pn_disc_funder"
        )

    def _page(self):
        self.authenticate(self.user_a.login, self.user_a.login)
        page = self.url_open("/my/pass-funding")
        self.assertEqual(page.status_code, 200)
        return page.text

    def _rows(self, html, section, end):
        """{label: people shown, or None when masked} of one breakdown."""
        part = html.split(section, 1)[1].split(end, 1)[0]
        rows = {}
        for row in re.findall(r"<tr>(.*?)</tr>", part, re.S)[1:]:
            cells = [
                re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
                for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            ]
            people = re.search(r'o_pass_people">\s*([^<]*?)\s*<', row).group(1)
            rows[cells[0]] = None if people == "masqué" else int(people)
        return rows

    def _kpi_people(self, html):
        return re.search(r'o_pass_kpi_people">\s*([^<]+?)\s*<', html).group(1)

    def assertNothingComesBack(self, rows, truth, total):
        """No masked cell equals the total minus the shown cells; at least
        two masked, sharing 5 people or more."""
        self.assertEqual(set(rows), set(truth))
        for label, shown in rows.items():
            if shown is not None:
                self.assertEqual(shown, truth[label])
        masked = [truth[label] for label, shown in rows.items() if shown is None]
        self.assertTrue(all(v >= SMALL_NUMBER for v in rows.values() if v))
        if masked:
            rest = total - sum(v for v in rows.values() if v is not None)
            self.assertGreaterEqual(len(masked), 2)
            self.assertGreaterEqual(rest, SMALL_NUMBER)
            self.assertNotIn(rest, masked)

    def test_fixture_dashboard(self):
        html = self._page()
        # 8 people: 6 aged 60-74 and retired, 2 aged 18-24 and job seekers;
        # 5 used their pass at Bordeaux for mail, 3 at Pessac.
        self.assertEqual(self._kpi_people(html), "8")
        ages = self._rows(html, "o_pass_funding_age_bands", "</table>")
        self.assertNothingComesBack(ages, {"60-74 ans": 6, "18-24 ans": 2}, 8)
        self.assertEqual(set(ages.values()), {None})
        situations = self._rows(html, "o_pass_funding_situations", "</table>")
        self.assertEqual(len(situations), 2)
        self.assertEqual(set(situations.values()), {None})
        venues = self._rows(html, "o_pass_funding_venues", "</table>")
        self.assertNothingComesBack(
            venues, {self.venue_bordeaux.name: 5, self.venue_pessac.name: 3}, 8
        )
        services = self._rows(html, "o_pass_funding_services", "</table>")
        self.assertNothingComesBack(
            services, {self.service_mail.name: 5, self.service_admin.name: 3}, 8
        )

    def test_larger_dashboard_shows_what_is_safe(self):
        """8 more people: 7 aged 25-39 employed and 1 aged 40-59 employed,
        all at Bordeaux for mail. Ages 6, 2, 7, 1 (16): 2 and 1 share 3
        people, so 6 is masked too, 7 is shown; situations 6, 2, 8: 2 and 6
        masked, 8 shown."""
        Book = self.env["pass.book"]
        books = Book.browse(self.program_ab.issue_books(8, 2))
        books.distribute(self.prescriber_1.id)
        facts = [("25_39", "employed")] * 7 + [("40_59", "employed")]
        beneficiaries = self.env["pass.beneficiary"].create(
            [
                {
                    "prescriber_id": self.prescriber_1.id,
                    "age_band": band,
                    "situation": situation,
                    "zip": "33000",
                    "consent_date": fields.Date.today(),
                }
                for band, situation in facts
            ]
        )
        for book, beneficiary in zip(books, beneficiaries, strict=True):
            book.hand_to_beneficiary(beneficiary.id)
            result = self.env["pass.voucher"].redeem_code(
                book.voucher_ids.sorted("number")[0].code,
                self.venue_bordeaux.id,
                self.service_mail.code,
            )
            self.assertTrue(result["ok"], result)
        self.env["pass.report"]._refresh()
        html = self._page()
        self.assertEqual(self._kpi_people(html), "16")
        ages = self._rows(html, "o_pass_funding_age_bands", "</table>")
        truth = {"60-74 ans": 6, "18-24 ans": 2, "25-39 ans": 7, "40-59 ans": 1}
        self.assertNothingComesBack(ages, truth, 16)
        self.assertEqual(ages["25-39 ans"], 7)
        self.assertIsNone(ages["60-74 ans"])
        situations = self._rows(html, "o_pass_funding_situations", "</table>")
        self.assertEqual(len(situations), 3)
        self.assertEqual(sorted(v for v in situations.values() if v), [8])
        # Venues: 13 at Bordeaux, 3 at Pessac; services the same.
        venues = self._rows(html, "o_pass_funding_venues", "</table>")
        self.assertNothingComesBack(
            venues, {self.venue_bordeaux.name: 13, self.venue_pessac.name: 3}, 16
        )
