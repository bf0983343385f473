# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re
from datetime import date, timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.pass_numerique.tests.common import USER_GROUP, make_company_user
from odoo.addons.pass_numerique.tools.guard import guarded_write

from .common import PassPaymentsMixin, PassSettlementCommon


@tagged("post_install", "-at_install")
class TestVenueSubscription(PassPaymentsMixin, PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.venue.write(
            {
                "name": "Médiathèque Alpha",
                "pass_subscription_active": True,
                "pass_subscription_start": "2020-01-01",
            }
        )
        cls.venue_b = cls._copy_venue(
            "Tiers-lieu Bêta", zip="33100", pass_subscription_active=True
        )
        with guarded_write():
            # Subscribed but not qualified (candidate, suspended), qualified
            # but not subscribed, subscribed from a later year.
            cls.candidate = cls.venue_b.copy(
                {
                    "name": "Candidat",
                    "pass_venue_state": "candidate",
                    "pass_subscription_active": True,
                }
            )
            cls.suspended = cls.venue_b.copy(
                {
                    "name": "Suspendu",
                    "pass_venue_state": "suspended",
                    "pass_subscription_active": True,
                }
            )
            cls.unsubscribed = cls.venue_b.copy(
                {"name": "Sans abonnement", "pass_venue_state": "qualified"}
            )
            cls.later = cls.venue_b.copy(
                {
                    "name": "Plus tard",
                    "pass_venue_state": "qualified",
                    "pass_subscription_active": True,
                    "pass_subscription_start": date(2999, 1, 1),
                }
            )
        cls.iban_a = cls._bank_account(cls.venue, 11, trusted=True)
        cls.iban_b = cls._bank_account(cls.venue_b, 12, trusted=True)
        cls._setup_payments(98)
        cls.program = cls._program([(cls.state_funder, 100)], "SUB100")
        cls.Subscription = cls.env["pass.venue.subscription"]
        cls.today = fields.Date.context_today(cls.Subscription)
        cls.year = cls.today.year
        cls.portal_user = cls._portal_user(cls.venue, "venue_portal_sub")

    def setUp(self):
        super().setUp()
        order = self._order(self.program, books=3)
        self._invoice(order)
        self.passes = order.order_line.pass_book_ids.voucher_ids.sorted("number")

    # ------------------------------------------------------------------ helpers
    def _invoice_year(self):
        self.Subscription.with_user(self.accountant).action_invoice_current_year()
        return self.Subscription.search([("year", "=", self.year)])

    def _run(self, start=None, end=None):
        run = self.env["pass.clearing.run"].create(
            {
                "company_id": self.company.id,
                "period_start": start or self.today.replace(day=1),
                "period_end": end or self.today,
            }
        )
        run.with_user(self.accountant).action_run()
        self.assertEqual(run.state, "done", run.last_error)
        return run

    def _payment_amounts(self, run):
        return {
            line.partner_id: line.amount_currency
            for line in run.payment_order_ids.payment_line_ids
        }

    def _subscription(self, venue):
        subscription = self.Subscription.search(
            [("venue_id", "=", venue.id), ("year", "=", self.year)]
        )
        self.assertEqual(len(subscription), 1)
        return subscription

    # ------------------------------------------------------------------ invoicing
    def test_invoiced_once_per_venue_and_year(self):
        subscriptions = self._invoice_year()

        # Only the qualified venues with an active subscription begun by now.
        self.assertEqual(subscriptions.venue_id, self.venue | self.venue_b)
        sale_journal = subscriptions.invoice_id.journal_id
        self.assertEqual(sale_journal.type, "sale")
        self.assertNotEqual(sale_journal, self.company.pass_sale_journal_id)
        for subscription in subscriptions:
            invoice = subscription.invoice_id
            self.assertEqual(
                (invoice.move_type, invoice.state, invoice.partner_id),
                ("out_invoice", "posted", subscription.venue_id),
            )
            self.assertEqual(subscription.state, "invoiced")
            self.assertAlmostEqual(invoice.amount_untaxed, 77.0, places=2)
            self.assertAlmostEqual(invoice.amount_tax, 15.4, places=2)
            self.assertEqual(
                invoice.invoice_line_ids.product_id,
                self.env.ref("pass_settlement.product_venue_subscription"),
            )
            self.assertEqual(
                invoice.invoice_line_ids.account_id.code[:3], "706", "income account"
            )
        invoices = self.env["account.move"].search([("move_type", "=", "out_invoice")])

        # Run again, by the button and by the scheduler: nothing more.
        self.assertEqual(self._invoice_year(), subscriptions)
        self.Subscription._cron_invoice_current_year()
        self.assertEqual(self.Subscription.search([]), subscriptions)
        self.assertEqual(
            self.env["account.move"].search([("move_type", "=", "out_invoice")]),
            invoices,
        )
        self.assertLedgerOk()

    def test_one_subscription_per_venue_year_company_in_the_database(self):
        subscription = self._invoice_year().filtered(lambda s: s.venue_id == self.venue)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
            guarded_write(),
        ):
            self.Subscription.create(
                {
                    "venue_id": self.venue.id,
                    "year": self.year,
                    "amount": 77.0,
                    "invoice_id": subscription.invoice_id.id,
                }
            )

    # ------------------------------------------------------------------ offsets
    def test_offset_with_consent_pays_net_and_keeps_ledger(self):
        self.venue.pass_set_subscription_offset(True)
        self._invoice_year()
        subscription = self._subscription(self.venue)
        self._redeem(self.passes[:12])  # 120 € owed to the venue

        run = self._run()

        offset = run.offset_move_ids
        self.assertEqual(len(offset), 1)
        self.assertEqual(offset.state, "posted")
        self.assertEqual(set(offset.line_ids.partner_id), {self.venue})
        self.assertEqual(
            {
                (line.account_id.account_type, line.debit, line.credit)
                for line in offset.line_ids
            },
            {("liability_payable", 92.4, 0.0), ("asset_receivable", 0.0, 92.4)},
        )
        self.assertEqual(subscription.state, "offset")
        self.assertAlmostEqual(subscription.amount_offset, 92.4, places=2)
        self.assertAlmostEqual(subscription.amount_due, 0.0, places=2)
        amounts = self._payment_amounts(run)
        self.assertAlmostEqual(amounts[self.venue], 27.6, places=2)
        self.assertAlmostEqual(run.amount_offset, 92.4, places=2)
        self.assertLedgerOk()

        # Clicked again: the offset and the payment are not made twice.
        moves = self.env["account.move"].search([])
        run.with_user(self.accountant).action_run()
        self.assertEqual(self.env["account.move"].search([]), moves)
        self.assertEqual(len(run.payment_order_ids), 1)
        self.assertAlmostEqual(self._payment_amounts(run)[self.venue], 27.6, places=2)
        self.assertEqual(subscription.state, "offset")
        self.assertLedgerOk()

    def test_no_consent_pays_gross_and_invoice_stays_open(self):
        self._invoice_year()
        subscription = self._subscription(self.venue)
        self._redeem(self.passes[:12])

        run = self._run()

        self.assertFalse(run.offset_move_ids)
        self.assertAlmostEqual(self._payment_amounts(run)[self.venue], 120.0, places=2)
        self.assertEqual(subscription.state, "invoiced")
        self.assertAlmostEqual(subscription.amount_due, 92.4, places=2)
        self.assertLedgerOk()

    def test_partial_offset_then_rest_on_next_payout(self):
        self.venue.pass_set_subscription_offset(True)
        self._invoice_year()
        subscription = self._subscription(self.venue)
        self._redeem(self.passes[:5])  # 50 €, less than the 92.40 invoice

        first = self._run()

        # Never below zero: the 50 € are offset, nothing is transferred to
        # the venue, the rest of the invoice stays open.
        self.assertAlmostEqual(first.amount_offset, 50.0, places=2)
        self.assertNotIn(self.venue, self._payment_amounts(first))
        self.assertEqual(subscription.state, "invoiced")
        self.assertAlmostEqual(subscription.amount_due, 42.4, places=2)
        self.assertLedgerOk()

        # The next payout (another period) offsets the rest and pays the net.
        self._redeem(self.passes[5:15])  # 100 €
        self._remit()
        tomorrow = self.today + timedelta(days=1)
        second = self._run(start=tomorrow, end=tomorrow)
        self.assertAlmostEqual(second.amount_offset, 42.4, places=2)
        self.assertAlmostEqual(
            self._payment_amounts(second)[self.venue], 57.6, places=2
        )
        self.assertEqual(subscription.state, "offset")
        self.assertAlmostEqual(subscription.amount_offset, 92.4, places=2)
        self.assertLedgerOk()

        # Statement of the year: invoiced, offset, still due; the offset is
        # not shown as paid by transfer.
        statement = self.env["pass.statement"]._venue_statement(
            self.venue, date(self.year, 1, 1), tomorrow, self.company
        )
        self.assertEqual(
            statement["subscription"]["totals"],
            {"invoiced": 92.4, "offset": 92.4, "paid": 0.0, "due": 0.0},
        )
        self.assertAlmostEqual(statement["totals"]["offset"], 92.4, places=2)
        self.assertAlmostEqual(statement["totals"]["due"], 57.6, places=2)
        first_row = statement["remittance_rows"][0]
        self.assertEqual(
            (first_row["amount"], first_row["paid"], first_row["offset"]),
            (50.0, 0.0, 50.0),
        )
        html, _type = self.env["ir.actions.report"]._render_qweb_html(
            "pass_settlement.pass_statement_venue_report",
            None,
            data={
                "kind": "venue",
                "partner_id": self.venue.id,
                "date_from": str(date(self.year, 1, 1)),
                "date_to": str(tomorrow),
                "company_id": self.company.id,
            },
        )
        html = html.decode()
        self.assertIn("o_pass_statement_subscription", html)
        self.assertIn(subscription.invoice_id.name, html)

    def test_statement_before_any_offset(self):
        self._invoice_year()
        statement = self.env["pass.statement"]._venue_statement(
            self.venue, date(self.year, 1, 1), self.today, self.company
        )
        self.assertEqual(
            statement["subscription"]["totals"],
            {"invoiced": 92.4, "offset": 0.0, "paid": 0.0, "due": 92.4},
        )
        # The statement of a period before the invoice shows none.
        before = self.env["pass.statement"]._venue_statement(
            self.venue,
            date(self.year - 1, 1, 1),
            date(self.year - 1, 12, 31),
            self.company,
        )
        self.assertEqual(before["subscription"]["rows"], [])

    # ------------------------------------------------------------------ rights
    def test_who_sets_consent_and_invoices(self):
        # A venue's user sets its own venue's consent, not another's.
        self.venue.with_user(self.portal_user).pass_set_subscription_offset(True)
        self.assertTrue(self.venue.pass_subscription_offset)
        with self.assertRaises(AccessError):
            self.venue_b.with_user(self.portal_user).pass_set_subscription_offset(True)
        self.assertFalse(self.venue_b.pass_subscription_offset)
        # A Pass user (not manager) cannot change a venue's subscription.
        staff = make_company_user(self.env, "pass_staff_sub", USER_GROUP)
        with self.assertRaises(AccessError):
            self.venue_b.with_user(staff).pass_set_subscription_offset(True)
        # Nor may a user who edits contacts (not a Pass manager).
        clerk = make_company_user(
            self.env, "pass_clerk_sub", f"{USER_GROUP},base.group_partner_manager"
        )
        with self.assertRaises(AccessError):
            self.venue_b.with_user(clerk).write({"pass_subscription_active": False})
        self.assertTrue(self.venue_b.pass_subscription_active)
        # Saving a venue's form unchanged, or a new contact with the default
        # values, is no change; a venue copied does not inherit the terms.
        self.venue_b.with_user(clerk).write(
            {"pass_subscription_active": True, "comment": "Vu"}
        )
        self.assertEqual(self.venue_b.comment, "<p>Vu</p>")
        Partner = self.env["res.partner"].with_user(clerk)
        Partner.create({"name": "Contact", "pass_subscription_offset": False})
        with self.assertRaises(AccessError):
            Partner.create({"name": "Contact", "pass_subscription_offset": True})
        with guarded_write():  # the copy keeps the (guarded) venue status
            self.assertFalse(self.venue_b.copy().pass_subscription_active)
        # Neither the venue's user nor a Pass user creates or invoices
        # subscriptions; a manager cannot make one by hand either.
        vals = {"venue_id": self.venue.id, "year": self.year, "amount": 1.0}
        for user in (self.portal_user, staff):
            with self.assertRaises(AccessError):
                self.Subscription.with_user(user).create(vals)
            with self.assertRaises(AccessError):
                self.Subscription.with_user(user).action_invoice_current_year()
        with self.assertRaises(UserError):
            self.Subscription.create(vals)
        self.assertFalse(self.Subscription.search([]))


