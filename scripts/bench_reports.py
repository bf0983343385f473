#!/usr/bin/env python3
# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Time every funder-dashboard figure and every back-office pivot query.

    $PY scripts/bench_reports.py --db NAME [--conf odoo.conf] [--runs 3]

The database needs 2,000,000 passes times the ``BENCH_SCALE`` environment
variable (default 1; ``--passes`` overrides): when it holds fewer, the
missing ones are added first by ``scripts/populate_passes.py``'s
``populate`` (a few minutes for 2,000,000), and the pass analysis is
refreshed whenever it does not hold one row per pass. Each line shows
the query's time (first run, best run) beside a plain ``search_count`` on
the same model and domain, timed in the same run, so a slow machine shows as
slow for both. The dashboard is the one of the funder with the most passes,
computed by the page's own code (``pass.funder.dashboard._figures``)
and query by query; the pivots are the ``read_group`` calls the web client
makes for the default pivot of each reporting action (totals, rows, columns,
rows x columns), as the admin user (record rules applied). The analyses
are tables kept up to date every minute by an incremental refresh and
rebuilt every hour: printed last, the time of an incremental refresh after
``--redeem`` passes were redeemed (1,000 by default), of the next one
(which recomputes them again: they are within its overlap), and of the full
rebuild (all rolled back).
"""

import argparse
import os
import statistics
import sys
import time

LIMIT_S = 1.0
# Passes in the database at BENCH_SCALE=1 (issue 6: 2,000,000 passes).
FULL_SIZE = 2_000_000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", default=os.environ.get("PASS_ODOO_CONF"))
    parser.add_argument(
        "--odoo-src", default=os.environ.get("ODOO_SRC", "/opt/odoo-18.0")
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--redeem",
        type=int,
        default=1000,
        help="passes redeemed before timing the incremental refresh",
    )
    parser.add_argument(
        "--passes",
        type=int,
        default=int(FULL_SIZE * float(os.environ.get("BENCH_SCALE") or 1)),
        help="passes the database must hold (default 2,000,000 x BENCH_SCALE)",
    )
    return parser.parse_args()


class Bench:
    def __init__(self, env, runs):
        self.env = env
        self.runs = runs
        self.rows = []

    def _time(self, fn):
        times = []
        for _i in range(self.runs):
            self.env.invalidate_all()
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return times

    def add(self, label, fn, model, domain):
        times = self._time(fn)
        ref = self._time(lambda: self.env[model].search_count(domain))
        self.rows.append((label, times[0], min(times), statistics.median(ref), model))

    def report(self, title):
        width = max(len(r[0]) for r in self.rows)
        print(title)
        print(f"{'query':<{width}}  first(ms)  best(ms)  search_count(ms)  model")
        slow = 0
        for label, first, best, ref, model in self.rows:
            flag = "" if best < LIMIT_S else "  SLOW"
            slow += bool(flag)
            print(
                f"{label:<{width}}  {first * 1000:9.0f}  {best * 1000:8.0f}  "
                f"{ref * 1000:16.0f}  {model}{flag}"
            )
        return slow


def bench_dashboard(bench, env, funder, programs):
    Report = env["pass.report"].sudo()
    domain = [("program_id", "in", programs.ids)]
    used = [*domain, ("state", "in", ("redeemed", "settled"))]
    people = [*domain, ("beneficiary_id", "!=", False)]
    queries = [
        (
            "books by programme and state",
            "pass.book",
            domain,
            ["program_id", "state"],
            ["__count"],
        ),
        (
            "passes by programme and state",
            "pass.report",
            domain,
            ["program_id", "state"],
            ["__count", "amount:sum", "distributed_count:sum"],
        ),
        (
            "mean delay and people by programme",
            "pass.report",
            used,
            ["program_id"],
            ["delay_days:avg", "people_count:count_distinct"],
        ),
        (
            "mean delay and people, all",
            "pass.report",
            used,
            [],
            ["delay_days:avg", "people_count:count_distinct"],
        ),
    ]
    for field in ("service_id", "venue_id"):
        queries.append(
            (
                f"used by {field}",
                "pass.report",
                used,
                [field],
                ["__count", "amount_redeemed:sum", "people_count:count_distinct"],
            )
        )
    queries += [
        (
            "used by département, commune",
            "pass.report",
            used,
            ["department_id", "commune"],
            ["__count", "amount_redeemed:sum", "people_count:count_distinct"],
        ),
        ("used by month", "pass.report", used, ["month:month"], ["__count"]),
        (
            "people by age band",
            "pass.report",
            people,
            ["age_band"],
            ["redeemed_count:sum", "people_count:count_distinct"],
        ),
        (
            "people by situation",
            "pass.report",
            people,
            ["situation"],
            ["redeemed_count:sum", "people_count:count_distinct"],
        ),
    ]
    for label, model, dom, groupby, aggregates in queries:
        bench.add(
            f"dashboard: {label}",
            lambda m=model, d=dom, g=groupby, a=aggregates: env[m]
            .sudo()
            ._read_group(d, groupby=g, aggregates=a),
            model,
            dom,
        )
    del Report


def bench_dashboard_page(bench, env, funder, programs):
    """The whole figure computation of the page, by the dashboard's code."""
    bench.add(
        "dashboard: whole page figures (all programmes)",
        lambda: env["pass.funder.dashboard"]._figures(funder, programs),
        "pass.report",
        [("program_id", "in", programs.ids)],
    )


