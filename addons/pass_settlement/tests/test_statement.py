# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.pass_numerique.tools.guard import guarded_write

from .common_expiry import PassExpiryCommon


class StatementCommon(PassExpiryCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A 60/40 programme: 2 books invoiced and paid, 5 passes redeemed,
        # remitted and paid to the venue, 2 more redeemed and not remitted.
        cls.program = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)],
            "STMT",
            date_end=cls.today + timedelta(days=40),
        )
        cls.other_program = cls._program([(cls.city_funder, 100)], "OTHER")

    def _build(self):
        order = self._order(self.program, books=2)
        invoices = self._invoice(order)
        self._pay(invoices)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:5])
        remittance = self._remit()
        self._redeem(vouchers[5:7])
        self.assertLedgerOk()
        return remittance

    def _statement(self, partner, date_from, date_to, program=None):
        return self.env["pass.statement"]._funder_statement(
            partner,
            date_from,
            date_to,
            program or self.env["pass.program"],
            self.company,
        )


@tagged("post_install", "-at_install")
class TestStatement(StatementCommon):
    def test_funder_statement_agrees_with_ledger(self):
        self._build()
        start = self.today - timedelta(days=10)
        statement = self._statement(self.state_funder, start, self.today)
        self.assertEqual(len(statement["rows"]), 1, "only the funder's programmes")
        row = statement["rows"][0]
        self.assertEqual(row["program"], self.program)
        self.assertEqual((row["invoiced"], row["invoiced_count"]), (120.0, 20))
        self.assertEqual((row["paid"], row["due"]), (120.0, 0.0), "invoices paid")
        self.assertEqual((row["redeemed"], row["redeemed_count"]), (42.0, 7))
        self.assertEqual((row["settled"], row["settled_count"]), (30.0, 5))
        self.assertEqual((row["refunded"], row["retained"]), (0.0, 0.0))
        self.assertEqual(row["held"], 90.0)
        self.assertEqual(row["held"], self._liability_balances()[self.state_funder])
        dept = self._statement(self.dept_funder, start, self.today)["rows"][0]
        self.assertEqual(
            (dept["invoiced"], dept["paid"], dept["settled"], dept["held"]),
            (80.0, 80.0, 20.0, 60.0),
        )

        # The end of validity refunds 13 passes (20 - 7 redeemed), dated
        # after the grace period: next period's statement shows it.
        self._run_end_of_validity(self.program)
        after = self._after_grace(self.program)
        before = self._statement(self.state_funder, start, self.today)["rows"][0]
        self.assertEqual((before["refunded"], before["held"]), (0.0, 90.0))
        later = self._statement(
            self.state_funder, self.today + timedelta(days=1), after
        )
        row = later["rows"][0]
        self.assertEqual(row["opening"], 90.0)
        self.assertEqual(
            (row["invoiced"], row["paid"], row["settled"]), (0.0, 0.0, 0.0)
        )
        self.assertEqual((row["refunded"], row["refunded_count"]), (78.0, 13))
        self.assertEqual(row["held"], 12.0, "the 2 redeemed passes awaiting remittance")
        self.assertEqual(row["held"], self._liability_balances()[self.state_funder])
        self.assertLedgerOk()
        whole = self._statement(self.state_funder, start, after)["rows"][0]
        self.assertEqual(
            whole["opening"] + whole["paid"] - whole["settled"] - whole["refunded"],
            whole["held"],
        )

    def test_funder_statement_retained_and_program_filter(self):
        self.program.unused_policy = "retain"
        self._build()
        self._run_end_of_validity(self.program)
        after = self._after_grace(self.program)
        statement = self._statement(
            self.dept_funder, self.today - timedelta(days=1), after, self.program
        )
        row = statement["rows"][0]
        self.assertEqual(
            (row["retained"], row["retained_count"], row["refunded"]), (52.0, 13, 0.0)
        )
        self.assertEqual(row["held"], 8.0)
        self.assertLedgerOk()
        # A programme the funder does not fund shows nothing of it.
        self.assertFalse(
            self._statement(self.dept_funder, self.today, after, self.other_program)[
                "rows"
            ][0]["invoiced"]
        )

    def test_venue_statement(self):
        remittance = self._build()
        Statement = self.env["pass.statement"]
        start = self.today - timedelta(days=1)
        statement = Statement._venue_statement(
            self.venue, start, self.today, self.company
        )
        totals = statement["totals"]
        self.assertEqual((totals["redeemed_count"], totals["redeemed"]), (7, 70.0))
        self.assertEqual((totals["remitted_count"], totals["remitted"]), (5, 50.0))
        self.assertEqual((totals["paid"], totals["due"]), (0.0, 50.0))
        self.assertEqual(totals["awaiting_count"], 2)
        self.assertEqual(statement["remittance_rows"][0]["remittance"], remittance)
        self._pay_venue(remittance)
        totals = Statement._venue_statement(
            self.venue, start, self.today, self.company
        )["totals"]
        self.assertEqual((totals["paid"], totals["due"]), (50.0, 0.0))
        self.assertLedgerOk()
        with guarded_write():
            other_venue = self.venue.copy({"name": "Autre lieu"})
        totals = Statement._venue_statement(
            other_venue, start, self.today, self.company
        )["totals"]
        self.assertEqual(
            (totals["redeemed_count"], totals["remitted"], totals["paid"]),
            (0, 0.0, 0.0),
        )

    def test_wizard_prints_both_statements(self):
        self._build()
        wizard = self.env["pass.statement.print"].create(
            {
                "kind": "funder",
                "partner_id": self.state_funder.id,
                "date_from": self.today - timedelta(days=1),
                "date_to": self.today,
            }
        )
        action = wizard.with_context(discard_logo_check=True).action_print()
        self.assertEqual(
            action["report_name"], "pass_settlement.report_pass_statement_funder"
        )
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "pass_settlement.pass_statement_funder_report", wizard.ids
        )
        html = html.decode()
        self.assertIn("Pass Numérique funder statement", html)
        self.assertIn(self.state_funder.name, html)
        self.assertIn("o_pass_statement_row", html)
        venue_wizard = wizard.copy({"kind": "venue", "partner_id": self.venue.id})
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "pass_settlement.pass_statement_venue_report", venue_wizard.ids
        )
        self.assertIn(self.venue.name, html.decode())
        # A venue is not a funder, and the period must be in order.
        wrong = wizard.copy({"partner_id": self.venue.id})
        with self.assertRaises(UserError):
            wrong.action_print()
        backwards = wizard.copy(
            {"date_from": self.today, "date_to": self.today - timedelta(1)}
        )
        with self.assertRaises(UserError):
            backwards.action_print()


