# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""A pass from the funder's order to the venue's payment and the end of
validity, with every journal entry checked line by line and the ledger
invariant checked after every step."""

from odoo.tests import tagged

from .common_expiry import PassExpiryCommon


@tagged("post_install", "-at_install")
class TestLifecycle(PassExpiryCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        cls.liability = company.pass_liability_account_id.code
        cls.fee_account = company.pass_fee_product_id.property_account_income_id.code
        tax = company.pass_fee_product_id.taxes_id
        # VAT on payments: the invoice posts it on the transition account
        # (44574) until the funder pays.
        cls.vat_account = (
            tax.cash_basis_transition_account_id
            or tax.invoice_repartition_line_ids.filtered(
                lambda r: r.repartition_type == "tax"
            ).account_id
        ).code
        cls.payable = company.pass_venue_payable_account_id.code

    def _receivable(self, partner):
        return partner.property_account_receivable_id.code

    def _payment_lines(self, payment, partner, amount, inbound=True):
        counterpart = (
            self._receivable(partner)
            if inbound
            else self.company.pass_venue_payable_account_id.code
        )
        outstanding = payment.outstanding_account_id.code
        if inbound:
            expected = [
                (outstanding, partner.name, amount, 0.0),
                (counterpart, partner.name, 0.0, amount),
            ]
        else:
            expected = [
                (counterpart, partner.name, amount, 0.0),
                (outstanding, partner.name, 0.0, amount),
            ]
        self.assertEqual(self._entry_lines(payment.move_id), sorted(expected))

    def test_lifecycle_60_40_refund(self):
        program = self._ending_program(
            [(self.state_funder, 60), (self.dept_funder, 40)], "LIFE"
        )
        self.assertTrue(self.liability.startswith("467"))
        self.assertTrue(self.fee_account.startswith("706"))
        self.assertTrue(self.vat_account.startswith("4457"))
        self.assertTrue(self.payable.startswith("401"))

        # 1. Order: two books issued and handed to the ordering funder.
        order = self._order(program, books=2)
        books = order.order_line.pass_book_ids
        vouchers = books.voucher_ids
        self.assertEqual(len(vouchers), 20)
        self.assertEqual(set(vouchers.mapped("state")), {"distributed"})
        balances = self.assertHeldInvariant(program)
        self.assertFalse(any(balances.values()), "nothing held before invoicing")

        # 2. Invoice: each funder its share on two documents, face value on
        # 467 without VAT, the 4 % fee on 706 with 20 % VAT, each on 411.
        invoices = self._invoice(order)
        state_inv = invoices.filtered(lambda m: m.partner_id == self.state_funder)
        dept_inv = invoices - state_inv
        state, dept = self.state_funder.name, self.dept_funder.name
        self.assertEqual(
            self._entry_lines(state_inv),
            sorted(
                [
                    (self.liability, state, 0.0, 120.0),
                    (self.fee_account, state, 0.0, 4.8),
                    (self.vat_account, state, 0.0, 0.96),
                    (self._receivable(self.state_funder), state, 120.0, 0.0),
                    (self._receivable(self.state_funder), state, 5.76, 0.0),
                ]
            ),
        )
        self.assertEqual(
            self._entry_lines(dept_inv),
            sorted(
                [
                    (self.liability, dept, 0.0, 80.0),
                    (self.fee_account, dept, 0.0, 3.2),
                    (self.vat_account, dept, 0.0, 0.64),
                    (self._receivable(self.dept_funder), dept, 80.0, 0.0),
                    (self._receivable(self.dept_funder), dept, 3.84, 0.0),
                ]
            ),
        )
        balances = self.assertHeldInvariant(program)
        self.assertEqual(
            (balances[self.state_funder], balances[self.dept_funder]), (120.0, 80.0)
        )

        # 3. Payment by both funders: 411 settled, 467 untouched.
        payments = self._pay(invoices)
        amounts = {self.state_funder: [5.76, 120.0], self.dept_funder: [3.84, 80.0]}
        for partner, amount_list in amounts.items():
            mine = payments.filtered(lambda p, partner=partner: p.partner_id == partner)
            self.assertEqual(sorted(mine.mapped("amount")), amount_list)
        for payment in payments:
            self._payment_lines(payment, payment.partner_id, payment.amount)
        self.assertLessEqual(
            set(invoices.mapped("payment_state")), {"paid", "in_payment"}
        )
        self.assertHeldInvariant(program)

        # 4. Distribution of one book on to a prescriber.
        books[1].distribute(self.prescriber.id)
        self.assertEqual(books[1].holder_id, self.prescriber)
        self.assertHeldInvariant(program)

        # 5. Redemption of 12 passes (from both books).
        redeemed = vouchers[:6] | books[1].voucher_ids[:6]
        self._redeem(redeemed)
        self.assertEqual(set(redeemed.mapped("state")), {"redeemed"})
        balances = self.assertHeldInvariant(program)
        self.assertEqual(balances[self.state_funder], 120.0, "redeemed is still held")

        # 6. Remittance: 467 debited per funder (60/40), the venue's 401 credited.
        remittance = self._remit()
        self.assertEqual(
            self._entry_lines(remittance.move_id),
            sorted(
                [
                    (self.liability, state, 72.0, 0.0),
                    (self.liability, dept, 48.0, 0.0),
                    (self.payable, self.venue.name, 0.0, 120.0),
                ]
            ),
        )
        self.assertEqual(set(redeemed.mapped("state")), {"settled"})
        balances = self.assertHeldInvariant(program)
        self.assertEqual(
            (balances[self.state_funder], balances[self.dept_funder]), (48.0, 32.0)
        )

        # 7. The venue is paid: 401 settled.
        venue_payment = self._pay_venue(remittance)
        self._payment_lines(venue_payment, self.venue, 120.0, inbound=False)
        remittance.invalidate_recordset(["payment_state"])
        self.assertEqual(remittance.payment_state, "paid")
        self.assertHeldInvariant(program)

        # 8. Two more passes redeemed, not yet remitted when validity ends.
        late = vouchers[6:8]
        self._redeem(late)
        self.assertHeldInvariant(program)

        # 9. End of validity: 6 unused passes expire, credit notes at face value.
        reconciliation = self._run_end_of_validity(program)
        unused = vouchers - redeemed - late
        self.assertEqual(len(unused), 6)
        self.assertEqual(set(unused.mapped("state")), {"expired"})
        self.assertEqual(
            set(late.mapped("state")), {"redeemed"}, "redeemed passes stay payable"
        )
        by_funder = {line.partner_id: line for line in reconciliation.line_ids}
        state_line, dept_line = (
            by_funder[self.state_funder],
            by_funder[self.dept_funder],
        )
        self.assertEqual(
            (
                state_line.count_bought,
                state_line.count_redeemed,
                state_line.count_settled,
                state_line.count_unused,
            ),
            (20, 14, 12, 6),
        )
        self.assertEqual(
            self._entry_lines(state_line.move_id),
            sorted(
                [
                    (self.liability, state, 36.0, 0.0),
                    (self._receivable(self.state_funder), state, 0.0, 36.0),
                ]
            ),
        )
        self.assertEqual(
            self._entry_lines(dept_line.move_id),
            sorted(
                [
                    (self.liability, dept, 24.0, 0.0),
                    (self._receivable(self.dept_funder), dept, 0.0, 24.0),
                ]
            ),
        )
        self.assertEqual(
            state_line.move_id.reversed_entry_id,
            state_inv.filtered(lambda m: not m.amount_tax),
            "the credit note reverses the face value's invoice",
        )
        balances = self.assertHeldInvariant(program)
        self.assertEqual(
            (balances[self.state_funder], balances[self.dept_funder]),
            (12.0, 8.0),
            "only the two redeemed, unremitted passes are still held",
        )

        # 10. The late passes are remitted after the end of validity: nothing held.
        late_remittance = self._remit()
        self.assertEqual(
            self._entry_lines(late_remittance.move_id),
            sorted(
                [
                    (self.liability, state, 12.0, 0.0),
                    (self.liability, dept, 8.0, 0.0),
                    (self.payable, self.venue.name, 0.0, 20.0),
                ]
            ),
        )
        balances = self.assertHeldInvariant(program)
        self.assertEqual(
            (balances[self.state_funder], balances[self.dept_funder]), (0.0, 0.0)
        )

    def test_lifecycle_thirds_retain(self):
        program = self._ending_program(
            [
                (self.state_funder, 33.33),
                (self.dept_funder, 33.33),
                (self.city_funder, 33.34),
            ],
            "LIFE3",
            unused_policy="retain",
        )
        state, dept, city = self.state_funder, self.dept_funder, self.city_funder
        order = self._order(program, books=3)
        invoices = self._invoice(order)
        # Face value per pass 3.33 / 3.33 / 3.34; fee 12.00 split 4.00 each
        # (two documents per funder).
        expected_face = {state: 99.9, dept: 99.9, city: 100.2}
        self.assertEqual(len(invoices), 6)
        for funder in invoices.partner_id:
            face = expected_face[funder]
            self.assertEqual(
                self._entry_lines(
                    invoices.filtered(lambda m, f=funder: m.partner_id == f)
                ),
                sorted(
                    [
                        (self.liability, funder.name, 0.0, face),
                        (self.fee_account, funder.name, 0.0, 4.0),
                        (self.vat_account, funder.name, 0.0, 0.8),
                        (self._receivable(funder), funder.name, face, 0.0),
                        (self._receivable(funder), funder.name, 4.8, 0.0),
                    ]
                ),
            )
        self.assertHeldInvariant(program)
        self._pay(invoices)
        self.assertHeldInvariant(program)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:7])
        self.assertHeldInvariant(program)
        remittance = self._remit()
        self.assertEqual(
            self._entry_lines(remittance.move_id),
            sorted(
                [
                    (self.liability, state.name, 23.31, 0.0),
                    (self.liability, dept.name, 23.31, 0.0),
                    (self.liability, city.name, 23.38, 0.0),
                    (self.payable, self.venue.name, 0.0, 70.0),
                ]
            ),
        )
        self.assertHeldInvariant(program)
        self._pay_venue(remittance)
        self.assertHeldInvariant(program)
        reconciliation = self._run_end_of_validity(program)
        retained = self.company.pass_retained_account_id.code
        # 23 unused passes: 76.59 + 76.59 + 76.82 = 230.00, kept as revenue.
        expected = {state: 76.59, dept: 76.59, city: 76.82}
        for line in reconciliation.line_ids:
            amount = expected[line.partner_id]
            self.assertEqual(
                self._entry_lines(line.move_id),
                sorted(
                    [
                        (self.liability, line.partner_id.name, amount, 0.0),
                        (retained, line.partner_id.name, 0.0, amount),
                    ]
                ),
            )
        self.assertAlmostEqual(sum(expected.values()), 230.0, places=2)
        balances = self.assertHeldInvariant(program)
        self.assertEqual({balances[f] for f in (state, dept, city)}, {0.0})
