# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.pass_numerique.tools.guard import guarded_write

from .common import PassSettlementCommon


@tagged("post_install", "-at_install")
class TestRemittanceGuard(PassSettlementCommon):
    def test_redemption_on_a_remittance_cannot_be_undone(self):
        """Undoing a redemption that a draft remittance already claims would
        leave the remittance paying for a pass that is no longer redeemed."""
        program = self._program([(self.state_funder, 100)], "GUARD")
        order = self._order(program, books=1)
        self._invoice(order)
        vouchers = order.order_line.pass_book_ids.voucher_ids
        self._redeem(vouchers[:2])
        remittance = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        remittance.add_vouchers(vouchers[:1].ids)
        with self.assertRaises(UserError):
            vouchers[:1].action_cancel_redemption("erreur de saisie")
        self.assertEqual(vouchers[0].state, "redeemed")
        self.assertEqual(vouchers[0].remittance_id, remittance)
        # the pass that is on no remittance can still be undone
        vouchers[1:2].action_cancel_redemption("erreur de saisie")
        self.assertEqual(vouchers[1].state, "distributed")
        self.assertEqual(remittance.amount_total, 10.0)
        self.assertLiabilityInvariant(program)

    def test_remittance_without_passes_is_neither_submitted_nor_validated(self):
        """An empty remittance is refused at submission, and at validation
        when it reached the accountant empty (its passes taken back):
        nothing is posted and its state does not move."""
        remittance = self.env["pass.remittance"].create(
            {"venue_id": self.venue.id, "company_id": self.company.id}
        )
        moves_before = self.env["account.move"].search_count([])
        with self.assertRaises(UserError):
            remittance.action_submit()
        self.assertEqual(remittance.state, "draft")
        with guarded_write():
            remittance.write({"state": "submitted"})
        with self.assertRaises(UserError):
            remittance.action_validate()
        self.assertEqual(remittance.state, "submitted")
        self.assertFalse(remittance.move_id)
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
