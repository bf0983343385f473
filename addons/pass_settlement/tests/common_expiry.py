# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from datetime import timedelta

from odoo import fields

from .common import PassSettlementCommon


class PassExpiryCommon(PassSettlementCommon):
    """Helpers for the end of validity: payments, the expiry run, the ledger
    invariant counting refunded/retained passes, entries line by line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["pass.program"])
        cls.prescriber = cls.env["res.partner"].create(
            {
                "name": "CCAS de Bordeaux",
                "is_pass_prescriber": True,
                "is_company": True,
                "email": "ccas@example.org",
            }
        )
        for funder in (cls.state_funder, cls.dept_funder, cls.city_funder):
            funder.email = f"{funder.name.lower()}@example.org".replace("é", "e")

    def _ending_program(self, shares, code, **vals):
        """A programme ending in 40 days (passes redeemable today)."""
        return self._program(
            shares, code, date_end=self.today + timedelta(days=40), **vals
        )

    def _pay_venue(self, remittance):
        line = remittance.payable_line_id
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move.line", active_ids=line.ids)
            .create({})
            ._create_payments()
        )

    def _after_grace(self, program):
        return program._pass_expiry_deadline() + timedelta(days=1)

    def _run_end_of_validity(self, program):
        self.env["pass.program"]._cron_pass_end_of_validity(
            today=self._after_grace(program)
        )
        return program.reconciliation_ids

    def assertHeldInvariant(self, programs):
        """For each funder, the liability balance = its part of the face value
        of the passes invoiced to it that are not settled, refunded or
        retained. Computed from the invoices, not from the code under test."""
        expected = {}
        for program in programs:
            parts = dict(program._pass_funder_cents())
            invoices = self.env["account.move"].search(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("invoice_line_ids.pass_program_id", "=", program.id),
                ]
            )
            for invoice in invoices:
                funder = invoice.partner_id
                books = invoice.invoice_line_ids.sale_line_ids.pass_book_ids.filtered(
                    lambda b, p=program: b.program_id == p
                )
                held = books.voucher_ids.filtered(
                    lambda v: v.state != "settled"
                    and not (
                        v.reconciliation_id and v.reconciliation_id.state == "done"
                    )
                )
                expected[funder] = expected.get(funder, 0) + parts[funder] * len(held)
        balances = self._liability_balances()
        self.assertLedgerOk()
        for funder, cents in expected.items():
            self.assertEqual(
                round(balances.get(funder, 0.0) * 100),
                cents,
                f"money held for {funder.name}",
            )
        return balances

    def _entry_lines(self, move):
        """(account code, partner, debit, credit) of each line, sorted."""
        return sorted(
            (
                line.account_id.code,
                line.partner_id.name or "",
                round(line.debit, 2),
                round(line.credit, 2),
            )
            for line in move.line_ids
        )
