# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Accounting operations on the passes' entries carry the passes along or are
refused: cancelling a validated remittance, reversing its entry by hand,
paying it, crediting a funder's invoice. After every step, each funder's
money account (467) and each venue's payable agree with the passes."""

from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.pass_numerique.tests.common import USER_GROUP, make_company_user
from odoo.addons.pass_settlement.models.account_move import remittance_action

from .common import PassSettlementCommon

LIVE_STATES = ("available", "distributed", "redeemed")


@tagged("post_install", "-at_install")
class TestRemittanceReversal(PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = make_company_user(cls.env, "pass_reversal_clerk", USER_GROUP)
        cls.program = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)], "REV6040"
        )

    # ------------------------------------------------------------------ helpers
    @contextmanager
    def assertRefused(self, text):
        """A UserError whose message says ``text``; Odoo's assertRaises rolls
        back what the refused call wrote (assertRaisesRegex would not)."""
        with self.assertRaises(UserError) as refusal:
            yield
        self.assertIn(text, str(refusal.exception))

    def _funders_expected(self, programs):
        """{funder: amount} its part of the face value of the live passes of
        the books invoiced to it, net of credit notes (from the posted
        invoices, not from the code under test)."""
        net = defaultdict(float)
        for line in self.env["account.move.line"].search(
            [
                ("pass_program_id", "in", programs.ids),
                ("parent_state", "=", "posted"),
                ("account_id", "=", self.company.pass_liability_account_id.id),
                ("sale_line_ids", "!=", False),
            ]
        ):
            sign = 1 if line.move_id.move_type == "out_invoice" else -1
            funder = line.move_id.commercial_partner_id
            net[line.sale_line_ids, funder] += sign * line.quantity
        expected = defaultdict(float)
        for (sale_line, funder), qty in net.items():
            if round(qty) < round(sale_line.product_uom_qty):
                continue
            program = sale_line.pass_program_id
            cents = dict(program._pass_funder_cents())[funder]
            live = sale_line.pass_book_ids.voucher_ids.filtered(
                lambda v: v.state in LIVE_STATES
            )
            expected[funder] += cents * len(live) * self.eur.rounding
        return expected

    def _venue_ledger(self, venue):
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", venue.id),
                ("parent_state", "=", "posted"),
                ("account_id.account_type", "=", "liability_payable"),
            ]
        )
        return self.eur.round(-sum(lines.mapped("balance")))

    def _venue_expected(self, venue):
        """The venue's settled passes, less what it was paid."""
        settled = self.env["pass.voucher"].search(
            [("venue_id", "=", venue.id), ("state", "=", "settled")]
        )
        payments = self.env["account.payment"].search(
            [
                ("partner_id", "=", venue.id),
                ("payment_type", "=", "outbound"),
                ("state", "not in", ("draft", "canceled")),
            ]
        )
        return self.eur.round(
            sum(settled.mapped("amount")) - sum(payments.mapped("amount"))
        )

    def assertLedger(self, programs=None, venues=None):
        """Per funder 467 and per venue payable against the passes."""
        programs = programs or self.program
        balances = self._liability_balances()
        expected = self._funders_expected(programs)
        for funder in programs.funding_ids.partner_id:
            self.assertAlmostEqual(
                balances.get(funder, 0.0),
                self.eur.round(expected.get(funder, 0.0)),
                places=2,
                msg=f"467 of {funder.name}",
            )
        for venue in venues or self.venue:
            self.assertAlmostEqual(
                self._venue_ledger(venue),
                self._venue_expected(venue),
                places=2,
                msg=f"payable of {venue.name}",
            )
        # And the product's own check agrees.
        self.assertLedgerOk()

    def _sold_and_redeemed(self, redeem=9, books=2, program=None):
        program = program or self.program
        order = self._order(program, books=books)
        invoices = self._invoice(order)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:redeem])
        return order, invoices, vouchers[:redeem]

    def _snapshot(self, remittance, vouchers):
        remittance.invalidate_recordset()
        vouchers.invalidate_recordset()
        return (
            remittance.state,
            remittance.move_id.state,
            remittance.move_id.reversal_move_ids.ids,
            remittance.payment_state,
            tuple(vouchers.mapped("state")),
            tuple(vouchers.remittance_id.ids),
            self._liability_balances(),
            self._venue_ledger(self.venue),
        )

    def _assert_cancel_keeps_the_reversal(self, remittance, reversal, redeemed):
        """``remittance``'s entry is reversed by ``reversal``: its payable,
        matched with the reversal, is no payment; cancelling the remittance
        (again) takes that reversal as its own, no second one, and its passes
        (``redeemed``) are free."""
        self.assertTrue(remittance.payable_line_id.reconciled)
        self.assertEqual(remittance.payment_state, "not_paid")
        remittance.with_user(self.accountant).action_cancel("extourne manuelle")
        self.assertEqual(remittance.state, "cancelled")
        self.assertEqual(remittance.reversal_move_id, reversal)
        self.assertEqual(len(remittance.move_id.reversal_move_ids), 1)
        self.assertEqual(set(redeemed.mapped("state")), {"redeemed"})
        self.assertFalse(redeemed.remittance_id)
        self.assertLedger()

    # ------------------------------------------------------------------ cancel
    def test_cancel_validated_remittance_gives_passes_back(self):
        _order, _invoices, redeemed = self._sold_and_redeemed()
        self.assertLedger()
        remittance = self._remit()
        self.assertEqual(set(redeemed.mapped("state")), {"settled"})
        self.assertEqual(self._venue_ledger(self.venue), 90.0)
        self.assertLedger()
        entry = remittance.move_id
        self.assertEqual(remittance.date, entry.date, "remittance date = entry date")

        remittance.with_user(self.accountant).action_cancel("IBAN erroné")

        self.assertEqual(remittance.state, "cancelled")
        reversal = remittance.reversal_move_id
        self.assertEqual(reversal.state, "posted")
        self.assertEqual(reversal.reversed_entry_id, entry)
        self.assertEqual(reversal.date, fields.Date.context_today(reversal))
        self.assertIn(remittance.name, reversal.ref)
        self.assertEqual(entry.state, "posted", "the entry stays, reversed")
        self.assertEqual(set(redeemed.mapped("state")), {"redeemed"})
        self.assertFalse(redeemed.remittance_id, "the passes are free again")
        self.assertEqual(remittance.cancel_reason, "IBAN erroné")
        self.assertEqual(remittance.cancelled_by_id, self.accountant)
        self.assertTrue(remittance.cancelled_at)
        self.assertTrue(
            remittance.message_ids.filtered(
                lambda m: "IBAN erroné" in (m.body or "")
                and self.accountant.name in m.body
            ),
            "the history says who cancelled and why",
        )
        self._assert_cancel_keeps_the_reversal(remittance, reversal, redeemed)
        self.assertEqual(self._venue_ledger(self.venue), 0.0)
        self.assertLedger()

        # Cancelling again changes nothing (no second reversal).
        remittance.with_user(self.accountant).action_cancel()
        self.assertEqual(len(entry.reversal_move_ids), 1)
        self.assertEqual(remittance.cancel_reason, "IBAN erroné")

        # The passes go on a new remittance, validated and posted again.
        again = self._remit()
        self.assertEqual(again.voucher_ids, redeemed)
        self.assertEqual(set(redeemed.mapped("state")), {"settled"})
        self.assertEqual(again.amount_total, 90.0)
        self.assertEqual(again.move_id.state, "posted")
        self.assertEqual(self._venue_ledger(self.venue), 90.0)
        self.assertLedger()

    def test_cancel_validated_is_for_accountants(self):
        _order, _invoices, redeemed = self._sold_and_redeemed(redeem=3)
        remittance = self._remit()
        before = self._snapshot(remittance, redeemed)
        with self.assertRaises(AccessError):
            remittance.with_user(self.clerk).action_cancel("pas comptable")
        self.assertEqual(self._snapshot(remittance, redeemed), before)
        self.assertFalse(remittance.cancel_reason)
        self.assertLedger()

    def test_cancel_refused_once_paid_then_allowed_once_payment_cancelled(self):
        _order, _invoices, redeemed = self._sold_and_redeemed(redeem=4)
        remittance = self._remit()
        payment = (
            self.env["account.payment.register"]
            .with_context(
                active_model="account.move.line",
                active_ids=remittance.payable_line_id.ids,
            )
            .create({})
            ._create_payments()
        )
        remittance.invalidate_recordset(["payable_line_id", "payment_state"])
        self.assertEqual(remittance.payment_state, "paid")
        self.assertLedger()
        before = self._snapshot(remittance, redeemed)
        with self.assertRefused("payment"):
            remittance.with_user(self.accountant).action_cancel("trop tard")
        self.assertEqual(self._snapshot(remittance, redeemed), before)
        self.assertFalse(remittance.reversal_move_id)
        self.assertLedger()

        # The transfer is cancelled (a bank return): the remittance is owed
        # again, then may be cancelled.
        payment.action_draft()
        payment.action_cancel()
        remittance.invalidate_recordset(["payable_line_id", "payment_state"])
        self.assertEqual(remittance.payment_state, "not_paid")
        self.assertLedger()
        remittance.with_user(self.accountant).action_cancel("virement rejeté")
        self.assertEqual(remittance.state, "cancelled")
        self.assertEqual(set(redeemed.mapped("state")), {"redeemed"})
        self.assertLedger()

    def test_cancel_under_lock_date_posts_in_first_open_period(self):
        _order, _invoices, redeemed = self._sold_and_redeemed(redeem=2)
        remittance = self._remit()
        today = fields.Date.context_today(remittance)
        lock = today + timedelta(days=3)
        self.company.fiscalyear_lock_date = lock
        remittance.with_user(self.accountant).action_cancel("période close")
        self.assertEqual(remittance.reversal_move_id.date, lock + timedelta(days=1))
        self.assertEqual(remittance.reversal_move_id.state, "posted")
        self.assertEqual(set(redeemed.mapped("state")), {"redeemed"})
        self.assertLedger()

    def test_remittance_date_follows_its_entry_under_lock_date(self):
        """The entry is dated on the remittance's date; when a lock date
        moves it to the first open day, the remittance takes that date."""
        _order, _invoices, _redeemed = self._sold_and_redeemed(redeem=2)
        today = fields.Date.context_today(self.env.user)
        remittance = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        remittance.date = today - timedelta(days=1)
        remittance.action_add_redeemed()
        remittance.action_submit()
        remittance.with_user(self.accountant).action_validate()
        self.assertEqual(remittance.move_id.date, today - timedelta(days=1))
        self.assertEqual(remittance.date, remittance.move_id.date)

        more = self.program.book_ids.voucher_ids.filtered(
            lambda v: v.state == "distributed"
        )[:1]
        self._redeem(more)
        locked = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        locked.date = today - timedelta(days=1)
        locked.action_add_redeemed()
        locked.action_submit()
        self.company.fiscalyear_lock_date = today - timedelta(days=1)
        locked.with_user(self.accountant).action_validate()
        self.assertEqual(locked.move_id.date, today)
        self.assertEqual(locked.date, locked.move_id.date)
        self.assertLedger()

    # ------------------------------------------------------------------ by hand
    def test_hand_reversal_of_a_remittance_entry_is_refused(self):
        _order, _invoices, redeemed = self._sold_and_redeemed(redeem=5)
        remittance = self._remit()
        entry = remittance.move_id
        before = self._snapshot(remittance, redeemed)
        accountant_entry = entry.with_user(self.accountant)

        # The Reverse button (Odoo's reversal wizard).
        wizard = (
            self.env["account.move.reversal"]
            .with_user(self.accountant)
            .with_context(active_model="account.move", active_ids=entry.ids)
            .create(
                {
                    "journal_id": entry.journal_id.id,
                    "date": fields.Date.context_today(entry),
                    "reason": "à la main",
                }
            )
        )
        with self.assertRefused("Cancel remittance"):
            wizard.refund_moves()
        with self.assertRefused("Cancel remittance"):
            accountant_entry._reverse_moves(cancel=True)
        with self.assertRefused("Cancel remittance"):
            accountant_entry.button_draft()
        with self.assertRefused("Cancel remittance"):
            accountant_entry.button_cancel()
        # An RPC caller's context cannot get around it.
        with self.assertRefused("Cancel remittance"):
            accountant_entry.with_context(force_delete=True).unlink()
        with self.assertRefused("Cancel remittance"):
            entry.with_context(force_delete=True).write({"state": "draft"})
        self.assertEqual(self._snapshot(remittance, redeemed), before)
        self.assertLedger()

        # Its reversal, once the remittance is cancelled, is as protected.
        remittance.with_user(self.accountant).action_cancel("doublon")
        reversal = remittance.reversal_move_id.with_user(self.accountant)
        with self.assertRefused("new remittance"):
            reversal._reverse_moves(cancel=True)
        with self.assertRefused("new remittance"):
            reversal.button_draft()
        # Nor is the payable unmatched from the reversal (it would look owed).
        with self.assertRefused("new remittance"):
            remittance.payable_line_id.with_user(
                self.accountant
            ).remove_move_reconcile()
        remittance.invalidate_recordset()
        self.assertTrue(remittance.payable_line_id.reconciled)
        self.assertEqual(reversal.state, "posted")
        self.assertLedger()

    def test_reversal_match_is_not_a_payment(self):
        """An entry reversed before the guard existed (or by the action's own
        code) has its payable matched with the reversal: never "paid"."""
        _order, _invoices, redeemed = self._sold_and_redeemed(redeem=2)
        remittance = self._remit()
        with remittance_action():
            reversal = remittance.move_id._reverse_moves(cancel=True)
        self.assertEqual(reversal.state, "posted")
        remittance.invalidate_recordset(["payable_line_id", "payment_state"])
        self._assert_cancel_keeps_the_reversal(remittance, reversal, redeemed)

    def test_pass_journal_entries_are_never_deleted(self):
        """Restrictive audit trail on the pass journals: a posted funder
        invoice, reset to draft, is cancelled by Odoo, never deleted."""
        _order, invoices, _redeemed = self._sold_and_redeemed(redeem=0, books=1)
        invoice = invoices[0]
        invoice.button_draft()
        with self.assertRefused("audit trail"):
            invoice.with_context(force_delete=True).unlink()
        self.assertTrue(invoice._is_protected_by_audit_trail())
        self.assertTrue(invoice.exists())

    # ------------------------------------------------------------------ credit notes
    def _face_invoice(self, invoices, funder):
        """The funder's invoice of the face value of its books (its fee is on
        another document)."""
        return invoices.filtered(
            lambda m: m.partner_id == funder
            and m.invoice_line_ids.filtered("pass_voucher_count")
        )

    def test_credit_note_reopens_the_funders_share(self):
        """A credit note on a funder's invoice of books (a Chorus Pro
        rejection) gives that funder's share back to invoice on the order;
        the order invoices it again, and only it."""
        program = self._program(self._thirds(), "REV3")
        order, invoices, _redeemed = self._sold_and_redeemed(
            redeem=0, books=1, program=program
        )
        self.assertLedger(program)
        city_invoice = self._face_invoice(invoices, self.city_funder)
        pass_line = order.order_line.filtered("pass_program_id")
        self.assertEqual(pass_line.qty_invoiced, 1.0)

        credit_note = self._credit_note(city_invoice)
        credit_note.action_post()
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(self._liability_balances()[self.city_funder], 0.0)
        self.assertAlmostEqual(pass_line.qty_invoiced, 0.67, places=2)
        self.assertEqual(order.invoice_status, "to invoice")
        self.assertLedger(program)

        reinvoiced = self._invoice(order)
        self.assertEqual(reinvoiced.partner_id, self.city_funder)
        face = reinvoiced.invoice_line_ids.filtered("pass_program_id").filtered(
            lambda line: line.account_id == self.company.pass_liability_account_id
        )
        self.assertEqual(face.quantity, 1)
        self.assertEqual(face.price_subtotal, 33.40)
        self.assertEqual(pass_line.qty_invoiced, 1.0)
        self.assertEqual(self._liability_balances()[self.city_funder], 33.40)
        self.assertLedger(program)
        with self.assertRaises(UserError):
            self._invoice(order)

    def test_partial_credit_note_on_books_is_refused(self):
        order, invoices, _redeemed = self._sold_and_redeemed(redeem=0, books=2)
        state_invoice = self._face_invoice(invoices, self.state_funder)
        credit_note = self._credit_note(state_invoice, quantity=1)
        # assertRaises (not ...Regex) rolls the refused posting back.
        with self.assertRaises(UserError) as refusal:
            credit_note.action_post()
        self.assertIn("the funder's whole share", str(refusal.exception))
        self.assertEqual(credit_note.state, "draft")
        pass_line = order.order_line.filtered("pass_program_id")
        self.assertEqual(pass_line.qty_invoiced_posted, 2)
        # The draft counts as invoiced until cancelled (as Odoo counts drafts).
        self.assertEqual(pass_line.qty_invoiced, 1.4)
        credit_note.button_cancel()
        self.assertEqual(pass_line.qty_invoiced, 2)
        self.assertLedger()

    def test_credit_note_on_paid_on_payment_book_deactivates_it_until_paid(self):
        """On-payment programme: a credited share is no money in the bank:
        its passes cannot be redeemed until the share is invoiced and paid
        again."""
        program = self._program(
            [(self.state_funder, 60), (self.dept_funder, 40)],
            "REVPAY",
            activation="on_payment",
        )
        order = self._order(program, books=1)
        invoices = self._invoice(order)
        self._pay(invoices)
        book = order.order_line.pass_book_ids
        self.assertTrue(book._is_activated())
        dept_invoice = self._face_invoice(invoices, self.dept_funder)
        self._credit_note(dept_invoice).action_post()
        self.assertFalse(book._is_activated())
        res = self.env["pass.voucher"].redeem_code(
            book.voucher_ids[0].code, self.venue.id, self.service.code
        )
        self.assertEqual(res.get("reason"), "not_activated")
        self.assertLedger(program)

        again = self._invoice(order)
        self.assertFalse(book._is_activated(), "invoiced, not paid yet")
        self._pay(again)
        self.assertTrue(book._is_activated())
        self._redeem(book.voucher_ids[:1])
        self.assertLedger(program)

    def test_credited_then_reinvoiced_share_is_refunded_once(self):
        """At the end of validity, a funder whose invoice was credited and
        invoiced again gets its unused passes refunded once, on the live
        invoice, not on the credited one."""
        today = fields.Date.context_today(self.env.user)
        program = self._program(
            [(self.state_funder, 60), (self.dept_funder, 40)],
            "REVEND",
            date_end=today + timedelta(days=40),
            unused_policy="refund",
        )
        order, invoices, _redeemed = self._sold_and_redeemed(
            redeem=4, books=1, program=program
        )
        dept_invoice = self._face_invoice(invoices, self.dept_funder)
        self._credit_note(dept_invoice).action_post()
        self.assertLedger(program)
        again = self._invoice(order)
        self._remit()
        self.assertLedger(program)
        self.env["pass.program"]._cron_pass_end_of_validity(
            today=program._pass_expiry_deadline() + timedelta(days=1)
        )
        reconciliation = program.reconciliation_ids
        dept_line = reconciliation.line_ids.filtered(
            lambda line: line.partner_id == self.dept_funder
        )
        self.assertEqual(dept_line.count_unused, 6)
        self.assertEqual(dept_line.amount_unused, 24.0)
        refund = dept_line.move_id
        self.assertEqual(refund.amount_total, 24.0)
        self.assertEqual(
            refund.invoice_line_ids.pass_origin_line_id.move_id,
            again,
            "refunded on the live invoice",
        )
        balances = self._liability_balances()
        self.assertEqual(balances[self.dept_funder], 0.0)
        self.assertEqual(balances[self.state_funder], 0.0)
        self.assertLedger(program)
