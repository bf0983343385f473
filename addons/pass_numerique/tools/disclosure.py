# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Small-cell suppression of counts of people that survives subtraction.

A breakdown (people by age band, by situation, by venue...) is a list of
cells, each a number of people, whose total is shown too or can be derived
(the same people broken down another way, a key figure). Hiding the cells of
fewer than ``threshold`` people is not enough: with one hidden cell, the
total minus the shown cells gives it back. So:

1. Primary suppression: a cell of 1 to ``threshold - 1`` people is hidden.
2. A total of 1 to ``threshold - 1`` people: every cell is hidden.
3. Secondary suppression: while some cell is hidden and the hidden cells
   are not safe, the smallest shown non-zero cell is hidden too. The hidden
   cells are safe when there are at least two of them and what the shown
   cells leave of the total (``total - sum(shown)``, known to anybody) is at
   least ``threshold`` and more than the number of hidden cells. A shown row
   tells that its cell holds at least one person, so ``k`` hidden cells
   sharing ``r`` people each hold 1 to ``r - k + 1``: never one value.
4. When even every cell hidden is not safe (every person alone in a cell:
   the total equals the number of cells), the total must not be published
   either: ``suppress()`` says so.

Zero cells are shown (nobody is not a small number) and never hidden as
secondary cells: hiding a zero protects nothing.

For breakdowns whose cells may share people (a person who used passes at two
venues counts in both), ``total - sum(shown)`` is at most the sum of the
hidden cells, so the rule is only more cautious there.
"""

SMALL_NUMBER = 5


def is_small(count, threshold=SMALL_NUMBER):
    """Whether a count of people is too small to be shown (1 to threshold-1)."""
    return bool(count) and 0 < count < threshold


def people_display(people, env):
    """A count of people for display: ``< 5`` when too small to be shown
    (``env`` translates the sentence)."""
    if is_small(people):
        return env._("< %(limit)s", limit=SMALL_NUMBER)
    return str(people or 0)


def suppress(counts, total=None, threshold=SMALL_NUMBER):
    """The cells of a breakdown of people to hide.

    :param counts: the number of people of each cell (integers >= 0)
    :param total: the number of people of the whole breakdown, when shown or
        derivable elsewhere; by default the sum of the cells (each person in
        exactly one cell)
    :param threshold: the smallest number of people that may be shown
    :return: ``(hidden, total_hidden)``: a list of booleans, True for a cell
        to hide, in the order of ``counts``; and whether the total itself
        must not be published (too small, or it would give the hidden cells
        back)
    """
    counts = [int(count or 0) for count in counts]
    if total is None:
        total = sum(counts)
    if is_small(total, threshold):
        return [True] * len(counts), True
    hidden = [is_small(count, threshold) for count in counts]

    def safe():
        nonzero_hidden = sum(1 for h, c in zip(hidden, counts, strict=True) if h and c)
        if not nonzero_hidden:
            return True
        rest = total - sum(c for h, c in zip(hidden, counts, strict=True) if not h)
        return nonzero_hidden >= 2 and rest >= threshold and rest > nonzero_hidden

    while not safe():
        shown = [(count, index) for index, count in enumerate(counts) if count]
        shown = [(count, index) for count, index in shown if not hidden[index]]
        if not shown:
            # Everything is hidden and still the total would tell.
            return hidden, True
        hidden[min(shown)[1]] = True
    return hidden, False