def bench_pivots(bench, env):
    pivots = [
        ("Pass analysis", "pass.report", [], ["program_id"], ["state"], ["amount:sum"]),
        (
            "Redemption analysis",
            "pass.report",
            [("state", "in", ("redeemed", "settled"))],
            ["service_id"],
            ["month:month"],
            ["redeemed_count:sum", "amount_redeemed:sum"],
        ),
        (
            "Dashboard (pivot)",
            "pass.report",
            [],
            ["month:month"],
            [],
            [
                "distributed_count:sum",
                "redeemed_count:sum",
                "settled_count:sum",
                "expired_count:sum",
                "amount_redeemed:sum",
                "delay_days:avg",
            ],
        ),
        (
            "Beneficiaries analysis",
            "pass.report",
            [("beneficiary_id", "!=", False)],
            ["age_band"],
            ["situation"],
            ["people_count", "redeemed_count"],
        ),
        (
            "By département x month",
            "pass.report",
            [("state", "in", ("redeemed", "settled"))],
            ["department_id", "commune"],
            ["month:month"],
            ["redeemed_count:sum"],
        ),
        (
            "Funders analysis",
            "pass.funder.report",
            [],
            ["funder_id"],
            ["state"],
            ["amount_funded:sum"],
        ),
        (
            "Funders x month",
            "pass.funder.report",
            [("state", "in", ("redeemed", "settled"))],
            ["funder_id"],
            ["month:month"],
            ["amount_redeemed:sum"],
        ),
    ]
    for name, model, domain, rows, cols, measures in pivots:
        fields = ["__count", *measures]
        seen = set()
        for groupby in ([], rows, cols, rows + cols):
            if tuple(groupby) in seen:
                continue
            seen.add(tuple(groupby))
            label = f"pivot {name}: by {' x '.join(groupby) or 'total'}"
            bench.add(
                label,
                lambda m=model, d=domain, g=groupby, f=fields: env[m].read_group(
                    d, f, g, lazy=False
                ),
                model,
                domain,
            )