@tagged("post_install", "-at_install")
class TestStatementPortal(StatementCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_venue = cls._copy_venue("Autre lieu")
        cls.funder_user = cls._portal_user(cls.state_funder, "stmt_funder")
        cls.venue_user = cls._portal_user(cls.venue, "stmt_venue")

    def _get(self, url):
        return self.url_open(url, allow_redirects=False)

    def _assert_no_statement(self, *urls):
        """Each of ``urls`` is refused (403 or 404) and shows no statement."""
        for url in urls:
            response = self._get(url)
            self.assertIn(response.status_code, (403, 404), url)
            self.assertNotIn("o_pass_statement", response.text, url)

    def _cell(self, html, css_class):
        """The amount shown in the cell with ``css_class``, as 1234.56."""
        match = re.search(css_class + r'.*?oe_currency_value">([^<]+)<', html, re.S)
        self.assertTrue(match, css_class)
        return re.sub(r"[\s\u00a0\u202f]", "", match.group(1)).replace(",", ".")

    def _period(self):
        return f"date_from={self.today - timedelta(days=1)}&date_to={self.today}"

    def test_funder_sees_only_its_statement(self):
        self._build()
        self.authenticate("stmt_funder", "stmt_funder-pwd-2026")
        my_home = self._get("/my/home")
        self.assertIn('href="/my/pass-statements"', my_home.text)
        home = self._get("/my/pass-statements")
        self.assertEqual(home.status_code, 200)
        self.assertIn("Relevé financeur", home.text)
        self.assertNotIn("Relevé lieu de médiation", home.text)
        own = self._get(
            f"/my/pass-statements/funder/{self.state_funder.id}?{self._period()}"
        )
        self.assertEqual(own.status_code, 200)
        self.assertIn("o_pass_statement_row", own.text)
        self.assertEqual(self._cell(own.text, "o_pass_held"), "90.00")
        self.assertIn(">120,00<", own.text.replace(".", ","))
        filtered = self._get(
            f"/my/pass-statements/funder/{self.state_funder.id}?{self._period()}"
            f"&program_id={self.program.id}"
        )
        self.assertEqual(filtered.status_code, 200)
        pdf = self._get(
            f"/my/pass-statements/funder/{self.state_funder.id}?{self._period()}&report_type=pdf"
        )
        self.assertEqual(pdf.status_code, 200)
        self.assertIn("Relevé financeur", pdf.content.decode(errors="ignore") or "PDF")
        self._assert_no_statement(
            f"/my/pass-statements/funder/{self.dept_funder.id}?{self._period()}",
            f"/my/pass-statements/funder/{self.dept_funder.id}?report_type=pdf",
            f"/my/pass-statements/venue/{self.venue.id}",
            f"/my/pass-statements/funder/{self.state_funder.id}?program_id={self.other_program.id}",
            f"/my/pass-statements/funder/{self.state_funder.id}?program_id=abc",
        )

    def test_venue_sees_only_its_statement(self):
        self._build()
        self.authenticate("stmt_venue", "stmt_venue-pwd-2026")
        home = self._get("/my/pass-statements")
        self.assertEqual(home.status_code, 200)
        self.assertIn("Relevé lieu de médiation", home.text)
        own = self._get(f"/my/pass-statements/venue/{self.venue.id}?{self._period()}")
        self.assertEqual(own.status_code, 200)
        self.assertIn("o_pass_statement_remittance", own.text)
        self.assertEqual(self._cell(own.text, "o_pass_due"), "50.00")
        self.assertEqual(self._cell(own.text, "o_pass_paid"), "0.00")
        pdf = self._get(
            f"/my/pass-statements/venue/{self.venue.id}?{self._period()}&report_type=pdf"
        )
        self.assertEqual(pdf.status_code, 200)
        self._assert_no_statement(
            f"/my/pass-statements/venue/{self.other_venue.id}",
            f"/my/pass-statements/venue/{self.other_venue.id}?report_type=pdf",
            f"/my/pass-statements/funder/{self.state_funder.id}",
        )
