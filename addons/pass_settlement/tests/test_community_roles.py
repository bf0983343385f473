# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The settlement runs in Odoo Community as shipped: the Pass accountant role
(without Odoo's hidden "Show Full Accounting Features" group, without an
e-mail address) validates remittances, runs the clearing down to the SEPA
file and posts the end-of-validity reconciliation; the settlement defaults
give the payment mode a bank journal with the company's bank account; a
branch shares its root company's settlement accounts (never a second
467100)."""

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.pass_numerique.tests.common import make_company_user

from .common import iban_fr
from .common_expiry import PassExpiryCommon

ACCOUNTANT = "pass_settlement.group_pass_accountant"


@tagged("post_install", "-at_install")
class TestCommunityRoles(PassExpiryCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # As Community ships it: the Pass accountant role only, and no e-mail.
        cls.community_accountant = make_company_user(
            cls.env, "pass_community_accountant", ACCOUNTANT, email=False
        )
        # sudo: bank accounts are the payments group's; fixtures.
        cls.env["res.partner.bank"].sudo().create(
            {"acc_number": iban_fr(7), "partner_id": cls.venue.id}
        )

    def _company_iban(self, number):
        # sudo: bank accounts are the payments group's; a fixture.
        return (
            self.env["res.partner.bank"]
            .sudo()
            .create(
                {
                    "acc_number": iban_fr(number),
                    "partner_id": self.company.partner_id.id,
                    "company_id": self.company.id,
                }
            )
        )

    # ------------------------------------------------------------------ role
    def test_role_works_without_full_accounting_features(self):
        role = self.env.ref(ACCOUNTANT)
        implied = role.trans_implied_ids
        for xmlid in (
            "pass_numerique.pass_numerique_group_user",
            "account.group_account_invoice",
            "account.group_account_readonly",
            "account_payment_order.group_account_payment",
        ):
            self.assertIn(self.env.ref(xmlid), implied, xmlid)
        user = self.community_accountant
        self.assertFalse(user.has_group("account.group_account_user"))
        self.assertFalse(user.email)
        # Shown on the user form, under Pass Numérique, not a hidden group.
        self.assertEqual(
            role.category_id.parent_id,
            self.env.ref("pass_numerique.module_category_pass_numerique"),
        )
        self.assertIn(self.env.ref("base.user_admin"), role.users)
        # The settlement menus and the ledger (Accounting menu) are visible.
        visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
        for xmlid in (
            "pass_settlement.pass_clearing_run_menu",
            "pass_settlement.pass_remittance_menu",
            "account.menu_finance_entries",
            "account.menu_action_move_journal_line_form",
        ):
            self.assertIn(self.env.ref(xmlid).id, visible, xmlid)
        # Odoo's full accountant without the role does not settle.
        odoo_accountant = new_test_user(
            self.env,
            login="pass_odoo_only_accountant",
            groups="account.group_account_user,"
            "account_payment_order.group_account_payment",
        )
        remittance = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        with self.assertRaises(AccessError):
            remittance.with_user(odoo_accountant).action_validate()
        self.assertEqual(remittance.state, "draft")

    # ------------------------------------------------------------------ money flow
    def test_money_flow_as_community_accountant_without_email(self):
        """Order, invoice, payment, redemption, remittance, clearing with its
        SEPA file, end of validity with the refund: all by the Pass
        accountant of Community, who has no e-mail address."""
        user = self.community_accountant
        # The settlement defaults give the transfers their bank account.
        journal = self.company.pass_venue_payment_mode_id.fixed_journal_id
        self.assertEqual(journal.type, "bank")
        journal.bank_account_id = False
        iban = self._company_iban(90)
        self.company._pass_setup_settlement_defaults()
        self.assertEqual(journal.bank_account_id, iban)

        program = self._ending_program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "COMMU"
        )
        order = self._order(program, books=1)
        invoices = self._invoice(order)
        # The funders' payments (by a billing user: Odoo's sale module posts
        # on the order when its invoice is paid, which needs an e-mail).
        self._pay(invoices)
        self.assertTrue(set(invoices.mapped("payment_state")) <= {"paid", "in_payment"})
        vouchers = order.order_line.pass_book_ids.voucher_ids.sorted("number")
        self._redeem(vouchers[:3])

        # A remittance validated by hand...
        remittance = (
            self.env["pass.remittance"]
            .with_user(user)
            .create({"venue_id": self.venue.id, "company_id": self.company.id})
        )
        remittance.add_vouchers(vouchers[:2].ids)
        remittance.action_submit()
        remittance.action_validate()
        self.assertEqual(remittance.state, "validated")
        self.assertEqual(remittance.move_id.state, "posted")
        self.assertEqual(set(vouchers[:2].mapped("state")), {"settled"})

        # ... then the month's clearing: the last pass, and both transfers
        # (to the venue's IBAN, checked and trusted by the cooperative).
        validator = new_test_user(
            self.env,
            login="cr_bank_validator",
            groups="base.group_user,account.group_validate_bank_account",
        )
        self.venue.bank_ids.with_user(validator).sudo().allow_out_payment = True
        today = fields.Date.context_today(self.env["pass.clearing.run"])
        run = (
            self.env["pass.clearing.run"]
            .with_user(user)
            .create(
                {
                    "company_id": self.company.id,
                    "period_start": today.replace(day=1),
                    "period_end": today,
                }
            )
        )
        run.action_run()
        self.assertEqual(run.state, "done", run.last_error)
        self.assertEqual(vouchers[2].state, "settled")
        order_ = run.payment_order_ids
        self.assertEqual(order_.state, "generated")
        self.assertEqual(order_.journal_id, journal)
        self.assertAlmostEqual(
            sum(order_.payment_line_ids.mapped("amount_currency")), 30.0
        )
        sepa = self.env["ir.attachment"].search(
            [("res_model", "=", "account.payment.order"), ("res_id", "=", order_.id)]
        )
        self.assertTrue(sepa, "the SEPA file is generated")
        self.assertIn(b"CstmrCdtTrfInitn", sepa[0].raw)
        self.assertHeldInvariant(program)

        # End of validity: the unused passes are refunded by credit notes.
        with freeze_time(self._after_grace(program)):
            program.with_user(user).action_pass_end_of_validity()
        reconciliation = program.reconciliation_ids
        self.assertEqual(reconciliation.state, "done")
        self.assertEqual(set(vouchers[3:].mapped("state")), {"expired"})
        self.assertEqual(
            set(reconciliation.line_ids.move_id.mapped("state")), {"posted"}
        )
        self.assertAlmostEqual(
            sum(reconciliation.line_ids.mapped("amount_unused")), 70.0, places=2
        )
        self.assertHeldInvariant(program)

    def test_defaults_pick_the_only_company_bank_account(self):
        journal = self.company.pass_venue_payment_mode_id.fixed_journal_id
        journal.bank_account_id = False
        first = self._company_iban(91)
        second = self._company_iban(92)
        # Two bank accounts: which one pays the venues is the accountant's call.
        self.company._pass_setup_settlement_defaults()
        self.assertFalse(journal.bank_account_id)
        second.unlink()
        self.company._pass_setup_settlement_defaults()
        self.assertEqual(journal.bank_account_id, first)

    # ------------------------------------------------------------------ branches
    def test_branch_shares_the_root_settlement_accounts(self):
        """A branch shares its root's chart: no second 467100 (Odoo refuses
        it: account codes are unique across a company and its branches)."""
        company = self.company
        Account = self.env["account.account"]
        counts = {
            model: self.env[model].search_count([])
            for model in ("account.account", "account.journal", "account.tax")
        }
        products = self.env["product.product"].search_count([])
        company.write({"child_ids": [Command.create({"name": "Antenne Gironde"})]})
        self.cr.precommit.run()  # loads the chart of the branch
        branch = company.child_ids
        self.assertEqual(branch.chart_template, company.chart_template)
        for fname in (
            "pass_liability_account_id",
            "pass_retained_account_id",
            "pass_sale_journal_id",
            "pass_venue_journal_id",
            "pass_fee_product_id",
            "pass_voucher_tax_id",
        ):
            self.assertTrue(branch[fname], fname)
            self.assertEqual(branch[fname], company[fname], fname)
        mode = branch.pass_venue_payment_mode_id
        self.assertEqual(mode.company_id, branch)
        self.assertEqual(
            mode.fixed_journal_id, company.pass_venue_payment_mode_id.fixed_journal_id
        )
        branch._pass_check_settlement_config()
        branch._pass_setup_settlement_defaults()
        self.assertEqual(
            Account.search_count(
                [
                    *Account._check_company_domain(branch),
                    ("code", "=", "467100"),
                ]
            ),
            1,
        )
        self.assertEqual(
            {model: self.env[model].search_count([]) for model in counts}, counts
        )
        self.assertEqual(self.env["product.product"].search_count([]), products)
