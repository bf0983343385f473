# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The books: OCA's ledgers on the Pass accounts, the lettrage of the
funders' money (467100) and the VAT on debits option."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.pass_numerique.tests.common import (
    MANAGER_GROUP,
    USER_GROUP,
    make_company_user,
)

from .common_expiry import PassExpiryCommon


@tagged("post_install", "-at_install")
class TestBooks(PassExpiryCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.staff = make_company_user(cls.env, "pass_books_staff", USER_GROUP)
        cls.manager = make_company_user(cls.env, "pass_books_manager", MANAGER_GROUP)
        cls.Books = cls.env["pass.books"]

    # ------------------------------------------------------------ helpers
    def _money_flow(self):
        """60/40 programme, 2 books (20 passes, 200.00) invoiced and paid;
        5 passes then 4 passes remitted (two remittances)."""
        program = self._ending_program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "BOOKS"
        )
        order = self._order(program, books=2)
        invoices = self._invoice(order)
        self._pay(invoices)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:5])
        first = self._remit()
        self._redeem(vouchers[5:9])
        second = self._remit()
        return program, invoices, first | second

    def _liability_lines(self, funder):
        return self.env["account.move.line"].search(
            [
                ("account_id", "=", self.company.pass_liability_account_id.id),
                ("partner_id", "=", funder.id),
                ("parent_state", "=", "posted"),
            ]
        )

    def _invoice_line(self, funder):
        """The funder's face-value credit on 467100."""
        return self._liability_lines(funder).filtered(
            lambda line: line.move_id.move_type == "out_invoice"
        )

    def _partials(self):
        return self.env["account.partial.reconcile"].search([], order="id")

    # ------------------------------------------------------------ preset
    def test_preset_wizards_carry_pass_accounts(self):
        company = self.company
        year = company.compute_fiscalyear_dates(self.today)
        pass_accounts = (
            company.pass_liability_account_id
            | company.pass_venue_payable_account_id
            | company.pass_to_invoice_account_id
            | company.pass_retained_account_id
        )
        self.assertEqual(
            sorted(pass_accounts.mapped("code")),
            ["401800", "418110", "467100", "758900"],
        )
        books = self.Books.with_user(self.accountant)
        for method, model in (
            ("action_pass_general_ledger", "general.ledger.report.wizard"),
            ("action_pass_partner_ledger", "general.ledger.report.wizard"),
            ("action_pass_trial_balance", "trial.balance.report.wizard"),
        ):
            action = getattr(books, method)()
            self.assertEqual(action["res_model"], model)
            wizard = self.env[model].browse(action["res_id"])
            self.assertEqual(wizard.account_ids, pass_accounts, method)
            self.assertEqual(wizard.company_id, company)
            self.assertEqual(
                (wizard.date_from, wizard.date_to),
                (year["date_from"], year["date_to"]),
                method,
            )
            self.assertEqual(wizard.target_move, "posted")
        partner_ledger = self.env["general.ledger.report.wizard"].browse(
            books.action_pass_partner_ledger()["res_id"]
        )
        self.assertEqual(partner_ledger.grouped_by, "partners")
        for method, model in (
            ("action_pass_open_items", "open.items.report.wizard"),
            ("action_pass_aged_partner_balance", "aged.partner.balance.report.wizard"),
        ):
            action = getattr(books, method)()
            wizard = self.env[model].browse(action["res_id"])
            # Only the lettered accounts: what is still open per partner.
            self.assertEqual(
                wizard.account_ids,
                pass_accounts.filtered("reconcile"),
                method,
            )
            self.assertIn(company.pass_liability_account_id, wizard.account_ids)
            self.assertIn(company.pass_venue_payable_account_id, wizard.account_ids)
        # A Pass manager who may read the accounting opens them too; plain
        # Pass staff and a manager without accounting rights may not.
        count = self.env["trial.balance.report.wizard"].search_count([])
        for user in (self.staff, self.manager):
            with self.assertRaises(AccessError):
                self.Books.with_user(user).action_pass_trial_balance()
        self.assertEqual(
            self.env["trial.balance.report.wizard"].search_count([]), count
        )
        self.manager.groups_id |= self.env.ref("account.group_account_readonly")
        self.Books.with_user(self.manager).action_pass_trial_balance()
        # The Settlement menu's entries run the same methods.
        for xmlid, model in (
            ("pass_books_action_general_ledger", "general.ledger.report.wizard"),
            ("pass_books_action_partner_ledger", "general.ledger.report.wizard"),
            ("pass_books_action_open_items", "open.items.report.wizard"),
            (
                "pass_books_action_aged_partner_balance",
                "aged.partner.balance.report.wizard",
            ),
            ("pass_books_action_trial_balance", "trial.balance.report.wizard"),
        ):
            action = (
                self.env.ref(f"pass_settlement.{xmlid}")
                .with_user(self.accountant)
                .run()
            )
            self.assertEqual(action["res_model"], model, xmlid)
            wizard = self.env[model].browse(action["res_id"])
            self.assertIn(company.pass_liability_account_id, wizard.account_ids)

    def test_report_balances_match_ledger_check(self):
        """After order, invoices, payments, redemptions and remittances, OCA's
        partner ledger opened from the preset gives, on 467100 and 401800,
        what pass.ledger.check expects for each funder and venue; the trial
        balance and the general ledger the same totals."""
        self._money_flow()
        self.assertLedgerOk()
        company = self.company
        Check = self.env["pass.ledger.check"]
        funder_expected = {}
        for (funder_id, _program_id), cents in Check._funder_expected(company).items():
            funder_expected[funder_id] = funder_expected.get(funder_id, 0) + cents
        venue_expected, _venue_ledger = Check._venue_figures(company)
        self.assertEqual(
            funder_expected,
            {self.state_funder.id: 6600, self.dept_funder.id: 4400},
            "11 passes of 10.00 still held, 60/40",
        )
        self.assertEqual(venue_expected, {(self.venue.id, False): 9000})

        books = self.Books.with_user(self.accountant)
        liability = company.pass_liability_account_id
        payable = company.pass_venue_payable_account_id
        # The partner ledger: each funder's and venue's balance.
        wizard = self.env["general.ledger.report.wizard"].browse(
            books.action_pass_partner_ledger()["res_id"]
        )
        values = self.env[
            "report.account_financial_report.general_ledger"
        ]._get_report_values(wizard.ids, wizard._prepare_report_data())
        by_partner = {
            (account["code"], item["id"]): round(item["fin_bal"]["balance"] * 100)
            for account in values["general_ledger"]
            for item in account.get("list_grouped", [])
        }
        self.assertEqual(
            {
                partner_id: -cents
                for (code, partner_id), cents in by_partner.items()
                if code == "467100"
            },
            funder_expected,
        )
        self.assertEqual(
            {
                (partner_id, False): -cents
                for (code, partner_id), cents in by_partner.items()
                if code == "401800"
            },
            venue_expected,
        )
        # The trial balance and the general ledger: the accounts' totals.
        wizard = self.env["trial.balance.report.wizard"].browse(
            books.action_pass_trial_balance()["res_id"]
        )
        values = self.env[
            "report.account_financial_report.trial_balance"
        ]._get_report_values(wizard.ids, wizard._prepare_report_data())
        totals = values["total_amount"]
        self.assertAlmostEqual(totals[liability.id]["ending_balance"], -110.0, 2)
        self.assertAlmostEqual(totals[payable.id]["ending_balance"], -90.0, 2)
        wizard = self.env["general.ledger.report.wizard"].browse(
            books.action_pass_general_ledger()["res_id"]
        )
        values = self.env[
            "report.account_financial_report.general_ledger"
        ]._get_report_values(wizard.ids, wizard._prepare_report_data())
        ending = {
            account["code"]: account["fin_bal"]["balance"]
            for account in values["general_ledger"]
        }
        self.assertAlmostEqual(ending["467100"], -110.0, places=2)
        self.assertAlmostEqual(ending["401800"], -90.0, places=2)

    # ------------------------------------------------------------ lettrage
    def test_lettering_follows_remittances_and_refunds(self):
        program, _invoices, remittances = self._money_flow()
        # Each validation lettered its funders: the invoices' face value is
        # partly consumed, what remains is the money not spent yet.
        for funder, unspent in ((self.state_funder, 66.0), (self.dept_funder, 44.0)):
            credit = self._invoice_line(funder)
            self.assertEqual(len(credit), 1)
            self.assertAlmostEqual(credit.amount_residual, -unspent, places=2)
            self.assertFalse(credit.reconciled)
            consumed = self._liability_lines(funder).filtered(
                lambda line: line.move_id in remittances.move_id
            )
            self.assertEqual(len(consumed), 2)
            self.assertTrue(all(consumed.mapped("reconciled")))
        self.assertLedgerOk()

        # Running it again changes nothing.
        partials = self._partials()
        action = self.Books.with_user(self.accountant).action_pass_letter_funders()
        self.assertIn("0", action["params"]["message"])
        self.assertEqual(self._partials(), partials)

        # The end-of-validity refunds consume the rest: fully lettered.
        reconciliation = self._run_end_of_validity(program)
        self.assertEqual(reconciliation.state, "done")
        for funder in (self.state_funder, self.dept_funder):
            lines = self._liability_lines(funder)
            self.assertEqual(len(lines), 4, "invoice, two remittances, credit note")
            self.assertTrue(all(lines.mapped("reconciled")), funder.name)
            self.assertEqual(len(lines.full_reconcile_id), 1)
        self.assertLedgerOk()

        # Unlettered by Odoo's own tool: the ledger is still right, and the
        # button letters it again.
        state_lines = self._liability_lines(self.state_funder)
        state_lines.remove_move_reconcile()
        self.assertFalse(any(state_lines.mapped("reconciled")))
        self.assertLedgerOk()
        self.state_funder.with_user(self.accountant).action_pass_letter_funder()
        self.assertTrue(all(state_lines.mapped("reconciled")))
        self.assertEqual(len(state_lines.full_reconcile_id), 1)
        partials = self._partials()
        self.Books.with_user(self.accountant).action_pass_letter_funders()
        self.assertEqual(self._partials(), partials)

    def test_cancelled_remittance_gives_the_money_back(self):
        """A cancelled remittance's 467100 debits are lettered with their
        reversal, funder by funder; the invoices it consumed are open again
        by that much."""
        _program, _invoices, remittances = self._money_flow()
        second = remittances.sorted("id")[-1]
        second.with_user(self.accountant).action_cancel("wrong venue")
        self.assertEqual(second.state, "cancelled")
        for funder, unspent in ((self.state_funder, 90.0), (self.dept_funder, 60.0)):
            self.assertAlmostEqual(
                self._invoice_line(funder).amount_residual, -unspent, places=2
            )
            cancelled = self._liability_lines(funder).filtered(
                lambda line: line.move_id in second.move_id | second.reversal_move_id
            )
            self.assertEqual(len(cancelled), 2)
            self.assertTrue(all(cancelled.mapped("reconciled")))
            self.assertEqual(len(cancelled.full_reconcile_id), 1)
        self.assertLedgerOk()

    def test_lettering_never_across_funders(self):
        _program, _invoices, remittances = self._money_flow()
        state_credit = self._invoice_line(self.state_funder)
        dept_debit = self._liability_lines(self.dept_funder).filtered(
            lambda line: line.move_id in remittances.move_id
        )[:1]
        # Free both lines, then try to match the State's money with what the
        # Département's passes consumed.
        (state_credit | dept_debit).remove_move_reconcile()
        partials = self._partials()
        with self.assertRaises(UserError):
            (state_credit | dept_debit).reconcile()
        self.assertEqual(self._partials(), partials)
        with self.assertRaises(UserError):
            self.env["account.move.line"]._reconcile_plan([state_credit | dept_debit])
        self.assertEqual(self._partials(), partials)
        self.assertLedgerOk()

    def test_lettering_refused_to_plain_staff(self):
        self._money_flow()
        for user in (self.staff, self.manager):
            with self.assertRaises(AccessError):
                self.Books.with_user(user).action_pass_letter_funders()

    # ------------------------------------------------------------ VAT on debits
    def _fee_line(self, invoices):
        return invoices.invoice_line_ids.filtered(
            lambda line: line.product_id == self.company.pass_fee_product_id
            and line.account_id != self.company.pass_liability_account_id
        )

    def test_fee_vat_on_payment_by_default(self):
        self.assertFalse(self.company.pass_vat_on_debits)
        program = self._program([(self.state_funder, 100)], "VATPAY")
        fee = self._fee_line(self._invoice(self._order(program, books=1)))
        self.assertTrue(fee)
        self.assertEqual(
            set(fee.tax_ids.mapped(lambda t: (t.amount, t.tax_exigibility))),
            {(20.0, "on_payment")},
        )

    def test_fee_vat_on_debits_option(self):
        company = self.company
        # Only a Pass accountant may opt for debits, not even an
        # administrator of the settings who is no Pass accountant.
        admin = make_company_user(
            self.env, "pass_books_settings_admin", f"base.group_system,{MANAGER_GROUP}"
        )
        self.assertFalse(admin.has_group("pass_settlement.group_pass_accountant"))
        with self.assertRaises(AccessError):
            company.with_user(admin).pass_vat_on_debits = True
        # Saving the settings unchanged is no change of the option.
        company.with_user(admin).write({"pass_vat_on_debits": False})
        self.assertFalse(company.pass_vat_on_debits)
        # The settings page is the administrators'; the option shows to
        # those who are Pass accountants too.
        admin.groups_id |= self.env.ref("pass_settlement.group_pass_accountant")
        settings = (
            self.env["res.config.settings"]
            .with_user(admin)
            .create({"pass_vat_on_debits": True})
        )
        settings.execute()
        self.assertTrue(company.pass_vat_on_debits)
        fee_taxes = company.pass_fee_product_id.taxes_id
        self.assertEqual(
            set(fee_taxes.mapped(lambda t: (t.amount, t.tax_exigibility))),
            {(20.0, "on_invoice")},
        )
        program = self._program([(self.state_funder, 100)], "VATDEB")
        invoices = self._invoice(self._order(program, books=1))
        fee = self._fee_line(invoices)
        self.assertEqual(
            set(fee.tax_ids.mapped(lambda t: (t.amount, t.tax_exigibility))),
            {(20.0, "on_invoice")},
        )
        # The VAT is due on invoice: on the VAT payable account at once, no
        # "VAT to collect on payment" (44574) line.
        tax_line = invoices.line_ids.filtered("tax_line_id")
        self.assertEqual(tax_line.account_id.mapped("code"), ["445710"])
        # Back to VAT on payments.
        self.env["res.config.settings"].with_user(admin).create(
            {"pass_vat_on_debits": False}
        ).execute()
        self.assertFalse(company.pass_vat_on_debits)
        self.assertEqual(
            set(
                company.pass_fee_product_id.taxes_id.mapped(
                    lambda t: (t.amount, t.tax_exigibility)
                )
            ),
            {(20.0, "on_payment")},
        )
