# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The fast path of issue_books: the rows the new books and passes refer to
are checked once, the per-row foreign-key triggers are off during the two
INSERTs only, and the result is the same as with the triggers on."""

from unittest.mock import patch

from psycopg2 import errors

from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.pass_numerique.models.pass_program import PassProgram
from odoo.addons.pass_numerique.tools.pass_code import code_error

from .common import PassNumeriqueCommon


@tagged("post_install", "-at_install")
class TestIssueBulk(PassNumeriqueCommon):
    def _role(self):
        self.env.cr.execute(SQL("SHOW session_replication_role"))
        return self.env.cr.fetchone()[0]

    def _assert_books(self, books, passes_per_book):
        vouchers = books.voucher_ids
        self.assertEqual(len(vouchers), len(books) * passes_per_book)
        self.assertEqual(len(set(vouchers.mapped("code"))), len(vouchers))
        self.assertFalse([c for c in vouchers.mapped("code") if code_error(c)])
        for book in books:
            self.assertEqual(
                sorted(book.voucher_ids.mapped("number")),
                list(range(1, passes_per_book + 1)),
            )
        self.assertEqual(set(vouchers.mapped("state")), {"available"})
        self.assertEqual(vouchers.program_id, self.program)
        self.assertEqual(vouchers.company_id, self.program.company_id)
        self.assertEqual(vouchers.create_uid, self.env.user)

    def test_fast_path_used_and_switched_back(self):
        """setup.sh grants the role the SET privilege on PostgreSQL >= 15:
        the fast path runs, and the triggers are on again right after."""
        if self.env.cr.connection.server_version < 150000:
            self.skipTest("PostgreSQL < 15: no GRANT SET ON PARAMETER")
        calls = []
        original = PassProgram._issue_row_triggers_off

        def spy(program):
            calls.append(original(program))
            return calls[-1]

        with patch.object(PassProgram, "_issue_row_triggers_off", spy):
            books = self._issue(3, 4)
        self.assertEqual(calls, [True])
        self.assertEqual(self._role(), "origin")
        self._assert_books(books, 4)

    def test_same_result_with_triggers(self):
        with patch.object(
            PassProgram, "_issue_row_triggers_off", return_value=False
        ) as off:
            books = self._issue(3, 4)
        off.assert_called_once()
        self.assertEqual(self._role(), "origin")
        self._assert_books(books, 4)

    def test_triggers_back_on_after_a_failure(self):
        """A failure after the switch rolls it back with the rest: the next
        statement of the transaction is checked by the triggers again."""
        if self.env.cr.connection.server_version < 150000:
            self.skipTest("PostgreSQL < 15: no GRANT SET ON PARAMETER")
        with self.assertRaises(errors.UniqueViolation), self.env.cr.savepoint():
            self.assertTrue(self.program._issue_row_triggers_off())
            self.assertEqual(self._role(), "replica")
            with mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    SQL(
                        "INSERT INTO pass_book (name, program_id, company_id, "
                        "state, passes_per_book) SELECT name, program_id, "
                        "company_id, state, passes_per_book FROM pass_book "
                        "WHERE id = %s",
                        self._issue(1, 1).id,
                    )
                )
        self.assertEqual(self._role(), "origin")
        # A book of a programme that does not exist is refused again.
        with (
            self.assertRaises(errors.ForeignKeyViolation),
            self.env.cr.savepoint(),
            mute_logger("odoo.sql_db"),
        ):
            self.env.cr.execute(
                SQL(
                    "INSERT INTO pass_book (name, program_id, company_id, state, "
                    "passes_per_book) VALUES ('X-FK', %s, %s, 'available', 1)",
                    2**31 - 1,
                    self.company.id,
                )
            )
