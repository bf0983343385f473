# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The redemption contract of API.md as its clients know it, written once
for the addon's tests and the live-server tests of ``tests/`` (which load
this file by its path: plain Python, no Odoo import).

Stated here, not read from the addon, so that a reason the code adds or
drops without the contract fails the tests."""

# Every reason check_code / redeem_code may refuse a code for (API.md).
REFUSAL_REASONS = frozenset(
    {
        "unknown_code",
        "bad_check_digit",
        "already_redeemed",
        "expired",
        "cancelled",
        "not_distributed",
        "not_activated",
        "venue_not_qualified",
        "out_of_territory",
        "service_not_allowed",
        "too_many_attempts",
    }
)