@tagged("post_install", "-at_install")
class TestVenueSubscriptionPortal(PassSettlementCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with guarded_write():
            cls.other_venue = cls.venue.copy(
                {"name": "Autre lieu", "pass_venue_state": "qualified"}
            )
        (cls.venue | cls.other_venue).pass_subscription_active = True
        cls.venue_user = cls._portal_user(cls.venue, "sub_venue")

    def _post_consent(self, venue, consent, csrf_token):
        return self.url_open(
            f"/my/pass-statements/venue/{venue.id}/offset-consent",
            data={"consent": consent, "csrf_token": csrf_token},
            allow_redirects=False,
        )

    def test_venue_gives_its_own_consent_from_the_statement(self):
        self.authenticate("sub_venue", "sub_venue-pwd-2026")
        page = self.url_open(f"/my/pass-statements/venue/{self.venue.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_pass_offset_consent", page.text)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)

        response = self._post_consent(self.venue, "1", token)
        self.assertEqual(response.status_code, 303)
        self.env.invalidate_all()
        self.assertTrue(self.venue.pass_subscription_offset)
        # Another venue's consent: not found, nothing changed.
        response = self._post_consent(self.other_venue, "1", token)
        self.assertEqual(response.status_code, 404)
        self.env.invalidate_all()
        self.assertFalse(self.other_venue.pass_subscription_offset)
        # Withdrawn.
        self._post_consent(self.venue, "0", token)
        self.env.invalidate_all()
        self.assertFalse(self.venue.pass_subscription_offset)
