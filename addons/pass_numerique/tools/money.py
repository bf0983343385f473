# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Money in whole cents (the currency's smallest unit). Pure functions."""


def split_cents(total_cents, weights):
    """Split ``total_cents`` (an int) by ``weights`` (percentages that add
    up to 100) with the largest-remainder method.

    Each part is first the whole part of ``total_cents * weight / 100``;
    the cents left over go one each to the largest remainders (ties: the
    earlier weight first, so order the weights as the parts should be
    favoured, e.g. larger share first). The parts are whole cents that add
    up exactly to ``total_cents``.

    Returns a list of ints in the order of ``weights``.
    """
    exact = [total_cents * weight / 100.0 for weight in weights]
    # 1e-9: a product such as 1000 * 33.3 / 100 = 332.99999999999994 is 333.
    parts = [int(value + 1e-9) for value in exact]
    rest = total_cents - sum(parts)
    # sorted() is stable: equal remainders keep the order of the weights.
    by_remainder = sorted(range(len(exact)), key=lambda i: -(exact[i] - parts[i]))
    for index in by_remainder[:rest]:
        parts[index] += 1
    return parts
