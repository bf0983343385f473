"""Benchmark: a monthly clearing run against Odoo's own vendor bills.

In one run on one database: 100,000 redeemed passes across 2,000 venues
(50 each, 60/40 co-funded) are cleared by one ``pass.clearing.run`` (2,000
remittances validated, 2,000 entries posted, one SEPA payment order with its
pain.001 file), side by side with Odoo creating and posting 2,000 plain
vendor bills of 3 lines (one batch create, one action_post), each timed up
to its commit. Aim: the clearing run within 1.5x the bills.
``BENCH_SCALE=0.1`` runs a tenth of it. The data (venues, IBANs, passes) is
made fast beforehand (batch create, one SQL update) and is not timed.
"""

import time
import uuid
from datetime import datetime, timedelta

from bench_common import odoo_env, parse_args, print_table, scaled

PASSES_PER_VENUE = 50
PASSES_PER_BOOK = 10


def iban_fr(account):
    bban = f"30006000{account:013d}00"
    digits = "".join(str(int(c, 36)) for c in bban + "FR00")
    return f"FR{98 - int(digits) % 97:02d}{bban}"


def prepare_company(env):
    """French chart, settlement defaults, a bank account on the payment
    mode's bank journal (the transfers' debtor account)."""
    company = env.company
    # The run is a Pass accountant's job (the role implies the payments group).
    env.user.groups_id |= env.ref("pass_settlement.group_pass_accountant")
    if not company.chart_template:
        company.country_id = env.ref("base.fr")
        env["account.chart.template"].try_loading("fr", company, install_demo=False)
    company._pass_setup_settlement_defaults()
    # pain.001.001.09 needs the debtor's town (the run refuses to post
    # without it): a cooperative's address, as in production.
    if not company.city:
        company.write(
            {"street": "1 rue de la Coopérative", "zip": "75011", "city": "Paris"}
        )
    mode = company.pass_venue_payment_mode_id
    if not mode:
        raise SystemExit("bench_clearing: no venue payment mode could be set up")
    journal = mode.fixed_journal_id
    if not journal.bank_account_id:
        journal.bank_account_id = env["res.partner.bank"].create(
            {"acc_number": iban_fr(9_999_999), "partner_id": company.partner_id.id}
        )
    return company


def prepare_passes(env, company, venues_count, tag):
    """Venues with IBANs and PASSES_PER_VENUE redeemed passes each, redeemed
    last month."""
    Partner = env["res.partner"]
    state, dept = Partner.create(
        [
            {
                "name": f"Bench État {tag}",
                "is_pass_funder": True,
                "pass_funder_type": "state",
            },
            {
                "name": f"Bench Département {tag}",
                "is_pass_funder": True,
                "pass_funder_type": "departement",
            },
        ]
    )
    program = env["pass.program"].create(
        {
            "name": f"Bench clearing {tag}",
            "code": f"BCLR-{tag}",
            "company_id": company.id,
            "face_value": 10.0,
            "date_end": "2099-12-31",
            "funding_ids": [
                (0, 0, {"partner_id": state.id, "share": 60.0}),
                (0, 0, {"partner_id": dept.id, "share": 40.0}),
            ],
        }
    )
    program.action_activate()
    from odoo.addons.pass_numerique.tools.guard import guarded_write

    # Fixtures: venues are created qualified, as data files do.
    with guarded_write():
        venues = Partner.create(
            [
                {
                    "name": f"Bench lieu {tag} {n:05d}",
                    "is_pass_venue": True,
                    "is_company": True,
                    "pass_venue_state": "qualified",
                    "city": "Bordeaux",
                    "zip": "33000",
                    "country_id": env.ref("base.fr").id,
                }
                for n in range(venues_count)
            ]
        )
    env["res.partner.bank"].create(
        [
            # Checked and trusted: the clearing pays trusted IBANs only.
            {
                "acc_number": iban_fr(n + 1),
                "partner_id": venue.id,
                "allow_out_payment": True,
            }
            for n, venue in enumerate(venues)
        ]
    )
    passes = venues_count * PASSES_PER_VENUE
    program.issue_books(passes // PASSES_PER_BOOK, PASSES_PER_BOOK)
    env.flush_all()
    first = datetime.now().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    redeemed_at = first - timedelta(days=10)
    # The k-th pass of the programme goes to venue k mod N: one UPDATE.
    env.cr.execute(
        """
        UPDATE pass_voucher v
           SET state = 'redeemed', venue_id = (%s::int[])[1 + (r.k %% %s)],
               redeemed_at = %s
          FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
                  FROM pass_voucher WHERE program_id = %s) r
         WHERE v.id = r.id
        """,
        (venues.ids, venues_count, redeemed_at, program.id),
    )
    env.invalidate_all()
    return venues, passes


def bench_bills(env, venues):
    """The yardstick: 2,000 vendor bills of 3 lines, created and posted."""
    company = env.company
    expense = env["account.account"].search(
        [("account_type", "=", "expense"), ("company_ids", "in", company.id)], limit=1
    )
    today = datetime.now().date()
    vals_list = [
        {
            "move_type": "in_invoice",
            "partner_id": venue.id,
            "invoice_date": today,
            "ref": f"BENCH-{venue.id}",
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "name": f"Ligne {n}",
                        "account_id": expense.id,
                        "quantity": 1,
                        "price_unit": 10.0 * (n + 1),
                    },
                )
                for n in range(3)
            ],
        }
        for venue in venues
    ]
    queries = env.cr.sql_log_count
    start = time.perf_counter()
    bills = env["account.move"].create(vals_list)
    bills.action_post()
    env.flush_all()
    env.cr.commit()
    elapsed = time.perf_counter() - start
    return elapsed, env.cr.sql_log_count - queries, len(bills), len(bills.line_ids)


