# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The analyses kept fresh: the every-minute incremental refresh brings a
redemption, a cancellation or a settlement into both analyses without a full
rebuild, catches a change whose transaction began before the last refresh
(the overlap), gives the very rows the full rebuild gives, and skips when
another refresh holds the lock."""

from datetime import timedelta

from odoo import SUPERUSER_ID, api, sql_db
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

from ..models.pass_report import REFRESH_OVERLAP, REPORT_LOCK_KEY
from .common import write_guarded
from .test_reporting import ReportingFixture


@tagged("post_install", "-at_install")
class TestReportFreshness(ReportingFixture, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._build_reporting_fixture()
        cls.Report = cls.env["pass.report"]
        cls.FunderReport = cls.env["pass.funder.report"]
        cls.programs = cls.program_ab | cls.program_b
        cls.domain = [("program_id", "in", cls.programs.ids)]

    def _row(self, voucher):
        return self.Report.search([("voucher_id", "=", voucher.id)])

    def _funded_redeemed(self, voucher):
        """{funder: funded value redeemed} of ``voucher`` in the funders
        analysis."""
        return {
            funder: amount
            for funder, amount in self.FunderReport._read_group(
                [("voucher_id", "=", voucher.id)],
                groupby=["funder_id"],
                aggregates=["amount_redeemed:sum"],
            )
        }

    def _no_full_rebuild(self):
        """Fail the test if the full rebuild runs."""

        def refuse(*args, **kwargs):
            raise AssertionError("the full rebuild ran")

        return self.patch(type(self.Report), "_refresh", refuse)

    def _set_watermark(self, moment):
        self.Report._pass_mark_refreshed(moment)

    def _backdate(self, voucher, delta):
        """The pass as changed by a transaction that began ``delta`` before
        the last refresh (its write_date is its transaction's start)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE pass_voucher SET write_date = %s WHERE id = %s",
                self.Report._pass_refreshed_at() - delta,
                voucher.id,
            )
        )
        self.env.invalidate_all()

    def test_redemption_cancellation_settlement_after_one_incremental_refresh(self):
        book = self.books_b[1]
        redeemed, cancelled, settled = book.voucher_ids.sorted("number")[:2] | (
            self.books_b[0].voucher_ids.filtered(lambda v: v.state == "redeemed")
        )
        result = self.env["pass.voucher"].redeem_code(
            redeemed.code, self.venue_bordeaux.id, self.service_mail.code
        )
        self.assertTrue(result["ok"], result)
        cancelled.action_cancel()
        write_guarded(settled, {"state": "settled"})
        # Not yet in the analyses...
        self.assertEqual(self._row(redeemed).state, "distributed")
        self.assertEqual(self._row(cancelled).state, "distributed")
        self.assertEqual(self._row(settled).state, "redeemed")
        self._no_full_rebuild()
        self.assertTrue(self.Report._refresh_incremental())
        # ...and there after one incremental refresh, in both analyses.
        row = self._row(redeemed)
        self.assertEqual(
            (row.state, row.redeemed_count, row.venue_id, row.commune),
            ("redeemed", 1, self.venue_bordeaux, "Bordeaux"),
        )
        self.assertEqual(row.amount_redeemed, redeemed.amount)
        self.assertEqual(self._row(cancelled).state, "cancelled")
        self.assertEqual(self._row(settled).settled_count, 1)
        self.assertEqual(
            self._funded_redeemed(redeemed), {self.funder_b: redeemed.amount}
        )
        [(amount_settled,)] = self.FunderReport._read_group(
            [("voucher_id", "=", settled.id)], aggregates=["amount_settled:sum"]
        )
        self.assertEqual(amount_settled, settled.amount)
        # One row per pass and funder still.
        self.assertEqual(
            self.Report.search_count(self.domain),
            self.env["pass.voucher"].search_count(self.domain),
        )

    def test_change_begun_before_the_last_refresh_is_caught(self):
        early, too_early = self.books_b[1].voucher_ids.sorted("number")[:2]
        self.Report._refresh_incremental()
        for voucher in early | too_early:
            result = self.env["pass.voucher"].redeem_code(
                voucher.code, self.venue_pessac.id, self.service_admin.code
            )
            self.assertTrue(result["ok"], result)
        # Its transaction began 10 minutes before the last refresh and
        # committed after it: within the overlap, caught.
        self._backdate(early, REFRESH_OVERLAP - timedelta(minutes=5))
        # Older than the overlap: left to the full rebuild (this shows the
        # incremental refresh reads the changed passes only).
        self._backdate(too_early, REFRESH_OVERLAP + timedelta(minutes=5))
        self._no_full_rebuild()
        self.assertTrue(self.Report._refresh_incremental())
        self.assertEqual(self._row(early).state, "redeemed")
        self.assertEqual(self._row(too_early).state, "distributed")

    def test_incremental_gives_the_rows_of_the_full_rebuild(self):
        vouchers = self.books_ab[8].voucher_ids | self.books_b[1].voucher_ids
        first, second, third = vouchers.sorted("id")[:3]
        for voucher, venue in (
            (first, self.venue_bordeaux),
            (second, self.venue_pessac),
        ):
            result = self.env["pass.voucher"].redeem_code(
                voucher.code, venue.id, self.service_mail.code
            )
            self.assertTrue(result["ok"], result)
        third.action_cancel()
        self.Report._refresh_incremental()
        cr = self.env.cr
        tables = (self.Report._table, self.FunderReport._table)
        for table in tables:
            cr.execute(
                SQL(
                    "CREATE TEMP TABLE %s AS SELECT * FROM %s",
                    SQL.identifier(f"incremental_{table}"),
                    SQL.identifier(table),
                )
            )
        self.Report._refresh()
        for table in tables:
            for one, other in (
                (f"incremental_{table}", table),
                (table, f"incremental_{table}"),
            ):
                cr.execute(
                    SQL(
                        "SELECT count(*) FROM (SELECT * FROM %s EXCEPT ALL"
                        " SELECT * FROM %s) d",
                        SQL.identifier(one),
                        SQL.identifier(other),
                    )
                )
                self.assertEqual(cr.fetchone()[0], 0, f"{one} minus {other}")
        cr.execute(SQL("SELECT count(*) FROM %s", SQL.identifier(tables[0])))
        self.assertEqual(cr.fetchone()[0], self.env["pass.voucher"].search_count([]))

    def test_second_refresh_at_once_skips(self):
        # This transaction is a refresh under way: it holds the lock (taken
        # by the fixture's refresh, held till the transaction ends).
        self.Report._refresh_incremental()
        # Another server's refresh, on its own connection, skips at once.
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute("SET lock_timeout = '5s'")
            env = api.Environment(other, SUPERUSER_ID, {})
            self.assertFalse(env["pass.report"]._refresh_incremental())
            other.execute(
                SQL("SELECT pg_try_advisory_xact_lock(%s, 0)", REPORT_LOCK_KEY)
            )
            self.assertFalse(other.fetchone()[0])
        finally:
            other.rollback()
            other.close()

    def test_freshness_is_the_last_incremental_refresh(self):
        self._set_watermark(self.env.cr.now() - timedelta(hours=3))
        stale = self.Report.get_freshness()["refreshed_at"]
        self.Report._refresh_incremental()
        fresh = self.Report.get_freshness()
        self.assertNotEqual(fresh["refreshed_at"], stale)
        self.assertEqual(self.Report._pass_refreshed_at(), self.env.cr.now())
