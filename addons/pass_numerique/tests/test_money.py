# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The integer-cents split (tools/money.py): pure function, no database."""

from odoo.tests import BaseCase, tagged

from ..tools.money import split_cents


@tagged("post_install", "-at_install")
class TestSplitCents(BaseCase):
    def test_parts_add_up_to_the_total(self):
        for total in (0, 1, 2, 3, 99, 100, 1001, 2500, 12345):
            for weights in (
                [100],
                [50, 50],
                [60, 40],
                [33.33, 33.33, 33.34],
                [70, 20, 10],
            ):
                parts = split_cents(total, weights)
                self.assertEqual(sum(parts), total, (total, weights))
                self.assertTrue(all(isinstance(p, int) for p in parts))
                self.assertEqual(len(parts), len(weights))
                for part, weight in zip(parts, weights, strict=True):
                    self.assertLess(abs(part - total * weight / 100), 1)

    def test_exact_split(self):
        self.assertEqual(split_cents(2000, [60, 40]), [1200, 800])
        self.assertEqual(split_cents(1000, [100]), [1000])

    def test_largest_remainder_gets_the_cent(self):
        # 1001 * 70 % = 700.7, * 30 % = 300.3: the cent left goes to 700.7.
        self.assertEqual(split_cents(1001, [70, 30]), [701, 300])
        # 1001 * 30 % = 300.3, * 70 % = 700.7: whatever the order.
        self.assertEqual(split_cents(1001, [30, 70]), [300, 701])

    def test_ties_favour_the_first_weight(self):
        self.assertEqual(split_cents(1, [50, 50]), [1, 0])
        self.assertEqual(split_cents(2, [50, 25, 25]), [1, 1, 0])
        self.assertEqual(split_cents(1, [25, 50, 25]), [0, 1, 0])
        self.assertEqual(split_cents(1000, [33.33, 33.33, 33.34]), [333, 333, 334])

    def test_float_noise_is_not_a_remainder(self):
        # 375 * 18.4 / 100 is 68.99999999999999 in binary floating point:
        # 69 whole cents, not 68 and a cent of remainder to hand out.
        self.assertEqual(split_cents(375, [18.4, 81.6]), [69, 306])
