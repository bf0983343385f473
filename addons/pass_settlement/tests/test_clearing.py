# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import base64
from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from lxml import etree

from odoo import Command, fields, http
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools.misc import file_open, file_path

from odoo.addons.pass_numerique.tools.guard import guarded_write
from odoo.addons.pass_settlement.models.pass_remittance import PassRemittance

from .common import PassPaymentsMixin, PassSettlementCommon, iban_fr


@tagged("post_install", "-at_install")
class TestClearing(PassPaymentsMixin, PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.venue.name = "Médiathèque Alpha"
        cls.venue_b = cls._copy_venue("Tiers-lieu Bêta", zip="33100")
        cls.venue_c = cls._copy_venue("Espace Gamma", source=cls.venue_b)
        # Checked IBANs, trusted for outgoing payments: only those are paid.
        cls.iban_a = cls._bank_account(cls.venue, 1, trusted=True)
        cls.iban_b = cls._bank_account(cls.venue_b, 2, trusted=True)
        cls._setup_payments(company_account=99)
        cls.p6040 = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)], "CLR6040"
        )
        cls.p3 = cls._program(cls._thirds(), "CLR3")
        cls.programs = cls.p6040 | cls.p3
        cls.passes_6040 = cls._sold_passes(cls.p6040, books=1)
        cls.passes_3 = cls._sold_passes(cls.p3, books=1)

    # ------------------------------------------------------------------ helpers

    def _redeem_at(self, venue, vouchers):
        for voucher in vouchers:
            res = self.env["pass.voucher"].redeem_code(
                voucher.code, venue.id, self.service.code
            )
            self.assertTrue(res["ok"], res)

    def _run(self, **vals):
        today = fields.Date.context_today(self.env["pass.clearing.run"])
        run = self.env["pass.clearing.run"].create(
            {
                "company_id": self.company.id,
                "period_start": today.replace(day=1),
                "period_end": today,
                **vals,
            }
        )
        run.with_user(self.accountant).action_run()
        return run

    def _venue_moves(self):
        return self.env["account.move"].search(
            [("journal_id", "=", self.company.pass_venue_journal_id.id)]
        )

    def _lines(self, move):
        """{(partner, account type, programme code): (debit, credit)}"""
        return {
            (
                line.partner_id,
                line.account_id.account_type,
                line.pass_program_id.code,
            ): (
                line.debit,
                line.credit,
            )
            for line in move.line_ids
        }

    def _pain(self, order):
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "account.payment.order"), ("res_id", "=", order.id)]
        )
        self.assertEqual(len(attachment), 1, "one SEPA file")
        root = etree.fromstring(base64.b64decode(attachment.datas))
        ns = {"p": root.nsmap[None]}
        self.assertIn("pain.001.001", root.nsmap[None])
        transfers = {
            tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns): float(
                tx.findtext("p:Amt/p:InstdAmt", namespaces=ns)
            )
            for tx in root.iterfind(".//p:CdtTrfTxInf", namespaces=ns)
        }
        control_sum = float(
            root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns)
        )
        return transfers, control_sum

    # ------------------------------------------------------------------ tests
    def test_run_posts_per_venue_and_pays_in_one_order(self):
        self._redeem_at(self.venue, self.passes_6040[:3] | self.passes_3[:2])
        self._redeem_at(self.venue_b, self.passes_3[2:9])
        self.assertLiabilityInvariant(self.programs)
        moves_before = self._venue_moves()

        run = self._run()

        self.assertEqual(run.state, "done", run.last_error)
        self.assertFalse(run.last_error)
        self.assertEqual(len(run.remittance_ids), 2)
        rem_a = run.remittance_ids.filtered(lambda r: r.venue_id == self.venue)
        rem_b = run.remittance_ids.filtered(lambda r: r.venue_id == self.venue_b)
        self.assertEqual(
            (rem_a.state, rem_a.voucher_count, rem_a.amount_total), ("validated", 5, 50)
        )
        self.assertEqual(
            (rem_b.state, rem_b.voucher_count, rem_b.amount_total), ("validated", 7, 70)
        )
        self.assertEqual(set(rem_a.voucher_ids.mapped("state")), {"settled"})
        self.assertEqual(
            self._venue_moves() - moves_before, rem_a.move_id | rem_b.move_id
        )
        self.assertEqual(
            set((rem_a.move_id | rem_b.move_id).mapped("state")), {"posted"}
        )
        # Venue A: 3 passes 60/40 and 2 passes split 33.34 (city) / 33.33 / 33.33.
        self.assertEqual(
            self._lines(rem_a.move_id),
            {
                (self.state_funder, "liability_current", "CLR6040"): (18.0, 0.0),
                (self.dept_funder, "liability_current", "CLR6040"): (12.0, 0.0),
                (self.city_funder, "liability_current", "CLR3"): (6.68, 0.0),
                (self.state_funder, "liability_current", "CLR3"): (6.66, 0.0),
                (self.dept_funder, "liability_current", "CLR3"): (6.66, 0.0),
                (self.venue, "liability_payable", False): (0.0, 50.0),
            },
        )
        self.assertEqual(
            self._lines(rem_b.move_id),
            {
                (self.city_funder, "liability_current", "CLR3"): (23.38, 0.0),
                (self.state_funder, "liability_current", "CLR3"): (23.31, 0.0),
                (self.dept_funder, "liability_current", "CLR3"): (23.31, 0.0),
                (self.venue_b, "liability_payable", False): (0.0, 70.0),
            },
        )
        liability = self.company.pass_liability_account_id
        self.assertEqual(rem_a.move_id.line_ids.filtered("debit").account_id, liability)
        balances = self.assertLiabilityInvariant(self.programs)
        # 10 + 10 passes sold, 12 settled: 7 passes 60/40 and 1 three-way still held.
        self.assertAlmostEqual(balances[self.city_funder], 1 * 3.34, places=2)
        self.assertAlmostEqual(
            balances[self.state_funder], 7 * 6.0 + 1 * 3.33, places=2
        )

        # One payment order, with one transfer per venue to its IBAN.
        order = run.payment_order_id
        self.assertEqual(run.payment_order_ids, order)
        self.assertEqual(order.state, "generated")
        self.assertEqual(order.payment_mode_id, self.company.pass_venue_payment_mode_id)
        self.assertAlmostEqual(order.total_company_currency, 120.0, places=2)
        by_partner = {line.partner_id: line for line in order.payment_line_ids}
        self.assertEqual(set(by_partner), {self.venue, self.venue_b})
        self.assertEqual(by_partner[self.venue].partner_bank_id, self.iban_a)
        self.assertAlmostEqual(by_partner[self.venue].amount_currency, 50.0, places=2)
        self.assertEqual(by_partner[self.venue].move_line_id, rem_a.payable_line_id)
        self.assertEqual(by_partner[self.venue_b].communication, rem_b.name)
        transfers, control_sum = self._pain(order)
        self.assertEqual(
            transfers,
            {
                self.iban_a.sanitized_acc_number: 50.0,
                self.iban_b.sanitized_acc_number: 70.0,
            },
        )
        self.assertEqual(control_sum, 120.0)

        # Running again finds nothing left: no new remittance, entry or order.
        moves = self._venue_moves()
        run.with_user(self.accountant).action_run()
        self.assertEqual(run.state, "done")
        self.assertEqual(len(run.remittance_ids), 2)
        self.assertEqual(self._venue_moves(), moves)
        self.assertEqual(run.payment_order_ids, order)
        self.assertLiabilityInvariant(self.programs)

        # Once the bank file is sent, the payables are paid and reconciled.
        order.generated2uploaded()
        self.assertEqual(rem_a.payment_state, "paid")
        self.assertEqual(rem_b.payment_state, "paid")
        self.assertLedgerOk()

    def test_sepa_file_is_pain_001_001_09_with_remittance_ids(self):
        """The venues' transfers leave as pain.001.001.09 (valid against its
        XSD), with structured addresses and the remittance number as
        EndToEndId; two remittances of one venue are two transfers."""
        method = self.company.pass_venue_payment_mode_id.payment_method_id
        self.assertEqual(
            (method.pain_version, method.sepa_pain09_address_mode),
            ("pain.001.001.09", "hybrid"),
        )
        self.venue.write({"street": "2 cours Victor Hugo", "zip": "33000"})
        # Venue A sends one remittance by hand, then the run clears the rest.
        self._redeem_at(self.venue, self.passes_6040[:2])
        sent = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        sent.action_add_redeemed()
        sent.action_submit()
        sent.with_user(self.accountant).action_validate()
        self._redeem_at(self.venue, self.passes_6040[2:5])
        self._redeem_at(self.venue_b, self.passes_3[:1])
        run = self._run()
        self.assertEqual(run.state, "done", run.last_error)
        cleared = run.remittance_ids.filtered(lambda r: r.venue_id == self.venue)
        self.assertEqual(len(cleared), 1)

        attachment = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "account.payment.order"),
                ("res_id", "=", run.payment_order_id.id),
            ]
        )
        xml = base64.b64decode(attachment.datas)
        root = etree.fromstring(xml)
        ns = {"p": root.nsmap[None]}
        self.assertEqual(
            root.nsmap[None], "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
        )
        xsd_path = file_path(
            "account_banking_sepa_credit_transfer/data/pain.001.001.09.xsd"
        )
        with file_open(xsd_path, "rb") as xsd_file:
            schema = etree.XMLSchema(etree.parse(xsd_file))
        self.assertTrue(schema.validate(root), schema.error_log)

        transfers = {
            tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns): (
                tx.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=ns),
                float(tx.findtext("p:Amt/p:InstdAmt", namespaces=ns)),
            )
            for tx in root.iterfind(".//p:CdtTrfTxInf", namespaces=ns)
        }
        rem_b = run.remittance_ids.filtered(lambda r: r.venue_id == self.venue_b)
        iban_a = self.iban_a.sanitized_acc_number
        self.assertEqual(
            transfers,
            {
                sent.name: (iban_a, 20.0),
                cleared.name: (iban_a, 30.0),
                rem_b.name: (self.iban_b.sanitized_acc_number, 10.0),
            },
        )
        # Structured address of the venue: postcode, town, country elements.
        tx_a = next(
            tx
            for tx in root.iterfind(".//p:CdtTrfTxInf", namespaces=ns)
            if tx.findtext("p:PmtId/p:EndToEndId", namespaces=ns) == sent.name
        )
        address = tx_a.find("p:Cdtr/p:PstlAdr", namespaces=ns)
        self.assertEqual(
            (
                address.findtext("p:PstCd", namespaces=ns),
                address.findtext("p:TwnNm", namespaces=ns),
                address.findtext("p:Ctry", namespaces=ns),
            ),
            ("33000", "Bordeaux", "FR"),
        )
        self.assertLiabilityInvariant(self.programs)

    def test_sepa_needs_towns(self):
        """pain.001.001.09 refuses a party without a town: a venue without
        one is held back (the others are paid), and a cooperative without one
        is told before anything is posted."""
        self.venue_b.city = False
        self._redeem_at(self.venue, self.passes_6040[:1])
        self._redeem_at(self.venue_b, self.passes_6040[1:3])
        run = self._run()
        self.assertEqual(run.state, "done", run.last_error)
        held = run.line_ids.filtered(lambda line: line.state == "held")
        self.assertEqual(
            [(line.venue_id, line.reason) for line in held],
            [(self.venue_b, "no_city")],
        )
        self.assertEqual(run.payment_order_id.payment_line_ids.partner_id, self.venue)
        self.assertLiabilityInvariant(self.programs)

        self.company.partner_id.city = False
        self._redeem_at(self.venue, self.passes_6040[3:4])
        moves = self._venue_moves()
        later = self.env["pass.clearing.run"].create(
            {
                "company_id": self.company.id,
                "period_start": run.period_end + timedelta(days=1),
                "period_end": run.period_end + timedelta(days=2),
            }
        )
        later.with_user(self.accountant).action_run()
        self.assertEqual(later.state, "failed")
        self.assertIn("pain.001.001.09", later.last_error)
        self.assertEqual(self._venue_moves(), moves, "nothing posted")
        self.assertLiabilityInvariant(self.programs)

    def test_crash_mid_run_leaves_nothing_and_rerun_completes(self):
        self._redeem_at(self.venue, self.passes_6040[:2])
        self._redeem_at(self.venue_b, self.passes_3[:3])
        moves_before = self._venue_moves()
        orders_before = self.env["account.payment.order"].search_count([])
        redeemed = self.passes_6040[:2] | self.passes_3[:3]
        original = PassRemittance._prepare_move_vals
        calls = []

        def crash_on_second_venue(remittance, program_counts):
            calls.append(remittance.venue_id)
            if len(calls) == 2:
                raise RuntimeError("panne simulée")
            return original(remittance, program_counts)

        with patch.object(PassRemittance, "_prepare_move_vals", crash_on_second_venue):
            run = self._run()
        self.assertEqual(len(calls), 2, "the crash happened on the second venue")
        self.assertEqual(run.state, "failed")
        self.assertIn("panne simulée", run.last_error)
        self.assertFalse(run.remittance_ids)
        self.assertFalse(
            self.env["pass.remittance"].search([("clearing_run_id", "=", run.id)])
        )
        self.assertFalse(run.payment_order_ids)
        self.assertEqual(self._venue_moves(), moves_before)
        self.assertEqual(set(redeemed.mapped("state")), {"redeemed"})
        self.assertFalse(redeemed.remittance_id)
        self.assertLiabilityInvariant(self.programs)

        # A crash while preparing the payment rolls the posted entries back too.
        with patch.object(
            type(self.env["account.payment.order"]),
            "open2generated",
            side_effect=RuntimeError("banque indisponible"),
            autospec=True,
        ):
            run.with_user(self.accountant).action_run()
        self.assertEqual(run.state, "failed")
        self.assertIn("banque indisponible", run.last_error)
        self.assertFalse(run.remittance_ids)
        self.assertEqual(self._venue_moves(), moves_before)
        self.assertFalse(run.payment_order_ids)
        self.assertEqual(
            self.env["account.payment.order"].search_count([]), orders_before
        )
        self.assertEqual(set(redeemed.mapped("state")), {"redeemed"})
        self.assertLiabilityInvariant(self.programs)

        run.with_user(self.accountant).action_run()
        self.assertEqual(run.state, "done", run.last_error)
        self.assertEqual(len(run.remittance_ids), 2)
        self.assertEqual(len(self._venue_moves() - moves_before), 2)
        self.assertEqual(set(redeemed.mapped("state")), {"settled"})
        self.assertEqual(len(run.payment_order_ids), 1)
        self.assertEqual(len(run.payment_order_id.payment_line_ids), 2)
        self.assertLiabilityInvariant(self.programs)
        run.with_user(self.accountant).action_run()
        self.assertEqual(
            len(self._venue_moves() - moves_before), 2, "no duplicate entry"
        )
        self.assertEqual(len(run.payment_order_ids), 1, "no duplicate payment")
        self.assertLedgerOk()

    def test_double_validation_never_posts_twice(self):
        self._redeem_at(self.venue, self.passes_6040[:2])
        self._redeem_at(self.venue_b, self.passes_6040[2:4])
        run = self._run()
        rem_a = run.remittance_ids.filtered(lambda r: r.venue_id == self.venue)
        moves = self._venue_moves()
        with self.assertRaises(UserError):
            rem_a.with_user(self.accountant).action_validate()
        # A batch with one validated remittance posts nothing for the others.
        self._redeem_at(self.venue, self.passes_6040[4:5])
        fresh = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        fresh.action_add_redeemed()
        fresh.action_submit()
        with self.assertRaises(UserError):
            (fresh | rem_a).with_user(self.accountant).action_validate()
        self.assertEqual(self._venue_moves(), moves)
        self.assertEqual(fresh.state, "submitted")
        self.assertEqual(self.passes_6040[4].state, "redeemed")
        self.assertLiabilityInvariant(self.programs)
        fresh.with_user(self.accountant).action_validate()
        self.assertEqual(len(self._venue_moves() - moves), 1)
        self.assertLiabilityInvariant(self.programs)

    def test_venue_without_iban_is_posted_and_held_back(self):
        self._redeem_at(self.venue, self.passes_6040[:2])
        self._redeem_at(self.venue_c, self.passes_6040[2:5])
        run = self._run()
        self.assertEqual(run.state, "done")
        self.assertFalse(run.last_error)
        # Its claim is on the ledger all the same: remittance validated,
        # passes settled, payable credited; only the payment is held back.
        rem_c = run.remittance_ids.filtered(lambda r: r.venue_id == self.venue_c)
        self.assertEqual(rem_c.state, "validated")
        self.assertEqual(set(self.passes_6040[2:5].mapped("state")), {"settled"})
        self.assertAlmostEqual(rem_c.payable_line_id.amount_residual, -30.0, places=2)
        self.assertEqual(run.skipped_venue_ids, self.venue_c)
        held = run.line_ids.filtered(lambda line: line.state == "held")
        self.assertEqual(held.venue_id, self.venue_c)
        self.assertEqual(held.reason, "no_bank")
        self.assertIn("Espace Gamma", run.summary)
        self.assertEqual(run.payment_order_id.payment_line_ids.partner_id, self.venue)
        self.assertAlmostEqual(run.amount_held, 30.0, places=2)
        self.assertAlmostEqual(run.amount_paid, 20.0, places=2)
        self.assertLiabilityInvariant(self.programs)

        # Its IBAN entered and trusted, running again pays it alone, in a new
        # order, without posting anything new.
        iban_c = self.env["res.partner.bank"].create(
            {
                "acc_number": iban_fr(3),
                "partner_id": self.venue_c.id,
                "allow_out_payment": True,
            }
        )
        first_order = run.payment_order_id
        moves = self._venue_moves()
        run.with_user(self.accountant).action_run()
        self.assertEqual(run.state, "done")
        self.assertFalse(run.skipped_venue_ids)
        self.assertEqual(self._venue_moves(), moves)
        self.assertEqual(len(run.remittance_ids), 2)
        second_order = run.payment_order_id
        self.assertNotEqual(second_order, first_order)
        self.assertEqual(second_order.payment_line_ids.partner_bank_id, iban_c)
        self.assertAlmostEqual(second_order.total_company_currency, 30.0, places=2)
        self.assertEqual(len(first_order.payment_line_ids), 1)
        self.assertEqual(set(run.line_ids.mapped("state")), {"paid"})
        self.assertAlmostEqual(run.amount_paid, 50.0, places=2)
        self.assertLiabilityInvariant(self.programs)

    def test_bad_input_is_refused_in_french(self):
        self._redeem_at(self.venue, self.passes_6040[:2])
        moves = self._venue_moves()
        Remittance = self.env["pass.remittance"]
        # Another currency than the company's.
        usd = self.env.ref("base.USD")
        usd.active = True
        foreign = Remittance.create(
            {
                "venue_id": self.venue.id,
                "company_id": self.company.id,
                "currency_id": usd.id,
            }
        )
        with self.assertRaises(UserError):
            foreign.add_vouchers(self.passes_6040[:1].ids)
        # Passes of another venue, unredeemed passes.
        mine = Remittance.create(
            {"venue_id": self.venue_b.id, "company_id": self.company.id}
        )
        with self.assertRaises(UserError):
            mine.add_vouchers(self.passes_6040[:1].ids)
        with self.assertRaises(UserError):
            mine.add_vouchers(self.passes_6040[5:6].ids)
        self.assertFalse(self.passes_6040.remittance_id)
        # Missing accounts: named, nothing posted, the remittance stays submitted.
        remittance = Remittance.create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        remittance.action_add_redeemed()
        remittance.action_submit()
        liability = self.company.pass_liability_account_id
        self.company.pass_liability_account_id = False
        with self.assertRaises(UserError):
            remittance.with_user(self.accountant).action_validate()
        self.company.pass_liability_account_id = liability
        self.assertEqual(remittance.state, "submitted")
        self.assertEqual(self._venue_moves(), moves)
        # A run without payment mode fails, names it and posts nothing.
        mode = self.company.pass_venue_payment_mode_id
        self.company.pass_venue_payment_mode_id = False
        remittance.action_cancel()
        run = self._run()
        self.assertEqual(run.state, "failed")
        self.assertIn("No venue payment mode", run.last_error)
        self.assertEqual(self._venue_moves(), moves)
        self.assertEqual(set(self.passes_6040[:2].mapped("state")), {"redeemed"})
        self.company.pass_venue_payment_mode_id = mode
        # Only accountants run the clearing.
        clerk = new_test_user(
            self.env,
            login="pass_clearing_clerk",
            groups="pass_numerique.pass_numerique_group_manager",
        )
        with self.assertRaises(AccessError):
            run.with_user(clerk).action_run()
        self.assertLiabilityInvariant(self.programs)

    def test_period_and_monthly_schedule(self):
        self._redeem_at(self.venue, self.passes_6040[:2])
        today = fields.Date.context_today(self.env["pass.clearing.run"])
        first = today.replace(day=1)
        # Last month's run ignores this month's redemptions.
        last_month = self._run(
            period_start=first - relativedelta(months=1),
            period_end=first - timedelta(days=1),
        )
        self.assertEqual(last_month.state, "done")
        self.assertFalse(last_month.remittance_ids)
        self.assertFalse(last_month.payment_order_ids)
        # Next month, the scheduled run clears this month.
        with freeze_time(first + relativedelta(months=1, days=2)):
            self.env["pass.clearing.run"]._cron_clear_previous_month()
        run = self.env["pass.clearing.run"].search(
            [
                ("company_id", "=", self.company.id),
                ("period_end", "=", first + relativedelta(months=1, days=-1)),
            ]
        )
        self.assertEqual(run.period_start, first)
        self.assertEqual(run.state, "done", run.last_error)
        self.assertEqual(run.remittance_ids.venue_id, self.venue)
        self.assertEqual(set(self.passes_6040[:2].mapped("state")), {"settled"})
        self.assertLiabilityInvariant(self.programs)


