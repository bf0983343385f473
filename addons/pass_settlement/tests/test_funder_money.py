# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.tests import tagged

from .common import PassSettlementCommon


@tagged("post_install", "-at_install")
class TestFunderMoney(PassSettlementCommon):
    def test_dashboard_money_comes_from_the_ledger(self):
        """The funder dashboard shows what the ledger holds for each funder:
        invoiced, received (paid by the funder), paid out to venues, still
        held; once paid, held is its balance on the funders' money account."""
        program = self._program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "MONEY"
        )
        Report = self.env["pass.funder.report"]
        before = Report._funder_money(self.state_funder, program)
        self.assertEqual(
            (before["received"], before["spent"], before["held"]), (0.0, 0.0, 0.0)
        )
        order = self._order(program, books=1)  # 10 passes of 10 EUR
        invoices = self._invoice(order)
        # Invoiced is not received: nothing paid yet, all still due.
        state = Report._funder_money(self.state_funder, program)
        self.assertEqual(
            (state["invoiced"], state["received"], state["due"], state["held"]),
            (60.0, 0.0, 60.0, 0.0),
        )
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids
        ).create({"group_payment": False})._create_payments()
        self._redeem(order.order_line.pass_book_ids.voucher_ids[:3])
        self._remit()
        state = Report._funder_money(self.state_funder, program)
        dept = Report._funder_money(self.dept_funder, program)
        self.assertAlmostEqual(state["received"], 60.0, places=2)
        self.assertAlmostEqual(state["due"], 0.0, places=2)
        self.assertAlmostEqual(state["spent"], 18.0, places=2)
        self.assertAlmostEqual(state["held"], 42.0, places=2)
        self.assertAlmostEqual(dept["received"], 40.0, places=2)
        self.assertAlmostEqual(dept["spent"], 12.0, places=2)
        self.assertAlmostEqual(dept["held"], 28.0, places=2)
        # what the dashboard says is held is what the liability account holds
        balances = self._liability_balances()
        self.assertAlmostEqual(balances[self.state_funder], state["held"], places=2)
        self.assertAlmostEqual(balances[self.dept_funder], dept["held"], places=2)
        statements = Report._funder_statements(self.state_funder, program)
        self.assertEqual(len(statements), 1)
        self.assertIn(
            "/my/pass-statements/funder/%s" % self.state_funder.id,
            statements[0]["url"],
        )
        # a funder of nothing has no statement to download
        self.assertFalse(Report._funder_statements(self.city_funder, program.browse()))
