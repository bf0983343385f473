# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The settlement's accounts, journals and tax are chart-template data: a
company loading the French chart gets them with their xml ids, French
numbers and names, and its settlement fields point at them; the retained
value has an account of its own (not 758100, penalties received); venues
are owed on a payable sub-account of their own (401800, not the trade
suppliers' 401100); reloading the chart or the defaults creates nothing; a
company whose chart predates the module, and a database older than the
chart data, get them without a duplicate; a branch shares its root's."""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.pass_settlement.hooks import post_init_hook
from odoo.addons.pass_settlement.models.account_chart_template import (
    PASS_CHART_RECORDS,
    PASS_COMPANY_FIELDS,
)

from .common_expiry import PassExpiryCommon

# xml id: (code, type, French name) in the French chart.
FR_ACCOUNTS = {
    "pass_liability": (
        "467100",
        "liability_current",
        "Fonds des financeurs Pass Numérique",
    ),
    "pass_to_invoice": (
        "418110",
        "asset_current",
        "Clients - factures à établir (Pass Numérique)",
    ),
    "pass_retained": (
        "758900",
        "income",
        "Produits divers - Pass Numérique non utilisés conservés",
    ),
    "pass_venue_payable": (
        "401800",
        "liability_payable",
        "Fournisseurs - lieux de médiation (Pass Numérique)",
    ),
}


@tagged("post_install", "-at_install")
class TestChartTemplate(PassExpiryCommon):
    # ------------------------------------------------------------------ helpers
    def _ref(self, company, xmlid):
        return (
            self.env["account.chart.template"]
            .with_company(company)
            .ref(xmlid, raise_if_not_found=False)
        )

    def _settlement_records(self, company):
        """{model: number of the company's records} and its settlement
        fields, to compare before/after."""
        counts = {}
        for model in PASS_CHART_RECORDS:
            Model = self.env[model].with_context(active_test=False)
            counts[model] = Model.search_count(Model._check_company_domain(company))
        return counts, {fname: company[fname] for fname in PASS_COMPANY_FIELDS}

    def _code_count(self, company, code):
        Account = self.env["account.account"].with_company(company)
        return Account.search_count(
            [*Account._check_company_domain(company), ("code", "=", code)]
        )

    def _other_french_company(self):
        """Another company with the French chart, in its own context (account
        codes are per company)."""
        company = self.setup_other_company(name="Coopérative ter")["company"]
        return company.with_company(company)

    def _strip_settlement_chart_data(self, company):
        """The company as it was before the module was installed: its chart
        without the settlement's records nor fields."""
        records = [
            self._ref(company, xmlid)
            for xmlids in PASS_CHART_RECORDS.values()
            for xmlid in xmlids
        ]
        company.write(dict.fromkeys(PASS_COMPANY_FIELDS, False))
        for record in records:
            record.unlink()
        for xmlids in PASS_CHART_RECORDS.values():
            for xmlid in xmlids:
                self.assertFalse(self._ref(company, xmlid))

    # ------------------------------------------------------------------ tests
    def test_french_chart_gives_the_settlement_records(self):
        company = self.company
        self.assertEqual(company.chart_template, "fr")
        for fname, xmlid in PASS_COMPANY_FIELDS.items():
            record = self._ref(company, xmlid)
            self.assertTrue(record, xmlid)
            self.assertEqual(company[fname], record, fname)
        for xmlid, (code, account_type, name) in FR_ACCOUNTS.items():
            account = self._ref(company, xmlid)
            self.assertEqual(
                (account.code, account.account_type), (code, account_type), xmlid
            )
            self.assertEqual(account.with_context(lang="fr_FR").name, name)
            self.assertEqual(self._code_count(company, code), 1, code)
        # The retained value is no longer "Dédits et pénalités perçus".
        retained = company.pass_retained_account_id
        self.assertNotEqual(retained, self._ref(company, "pcg_7581"))
        self.assertNotEqual(retained.code, "758100")
        self.assertEqual(
            retained.tag_ids, self.env.ref("account.account_tag_operating")
        )
        # Venues are owed on their own payable, apart from trade suppliers.
        payable = company.pass_venue_payable_account_id
        self.assertTrue(payable.reconcile, "lettered with the transfers")
        self.assertNotEqual(payable, self._ref(company, "fr_pcg_pay"))
        self.assertNotEqual(
            payable, self.venue.with_company(company).property_account_payable_id
        )
        self.assertNotEqual(
            company.pass_to_invoice_account_id, self._ref(company, "pcg_4181")
        )
        self.assertEqual(
            (company.pass_sale_journal_id.code, company.pass_sale_journal_id.type),
            ("PASS", "sale"),
        )
        self.assertEqual(
            (company.pass_venue_journal_id.code, company.pass_venue_journal_id.type),
            ("RLMN", "purchase"),
        )
        tax = company.pass_voucher_tax_id
        self.assertEqual(
            (tax.type_tax_use, tax.amount_type, tax.amount), ("sale", "percent", 0.0)
        )
        self.assertEqual(tax.tax_group_id, self._ref(company, "tax_group_tva_0"))
        self.assertFalse(tax.invoice_repartition_line_ids.tag_ids)
        self.assertEqual(
            tax.with_context(lang="fr_FR").name,
            "TVA 0 % - bons à usages multiples (hors champ)",
        )
        # What is no chart data is made in code.
        self.assertTrue(company.pass_fee_product_id)
        self.assertTrue(company.pass_venue_payment_mode_id)

    def test_reloading_is_idempotent(self):
        company = self.company
        before = self._settlement_records(company)
        company._pass_setup_settlement_defaults()
        # As the module's installation runs it (as the superuser).
        post_init_hook(self.env(su=True))
        self.assertEqual(self._settlement_records(company), before)
        # Loading the French chart again (Odoo's reload): nothing duplicated,
        # the company's fields untouched.
        # sudo: loading a chart of accounts is for administrators.
        self.env["account.chart.template"].sudo().try_loading(
            "fr", company, install_demo=False
        )
        self.assertEqual(self._settlement_records(company), before)
        for code, _type, _name in FR_ACCOUNTS.values():
            self.assertEqual(self._code_count(company, code), 1, code)

    def test_company_whose_chart_predates_the_module(self):
        company = self._other_french_company()
        expected = {
            xmlid: self._ref(company, xmlid).display_name
            for xmlids in PASS_CHART_RECORDS.values()
            for xmlid in xmlids
        }
        self._strip_settlement_chart_data(company)
        self.assertFalse(company.check_account_audit_trail)
        post_init_hook(self.env(su=True))
        # Odoo's restrictive audit trail on: a posted entry is never deleted.
        self.assertTrue(company.check_account_audit_trail)
        for fname, xmlid in PASS_COMPANY_FIELDS.items():
            record = self._ref(company, xmlid)
            self.assertTrue(record, xmlid)
            self.assertEqual(company[fname], record, fname)
            self.assertEqual(record.display_name, expected[xmlid])
        for code, _type, _name in FR_ACCOUNTS.values():
            self.assertEqual(self._code_count(company, code), 1, code)

    def test_older_database_keeps_its_records(self):
        """A database older than the chart data: the settlement's records
        exist without xml ids (467100, the PASS and RLMN journals, the
        French-named tax), the retained value on the chart's 758100 and the
        passes to invoice on its 418100, no venue payable account. The
        upgrade binds the existing records (no duplicate), keeps the
        company's fields, gives the venues their payable, and moves the
        retained value off 758100 as nothing was posted on it; 418100 has an
        entry: it stays."""
        company = self._other_french_company()
        liability = company.pass_liability_account_id
        sale_journal = company.pass_sale_journal_id
        tax = company.pass_voucher_tax_id
        old_retained = self._ref(company, "pcg_7581")
        old_to_invoice = self._ref(company, "pcg_4181")
        # sudo: ir.model.data is the administrator's; the old database had
        # no xml ids for these records.
        self.env["ir.model.data"].sudo().search(
            [
                ("module", "=", "account"),
                (
                    "name",
                    "in",
                    [
                        f"{company.id}_{xmlid}"
                        for xmlid in (
                            "pass_liability",
                            "pass_sale_journal",
                            "pass_voucher_tax",
                        )
                    ],
                ),
            ]
        ).unlink()
        tax.with_context(
            lang="en_US"
        ).name = "TVA 0 % - bons à usages multiples (hors champ)"
        for xmlid in ("pass_retained", "pass_to_invoice", "pass_venue_payable"):
            self._ref(company, xmlid).unlink()
        company.write(
            {
                "pass_retained_account_id": old_retained.id,
                "pass_to_invoice_account_id": old_to_invoice.id,
                "pass_venue_payable_account_id": False,
            }
        )
        misc = self.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", company.id)], limit=1
        )
        suspense = company.account_journal_suspense_account_id
        self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": misc.id,
                "company_id": company.id,
                "line_ids": [
                    Command.create({"account_id": old_to_invoice.id, "debit": 5.0}),
                    Command.create(
                        {
                            "account_id": suspense.id,
                            "credit": 5.0,
                        }
                    ),
                ],
            }
        ).action_post()

        company._pass_setup_settlement_defaults()
        company._pass_adopt_settlement_chart_accounts()

        self.assertEqual(company.pass_liability_account_id, liability)
        self.assertEqual(self._ref(company, "pass_liability"), liability)
        self.assertEqual(self._code_count(company, "467100"), 1)
        self.assertEqual(company.pass_sale_journal_id, sale_journal)
        self.assertEqual(self._ref(company, "pass_sale_journal"), sale_journal)
        self.assertEqual(company.pass_voucher_tax_id, tax)
        self.assertEqual(self._ref(company, "pass_voucher_tax"), tax)
        self.assertEqual(company.pass_venue_payable_account_id.code, "401800")
        self.assertEqual(company.pass_retained_account_id.code, "758900")
        self.assertEqual(company.pass_to_invoice_account_id, old_to_invoice)
        self.assertEqual(self._ref(company, "pass_to_invoice").code, "418110")

    def test_branch_shares_the_root_records(self):
        company = self.company
        before = self._settlement_records(company)
        company.write({"child_ids": [Command.create({"name": "Antenne Landes"})]})
        self.cr.precommit.run()  # loads the chart of the branch
        branch = company.child_ids
        self.assertEqual(branch.chart_template, "fr")
        for fname in PASS_COMPANY_FIELDS:
            self.assertTrue(branch[fname], fname)
            self.assertEqual(branch[fname], company[fname], fname)
        branch._pass_setup_settlement_defaults()
        self.assertEqual(self._settlement_records(company)[0], before[0])
        for code, _type, _name in FR_ACCOUNTS.values():
            self.assertEqual(self._code_count(branch, code), 1, code)

    def test_remittance_credits_the_venue_payable_account(self):
        program = self._program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "VPAY"
        )
        order = self._order(program, books=1)
        self._pay(self._invoice(order))
        self._redeem(order.order_line.pass_book_ids.voucher_ids[:3])
        remittance = self._remit()
        payable = self.company.pass_venue_payable_account_id
        line = remittance.payable_line_id
        self.assertEqual(line.account_id, payable)
        self.assertEqual(line.account_id.code, "401800")
        self.assertEqual((line.partner_id, line.credit), (self.venue, 30.0))
        self.assertEqual(
            self.env["pass.ledger.check"]._venue_payable_accounts(self.company),
            payable,
        )
        self.assertLedgerOk()
        payment = self._pay_venue(remittance)
        self.assertTrue(line.reconciled)
        self.assertIn(payable, payment.move_id.line_ids.account_id)
        self.assertLedgerOk()
        # The check reads that account: an entry on it behind the product's
        # back is found.
        misc = self.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", self.company.id)], limit=1
        )
        suspense = self.company.account_journal_suspense_account_id
        self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": misc.id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": payable.id,
                            "partner_id": self.venue.id,
                            "credit": 7.0,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": suspense.id,
                            "debit": 7.0,
                        }
                    ),
                ],
            }
        ).action_post()
        result = (
            self.env["pass.ledger.check"]
            .with_user(self.accountant)
            .run(self.company.id)
        )
        self.assertEqual(
            [
                (d["partner_id"], d["role"], d["difference"])
                for d in result["differences"]
            ],
            [(self.venue.id, "venue", -7.0)],
        )

    def test_missing_venue_payable_account_refuses_validation(self):
        program = self._program([(self.state_funder, 100)], "NOPAY")
        order = self._order(program, books=1)
        self._pay(self._invoice(order))
        self._redeem(order.order_line.pass_book_ids.voucher_ids[:2])
        remittance = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        remittance.action_add_redeemed()
        remittance.action_submit()
        self.company.pass_venue_payable_account_id = False
        with self.assertRaises(UserError):
            remittance.with_user(self.accountant).action_validate()
        self.assertEqual(remittance.state, "submitted")
        self.assertFalse(remittance.move_id)

    def test_other_charts_never_clash(self):
        """Another chart's numbering: a settlement number the chart already
        uses moves to the next free one (loading never fails on it)."""
        data = {
            "template_data": {"code_digits": 6},
            "account.account": {
                "theirs": {"code": "2130"},
                "theirs_too": {"code": "213001"},
                "pass_liability": {"code": "2130"},
                "pass_retained": {"code": "4510"},
            },
        }
        self.env["account.chart.template"]._pass_avoid_code_clashes(data)
        accounts = data["account.account"]
        self.assertEqual(accounts["pass_liability"]["code"], "213002")
        self.assertEqual(accounts["pass_retained"]["code"], "4510")
        generic = self.env["account.chart.template"]._get_chart_template_data(
            "generic_coa"
        )["account.account"]
        codes = [f"{vals['code']:<06}" for vals in generic.values() if vals.get("code")]
        self.assertEqual(len(codes), len(set(codes)))
        for xmlid in FR_ACCOUNTS:
            self.assertIn(xmlid, generic)
