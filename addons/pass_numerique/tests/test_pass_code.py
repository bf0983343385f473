# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..tools import pass_code
from ..tools.guard import guarded_write
from ..tools.pass_code import (
    CODE_LENGTH,
    RANDOM_DIGITS,
    code_error,
    damm_digit,
    format_code,
    generate_code,
    generate_codes,
    normalize_code,
)
from .common import PassNumeriqueCommon

DIGITS = "0123456789"


@tagged("post_install", "-at_install")
class TestPassCodeDigits(PassNumeriqueCommon):
    """The code arithmetic: length, check digit, normalisation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.codes = generate_codes(300)

    def test_length_and_entropy(self):
        self.assertGreaterEqual(RANDOM_DIGITS, 15)
        self.assertEqual(CODE_LENGTH, RANDOM_DIGITS + 1)
        self.assertEqual(len(set(self.codes)), 300)
        for code in self.codes:
            self.assertEqual(len(code), CODE_LENGTH)
            self.assertTrue(code.isdigit())
            self.assertIsNone(code_error(code), code)
            self.assertEqual(int(code[-1]), damm_digit(code[:-1]))
        # The random part is spread over the whole range: with 300 codes,
        # every digit shows up at every random position (a constant or
        # truncated generator would not do that).
        for position in range(RANDOM_DIGITS):
            self.assertGreater(
                len({code[position] for code in self.codes}), 5, position
            )

    def test_codes_come_from_secrets(self):
        # One code at a time: secrets.randbelow over the whole range.
        with patch.object(
            pass_code.secrets, "randbelow", wraps=pass_code.secrets.randbelow
        ) as randbelow:
            generate_code()
        self.assertEqual(randbelow.call_count, 1)
        self.assertEqual(randbelow.call_args.args[0], 10**RANDOM_DIGITS)
        with patch.object(pass_code.secrets, "randbelow", return_value=42):
            self.assertEqual(generate_code()[:-1], "42".zfill(RANDOM_DIGITS))
        # In bulk: 8 bytes of secrets.token_bytes per code.
        with patch.object(
            pass_code.secrets, "token_bytes", wraps=pass_code.secrets.token_bytes
        ) as token_bytes:
            codes = generate_codes(25)
        self.assertEqual(len(codes), 25)
        self.assertGreaterEqual(sum(c.args[0] for c in token_bytes.call_args_list), 200)
        # The body of a code is exactly what secrets returned (mod 10**15),
        # with the same check digit as the one-at-a-time path.
        draw = (123456789012345678).to_bytes(8, "little")
        with patch.object(pass_code.secrets, "token_bytes", return_value=draw):
            (code,) = generate_codes(1)
        body = str(123456789012345678 % 10**RANDOM_DIGITS).zfill(RANDOM_DIGITS)
        self.assertEqual(code, body + str(damm_digit(body)))
        # A draw of the top of the 64-bit range would bias the codes: refused.
        top = (2**64 - 1).to_bytes(8, "little")
        draws = iter([top, draw])
        with patch.object(
            pass_code.secrets, "token_bytes", side_effect=lambda n: next(draws)
        ):
            self.assertEqual(generate_codes(1), [code])

    def test_issue_books_draws_from_secrets(self):
        with patch.object(
            pass_code.secrets, "token_bytes", wraps=pass_code.secrets.token_bytes
        ) as token_bytes:
            books = self._issue(2, 5)
        self.assertGreaterEqual(sum(c.args[0] for c in token_bytes.call_args_list), 80)
        codes = books.voucher_ids.mapped("code")
        self.assertEqual(len(set(codes)), 10)
        self.assertTrue(all(code_error(code) is None for code in codes))

    def test_every_single_substitution_is_caught(self):
        missed = []
        for code in self.codes:
            for position in range(CODE_LENGTH):
                for digit in DIGITS:
                    if digit == code[position]:
                        continue
                    typo = code[:position] + digit + code[position + 1 :]
                    if code_error(typo) != "bad_check_digit":
                        missed.append(typo)
        self.assertEqual(missed, [])

    def test_every_adjacent_transposition_is_caught(self):
        missed = []
        swaps = 0
        for code in self.codes:
            for position in range(CODE_LENGTH - 1):
                a, b = code[position], code[position + 1]
                if a == b:
                    continue
                swaps += 1
                typo = code[:position] + b + a + code[position + 2 :]
                if code_error(typo) != "bad_check_digit":
                    missed.append(typo)
        self.assertGreater(swaps, 3000)
        self.assertEqual(missed, [])

    def test_luhn_blind_spot_is_caught(self):
        # 09 <-> 90 is the swap Luhn cannot see.
        body = "123409" + "0" * (RANDOM_DIGITS - 6)
        code = body + str(damm_digit(body))
        self.assertIsNone(code_error(code))
        swapped = "123490" + code[6:]
        self.assertEqual(code_error(swapped), "bad_check_digit")

    def test_wrong_length_or_characters_are_malformed(self):
        code = self.codes[0]
        for bad in (
            "",
            code[:-1],
            code + "0",
            code[:-1] + "a",
            "abcd" + code[4:],
            "ABCD" + code[4:],
            # Non-ASCII digits (Arabic-Indic, full-width) are not pass digits.
            "\u0661" + code[1:],
            "\uff11" + code[1:],
        ):
            self.assertEqual(code_error(normalize_code(bad)), "malformed", bad)

    def test_normalisation(self):
        code = self.codes[0]
        printed = format_code(code)
        self.assertEqual(printed.count(" "), 3)
        self.assertEqual(printed.replace(" ", ""), code)
        for typed in (
            printed,
            f"  {printed}  ",
            "-".join(printed.split(" ")),
            f"{code[:4]} - {code[4:8]}\t{code[8:12]}.{code[12:]}\n",
            f"{code[:8]}_{code[8:]}",
        ):
            self.assertEqual(normalize_code(typed), code, typed)
            self.assertIsNone(code_error(normalize_code(typed)))
        self.assertEqual(normalize_code(None), "")
        self.assertEqual(normalize_code(1234), "1234")


@tagged("post_install", "-at_install")
class TestPassCodeDatabase(PassNumeriqueCommon):
    """Codes in the database: unique, found whatever the typing."""

    def test_unique_index_refuses_duplicate(self):
        book = self._issue(1, 5)
        voucher = book.voucher_ids[0]
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'pass_voucher' "
            "AND indexdef ILIKE '%%UNIQUE%%' AND indexdef ILIKE '%%(code)%%'"
        )
        self.assertTrue(self.env.cr.fetchall(), "no unique index on pass_voucher.code")
        values = {
            "code": voucher.code,
            "book_id": book.id,
            "number": 6,
            "program_id": self.program.id,
            "company_id": self.company.id,
            "currency_id": self.eur.id,
            "amount": 10.0,
        }
        # Passes are created by issue_books only: a plain create is refused.
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.env["pass.voucher"].create(values)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            with self.env.cr.savepoint(), guarded_write():
                self.env["pass.voucher"].create(values)
        # Any other well-formed code is accepted: the refusal is the duplicate.
        with guarded_write():
            other = self.env["pass.voucher"].create(dict(values, code=generate_code()))
        self.assertEqual(other.state, "available")
        self.assertEqual(
            self.env["pass.voucher"].search_count([("code", "=", voucher.code)]), 1
        )

    def test_issued_codes_are_unique_across_books(self):
        books = self._issue(20, 10)
        codes = books.voucher_ids.mapped("code")
        self.assertEqual(len(codes), 200)
        self.assertEqual(len(set(codes)), 200)

    def test_collision_with_existing_code_is_redrawn(self):
        existing = self._issue(1, 5).voucher_ids.mapped("code")
        fresh = generate_codes(5)
        draws = iter([existing, fresh])
        with patch(
            "odoo.addons.pass_numerique.models.pass_program.generate_codes",
            side_effect=lambda count: next(draws)[:count]
            if count == 5
            else generate_codes(count),
        ):
            books = self._issue(1, 5)
        codes = books.voucher_ids.mapped("code")
        self.assertEqual(len(set(codes)), 5)
        self.assertFalse(set(codes) & set(existing))

    def test_typed_code_is_found(self):
        voucher = self._issue(1, 5).voucher_ids[0]
        result = self.env["pass.voucher"].check_code(
            "-".join(format_code(voucher.code).split(" ")), self.venue.id
        )
        self.assertNotEqual(result.get("reason"), "unknown_code", result)
        self.assertNotEqual(result.get("reason"), "bad_check_digit", result)
        typo = (
            voucher.code[:3] + str((int(voucher.code[3]) + 1) % 10) + voucher.code[4:]
        )
        result = self.env["pass.voucher"].check_code(typo, self.venue.id)
        self.assertFalse(result["ok"])
        self.assertEqual(result["reason"], "bad_check_digit")
