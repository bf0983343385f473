# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Trust at the boundaries (issue #11, item 7): the routes of the venue
counter, the prescriber's books and the public venue page answer bad input
(huge, negative or non-numeric ids, impossible dates, NUL bytes, 10 kB
strings, wrong JSON types) with a 404 or a French message, never a 500 nor a
database error; messages reach the page through the session, never from the
URL; and the CSV files the addon writes cannot run as spreadsheet formulas."""

import csv
import io
import json

from odoo import Command, fields
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from ..tools import open_data
from ..tools.guard import guarded_write
from .common import (
    PortalFormMixin,
    make_funder,
    make_portal_user,
    make_prescriber,
    make_program,
    make_service,
    make_venue,
)

# What a database error would put in an answer.
LEAK_MARKERS = (
    "psycopg2",
    "SELECT ",
    "WHERE ",
    "out of range",
    "NumericValueOutOfRange",
    "NUL (0x00)",
)
# What a server error would put in a page (a JSON-RPC error always carries
# Odoo's traceback; its code tells a refusal from a crash).
PAGE_LEAK_MARKERS = (
    *LEAK_MARKERS,
    "Traceback",
    "Internal Server Error",
    "Odoo Server Error",
)
HUGE = 2**40
LONG = "7" * 10_000
NUL = "abc\x00def"

# Ids of every shape a browser (or a script) can send.
BAD_IDS = [
    HUGE,
    2**31,
    2**63,
    -1,
    0,
    1.5,
    True,
    None,
    "abc",
    "",
    "1 OR 1=1",
    str(HUGE),
    "-5",
    "12\x00",
    LONG,
    [1],
    {"id": 1},
]


@tagged("post_install", "-at_install")
class TestRouteBoundaries(PortalFormMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env.company.country_id = env.ref("base.fr")
        cls.workshop = make_service(env, "pn_bnd_workshop", "Atelier (test)")
        funder = make_funder(env, "Département (test)")
        cls.program = make_program(
            env,
            "BOUNDS",
            "Pass Bornes",
            [(funder, 100.0)],
            cls.workshop,
            company_id=env.company.id,
        )
        cls.venue = make_venue(env, "Lieu bornes", "33000", cls.workshop)
        cls.prescriber = make_prescriber(env, "CCAS bornes")
        cls.user_venue = make_portal_user(env, "pn_bnd_venue", cls.venue)
        cls.user_prescriber = make_portal_user(env, "pn_bnd_prescriber", cls.prescriber)
        cls.book, cls.other_book = env["pass.book"].browse(
            cls.program.issue_books(2, 4)
        )
        cls.book.distribute(cls.prescriber.id)
        cls.other_book.distribute(funder.id)
        cls.codes = (cls.book | cls.other_book).voucher_ids.mapped("code")

    # ------------------------------------------------------------------ helpers
    def assertNoLeak(self, text, markers=LEAK_MARKERS):
        for marker in markers:
            self.assertNotIn(marker, text)
        for code in self.codes:
            self.assertNotIn(code, text.replace(" ", ""))

    def _json(self, route, params):
        """POST a JSON-RPC call; (result, error) after checking that the
        answer is no server error and leaks nothing."""
        response = self.url_open(
            route,
            data=json.dumps(
                {"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertLess(response.status_code, 500, (route, params))
        self.assertNoLeak(response.text)
        # The request wrote through its own environment.
        self.env.invalidate_all()
        answer = response.json()
        error = answer.get("error")
        if error:
            # 200 is JSON-RPC's "server error": a bug, not a refusal.
            self.assertIn(error.get("code"), (400, 403, 404), (route, params, error))
        return answer.get("result"), error

    def _http(self, url, data=None, expect=(200,)):
        response = self.url_open(url, data=data, allow_redirects=False)
        self.env.invalidate_all()
        self.assertIn(
            response.status_code,
            expect,
            (url[:80], data and {k: str(v)[:20] for k, v in data.items()}),
        )
        self.assertNoLeak(response.text, PAGE_LEAK_MARKERS)
        return response

    def _redeemed(self):
        voucher = self.book.voucher_ids[0]
        res = (
            self.env["pass.voucher"]
            .with_user(self.user_venue)
            ._redeem_code(voucher.code, self.venue.id, self.workshop.code)
        )
        self.assertTrue(res["ok"], res)
        return voucher

    # ------------------------------------------------------------------ counter
    @mute_logger("odoo.http")
    def test_cancel_bad_voucher_ids(self):
        """/my/pass-counter/cancel: every id that is not one of the venue's
        redemptions is "not found" (404), the redemption stays."""
        voucher = self._redeemed()
        self.authenticate(self.user_venue.login, self.user_venue.login)
        for bad in BAD_IDS:
            result, error = self._json(
                "/my/pass-counter/cancel", {"voucher_id": bad, "reason": "essai"}
            )
            self.assertIsNone(result, bad)
            self.assertEqual(error["code"], 404, bad)
        # Another venue's or a never-redeemed pass: not found either.
        for other in (self.other_book.voucher_ids[0], self.book.voucher_ids[1]):
            _result, error = self._json(
                "/my/pass-counter/cancel", {"voucher_id": other.id, "reason": "x"}
            )
            self.assertEqual(error["code"], 404)
        self.assertEqual(voucher.state, "redeemed")
        self.assertEqual(voucher.venue_id, self.venue)

    def test_cancel_reason_with_nul_and_long_text(self):
        """A reason with NUL bytes and 10 kB: stored cleaned and cut, the
        redemption undone, no database error."""
        voucher = self._redeemed()
        self.authenticate(self.user_venue.login, self.user_venue.login)
        result, error = self._json(
            "/my/pass-counter/cancel",
            {"voucher_id": str(voucher.id), "reason": "Erreur\x00 de saisie" + LONG},
        )
        self.assertFalse(error)
        self.assertTrue(result["ok"], result)
        self.assertEqual(voucher.state, "distributed")
        note = voucher.redemption_cancel_note or ""
        self.assertNotIn("\x00", note)
        self.assertLessEqual(len(note), 200)
        self.assertTrue(note.startswith("Erreur de saisie"), note)
        # Nothing but control characters: the counter's default reason.
        voucher = self._redeemed()
        result, error = self._json(
            "/my/pass-counter/cancel", {"voucher_id": voucher.id, "reason": "\x00\t "}
        )
        self.assertFalse(error)
        self.assertTrue(result["ok"], result)
        self.assertEqual(voucher.state, "distributed")
        self.assertNotIn("\x00", voucher.redemption_cancel_note or "")

    def test_check_and_redeem_bad_codes(self):
        """Check and redeem with codes and services of any type, length and
        alphabet: a refusal with a French message, nothing redeemed."""
        self.authenticate(self.user_venue.login, self.user_venue.login)
        bad_values = [
            "",
            NUL,
            LONG,
            "é" * 300,
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "0" * 16,
            str(HUGE),
            None,
            12345,
            -1,
            1.5,
            True,
            ["1234"],
            {"code": "1234"},
        ]
        valid_code = self.book.voucher_ids[2].code
        for route in ("/my/pass-counter/check", "/my/pass-counter/redeem"):
            for bad in bad_values:
                for params in (
                    {"code": bad, "service_code": self.workshop.code},
                    {"code": valid_code, "service_code": bad},
                ):
                    result, error = self._json(route, params)
                    self.assertFalse(error, (route, params))
                    if route.endswith("check") and params["code"] == valid_code:
                        # A check without (or with a bad) service may accept.
                        continue
                    self.assertFalse(result["ok"], (route, params, result))
                    self.assertTrue(result["message"], (route, params))
        self.assertEqual(set(self.book.voucher_ids.mapped("state")), {"distributed"})

    def test_counter_form_bad_input(self):
        """The counter's plain form (no JavaScript) with bad input: the page,
        with a message, never a 500; the typed code is echoed cleaned."""
        self.authenticate(self.user_venue.login, self.user_venue.login)
        token = self._csrf("/my/pass-counter")
        for code in (NUL, LONG, "é" * 300, "\x00" * 10):
            for action in ("check", "redeem", "nonsense"):
                response = self._http(
                    "/my/pass-counter",
                    data={
                        "csrf_token": token,
                        "code": code,
                        "service_code": code,
                        "pass_action": action,
                    },
                )
                self.assertIn("o_pass_result alert fs-4 fw-bold alert-", response.text)
                self.assertNotIn("\x00", response.text)
        self._http("/my/passes?code=%00&voucher_id=99999999999")
        result, error = self._json("/my/pass-counter/today", {"junk": LONG})
        self.assertFalse(error)
        self.assertEqual(result["today"]["count"], 0)

    def test_too_many_attempts_shows_the_model_message(self):
        """Once the venue is blocked, the counter shows the model's own
        sentence (which says when to try again), not a generic one."""
        self.env["ir.config_parameter"].set_param(
            "pass_numerique.max_refused_attempts", 2
        )
        self.authenticate(self.user_venue.login, self.user_venue.login)
        results = [
            self._json(
                "/my/pass-counter/redeem",
                {"code": "1234 5678 9012 345%d" % i, "service_code": "pn_bnd_workshop"},
            )[0]
            for i in range(4)
        ]
        self.assertEqual(results[-1]["reason"], "too_many_attempts", results)
        model = (
            self.env["pass.voucher"]
            .with_user(self.user_venue)
            .with_context(lang=self.user_venue.lang)
            ._check_code("1234", self.venue.id, channel="portal")
        )
        self.assertEqual(model["reason"], "too_many_attempts")
        self.assertEqual(results[-1]["message"], model["message"])
        # Blocked means blocked: a valid pass is not redeemed either.
        result, _error = self._json(
            "/my/pass-counter/redeem",
            {"code": self.book.voucher_ids[0].code, "service_code": "pn_bnd_workshop"},
        )
        self.assertEqual(result["reason"], "too_many_attempts")
        self.assertEqual(self.book.voucher_ids[0].state, "distributed")

    def test_counter_attempts_logged_as_portal(self):
        """The portal's attempts are logged with the channel "portal", set by
        the server whatever the browser sends."""
        self.authenticate(self.user_venue.login, self.user_venue.login)
        Attempt = self.env["pass.redemption.attempt"]
        before = Attempt.search([]).ids
        self._json(
            "/my/pass-counter/redeem",
            {
                "code": self.book.voucher_ids[3].code,
                "service_code": "pn_bnd_workshop",
                "channel": "backoffice",
            },
        )
        self._json(
            "/my/pass-counter/check",
            {"code": "0000 0000 0000 0000", "channel": "backoffice"},
        )
        attempts = Attempt.search([("id", "not in", before)])
        self.assertTrue(attempts)
        self.assertEqual(set(attempts.mapped("channel")), {"portal"})

    # ------------------------------------------------------------------ prescriber
    def test_hand_bad_book_ids(self):
        """POST /my/pass-books/<id>/hand with ids that are no book of the
        prescriber: 404, nothing created."""
        self.authenticate(self.user_prescriber.login, self.user_prescriber.login)
        good = self._hand_over_form()
        Beneficiary = self.env["pass.beneficiary"]
        count = Beneficiary.search_count([])
        for bad in (
            "99999999999",
            str(2**31),
            str(2**63),
            "-1",
            "0",
            "abc",
            "1.5",
            LONG,
            str(self.other_book.id),
        ):
            self._http(f"/my/pass-books/{bad}/hand", data=good, expect=(404,))
        self.assertEqual(Beneficiary.search_count([]), count)
        self.assertFalse(self.other_book.voucher_ids.beneficiary_id)

    def test_hand_bad_form_values(self):
        """The hand-over form with bad dates, NUL bytes, 10 kB strings: the
        page with a French message, nothing created."""
        self.authenticate(self.user_prescriber.login, self.user_prescriber.login)
        good = self._hand_over_form()
        Beneficiary = self.env["pass.beneficiary"]
        count = Beneficiary.search_count([])
        url = f"/my/pass-books/{self.book.id}/hand"
        bad_values = {
            "consent_date": [
                "9999-12-31",
                "2024-02-30",
                "0000-01-01",
                "31/12/2024",
                "",
                NUL,
                LONG,
                "2024-01-01\x00",
            ],
            "zip": ["", "3300", "330000", "33\x0000", LONG, "٣٣٠٠٠", "abcde"],
            "age_band": ["", NUL, LONG, "18_24\x00"],
            "situation": ["", NUL, LONG],
        }
        for name, values in bad_values.items():
            for value in values:
                response = self._http(url, data={**good, name: value})
                self.assertIn("o_pass_books_error", response.text, (name, value))
        self.assertEqual(Beneficiary.search_count([]), count)
        self.assertFalse(self.book.voucher_ids.beneficiary_id)

    def test_hand_over_message_from_the_session_only(self):
        """The confirmation comes from the session, once; nothing the URL
        says is shown."""
        self.authenticate(self.user_prescriber.login, self.user_prescriber.login)
        response = self._http(
            f"/my/pass-books/{self.book.id}/hand",
            data=self._hand_over_form(),
            expect=(303,),
        )
        location = response.headers["Location"]
        self.assertNotIn("?", location)
        beneficiary = self.book.voucher_ids.beneficiary_id
        self.assertEqual(len(beneficiary), 1)
        page = self._http(location)
        self.assertIn(
            f"Carnet remis au bénéficiaire {beneficiary.reference}", page.text
        )
        # Once only; and the URL cannot bring it (or any other text) back.
        for url in (
            "/my/pass-books",
            f"/my/pass-books?handed={beneficiary.reference}",
            "/my/pass-books?error=Appelez+le+0899+123+456&message=Votre+compte+est+bloqu%C3%A9",
            "/my/pass-books?handed=%00",
        ):
            page = self._http(url)
            self.assertNotIn("Carnet remis", page.text)
            self.assertNotIn("0899", page.text)
            self.assertNotIn("Votre compte est bloqué", page.text)

    def test_pages_refused_to_the_wrong_people(self):
        """A prescriber has no counter, a venue no books: 404; the public
        visitor is sent to the login page."""
        self.authenticate(self.user_prescriber.login, self.user_prescriber.login)
        self._http("/my/pass-counter", expect=(404,))
        _result, error = self._json("/my/pass-counter/cancel", {"voucher_id": 1})
        self.assertEqual(error["code"], 404)
        self.authenticate(self.user_venue.login, self.user_venue.login)
        self._http("/my/pass-books", expect=(404,))
        # The portal home and its counters, with junk among the names asked.
        self._http("/my")
        result, error = self._json(
            "/my/counters", {"counters": ["pass_book_count", NUL, LONG, "x" * 50]}
        )
        self.assertFalse(error)
        self.assertEqual(result.get("pass_book_count"), 0)
        self.authenticate(self.user_prescriber.login, self.user_prescriber.login)
        result, error = self._json("/my/counters", {"counters": ["pass_book_count"]})
        self.assertEqual(result["pass_book_count"], 1)
        self.authenticate(None, None)
        response = self._http("/my/pass-counter", expect=(303,))
        self.assertIn("/web/login", response.headers["Location"])

    # ------------------------------------------------------------------ public page
    def test_public_venue_page_bad_input(self):
        token = self.program._venues_token()
        page = self._http(f"/pass/lieux/{self.program.id}/{token}")
        self.assertIn(self.venue.name, page.text)
        for url in (
            f"/pass/lieux/99999999999/{token}",
            f"/pass/lieux/{2**31}/{token}",
            f"/pass/lieux/-1/{token}",
            f"/pass/lieux/0/{token}",
            f"/pass/lieux/abc/{token}",
            f"/pass/lieux/{LONG}/{token}",
            f"/pass/lieux/{self.program.id}.0/{token}",
            f"/pass/lieux/%C2%B9/{token}",
            f"/pass/lieux/{self.program.id}/{token[:-1]}x",
            f"/pass/lieux/{self.program.id}/%C3%A9%C3%A9",
            f"/pass/lieux/{self.program.id}/%00",
            f"/pass/lieux/{self.program.id}/{token}%00",
            f"/pass/lieux/{self.program.id}/{'a' * 5000}",
            f"/pass/lieux/{self.program.id}/",
        ):
            self._http(url, expect=(404,))

    def test_router_inputs_odoo_itself_would_crash_on(self):
        """A 5,000-digit <int:> id and a NUL byte in an unknown path answer
        404 (Odoo's router alone answers 500 to both)."""
        self.authenticate(self.user_venue.login, self.user_venue.login)
        for url in (
            "/my/pass/remittances/" + "9" * 5000,
            "/web/content/" + "9" * 5000,
            "/no-such-page%00.png",
            "/my/%00",
        ):
            self._http(url, expect=(404,))


@tagged("post_install", "-at_install")
class TestCsvFormulaNeutralisation(TransactionCase):
    """OWASP CSV injection: a cell starting with =, +, -, @, a tab or a
    carriage return gets a single quote in front; plain numbers (coordinates,
    phone numbers) stay as the open-data schema wants them."""

    def test_neutralize_cell(self):
        cases = {
            '=HYPERLINK("http://x")': '\'=HYPERLINK("http://x")',
            "+SUM(A1)": "'+SUM(A1)",
            "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)": "'@SUM(1+1)",
            "\t=1+1": "'\t=1+1",
            "\r=1+1": "'\r=1+1",
            "-": "'-",
            "Médiathèque": "Médiathèque",
            "a=b": "a=b",
            "": "",
            "-61.7255": "-61.7255",
            "+33545932222": "+33545932222",
            "44.8386": "44.8386",
        }
        for value, expected in cases.items():
            self.assertEqual(open_data.neutralize_cell(value), expected, value)
        self.assertEqual(open_data.neutralize_cell(12), 12)
        self.assertIsNone(open_data.neutralize_cell(None))

    def _venue_row(self, **values):
        venue = {
            "open_data_id": "lieu-1",
            "siret": "",
            "name": '=HYPERLINK("http://evil.example","Cliquez")',
            "city": "@Mérignac",
            "zip": "33700",
            "street": "+1 rue du Test",
            "street2": "-3e étage",
            "phone": "05 56 18 88 62",
            "email": "=cmd@example.org",
            "opening_hours": "Mo-Fr 09:00-12:00",
            "latitude": 15.9985,
            "longitude": -61.7255,
            "source": "Pass Numérique",
            "date_maj": "2026-01-31",
            "categories": ["admin"],
        }
        venue.update(values)
        return open_data.venue_export_row(venue)

    def test_open_data_csv_neutralised_and_schema_kept(self):
        text = open_data.dump_csv([self._venue_row()])
        row = next(csv.DictReader(io.StringIO(text)))
        for column in ("nom", "commune", "adresse", "complement_adresse", "courriels"):
            self.assertEqual(row[column][:1], "'", column)
        self.assertEqual(row["nom"], '\'=HYPERLINK("http://evil.example","Cliquez")')
        # Numbers keep the schema's form.
        self.assertEqual(row["longitude"], "-61.7255")
        self.assertEqual(row["latitude"], "15.9985")
        self.assertEqual(row["telephone"], "+33556188862")
        self.assertEqual(row["code_postal"], "33700")
        # Re-importing the file gives the original values back.
        record = open_data.parse_file(text.encode(), "export.csv").records[0]
        self.assertEqual(record.name, '=HYPERLINK("http://evil.example","Cliquez")')
        self.assertEqual(
            (record.street, record.street2), ("+1 rue du Test", "-3e étage")
        )
        self.assertEqual(record.city, "@Mérignac")
        self.assertEqual(record.longitude, -61.7255)
        # JSON is no spreadsheet: values as they are.
        item = json.loads(open_data.dump_json([self._venue_row()]))[0]
        self.assertEqual(item["nom"], '=HYPERLINK("http://evil.example","Cliquez")')

    def test_open_data_export_of_a_hostile_venue(self):
        """The export the cooperative publishes (the model's path)."""
        venue = self.env["res.partner"].create(
            {
                "name": "=1+1",
                "is_company": True,
                "is_pass_venue": True,
                "street": "@rue",
                "zip": "33000",
                "city": "Bordeaux",
                "country_id": self.env.ref("base.fr").id,
                "partner_latitude": 44.8386,
                "partner_longitude": -0.6436,
            }
        )
        with guarded_write():
            venue.pass_venue_state = "qualified"
        text = self.env["res.partner"].pass_open_data_export("csv", venue.ids)
        row = next(csv.DictReader(io.StringIO(text)))
        self.assertEqual((row["nom"], row["adresse"]), ("'=1+1", "'@rue"))
        self.assertEqual(row["longitude"], "-0.6436")

    def test_print_manifest_neutralised(self):
        """The print shop's manifest: names typed by users cannot run."""
        env = self.env
        funder = env["res.partner"].create(
            {"name": "@SUM(1+1)", "is_pass_funder": True, "pass_funder_type": "commune"}
        )
        program = env["pass.program"].create(
            {
                "name": "=cmd|' /C calc'!A0",
                "code": "CSVINJ",
                "company_id": env.company.id,
                "face_value": 10.0,
                "date_start": fields.Date.subtract(fields.Date.today(), days=1),
                "date_end": fields.Date.add(fields.Date.today(), years=1),
                "funding_ids": [
                    Command.create({"partner_id": funder.id, "share": 100.0})
                ],
            }
        )
        program.action_activate()
        books = env["pass.book"].browse(program.issue_books(1, 2))
        batch = env["pass.print.batch"].create({"book_ids": [Command.set(books.ids)]})
        raw = batch._manifest_csv(books)
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        self.assertEqual(rows[0]["dispositif"], "'=cmd|' /C calc'!A0")
        self.assertTrue(rows[0]["financeurs"].startswith("'@SUM(1+1)"))
        self.assertEqual(rows[0]["premier_code"], books.voucher_ids[0].code)
        self.assertEqual(rows[0]["nombre_passes"], "2")
