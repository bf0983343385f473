# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).


def post_init_hook(env):
    """Default settlement configuration for the companies that have a chart."""
    env["res.company"].search([])._pass_setup_settlement_defaults()
