"""Real concurrency on the venues' yearly subscription invoicing: two
database transactions at once (two cursors in two threads:
``concurrency_kit.Race``), on a company of its own with the French chart and
two qualified, subscribed venues.

Two runners invoicing the same company and year at once: the second is
refused at once while the first works (advisory lock per company), and each
venue has exactly one subscription and one invoice for the year; a runner
started after the first committed invoices nobody again.
"""

import datetime
import uuid

import pytest
from concurrency_kit import Race, env_of, french_company


@pytest.fixture(scope="module")
def world(registry):
    from odoo.addons.pass_numerique.tools.guard import guarded_write

    tag = uuid.uuid4().hex[:6]
    with registry.cursor() as cr:
        company = french_company(env_of(cr), f"Coopérative abonnements {tag}")
        env = company.env
        Partner = env["res.partner"]
        with guarded_write():
            venues = Partner.create(
                [
                    {
                        "name": f"Lieu {name} {tag}",
                        "is_pass_venue": True,
                        "is_company": True,
                        "pass_venue_state": "qualified",
                        "pass_subscription_active": True,
                        "company_id": company.id,
                        "country_id": env.ref("base.fr").id,
                    }
                    for name in ("A", "B")
                ]
            )
        world = {"company_id": company.id, "venue_ids": venues.ids}
    return world


def _invoices(env, world):
    return env["account.move"].search(
        [
            ("company_id", "=", world["company_id"]),
            ("move_type", "=", "out_invoice"),
            ("partner_id", "in", world["venue_ids"]),
        ]
    )


def test_two_runners_invoice_each_venue_once(registry, world):
    from odoo.exceptions import UserError

    year = datetime.date.today().year

    def invoice(env):
        company = env["res.company"].browse(world["company_id"])
        env["pass.venue.subscription"].with_company(company)._invoice_year(
            year, company
        )

    race = Race(registry, world)
    race.run(invoice, invoice)
    assert race.outcome["first"] == "ok", race.outcome
    assert isinstance(race.outcome["second"], UserError), race.outcome

    with registry.cursor() as cr:
        env = env_of(cr)
        subscriptions = env["pass.venue.subscription"].search(
            [("company_id", "=", world["company_id"]), ("year", "=", year)]
        )
        assert sorted(subscriptions.venue_id.ids) == sorted(world["venue_ids"])
        invoices = _invoices(env, world)
        assert invoices == subscriptions.invoice_id
        assert set(invoices.mapped("state")) == {"posted"}

    # A runner after the first one committed: nothing more.
    with registry.cursor() as cr:
        invoice(env_of(cr))
    with registry.cursor() as cr:
        env = env_of(cr)
        assert len(_invoices(env, world)) == 2
