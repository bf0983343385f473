# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The FEC exported by Odoo's French localisation names the funder on every
line of its money (467100) and of its passes to invoice (418110), and the
venue on its payable (401800), in the period's lines and in the opening
balances (one opening line per partner, not one per account); every other
row is the one Odoo writes, byte for byte."""

import csv
import io
from collections import Counter
from datetime import date, timedelta

from odoo.tests import tagged

from odoo.addons.pass_settlement.wizard.l10n_fr_fec import FecExportWizard

from .common_expiry import PassExpiryCommon

ACCOUNT, AUX_NUM, AUX_LIB, ENTRY, DEBIT, CREDIT = 4, 6, 7, 2, 11, 12


def _amount(text):
    return round(float(text.replace(",", ".")), 2)


@tagged("post_install", "-at_install")
class TestFec(PassExpiryCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A reference is the auxiliary number when the partner has one; a
        # quote in a name makes the CSV quote that cell (Odoo's own rows of
        # the funder's receivable must come out unchanged).
        cls.state_funder.ref = "ETAT-01"
        cls.dept_funder.name = 'Département "Cantal"'
        cls.program = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)], "FEC"
        )
        cls.issued = cls._program(
            [(cls.state_funder, 60), (cls.dept_funder, 40)], "FECISS"
        )
        cls.liability = cls.company.pass_liability_account_id
        cls.to_invoice = cls.company.pass_to_invoice_account_id
        cls.venue_payable = cls.company.pass_venue_payable_account_id
        cls.ours = cls.liability | cls.to_invoice | cls.venue_payable

    def _flow(self):
        """One book invoiced and paid, 4 passes redeemed, remitted and paid
        to the venue; 2 passes of a book issued without order redeemed and
        remitted (on 418110), not paid yet."""
        order = self._order(self.program, books=1)
        self._pay(self._invoice(order))
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:4])
        self._pay_venue(self._remit())
        book_ids = self.issued.issue_books(1, 10)
        books = self.env["pass.book"].browse(book_ids)
        books.distribute(self.state_funder.id)
        self._redeem(books.voucher_ids.sorted("id")[:2])
        self._remit()
        self.assertLedgerOk()

    def _wizard(self, date_from, date_to):
        return self.env["l10n_fr.fec.export.wizard"].create(
            {"date_from": date_from, "date_to": date_to, "test_file": True}
        )

    def _rows(self, content):
        return list(
            csv.reader(io.StringIO(content.decode(), newline=""), delimiter="|")
        )[1:]

    def _aux(self, partner):
        return (partner.ref or str(partner.id), partner.name)

    def _year(self):
        return date(self.today.year, 1, 1), date(self.today.year, 12, 31)

    # ------------------------------------------------------------------ tests
    def test_accounts(self):
        self.assertEqual(
            (self.liability.code, self.to_invoice.code, self.venue_payable.code),
            ("467100", "418110", "401800"),
        )
        # The funders' money is lettered (credit notes with their invoices).
        self.assertTrue(self.liability.reconcile)
        self.assertTrue(self.venue_payable.reconcile)

    def test_credit_note_lettered_with_its_invoice_on_467(self):
        """A funder's face-value invoice and its credit note (a Chorus Pro
        rejection) are lettered on 467100; the FEC shows the letter and the
        funder on both lines."""
        order = self._order(self.program, books=1)
        invoices = self._invoice(order)
        invoice = invoices.filtered(
            lambda m: m.partner_id == self.dept_funder
            and self.liability in m.line_ids.account_id
        )
        self.assertEqual(len(invoice), 1)
        credit_note = self._credit_note(invoice)
        credit_note.action_post()
        on_467 = (invoice | credit_note).line_ids.filtered(
            lambda line: line.account_id == self.liability
        )
        self.assertEqual(len(on_467), 2)
        self.assertTrue(all(on_467.mapped("reconciled")))
        letter = on_467.full_reconcile_id
        self.assertEqual(len(letter), 1)
        self.assertLedgerOk()
        rows = self._rows(self._wizard(*self._year()).generate_fec()["file_content"])
        lettered = [
            r[ENTRY]
            for r in rows
            if r[ACCOUNT] == "467100"
            and r[13] == str(letter.id)
            and (r[AUX_NUM], r[AUX_LIB]) == self._aux(self.dept_funder)
        ]
        self.assertEqual(
            sorted(lettered), sorted((invoice | credit_note).mapped("name"))
        )

    def test_period_lines_carry_the_partner(self):
        self._flow()
        rows = self._rows(self._wizard(*self._year()).generate_fec()["file_content"])
        codes = set(self.ours.mapped("code"))
        got = Counter(
            (r[ENTRY], r[ACCOUNT], _amount(r[DEBIT]), _amount(r[CREDIT]), r[6], r[7])
            for r in rows
            if r[ACCOUNT] in codes
        )
        lines = self.env["account.move.line"].search(
            [
                ("account_id", "in", self.ours.ids),
                ("parent_state", "=", "posted"),
                ("company_id", "=", self.company.id),
            ]
        )
        expected = Counter(
            (
                line.move_id.name,
                line.account_id.code,
                line.debit,
                line.credit,
                *self._aux(line.partner_id),
            )
            for line in lines
        )
        self.assertEqual(got, expected)
        # Every account and both funders are there, amounts differing
        # between funders (a shifted row would show).
        self.assertEqual({key[1] for key in got}, codes)
        on_467 = {key[4:] for key in got if key[1] == "467100"}
        self.assertEqual(
            on_467, {self._aux(self.state_funder), self._aux(self.dept_funder)}
        )
        self.assertIn(("ETAT-01", "État"), on_467)
        self.assertFalse([r for r in rows if r[ACCOUNT] in codes and not r[AUX_NUM]])

    def test_opening_balance_split_per_partner(self):
        self._flow()
        date_from = self.today + timedelta(days=1)
        wizard = self._wizard(date_from, date_from + timedelta(days=364))
        rows = self._rows(wizard.generate_fec()["file_content"])
        self.assertTrue(rows)
        self.assertTrue(all(r[ENTRY].startswith("OUVERTURE/") for r in rows))

        def balances(code):
            return {
                (r[AUX_NUM], r[AUX_LIB]): round(
                    _amount(r[DEBIT]) - _amount(r[CREDIT]), 2
                )
                for r in rows
                if r[ACCOUNT] == code
            }

        # The funders' money: 60 / 40 € invoiced, 24 / 16 € paid to the venue.
        self.assertEqual(
            balances("467100"),
            {self._aux(self.state_funder): -36.0, self._aux(self.dept_funder): -24.0},
        )
        self.assertEqual(
            balances("418110"),
            {self._aux(self.state_funder): 12.0, self._aux(self.dept_funder): 8.0},
        )
        # Odoo's own per-partner opening of the payable: 20 € still owed.
        self.assertEqual(balances("401800"), {self._aux(self.venue): -20.0})

    def test_other_rows_are_odoos(self):  # pylint: disable=missing-return
        """Odoo's file and ours differ only on the settlement's non-payable
        accounts, in the auxiliary columns (lines) or by the split of the
        opening line (same total)."""
        self._flow()
        codes = {self.liability.code, self.to_invoice.code}
        for (date_from, date_to), in_period in (
            (self._year(), True),
            ((self.today + timedelta(days=1), self.today + timedelta(days=365)), False),
        ):
            wizard = self._wizard(date_from, date_to)
            odoo = super(FecExportWizard, wizard).generate_fec()["file_content"]
            ours = wizard.generate_fec()["file_content"]
            self.assertNotEqual(odoo, ours)
            odoo_records = odoo.split(b"\r\n")
            our_records = ours.split(b"\r\n")

            def others(records):
                return [
                    rec
                    for rec in records
                    if rec.split(b"|")[ACCOUNT].decode() not in codes
                ]

            self.assertEqual(others(our_records), others(odoo_records))
            # The quoted name went through unchanged on Odoo's 411 rows.
            self.assertIn(
                b'"D\xc3\xa9partement ""Cantal"""', b"".join(others(odoo_records))
            )
            odoo_rows, our_rows = self._rows(odoo), self._rows(ours)
            for code in codes:
                mine = [r for r in our_rows if r[ACCOUNT] == code]
                theirs = [r for r in odoo_rows if r[ACCOUNT] == code]
                self.assertTrue(theirs)
                self.assertFalse([r for r in theirs if r[AUX_NUM]])
                self.assertFalse([r for r in mine if not r[AUX_NUM]])
                self.assertEqual(
                    round(sum(_amount(r[DEBIT]) - _amount(r[CREDIT]) for r in mine), 2),
                    round(
                        sum(_amount(r[DEBIT]) - _amount(r[CREDIT]) for r in theirs), 2
                    ),
                )
                if in_period:
                    # Lines: the same rows but for the auxiliary columns.
                    self.assertEqual(
                        [r[:AUX_NUM] + r[AUX_LIB + 1 :] for r in mine],
                        [r[:AUX_NUM] + r[AUX_LIB + 1 :] for r in theirs],
                    )
