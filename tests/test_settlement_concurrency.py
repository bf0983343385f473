"""Real concurrency on the money paths: two database transactions at once.

Not one call after the other, and not through one test cursor: this module
loads the Odoo registry of the test database in this process and opens two
real cursors in two threads, holding the first transaction open until the
second one is seen waiting on PostgreSQL (or refused), then commits.

Scenarios, on a company of its own (the French chart and the settlement's
defaults, a bank journal and a SEPA venue payment mode, created here):
- two transactions validate the same remittance: one entry, never two; the
  loser is told (serialisation failure, which Odoo's RPC layer retries, and
  the retry is refused as already validated);
- two remittances of passes of the same sale order line validated at once:
  both post, each pass is debited once, the ledger check is clean;
- two clearing runs of one company at once (two periods, and the same run
  clicked twice): the second is refused while the first works, nothing is
  paid twice.
After each scenario `pass.ledger.check` finds no difference.
"""

import datetime
import time
import uuid

import pytest
from concurrency_kit import Race, click, env_of, french_company


@pytest.fixture(scope="module")
def world(registry):
    """A company with its chart and settlement, two funders (60/40), one
    qualified venue per scenario, a programme, an invoiced order of 2 books
    of 5 passes; committed."""
    from odoo import Command

    from odoo.addons.pass_numerique.tools.guard import guarded_write

    tag = uuid.uuid4().hex[:6]
    with registry.cursor() as cr:
        company = french_company(env_of(cr), f"Coopérative concurrence {tag}")
        env = company.env
        assert company.pass_liability_account_id, "settlement defaults missing"
        bank = env["res.partner.bank"].create(
            {
                "acc_number": "FR7630001007941234567890185",
                "partner_id": company.partner_id.id,
            }
        )
        journal = env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "bank")], limit=1
        )
        journal.bank_account_id = bank
        if not company.pass_venue_payment_mode_id:
            company._pass_setup_settlement_defaults()
        assert company.pass_venue_payment_mode_id.fixed_journal_id, "no payment mode"
        Partner = env["res.partner"]
        funders = Partner.create(
            [
                {
                    "name": f"État {tag}",
                    "is_pass_funder": True,
                    "pass_funder_type": "state",
                    "company_id": company.id,
                },
                {
                    "name": f"Département {tag}",
                    "is_pass_funder": True,
                    "pass_funder_type": "departement",
                    "company_id": company.id,
                },
            ]
        )
        service = env["pass.service"].create(
            {"code": f"conc_{tag}", "name": "Démarche en ligne", "category": "admin"}
        )
        venues = Partner
        with guarded_write():
            for name in ("A", "B", "C"):
                venues |= Partner.create(
                    {
                        "name": f"Lieu {name} {tag}",
                        "is_pass_venue": True,
                        "is_company": True,
                        "pass_venue_state": "qualified",
                        "company_id": company.id,
                        "country_id": env.ref("base.fr").id,
                        "city": "Bordeaux",
                        "pass_service_ids": [Command.set(service.ids)],
                    }
                )
        # Venue A has a checked IBAN: the clearing pays it by SEPA transfer.
        env["res.partner.bank"].create(
            {
                "acc_number": "FR7630006000011234567890189",
                "partner_id": venues[0].id,
                "allow_out_payment": True,
            }
        )
        program = env["pass.program"].create(
            {
                "name": f"Programme concurrence {tag}",
                "code": f"C{tag}".upper(),
                "company_id": company.id,
                "face_value": 10.0,
                "date_start": "2026-01-01",
                "date_end": "2030-12-31",
                "funding_ids": [
                    Command.create({"partner_id": funders[0].id, "share": 60.0}),
                    Command.create({"partner_id": funders[1].id, "share": 40.0}),
                ],
            }
        )
        program.action_activate()
        order = (
            env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": funders[0].id,
                    "company_id": company.id,
                    "order_line": [
                        Command.create(
                            {"product_id": program.product_id.id, "product_uom_qty": 3}
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        order._create_invoices().action_post()
        vouchers = order.order_line.pass_book_ids.voucher_ids.sorted("id")
        assert len(vouchers) >= 12, len(vouchers)
        world = {
            "company_id": company.id,
            "venue_ids": venues.ids,
            "service": service.code,
            "voucher_ids": vouchers.ids,
            "codes": vouchers.mapped("code"),
        }
    return world


def _redeem_and_submit(registry, world, venue_index, codes):
    """Redeem codes at one venue and put them on a submitted remittance;
    committed. Returns the remittance id."""
    with registry.cursor() as cr:
        env = env_of(cr, world["company_id"])
        company = env["res.company"].browse(world["company_id"])
        venue_id = world["venue_ids"][venue_index]
        for code in codes:
            res = env["pass.voucher"].redeem_code(code, venue_id, world["service"])
            assert res["ok"], res
        remittance = env["pass.remittance"].create(
            {"venue_id": venue_id, "company_id": company.id}
        )
        remittance.action_add_redeemed()
        remittance.action_submit()
        return remittance.id


def _ledger_ok(registry, world):
    with registry.cursor() as cr:
        env = env_of(cr)
        result = env["pass.ledger.check"].run(world["company_id"])
        return result


def _is_serialization_failure(error):
    import psycopg2

    return isinstance(
        error, psycopg2.errors.SerializationFailure | psycopg2.errors.LockNotAvailable
    )


def _with_retries(registry, world, action, tries=5):
    """What Odoo's RPC layer does on a serialisation failure: retry the
    whole transaction."""
    import psycopg2

    for attempt in range(tries):
        try:
            with registry.cursor() as cr:
                env = env_of(cr, world["company_id"])
                return action(env)
        except psycopg2.errors.SerializationFailure:
            if attempt == tries - 1:
                raise
            time.sleep(0.1 * (attempt + 1))
    return None


def test_two_transactions_validate_one_remittance(registry, world):
    from odoo.exceptions import UserError

    remittance_id = _redeem_and_submit(registry, world, 0, world["codes"][0:3])

    validate = click("pass.remittance", remittance_id, "action_validate")
    race = Race(registry, world)
    blocked = race.run(validate, validate)
    assert race.outcome["first"] == "ok", race.outcome
    assert blocked, "the second validation did not wait for the first"
    second = race.outcome["second"]
    # The loser never posts: PostgreSQL refuses its stale view (Odoo's RPC
    # layer then retries it, and the retry is refused as validated).
    assert _is_serialization_failure(second) or isinstance(second, UserError), second
    with pytest.raises(UserError):
        _with_retries(registry, world, validate)
    with registry.cursor() as cr:
        env = env_of(cr)
        remittance = env["pass.remittance"].browse(remittance_id)
        assert remittance.state == "validated"
        moves = (
            env["account.move"].search(
                [
                    ("company_id", "=", world["company_id"]),
                    ("ref", "=", remittance.name),
                ]
            )
            | remittance.move_id
        )
        assert len(moves) == 1, moves.mapped("name")
        assert moves.state == "posted"
        assert set(
            env["pass.voucher"].browse(world["voucher_ids"][0:3]).mapped("state")
        ) == {"settled"}
    result = _ledger_ok(registry, world)
    assert result["ok"], result["differences"]


def test_two_remittances_of_one_sale_line_at_once(registry, world):
    first_id = _redeem_and_submit(registry, world, 1, world["codes"][3:6])
    second_id = _redeem_and_submit(registry, world, 2, world["codes"][6:9])

    def validate(remittance_id):
        return click("pass.remittance", remittance_id, "action_validate")

    race = Race(registry, world)
    race.run(validate(first_id), validate(second_id))
    assert race.outcome["first"] == "ok", race.outcome
    if race.outcome["second"] != "ok":
        # A conflict on a shared row (the journal's sequence): retried as
        # Odoo's RPC layer does, it must then go through.
        assert _is_serialization_failure(race.outcome["second"]), race.outcome
        _with_retries(registry, world, validate(second_id))
    with registry.cursor() as cr:
        env = env_of(cr)
        remittances = env["pass.remittance"].browse([first_id, second_id])
        assert remittances.mapped("state") == ["validated", "validated"]
        assert len(remittances.move_id) == 2
        # 3 passes of 10.00 each per remittance: 30.00 on each venue payable.
        for remittance in remittances:
            payable = remittance.move_id.line_ids.filtered(
                lambda line: line.account_type == "liability_payable"
            )
            assert round(-sum(payable.mapped("balance")), 2) == 30.0
        # Each pass debited once: 60 % and 40 % of 9 passes on the funders.
        vouchers = env["pass.voucher"].browse(world["voucher_ids"][0:9])
        assert set(vouchers.mapped("state")) == {"settled"}
    result = _ledger_ok(registry, world)
    assert result["ok"], result["differences"]


def test_two_clearing_runs_at_once(registry, world):
    from odoo.exceptions import UserError

    # One more redemption, not yet on a remittance: the run will clear it.
    with registry.cursor() as cr:
        env = env_of(cr, world["company_id"])
        res = env["pass.voucher"].redeem_code(
            world["codes"][9], world["venue_ids"][0], world["service"]
        )
        assert res["ok"], res
        Run = env["pass.clearing.run"]
        today = datetime.date.today()
        start = today.replace(day=1)
        end = (start + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(
            days=1
        )
        previous_end = start - datetime.timedelta(days=1)
        run = Run.create(
            {
                "company_id": world["company_id"],
                "period_start": start,
                "period_end": end,
            }
        )
        earlier = Run.create(
            {
                "company_id": world["company_id"],
                "period_start": previous_end.replace(day=1),
                "period_end": previous_end,
            }
        )
        run_id, earlier_id = run.id, earlier.id

    def execute(run_id):
        return click("pass.clearing.run", run_id, "action_run")

    # Another period of the same company: refused while the first works.
    race = Race(registry, world)
    race.run(execute(run_id), execute(earlier_id))
    assert race.outcome["first"] == "ok", race.outcome
    assert isinstance(race.outcome["second"], UserError), race.outcome
    with registry.cursor() as cr:
        env = env_of(cr)
        run = env["pass.clearing.run"].browse(run_id)
        assert run.state == "done", run.last_error
        assert env["pass.clearing.run"].browse(earlier_id).state == "draft"
        # Venue A's payables (the first scenario's remittance and this run's)
        # are in this run's payment order, once.
        order = run.payment_order_ids
        assert len(order) == 1 and order.state == "generated", order.state
        assert {line.partner_id.id for line in order.payment_line_ids} == {
            world["venue_ids"][0]
        }
        assert round(order.total_company_currency, 2) == 40.0
        voucher = env["pass.voucher"].browse(world["voucher_ids"][9])
        assert voucher.state == "settled"
        remittances_before = env["pass.remittance"].search_count(
            [("company_id", "=", world["company_id"])]
        )
    result = _ledger_ok(registry, world)
    assert result["ok"], result["differences"]

    # The same run clicked twice at once: the second click is refused (NOWAIT).
    race = Race(registry, world)
    race.run(execute(run_id), execute(run_id))
    assert race.outcome["first"] == "ok", race.outcome
    second = race.outcome["second"]
    assert isinstance(second, UserError) or _is_serialization_failure(second), second
    with registry.cursor() as cr:
        env = env_of(cr)
        # Nothing cleared twice: no new remittance, no payable in two orders.
        assert (
            env["pass.remittance"].search_count(
                [("company_id", "=", world["company_id"])]
            )
            == remittances_before
        )
        lines = env["account.payment.line"].search(
            [("company_id", "=", world["company_id"]), ("state", "!=", "cancel")]
        )
        move_lines = lines.mapped("move_line_id")
        assert len(move_lines) == len(lines), "a payable paid twice"
    result = _ledger_ok(registry, world)
    assert result["ok"], result["differences"]