def bench_clearing(env, company):
    Run = env["pass.clearing.run"]
    start_period, end_period = Run._default_period()
    run = Run.search([("company_id", "=", company.id), ("period_end", "=", end_period)])
    run = run or Run.create(
        {
            "company_id": company.id,
            "period_start": start_period,
            "period_end": end_period,
        }
    )
    before = run.remittance_ids
    env.cr.commit()
    queries = env.cr.sql_log_count
    start = time.perf_counter()
    run.action_run()
    env.flush_all()
    env.cr.commit()
    elapsed = time.perf_counter() - start
    if run.state != "done":
        raise SystemExit(f"bench_clearing: the clearing run failed: {run.last_error}")
    return elapsed, env.cr.sql_log_count - queries, run, run.remittance_ids - before


def main():
    args = parse_args(__doc__.splitlines()[0])
    venues_count = scaled(2000, minimum=2)
    tag = uuid.uuid4().hex[:6]
    with odoo_env(args) as env:
        company = prepare_company(env)
        env.cr.commit()
        t0 = time.perf_counter()
        venues, passes = prepare_passes(env, company, venues_count, tag)
        env.cr.commit()
        setup_time = time.perf_counter() - t0

        bills_time, bills_queries, bills, bill_items = bench_bills(env, venues)
        run_time, run_queries, run, remittances = bench_clearing(env, company)
        order = run.payment_order_id
        lines = len(remittances.move_id.line_ids)
        print_table(
            f"Clearing {passes:,} passes of {venues_count:,} venues vs "
            f"{bills:,} vendor bills (data made in {setup_time:.0f} s, not timed)",
            ["Operation", "Documents", "Journal items", "Seconds", "SQL queries"],
            [
                [
                    "Odoo: create + post vendor bills of 3 lines",
                    bills,
                    bill_items,
                    bills_time,
                    bills_queries,
                ],
                [
                    "Clearing run: remittances + entries + SEPA order",
                    len(remittances),
                    lines,
                    run_time,
                    run_queries,
                ],
                [
                    "Ratio clearing / bills (aim <= 1.5)",
                    "",
                    "",
                    run_time / bills_time,
                    "",
                ],
            ],
        )
        print(
            f"Payment order {order.name}: {len(order.payment_line_ids):,} transfers, "
            f"{order.total_company_currency:,.2f} EUR, state {order.state}."
        )


if __name__ == "__main__":
    main()