@tagged("post_install", "-at_install")
class TestRemittancePortal(PassSettlementCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.venue_user = cls._portal_user(cls.venue, "pass_portal_venue_a")
        with guarded_write():
            cls.other_venue = cls.venue.copy({"name": "Autre lieu portail"})
        cls.other_user = cls._portal_user(cls.other_venue, "pass_portal_venue_b")

    @classmethod
    def _portal_user(cls, venue, login):
        contact = cls.env["res.partner"].create(
            {
                "name": f"Accueil {venue.name}",
                "parent_id": venue.id,
                "email": f"{login}@example.com",
            }
        )
        return cls.env["res.users"].create(
            {
                "name": contact.name,
                "login": login,
                "password": login,
                "partner_id": contact.id,
                "groups_id": [Command.set(cls.env.ref("base.group_portal").ids)],
            }
        )

    def test_venue_sends_its_redeemed_passes(self):
        program = self._program([(self.state_funder, 100)], "PORTAL")
        order = self._order(program, books=1)
        self._invoice(order)
        vouchers = order.order_line.pass_book_ids.voucher_ids.sorted("number")
        self._redeem(vouchers[:3])

        self.authenticate("pass_portal_venue_a", "pass_portal_venue_a")
        page = self.url_open("/my/pass/remittances")
        self.assertEqual(page.status_code, 200)
        self.assertIn("pass encaissés attendent d'être transmis", page.text)
        answer = self.url_open(
            "/my/pass/remittances/new",
            data={"csrf_token": http.Request.csrf_token(self)},
        )
        self.assertEqual(answer.status_code, 200)
        remittance = self.env["pass.remittance"].search(
            [("venue_id", "=", self.venue.id)]
        )
        self.assertEqual(len(remittance), 1)
        self.assertEqual(remittance.state, "submitted")
        self.assertEqual(remittance.voucher_ids, vouchers[:3])
        self.assertIn(f"/my/pass/remittances/{remittance.id}", answer.url)
        self.assertIn(remittance.name, answer.text)
        slip = self.url_open(f"/my/pass/remittances/{remittance.id}?report_type=html")
        self.assertEqual(slip.status_code, 200)
        self.assertIn("Bordereau de remboursement", slip.text)
        self.assertIn(vouchers[0].code_display, slip.text)
        # Nothing left to send: a second slip is refused in French.
        again = self.url_open(
            "/my/pass/remittances/new",
            data={"csrf_token": http.Request.csrf_token(self)},
        )
        self.assertIn("Aucun pass encaissé", again.text)
        self.assertEqual(
            self.env["pass.remittance"].search_count(
                [("venue_id", "=", self.venue.id)]
            ),
            1,
        )

        # Once validated (posted), then paid, the venue still lists it and
        # sees its payment state, without any access to the journal items.
        remittance.with_user(self.accountant).action_validate()
        self.assertLedgerOk()
        listing = self.url_open("/my/pass/remittances")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(remittance.name, listing.text)
        self.assertNotIn("Payé", listing.text)
        payable = remittance.payable_line_id
        self.assertTrue(payable)
        payment = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move.line", active_ids=payable.ids)
            .create({})
            ._create_payments()
        )
        self.assertTrue(payment)
        remittance.invalidate_recordset(["payable_line_id", "payment_state"])
        self.assertEqual(remittance.payment_state, "paid")
        self.assertLedgerOk()
        listing = self.url_open("/my/pass/remittances")
        self.assertEqual(listing.status_code, 200)
        self.assertIn("Payé", listing.text)
        slip = self.url_open(f"/my/pass/remittances/{remittance.id}?report_type=html")
        self.assertEqual(slip.status_code, 200)
        self.assertIn(remittance.move_id.name, slip.text)

        # Another venue's user neither sees it nor downloads its slip.
        self.authenticate("pass_portal_venue_b", "pass_portal_venue_b")
        other = self.url_open(f"/my/pass/remittances/{remittance.id}?report_type=html")
        self.assertNotIn(remittance.name, other.text)
        self.assertEqual(other.status_code, 404)
        listing = self.url_open("/my/pass/remittances")
        self.assertNotIn(remittance.name, listing.text)
