# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Portal: the venue counter (browser tour and JSON routes) and the
prescriber's books, each user seeing and touching only their organisation's."""

import re

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, JsonRpcException, tagged

from .common import (
    PortalFormMixin,
    csrf_token,
    make_funder,
    make_portal_user,
    make_prescriber,
    make_program,
    make_service,
    make_venue,
    write_guarded,
)

# The pass the tour types (see static/tests/tours/pass_counter_tour.js).
TOUR_CODE = "3141592653589795"
# Another well-formed code (valid Damm check digit).
OTHER_CODE = "2718281828459040"


class PortalCounterCase(PortalFormMixin, HttpCase):
    """Two venues, two prescribers, their portal users and three books of a
    programme (no test of its own: the counter's tests and tours use it)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.company.country_id = env.ref("base.fr")
        cls.workshop = make_service(
            env, "pn_tour_workshop", "Atelier prise en main", "daily_tools"
        )
        cls.procedure = make_service(env, "pn_tour_procedure", "Démarche en ligne")
        funder = make_funder(env, "Département test")
        cls.program = make_program(
            env,
            "PORTAL",
            "Pass Portail",
            [(funder, 100.0)],
            cls.workshop | cls.procedure,
            company_id=cls.company.id,
        )
        cls.venue_a = make_venue(env, "Lieu A", "33000", cls.workshop | cls.procedure)
        cls.venue_b = make_venue(env, "Lieu B", "33100", cls.workshop)
        cls.user_a = make_portal_user(env, "pn_venue_a", cls.venue_a)
        cls.user_b = make_portal_user(env, "pn_venue_b", cls.venue_b)
        cls.prescriber_1 = make_prescriber(env, "CCAS test")
        cls.prescriber_2 = make_prescriber(env, "France Services test")
        cls.user_p1 = make_portal_user(env, "pn_prescriber_1", cls.prescriber_1)
        cls.user_p2 = make_portal_user(env, "pn_prescriber_2", cls.prescriber_2)

        Book = env["pass.book"]
        cls.book_1, cls.book_2, cls.book_3 = Book.browse(cls.program.issue_books(3, 4))
        (cls.book_1 | cls.book_3).distribute(cls.prescriber_1.id)
        cls.book_2.distribute(cls.prescriber_2.id)
        cls.tour_voucher = cls.book_1.voucher_ids[0]
        write_guarded(cls.tour_voucher, {"code": TOUR_CODE})

    # ------------------------------------------------------------------ helpers
    def _jsonrpc_error(self, route, params):
        with self.assertRaises(JsonRpcException) as caught:
            self.make_jsonrpc_request(route, params)
        return caught.exception


@tagged("post_install", "-at_install")
class TestPortalCounter(PortalCounterCase):
    # ------------------------------------------------------------------ venue counter
    def test_counter_tour_redeems_once(self):
        self.start_tour(
            "/my/pass-counter", "pass_counter_tour", login=self.user_a.login
        )
        voucher = self.tour_voucher
        self.assertEqual(voucher.state, "redeemed", "the tour did not redeem the pass")
        self.assertEqual(voucher.venue_id, self.venue_a)
        self.assertEqual(voucher.service_id, self.workshop)
        self.assertEqual(voucher.redeemed_by_id, self.user_a)
        attempts = self.env["pass.redemption.attempt"].search(
            [("venue_id", "=", self.venue_a.id), ("user_id", "=", self.user_a.id)]
        )
        # One attempt per redemption the tour asked for: the double click on
        # the first one sent a single request.
        self.assertEqual(sorted(attempts.mapped("ok")), [False, True])
        self.assertEqual(
            attempts.filtered(lambda a: not a.ok).reason, "already_redeemed"
        )

    def test_counter_json_check_and_redeem(self):
        self.authenticate(self.user_a.login, self.user_a.login)
        voucher = self.tour_voucher
        route = "/my/pass-counter/redeem"
        # Checking changes nothing.
        res = self.make_jsonrpc_request(
            "/my/pass-counter/check",
            {"code": "3141 5926 5358 9795", "service_code": "pn_tour_workshop"},
        )
        self.assertTrue(res["ok"], res)
        self.assertIn("Pass valable", res["message"])
        self.assertEqual(voucher.state, "distributed")
        # Bad input answers in French and changes nothing.
        for code, reason in (
            ("", "empty"),
            ("3141 5926 5358 9796", "bad_check_digit"),
            (OTHER_CODE, "unknown_code"),
            ("é" * 10000, "unknown_code"),
        ):
            res = self.make_jsonrpc_request(
                route, {"code": code, "service_code": "pn_tour_workshop"}
            )
            self.assertFalse(res["ok"])
            self.assertEqual(res["reason"], reason)
            self.assertTrue(res["message"])
        res = self.make_jsonrpc_request(
            route, {"code": TOUR_CODE, "service_code": "no_such_service"}
        )
        self.assertEqual(res["reason"], "service_not_allowed")
        self.assertIn("ne peut pas payer ce service", res["message"])
        res = self.make_jsonrpc_request(route, {"code": TOUR_CODE, "service_code": ""})
        self.assertEqual(res["reason"], "no_service")
        self.assertEqual(voucher.state, "distributed")
        # The redemption, then the second one refused.
        res = self.make_jsonrpc_request(
            route, {"code": TOUR_CODE, "service_code": "pn_tour_procedure"}
        )
        self.assertTrue(res["ok"], res)
        self.assertIn("Pass accepté", res["message"])
        self.assertEqual(res["today"]["count"], 1)
        self.assertEqual(res["today"]["rows"][0]["id"], voucher.id)
        self.assertEqual(voucher.state, "redeemed")
        self.assertEqual(voucher.service_id, self.procedure)
        res = self.make_jsonrpc_request(
            route, {"code": TOUR_CODE, "service_code": "pn_tour_procedure"}
        )
        self.assertEqual(res["reason"], "already_redeemed")
        self.assertIn("déjà été encaissé", res["message"])
        # The venue cancels its own recent redemption (mistake at the counter).
        res = self.make_jsonrpc_request(
            "/my/pass-counter/cancel",
            {"voucher_id": voucher.id, "reason": "Mauvais service"},
        )
        self.assertTrue(res["ok"], res)
        self.assertEqual(res["today"]["count"], 0)
        self.assertEqual(voucher.state, "distributed")
        self.assertFalse(voucher.venue_id)

    def test_counter_form_post_without_javascript(self):
        self.authenticate(self.user_a.login, self.user_a.login)
        token = self._csrf("/my/pass-counter")
        data = {
            "code": "3141-5926-5358-9795",
            "service_code": "pn_tour_workshop",
            "pass_action": "redeem",
        }
        # Without the CSRF token, the post is refused and nothing changes.
        response = self.url_open("/my/pass-counter", data=data)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.tour_voucher.state, "distributed")
        response = self.url_open("/my/pass-counter", data={**data, "csrf_token": token})
        self.assertEqual(response.status_code, 200)
        self.assertIn("Pass accepté", response.text)
        self.assertEqual(self.tour_voucher.state, "redeemed")
        self.assertEqual(self.tour_voucher.venue_id, self.venue_a)

    def test_counter_home_entries(self):
        self.authenticate(self.user_a.login, self.user_a.login)
        home = self.url_open("/my").text
        self.assertIn("Encaisser un pass", home)
        self.assertNotIn("/my/pass-books", home)
        self.authenticate(self.user_p1.login, self.user_p1.login)
        home = self.url_open("/my").text
        self.assertIn("/my/pass-books", home)
        self.assertNotIn("Encaisser un pass", home)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["pass_book_count"]}
        )
        # Only the requested counters (the portal script expects no other key).
        self.assertEqual(counters, {"pass_book_count": 2})
        # A prescriber has no counter, a venue no books.
        self.assertEqual(self.url_open("/my/pass-counter").status_code, 404)
        self._jsonrpc_error(
            "/my/pass-counter/redeem",
            {"code": TOUR_CODE, "service_code": "pn_tour_workshop"},
        )
        self.assertEqual(self.tour_voucher.state, "distributed")
        self.authenticate(self.user_a.login, self.user_a.login)
        self.assertEqual(self.url_open("/my/pass-books").status_code, 404)

    def test_venue_b_cannot_touch_venue_a(self):
        redeemed_a = self.tour_voucher
        res = (
            self.env["pass.voucher"]
            .with_user(self.user_a)
            .redeem_code(TOUR_CODE, self.venue_a.id, "pn_tour_workshop")
        )
        self.assertTrue(res["ok"], res)
        other = self.book_1.voucher_ids[1]

        self.authenticate(self.user_b.login, self.user_b.login)
        # Redeeming for venue A over RPC is refused; nothing is redeemed.
        error = self._jsonrpc_error(
            "/web/dataset/call_kw/pass.voucher/redeem_code",
            {
                "model": "pass.voucher",
                "method": "redeem_code",
                "args": [other.code, self.venue_a.id, "pn_tour_workshop"],
                "kwargs": {},
            },
        )
        self.assertEqual(str(error), "odoo.exceptions.AccessError")
        self.assertEqual(other.state, "distributed")
        # Venue A's redemption cannot be read...
        found = self.make_jsonrpc_request(
            "/web/dataset/call_kw/pass.voucher/search_read",
            {
                "model": "pass.voucher",
                "method": "search_read",
                "args": [[("venue_id", "=", self.venue_a.id)], ["code"]],
                "kwargs": {},
            },
        )
        self.assertEqual(found, [])
        error = self._jsonrpc_error(
            "/web/dataset/call_kw/pass.voucher/read",
            {
                "model": "pass.voucher",
                "method": "read",
                "args": [redeemed_a.ids, ["code"]],
                "kwargs": {},
            },
        )
        self.assertEqual(str(error), "odoo.exceptions.AccessError")
        # ... nor listed among venue B's redemptions of the day...
        today = self.make_jsonrpc_request("/my/pass-counter/today", {})["today"]
        self.assertEqual(today["count"], 0)
        page = self.url_open("/my/pass-counter").text
        today_list = page.split('class="o_pass_today list-group', 1)[1]
        today_list = today_list.split("</ul>", 1)[0]
        self.assertNotIn("<li", today_list)
        self.assertNotIn(redeemed_a.code_display, page)
        # ... nor cancelled: it is not found for venue B.
        error = self._jsonrpc_error(
            "/my/pass-counter/cancel", {"voucher_id": redeemed_a.id, "reason": "essai"}
        )
        self.assertEqual(error.code, 404)
        self.assertEqual(redeemed_a.state, "redeemed")
        self.assertEqual(redeemed_a.venue_id, self.venue_a)
        # The counter ignores any venue sent by the browser: the pass is
        # redeemed for venue B, the user's own.
        res = self.make_jsonrpc_request(
            "/my/pass-counter/redeem",
            {
                "code": other.code,
                "service_code": "pn_tour_workshop",
                "venue_id": self.venue_a.id,
            },
        )
        self.assertTrue(res["ok"], res)
        self.assertEqual(other.venue_id, self.venue_b)
        # A service venue B does not offer is refused.
        third = self.book_1.voucher_ids[2]
        res = self.make_jsonrpc_request(
            "/my/pass-counter/redeem",
            {"code": third.code, "service_code": "pn_tour_procedure"},
        )
        self.assertEqual(res["reason"], "service_not_allowed")
        self.assertEqual(third.state, "distributed")

    def test_counter_no_redemption_without_a_chosen_service(self):
        self.authenticate(self.user_a.login, self.user_a.login)
        # Venue A offers two services: none is chosen when the page opens.
        page = self.url_open("/my/pass-counter").text
        self.assertRegex(
            page, r'<option value="" selected="[^"]+">\s*Choisir le service'
        )
        self.assertNotRegex(page, r'value="pn_tour_\w+" selected')
        Attempt = self.env["pass.redemption.attempt"]
        attempts = Attempt.search_count([])
        # The model the portal calls refuses, whatever the page sends: no
        # service, blanks, or no value at all; nothing logged nor counted.
        Voucher = self.env["pass.voucher"].with_user(self.user_a)
        for service_code in ("", "   ", None, False):
            res = Voucher._redeem_code(
                TOUR_CODE, self.venue_a.id, service_code, channel="portal"
            )
            self.assertEqual(res["reason"], "no_service", service_code)
            self.assertFalse(res["ok"])
        self.assertEqual(self.tour_voucher.state, "distributed")
        self.assertEqual(Attempt.search_count([]), attempts)
        # Who may redeem for the venue is checked first.
        with self.assertRaises(AccessError):
            self.env["pass.voucher"].with_user(self.user_b)._redeem_code(
                TOUR_CODE, self.venue_a.id, "", channel="portal"
            )
        # Over RPC the API's reason stays (API.md).
        res = Voucher.redeem_code(TOUR_CODE, self.venue_a.id, "")
        self.assertEqual(res["reason"], "service_not_allowed")
        self.assertEqual(self.tour_voucher.state, "distributed")
        # The form without JavaScript: refused with the French sentence.
        token = self._csrf("/my/pass-counter")
        data = {"csrf_token": token, "code": TOUR_CODE, "pass_action": "redeem"}
        response = self.url_open("/my/pass-counter", data=data)
        self.assertIn("Choisissez le service rendu avant d", response.text)
        self.assertIn("alert-warning", response.text)
        self.assertEqual(self.tour_voucher.state, "distributed")
        # Redeemed with its service: the next person starts without one.
        response = self.url_open(
            "/my/pass-counter", data={**data, "service_code": "pn_tour_procedure"}
        )
        self.assertIn("Pass accepté", response.text)
        self.assertEqual(self.tour_voucher.service_id, self.procedure)
        self.assertRegex(response.text, r'<option value="" selected="[^"]+">\s*Choisir')
        # A venue with a single service has it chosen.
        self.authenticate(self.user_b.login, self.user_b.login)
        page = self.url_open("/my/pass-counter").text
        self.assertRegex(page, r'value="pn_tour_workshop" selected')

    def test_venue_lands_on_the_counter(self):
        def login(user):
            self.authenticate(None, None)
            page = self.url_open("/web/login")
            token = csrf_token(page.text)
            response = self.url_open(
                "/web/login",
                data={
                    "login": user.login,
                    "password": user.login,
                    "csrf_token": token,
                },
                allow_redirects=False,
            )
            self.assertIn(response.status_code, (302, 303))
            return response.headers["Location"]

        self.assertTrue(login(self.user_a).endswith("/my/pass-counter"))
        # The site's root too, for a venue.
        self.authenticate(self.user_a.login, self.user_a.login)
        response = self.url_open("/", allow_redirects=False)
        self.assertTrue(
            response.headers["Location"].endswith("/my/pass-counter"),
            (response.status_code, response.headers.get("Location")),
        )
        # A prescriber lands on its portal home, a link it followed wins.
        self.assertTrue(login(self.user_p1).endswith("/my"))
        self.authenticate(None, None)
        page = self.url_open("/web/login?redirect=/my/pass-books")
        token = csrf_token(page.text)
        response = self.url_open(
            "/web/login",
            data={
                "login": self.user_a.login,
                "password": self.user_a.login,
                "csrf_token": token,
                "redirect": "/my/account",
            },
            allow_redirects=False,
        )
        self.assertTrue(response.headers["Location"].endswith("/my/account"))

    def test_portal_pages_say_their_language(self):
        (self.user_a | self.user_p1).lang = "fr_FR"
        self.authenticate(self.user_a.login, self.user_a.login)
        self.assertIn('<html lang="fr-FR"', self.url_open("/my/pass-counter").text)
        self.authenticate(self.user_p1.login, self.user_p1.login)
        self.assertIn('<html lang="fr-FR"', self.url_open("/my/pass-books").text)

    # ------------------------------------------------------------------ prescriber
    def test_prescriber_hands_to_a_known_beneficiary(self):
        """A person who comes back is picked by reference: no second
        beneficiary; another organisation's reference is not found."""
        Beneficiary = self.env["pass.beneficiary"]
        known = Beneficiary.with_user(self.user_p1)._hand_book(
            self.book_1.with_user(self.user_p1),
            values={
                "prescriber_id": self.prescriber_1.id,
                "age_band": "60_74",
                "zip": "33000",
                "situation": "retired",
                "consent_date": fields.Date.today(),
            },
        )
        count = Beneficiary.search_count([])
        self.authenticate(self.user_p1.login, self.user_p1.login)
        page = self.url_open("/my/pass-books").text
        # Offered in the form of the book that still has passes to give.
        self.assertIn(f'<option value="{known.reference}"', page)
        token = self._csrf("/my/pass-books")
        response = self.url_open(
            f"/my/pass-books/{self.book_3.id}/hand",
            data={"csrf_token": token, "reference": known.reference.lower()},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"Carnet remis au bénéficiaire {known.reference}", response.text)
        self.assertEqual(Beneficiary.search_count([]), count)
        self.assertEqual(self.book_3.voucher_ids.beneficiary_id, known)
        # Prescriber 2 cannot hand its book to prescriber 1's beneficiary.
        self.authenticate(self.user_p2.login, self.user_p2.login)
        page = self.url_open("/my/pass-books").text
        self.assertNotIn(known.reference, page)
        token = self._csrf("/my/pass-books")
        response = self.url_open(
            f"/my/pass-books/{self.book_2.id}/hand",
            data={"csrf_token": token, "reference": known.reference},
        )
        self.assertIn("Aucun bénéficiaire de votre structure", response.text)
        self.assertFalse(self.book_2.voucher_ids.beneficiary_id)
        with self.assertRaises(UserError):
            Beneficiary.with_user(self.user_p2)._hand_book(
                self.book_2.with_user(self.user_p2), reference=known.reference
            )
        self.assertFalse(self.book_2.voucher_ids.beneficiary_id)
        self.assertEqual(Beneficiary.search_count([]), count)

    def test_prescriber_headline_agrees_with_its_books(self):
        """Passes used without a registered hand-over count as used in the
        headline as on the book cards."""
        Voucher = self.env["pass.voucher"]
        for voucher in (self.book_1 | self.book_3).voucher_ids[:3]:
            res = Voucher.redeem_code(voucher.code, self.venue_a.id, "pn_tour_workshop")
            self.assertTrue(res["ok"], res)
        self.authenticate(self.user_p1.login, self.user_p1.login)
        page = self.url_open("/my/pass-books").text
        cards = sum(int(n) for n in re.findall(r'o_pass_book_used">(\d+)<', page))
        headline = int(re.search(r'o_pass_outcome_redeemed">\s*(\d+)', page).group(1))
        self.assertEqual(cards, 3)
        self.assertEqual(headline, cards)
        self.assertRegex(page, r"utilisés\s*\(37,5\s%")

    def test_prescriber_books_and_hand_over(self):
        # One pass of book 1 is used at venue A.
        self.env["pass.voucher"].redeem_code(
            TOUR_CODE, self.venue_a.id, "pn_tour_workshop"
        )
        self.authenticate(self.user_p1.login, self.user_p1.login)
        page = self.url_open("/my/pass-books")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.book_1.name, page.text)
        self.assertIn(self.book_3.name, page.text)
        self.assertNotIn(self.book_2.name, page.text)
        row = re.search(
            r'data-book-id="%s".*?o_pass_book_used">(\d+)<' % self.book_1.id,
            page.text,
            re.S,
        )
        self.assertEqual(row.group(1), "1")
        self.assertNotIn(TOUR_CODE, page.text)

        good = self._hand_over_form()
        Beneficiary = self.env["pass.beneficiary"]
        count_before = Beneficiary.search_count([])
        # Bad input: a clear French error, nothing created.
        response = self.url_open(
            f"/my/pass-books/{self.book_1.id}/hand", data={**good, "zip": "3300"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Le code postal compte 5 chiffres", response.text)
        self.assertEqual(Beneficiary.search_count([]), count_before)
        # Another prescriber's book is not found, and nothing changes.
        response = self.url_open(f"/my/pass-books/{self.book_2.id}/hand", data=good)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(Beneficiary.search_count([]), count_before)
        self.assertFalse(self.book_2.voucher_ids.beneficiary_id)
        # The hand-over of the prescriber's own book.
        response = self.url_open(f"/my/pass-books/{self.book_1.id}/hand", data=good)
        self.assertEqual(response.status_code, 200)
        beneficiary = Beneficiary.search([], order="id desc", limit=1)
        self.assertEqual(Beneficiary.search_count([]), count_before + 1)
        self.assertEqual(beneficiary.prescriber_id, self.prescriber_1)
        self.assertEqual(
            (beneficiary.age_band, beneficiary.zip, beneficiary.situation),
            ("60_74", "33000", "retired"),
        )
        given = self.book_1.voucher_ids.filtered("beneficiary_id")
        self.assertEqual(
            given.mapped("state"), ["distributed"] * 3, "the redeemed pass is not given"
        )
        self.assertEqual(given.beneficiary_id, beneficiary)
        self.assertIn(
            f"Carnet remis au bénéficiaire {beneficiary.reference}", response.text
        )
        self.assertIn(beneficiary.reference, response.text)
        # A forged confirmation link confirms nothing.
        page = self.url_open("/my/pass-books?handed=B2026-999999")
        self.assertNotIn("Carnet remis", page.text)
        # Nothing left to give in book 1: a clear message, no new beneficiary.
        response = self.url_open(f"/my/pass-books/{self.book_1.id}/hand", data=good)
        self.assertIn("plus de pass à remettre", response.text)
        self.assertEqual(Beneficiary.search_count([]), count_before + 1)

        # The other prescriber sees only its own book and cannot hand book 1.
        self.authenticate(self.user_p2.login, self.user_p2.login)
        page = self.url_open("/my/pass-books")
        self.assertIn(self.book_2.name, page.text)
        self.assertNotIn(self.book_1.name, page.text)
        self.assertNotIn(beneficiary.reference, page.text)
        token = self._csrf("/my/pass-books")
        response = self.url_open(
            f"/my/pass-books/{self.book_3.id}/hand", data={**good, "csrf_token": token}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.book_3.voucher_ids.beneficiary_id)


@tagged("post_install", "-at_install")
class TestPortalCounterPhone(TestPortalCounter):
    """The same counter tour on a phone-sized touch screen (375 x 667, the
    size of a small smartphone): the venue redeems from its phone."""

    browser_size = "375x667"
    touch_enabled = True

    # Only the browser tour depends on the screen.
    test_counter_json_check_and_redeem = None
    test_counter_form_post_without_javascript = None
    test_counter_home_entries = None
    test_venue_b_cannot_touch_venue_a = None
    test_prescriber_books_and_hand_over = None
    test_counter_no_redemption_without_a_chosen_service = None
    test_venue_lands_on_the_counter = None
    test_portal_pages_say_their_language = None
    test_prescriber_hands_to_a_known_beneficiary = None
    test_prescriber_headline_agrees_with_its_books = None
