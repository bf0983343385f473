# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Periods are cut in the company's timezone (tools/period.py)."""

from datetime import date, datetime

from odoo.tests import TransactionCase, tagged

from ..tools.period import (
    DEFAULT_TZ,
    company_tz,
    local_date,
    local_today,
    month_bounds,
    month_bounds_utc,
    period_bounds_utc,
    period_end_utc,
    previous_month_bounds,
)


@tagged("post_install", "-at_install")
class TestPeriod(TransactionCase):
    def test_paris_months_in_utc(self):
        # Winter (UTC+1) and summer (UTC+2); October 2026 ends after the
        # change of time (25 October).
        self.assertEqual(
            month_bounds_utc(date(2026, 11, 15)),
            (datetime(2026, 10, 31, 23, 0), datetime(2026, 11, 30, 23, 0)),
        )
        self.assertEqual(
            month_bounds_utc(date(2026, 10, 1)),
            (datetime(2026, 9, 30, 22, 0), datetime(2026, 10, 31, 23, 0)),
        )
        self.assertEqual(
            period_bounds_utc(date(2026, 1, 1), date(2026, 12, 31)),
            (datetime(2025, 12, 31, 23, 0), datetime(2026, 12, 31, 23, 0)),
        )
        # 1 November 00:30 in Paris is 31 October 23:30 UTC: November's.
        moment = datetime(2026, 10, 31, 23, 30)
        self.assertEqual(local_date(moment), date(2026, 11, 1))
        start, end = month_bounds_utc(date(2026, 11, 1))
        self.assertTrue(start <= moment < end)
        self.assertEqual(local_date(datetime(2026, 10, 31, 22, 59)), date(2026, 10, 31))
        self.assertEqual(
            local_today(now=datetime(2026, 12, 31, 23, 30)), date(2027, 1, 1)
        )

    def test_months_and_edges(self):
        self.assertEqual(
            month_bounds(date(2028, 2, 10)), (date(2028, 2, 1), date(2028, 2, 29))
        )
        self.assertEqual(
            previous_month_bounds(date(2027, 1, 5)),
            (date(2026, 12, 1), date(2026, 12, 31)),
        )
        self.assertEqual(period_end_utc(date.max), datetime.max)
        self.assertEqual(period_bounds_utc(date.min, date.min)[0], datetime.min)
        # Another timezone (an overseas department), and an unknown one.
        self.assertEqual(
            period_end_utc(date(2026, 10, 31), "Indian/Reunion"),
            datetime(2026, 10, 31, 20, 0),
        )
        self.assertEqual(
            period_end_utc(date(2026, 10, 31), "Nowhere/Atlantis"),
            datetime(2026, 10, 31, 23, 0),
        )

    def test_company_timezone(self):
        company = self.env.company
        company.partner_id.tz = False
        self.assertEqual(company_tz(company), DEFAULT_TZ)
        self.assertEqual(company_tz(None), "Europe/Paris")
        company.partner_id.tz = "Indian/Reunion"
        self.assertEqual(company_tz(company), "Indian/Reunion")
        # The user's timezone plays no part: a period is the same for all.
        self.env.user.tz = "America/Cayenne"
        self.assertEqual(company_tz(company), "Indian/Reunion")
