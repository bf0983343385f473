# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Months are cut in the company's timezone (Europe/Paris), everywhere: a
pass redeemed on 1 November at 00:30 in Paris (31 October, 23:30 UTC) is
November's for the statements, the remittances' and clearing runs' periods
and the analyses; October's statements do not count it."""

from datetime import date, datetime

from odoo.tests import tagged

from odoo.addons.pass_numerique.tools.guard import guarded_write

from .common_expiry import PassExpiryCommon

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


@tagged("post_install", "-at_install")
class TestParisTime(PassExpiryCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = False  # Europe/Paris by default
        cls.program = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)], "PARIS"
        )

    def setUp(self):
        super().setUp()
        order = self._order(self.program, books=1)
        self._invoice(order)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:3])
        # 31 October 23:30 in Paris, 1 November 00:30, 1 December 00:30.
        self.last_hour_oct, self.first_hour_nov, self.first_hour_dec = vouchers[:3]
        with guarded_write():
            self.last_hour_oct.redeemed_at = datetime(2026, 10, 31, 22, 30)
            self.first_hour_nov.redeemed_at = datetime(2026, 10, 31, 23, 30)
            self.first_hour_dec.redeemed_at = datetime(2026, 11, 30, 23, 30)

    def _venue_count(self, period):
        statement = self.env["pass.statement"]._venue_statement(
            self.venue, *period, self.company
        )
        return statement["totals"]["redeemed_count"]

    def _funder_count(self, period):
        statement = self.env["pass.statement"]._funder_statement(
            self.state_funder, *period, self.program, self.company
        )
        return statement["totals"]["redeemed_count"]

    def test_first_hour_of_november_is_novembers(self):
        # Statements: venue's and funder's.
        self.assertEqual(self._venue_count(OCTOBER), 1)
        self.assertEqual(self._venue_count(NOVEMBER), 1)
        self.assertEqual(self._funder_count(OCTOBER), 1)
        self.assertEqual(self._funder_count(NOVEMBER), 1)
        # The clearing of October takes the last hour of October only.
        run = self.env["pass.clearing.run"].create(
            {
                "company_id": self.company.id,
                "period_start": OCTOBER[0],
                "period_end": OCTOBER[1],
            }
        )
        self.assertEqual(
            self.env["pass.voucher"].search(run._voucher_domain()),
            self.last_hour_oct,
        )
        # Remittances "redeemed until": 31 October, then 30 November.
        Remittance = self.env["pass.remittance"]
        october = Remittance.create(
            {
                "venue_id": self.venue.id,
                "company_id": self.company.id,
                "period_end": OCTOBER[1],
            }
        )
        self.assertEqual(
            self.env["pass.voucher"].search(october._redeemed_domain()),
            self.last_hour_oct,
        )
        october.action_add_redeemed()
        self.assertEqual(october.voucher_ids, self.last_hour_oct)
        november = Remittance.create(
            {
                "venue_id": self.venue.id,
                "company_id": self.company.id,
                "period_end": NOVEMBER[1],
            }
        )
        november.action_add_redeemed()
        self.assertEqual(november.voucher_ids, self.first_hour_nov)
        (october | november).action_submit()
        (october | november).with_user(self.accountant).action_validate()
        self.assertLedgerOk()
        # The analyses: month of redemption.
        Report = self.env["pass.report"]
        Report._refresh()
        months = {
            row.voucher_id: row.month
            for row in Report.search([("program_id", "=", self.program.id)])
            if row.voucher_id.redeemed_at
        }
        self.assertEqual(
            months,
            {
                self.last_hour_oct: date(2026, 10, 1),
                self.first_hour_nov: date(2026, 11, 1),
                self.first_hour_dec: date(2026, 12, 1),
            },
        )

    def test_company_timezone_decides(self):
        """A cooperative in La Réunion (UTC+4): 31 October 22:30 UTC is
        1 November 02:30 there."""
        self.company.partner_id.tz = "Indian/Reunion"
        self.assertEqual(self._venue_count(OCTOBER), 0)
        self.assertEqual(self._venue_count(NOVEMBER), 2)
        self.assertEqual(self._funder_count(NOVEMBER), 2)
        # The user's own timezone plays no part.
        self.env.user.tz = "America/Cayenne"
        self.accountant.tz = "Pacific/Tahiti"
        self.assertEqual(self._venue_count(NOVEMBER), 2)
        Report = self.env["pass.report"]
        Report._refresh()
        row = Report.search([("voucher_id", "=", self.last_hour_oct.id)])
        self.assertEqual(row.month, date(2026, 11, 1))
