# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""pass.ledger.check: the passes and the journal items agree after the
normal flows; an entry made behind the product's back, or a pass state
changed behind the ledger's back, is found with the right partner, role and
amounts, explained (without any pass code) in one activity; only
accountants may run it; the daily cron runs."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.pass_numerique.tests.common import USER_GROUP, make_company_user
from odoo.addons.pass_numerique.tools.guard import guarded_write

from .common_expiry import PassExpiryCommon


@tagged("post_install", "-at_install")
class TestLedgerCheck(PassExpiryCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)], "LEDGER"
        )
        cls.misc_journal = cls.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.bank_account = cls.company_data["default_journal_bank"].default_account_id

    def _flow(self):
        """Order, invoice and payment of 2 books (20 passes), 6 passes
        redeemed and remitted, the venue paid, 2 more redeemed."""
        order = self._order(self.program, books=2)
        invoices = self._invoice(order)
        self._pay(invoices)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:6])
        remittance = self._remit()
        self._pay_venue(remittance)
        self._redeem(vouchers[6:8])
        return vouchers, remittance

    def _check(self):
        return self.env["pass.ledger.check"].with_user(self.accountant)

    def _last_check(self):
        return self.env["pass.ledger.check"].search(
            [("company_id", "=", self.company.id)], limit=1
        )

    def _entry(self, account, partner, amount, counterpart=None):
        """A posted miscellaneous entry crediting ``account`` for ``partner``
        by ``amount`` (a debit when negative), made by hand."""
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": self.misc_journal.id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": account.id,
                            "partner_id": partner.id,
                            "debit": max(-amount, 0.0),
                            "credit": max(amount, 0.0),
                        }
                    ),
                    Command.create(
                        {
                            "account_id": (counterpart or self.bank_account).id,
                            "debit": max(amount, 0.0),
                            "credit": max(-amount, 0.0),
                        }
                    ),
                ],
            }
        )
        move.action_post()
        return move

    def test_normal_flows_agree(self):
        vouchers, _remittance = self._flow()
        result = self._check().run(self.company.id)
        self.assertEqual(result, {"ok": True, "differences": []})
        check = self._last_check()
        self.assertEqual(check.state, "ok")
        self.assertFalse(check.activity_ids, "no activity when all agree")
        # All the companies the accountant may access (here: one).
        self.assertEqual(self._check().run(), {"ok": True, "differences": []})
        # The check does look at the figures: the funders hold 14 passes'
        # worth, the venue is owed nothing (paid).
        expected = self.env["pass.ledger.check"]._funder_expected(self.company)
        self.assertEqual(
            dict(expected),
            {
                (self.state_funder.id, self.program.id): 14 * 600,
                (self.dept_funder.id, self.program.id): 14 * 400,
            },
        )
        venue_expected, venue_ledger = self.env["pass.ledger.check"]._venue_figures(
            self.company
        )
        self.assertEqual(venue_expected, {(self.venue.id, False): 0})
        self.assertEqual(dict(venue_ledger), {(self.venue.id, False): 0})
        self.assertEqual(len(vouchers), 20)

    def test_hand_entry_on_funder_money(self):
        self._flow()
        liability = self.company.pass_liability_account_id
        # Someone takes 50 € out of the State's money by hand.
        move = self._entry(liability, self.state_funder, -50.0)
        result = self._check().run(self.company.id)
        self.assertFalse(result["ok"])
        self.assertEqual(
            result["differences"],
            [
                {
                    "partner_id": self.state_funder.id,
                    "role": "funder",
                    "expected": 84.0,
                    "ledger": 34.0,
                    "difference": 50.0,
                }
            ],
        )
        check = self._last_check()
        self.assertEqual(check.state, "difference")
        self.assertIn(move.name, check.line_ids.explanation)
        # One to-do for the accountant who ran it, naming the entry.
        activity = check.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.accountant)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
        )
        self.assertIn(move.name, str(activity.note))
        self.assertIn(self.state_funder.name, str(activity.note))
        # The same differences the next day: no second to-do.
        self._check().run(self.company.id)
        self.assertFalse(self._last_check().activity_ids)
        self.assertEqual(len(activity.exists()), 1)

    def test_pass_state_behind_the_ledgers_back(self):
        vouchers, _remittance = self._flow()
        # A bug settles a redeemed pass without any remittance.
        lost = vouchers[6]
        with guarded_write():
            lost.state = "settled"
        result = self._check().run(self.company.id)
        self.assertFalse(result["ok"])
        self.assertEqual(
            sorted(result["differences"], key=lambda d: d["partner_id"]),
            sorted(
                [
                    {
                        "partner_id": self.state_funder.id,
                        "role": "funder",
                        "expected": 78.0,
                        "ledger": 84.0,
                        "difference": -6.0,
                    },
                    {
                        "partner_id": self.dept_funder.id,
                        "role": "funder",
                        "expected": 52.0,
                        "ledger": 56.0,
                        "difference": -4.0,
                    },
                ],
                key=lambda d: d["partner_id"],
            ),
        )
        check = self._last_check()
        note = str(check.activity_ids.note)
        for line in check.line_ids:
            self.assertIn(str(lost.id), line.explanation)
        # Passes are named by id, never by code.
        for voucher in vouchers:
            self.assertNotIn(voucher.code, note)
            self.assertNotIn(
                voucher.code, "".join(check.line_ids.mapped("explanation"))
            )

    def test_settled_pass_put_back_shows_on_venue_and_funders(self):
        vouchers, _remittance = self._flow()
        # A bug puts a pass of the paid remittance back to redeemed.
        with guarded_write():
            vouchers[0].state = "redeemed"
        result = self._check().run(self.company.id)
        by_role = {(d["role"], d["partner_id"]): d for d in result["differences"]}
        self.assertEqual(
            by_role[("venue", self.venue.id)],
            {
                "partner_id": self.venue.id,
                "role": "venue",
                "expected": -10.0,
                "ledger": 0.0,
                "difference": -10.0,
            },
        )
        self.assertEqual(by_role[("funder", self.state_funder.id)]["difference"], 6.0)
        self.assertEqual(by_role[("funder", self.dept_funder.id)]["difference"], 4.0)
        self.assertEqual(len(by_role), 3)
        explanation = (
            self._last_check()
            .line_ids.filtered(lambda line: line.role == "venue")
            .explanation
        )
        self.assertIn(str(vouchers[0].id), explanation)

    def test_hand_entry_on_venue_payable(self):
        _vouchers, remittance = self._flow()
        payable = remittance.payable_line_id.account_id
        move = self._entry(payable, self.venue, 15.0)
        result = self._check().run(self.company.id)
        self.assertEqual(
            result["differences"],
            [
                {
                    "partner_id": self.venue.id,
                    "role": "venue",
                    "expected": 0.0,
                    "ledger": 15.0,
                    "difference": -15.0,
                }
            ],
        )
        self.assertIn(move.name, self._last_check().line_ids.explanation)

    def test_unpaid_venue_is_owed_its_remittance(self):
        order = self._order(self.program, books=1)
        self._invoice(order)
        self._redeem(order.order_line.pass_book_ids.voucher_ids[:3])
        self._remit()
        self.assertLedgerOk()
        _expected, ledger = self.env["pass.ledger.check"]._venue_figures(self.company)
        self.assertEqual(ledger[(self.venue.id, False)], 3000, "30.00 owed")

    def test_only_accountants(self):
        self._flow()
        clerk = make_company_user(self.env, "ledger_clerk", USER_GROUP)
        count = self.env["pass.ledger.check"].search_count([])
        with self.assertRaises(AccessError):
            self.env["pass.ledger.check"].with_user(clerk).run()
        with self.assertRaises(AccessError):
            self.env["pass.ledger.check"].with_user(clerk).run(self.company.id)
        with self.assertRaises(AccessError):
            self.env["pass.ledger.check"].with_user(clerk).action_run_check()
        self.assertEqual(self.env["pass.ledger.check"].search_count([]), count)
        # An accountant may not check a company it has no access to.
        other = self.env["res.company"].create({"name": "Autre coopérative"})
        with self.assertRaises(AccessError):
            self._check().run(other.id)
        with self.assertRaises(AccessError):
            self._check().run("1")

    def test_button_and_cron(self):
        self._flow()
        action = (
            self.env.ref("pass_settlement.pass_ledger_check_action_run")
            .with_user(self.accountant)
            .run()
        )
        self.assertEqual(action["res_model"], "pass.ledger.check")
        check = self.env["pass.ledger.check"].browse(action["res_id"])
        self.assertEqual((check.company_id, check.state), (self.company, "ok"))
        cron = self.env.ref("pass_settlement.pass_ledger_check_cron")
        self.assertTrue(cron.active)
        self._entry(self.company.pass_liability_account_id, self.dept_funder, -5.0)
        before = self._last_check()
        cron.method_direct_trigger()
        check = self._last_check()
        self.assertNotEqual(check, before, "the cron checked the company")
        self.assertEqual(check.state, "difference")
        self.assertEqual(
            [(line.partner_id, line.role, line.difference) for line in check.line_ids],
            [(self.dept_funder, "funder", 5.0)],
        )
        self.assertFalse(check.user_id, "run by the scheduler")
        self.assertEqual(len(check.activity_ids), 1)
        self.assertFalse(check.activity_ids.user_id.share)

    def test_one_company_or_all_accessible(self):
        other = self.setup_other_company(name="Coopérative bis")["company"]
        self.assertTrue(other.pass_liability_account_id, "settlement configured")
        self.accountant.company_ids = [Command.link(other.id)]
        self._flow()
        # A hand entry on the other company's funders' money only.
        funder = self.state_funder
        misc = self.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", other.id)], limit=1
        )
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": misc.id,
                "company_id": other.id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": other.pass_liability_account_id.id,
                            "partner_id": funder.id,
                            "credit": 25.0,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": other.account_journal_suspense_account_id.id,
                            "debit": 25.0,
                        }
                    ),
                ],
            }
        )
        move.action_post()
        self.assertEqual(
            self._check().run(self.company.id), {"ok": True, "differences": []}
        )
        difference = {
            "partner_id": funder.id,
            "role": "funder",
            "expected": 0.0,
            "ledger": 25.0,
            "difference": -25.0,
        }
        self.assertEqual(
            self._check().run(other.id), {"ok": False, "differences": [difference]}
        )
        # All the companies the accountant may access, whatever the session's.
        self.assertEqual(
            self._check().run(), {"ok": False, "differences": [difference]}
        )
        checks = self.env["pass.ledger.check"].search([], limit=2)
        self.assertEqual(set(checks.company_id), {self.company, other})