def bench_refreshes(env, count):
    """Time the incremental refresh after ``count`` redemptions (written as
    the redemption does: state, venue, service, redeemed_at, write_date), the
    next one (same passes again, within the overlap), and the full rebuild. The caller
    rolls it all back."""
    from datetime import timedelta

    from odoo.tools import SQL

    from odoo.addons.pass_numerique.models.pass_report import REFRESH_OVERLAP

    Report = env["pass.report"].sudo()
    cr = env.cr
    # The last refresh a minute ago: the window is the overlap plus a minute.
    Report._pass_mark_refreshed(cr.now() - timedelta(minutes=1))
    cr.execute(
        SQL(
            "SELECT count(*) FROM pass_voucher WHERE write_date > %s",
            cr.now() - timedelta(minutes=1) - REFRESH_OVERLAP,
        )
    )
    [already] = cr.fetchone()
    cr.execute(
        SQL(
            """
            UPDATE pass_voucher v
               SET state = 'redeemed', venue_id = x.venue_id,
                   service_id = x.service_id,
                   redeemed_at = now() at time zone 'UTC',
                   write_date = now() at time zone 'UTC'
              FROM (SELECT id,
                           (SELECT venue_id FROM pass_voucher
                             WHERE venue_id IS NOT NULL LIMIT 1) AS venue_id,
                           (SELECT service_id FROM pass_voucher
                             WHERE service_id IS NOT NULL LIMIT 1) AS service_id
                      FROM pass_voucher
                     WHERE state = 'distributed' AND mod(id, 97) = 0
                     LIMIT %s) x
             WHERE v.id = x.id
            """,
            count,
        )
    )
    redeemed = cr.rowcount
    start = time.perf_counter()
    Report._refresh_incremental()
    incremental = time.perf_counter() - start
    start = time.perf_counter()
    Report._refresh_incremental()
    idle = time.perf_counter() - start
    start = time.perf_counter()
    Report._refresh()
    full = time.perf_counter() - start
    print(
        f"\nincremental refresh after {redeemed:,} redemptions"
        f" ({already:,} passes changed in the window before): {incremental:.3f} s"
        f"\nthe next incremental refresh (the overlap recomputes the same"
        f" passes): {idle:.3f} s"
        f"\nfull rebuild of both analyses: {full:.1f} s"
    )


def prepare_database(registry, args):
    """Add the passes the bench needs and bring the pass analysis up to date."""
    import odoo
    from odoo import api

    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        total = env["pass.voucher"].search_count([])
    if total < args.passes:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from populate_passes import populate

        print(f"{args.db} holds {total:,} passes: adding {args.passes - total:,}")
        start = time.perf_counter()
        populate(args.db, args.passes - total)
        print(f"populated in {time.perf_counter() - start:.0f} s")
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        total = env["pass.voucher"].search_count([])
        if env["pass.report"].search_count([]) != total:
            start = time.perf_counter()
            env["pass.report"]._refresh()
            cr.commit()
            print(f"pass analysis refreshed in {time.perf_counter() - start:.0f} s")


def main():
    args = parse_args()
    sys.path.insert(0, args.odoo_src)
    import odoo
    from odoo import api

    odoo.tools.config.parse_config(["-c", args.conf] if args.conf else [])
    registry = odoo.modules.registry.Registry(args.db)
    prepare_database(registry, args)
    with registry.cursor() as cr:
        admin = api.Environment(cr, odoo.SUPERUSER_ID, {})
        env = admin(user=admin.ref("base.user_admin").id, context={"lang": "fr_FR"})
        total = env["pass.voucher"].search_count([])
        # The funder with the most passes: its dashboard is the slowest.
        [(funder, count)] = env["pass.funder.report"]._read_group(
            [],
            groupby=["funder_id"],
            aggregates=["__count"],
            order="__count desc",
            limit=1,
        ) or [(env["res.partner"], 0)]
        programs = env["pass.program"].search(
            [("funding_ids.partner_id", "=", funder.id), ("state", "!=", "draft")]
        )
        print(
            f"{total:,} passes in {args.db}; dashboard of {funder.name}: "
            f"{len(programs)} programmes, {count} passes; {args.runs} runs each\n"
        )
        bench = Bench(env, args.runs)
        bench.add(
            "plain search_count on pass.voucher",
            lambda: env["pass.voucher"].search_count([]),
            "pass.voucher",
            [],
        )
        bench_dashboard(bench, env, funder, programs)
        bench_dashboard_page(bench, env, funder, programs)
        bench_pivots(bench, env)
        slow = bench.report(f"Reporting queries on {total:,} passes")
        # What keeping the analyses fresh costs (rolled back).
        bench_refreshes(env, args.redeem)
        cr.rollback()
    print(
        f"\n{slow} queries over {LIMIT_S:.0f} s"
        if slow
        else f"\nall under {LIMIT_S:.0f} s"
    )
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
