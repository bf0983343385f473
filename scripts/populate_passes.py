#!/usr/bin/env python3
# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Fill a database with a realistic volume of passes, fast, for benchmarks.

    $PY scripts/populate_passes.py --db NAME --count 2000000 [--conf odoo.conf]

The few hundred partners and programmes go through the ORM (constraints,
computed départements); books, hand-overs, beneficiaries and passes are
written by a handful of ``INSERT ... SELECT ... FROM generate_series`` with
query parameters, spread deterministically over two years, ~40 programmes,
~12 funders, 300 venues in Gironde and Charente and 60 prescribers. Each run
adds a new batch (its own prefix), so it can be run again on the same base.
Never on a production database: the passes it writes have fake codes.
"""

import argparse
import logging
import os
import sys
import time

_logger = logging.getLogger("populate_passes")

COMMUNES = [
    ("33000", "Bordeaux"),
    ("33100", "Bordeaux"),
    ("33200", "Bordeaux"),
    ("33300", "Bordeaux"),
    ("33400", "Talence"),
    ("33600", "Pessac"),
    ("33700", "Mérignac"),
    ("33500", "Libourne"),
    ("33390", "Blaye"),
    ("33120", "Arcachon"),
    ("33210", "Langon"),
    ("33430", "Bazas"),
    ("16000", "Angoulême"),
    ("16100", "Cognac"),
    ("16200", "Jarnac"),
    ("16300", "Barbezieux-Saint-Hilaire"),
    ("16400", "La Couronne"),
    ("16500", "Confolens"),
    ("16700", "Ruffec"),
    ("16600", "Ruelle-sur-Touvre"),
]
FUNDER_TYPES = ["state", "departement", "commune", "social", "company", "association"]
AGE_BANDS = ["under_18", "18_24", "25_39", "40_59", "60_74", "75_plus"]
SITUATIONS = [
    "job_seeker",
    "employed",
    "retired",
    "student",
    "minimum_income",
    "disability",
    "other",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database (with pass_numerique)")
    parser.add_argument("--count", type=int, default=2_000_000, help="passes to add")
    parser.add_argument(
        "--conf", default=os.environ.get("PASS_ODOO_CONF"), help="odoo.conf"
    )
    parser.add_argument(
        "--odoo-src", default=os.environ.get("ODOO_SRC", "/opt/odoo-18.0")
    )
    parser.add_argument("--passes-per-book", type=int, default=10)
    parser.add_argument("--programs", type=int, default=40)
    parser.add_argument("--funders", type=int, default=12)
    parser.add_argument("--venues", type=int, default=300)
    parser.add_argument("--prescribers", type=int, default=60)
    return parser.parse_args()


def build_partners(env, args, tag):
    """Funders, venues and prescribers of this batch (ORM: a few hundred)."""
    Partner = env["res.partner"].with_context(tracking_disable=True)
    fr = env.ref("base.fr")
    services = env["pass.service"].search([])
    funders = Partner.create(
        [
            {
                "name": f"Financeur {tag}-{i:02d}",
                "is_company": True,
                "is_pass_funder": True,
                "pass_funder_type": FUNDER_TYPES[i % len(FUNDER_TYPES)],
            }
            for i in range(args.funders)
        ]
    )
    from odoo.addons.pass_numerique.tools.guard import guarded_write

    # Fixtures: venues are created qualified, as data files do.
    with guarded_write():
        venues = Partner.create(
            [
                {
                    "name": f"Lieu {tag}-{i:03d}",
                    "is_company": True,
                    "is_pass_venue": True,
                    "pass_venue_state": "qualified",
                    "zip": COMMUNES[i % len(COMMUNES)][0],
                    "city": COMMUNES[i % len(COMMUNES)][1],
                    "country_id": fr.id,
                    "pass_service_ids": [(6, 0, services.ids)],
                }
                for i in range(args.venues)
            ]
        )
    prescribers = Partner.create(
        [
            {
                "name": f"Prescripteur {tag}-{i:02d}",
                "is_company": True,
                "is_pass_prescriber": True,
            }
            for i in range(args.prescribers)
        ]
    )
    return funders, venues, prescribers, services


def build_programs(env, args, tag, funders, services):
    """Programmes of this batch, one funder in two co-funded by the next."""
    today = time.strftime("%Y-%m-%d")
    vals = []
    for i in range(args.programs):
        first, second = funders[i % len(funders)], funders[(i + 1) % len(funders)]
        fundings = (
            [
                (0, 0, {"partner_id": first.id, "share": 60.0}),
                (0, 0, {"partner_id": second.id, "share": 40.0}),
            ]
            if i % 2
            else [(0, 0, {"partner_id": first.id, "share": 100.0})]
        )
        vals.append(
            {
                "name": f"Dispositif {tag}-{i:02d}",
                "code": f"{tag}-{i:02d}",
                "face_value": 10.0 if i % 3 else 15.0,
                "date_start": "2020-01-01",
                "date_end": f"{int(today[:4]) + 3}-12-31",
                "validity_months": 24,
                "territory_zips": "33, 16",
                "funding_ids": fundings,
            }
        )
    programs = env["pass.program"].with_context(tracking_disable=True).create(vals)
    programs.write({"state": "active"})
    return programs


def insert_bulk(env, args, tag, programs, venues, prescribers, services):
    cr = env.cr
    nbooks = max(1, args.count // args.passes_per_book)
    company = env.company
    started = time.time()
    # Books: 9 in 10 handed to a prescriber, issued over the last two years.
    cr.execute(
        """
        INSERT INTO pass_book (name, program_id, company_id, passes_per_book, holder_id,
                               state, funders_paid, date_issue, date_expiry,
                               create_uid, create_date, write_uid, write_date)
        SELECT %(tag)s || '-' || lpad(g::text, 8, '0'),
               (%(programs)s::int[])[1 + g %% %(nprog)s],
               %(company)s, %(ppb)s,
               CASE WHEN g %% 10 = 0 THEN NULL
                    ELSE (%(prescribers)s::int[])[1 + (g / 7) %% %(npres)s] END,
               CASE WHEN g %% 10 = 0 THEN 'available' ELSE 'distributed' END,
               true,
               current_date - (g %% 730),
               current_date - (g %% 730) + 730,
               1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
          FROM generate_series(1, %(nbooks)s) g
        """,
        {
            "tag": tag,
            "programs": programs.ids,
            "nprog": len(programs),
            "company": company.id,
            "ppb": args.passes_per_book,
            "prescribers": prescribers.ids,
            "npres": len(prescribers),
            "nbooks": nbooks,
        },
    )
    _logger.info("%s books in %.1fs", nbooks, time.time() - started)
    cr.execute(
        """
        INSERT INTO pass_book_distribution (book_id, program_id, company_id, holder_id,
                                            date, user_id, create_uid, create_date,
                                            write_uid, write_date)
        SELECT id, program_id, company_id, holder_id,
               date_issue + ((id %% 20) || ' days')::interval, 1,
               1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
          FROM pass_book
         WHERE name LIKE %(prefix)s AND holder_id IS NOT NULL
        """,
        {"prefix": tag + "-%"},
    )
    # Beneficiaries: one per handed book in 3 (the others not recorded).
    nben = max(1, nbooks // 3)
    cr.execute(
        """
        INSERT INTO pass_beneficiary (reference, prescriber_id, age_band, situation,
                                      zip,
                                      consent_date, company_id, create_uid, create_date,
                                      write_uid, write_date)
        SELECT %(tag)s || '-B' || g,
               (%(prescribers)s::int[])[1 + g %% %(npres)s],
               (%(bands)s::varchar[])[1 + (g * 7) %% 6],
               (%(situations)s::varchar[])[1 + (g * 11) %% 7],
               (%(zips)s::varchar[])[1 + g %% %(nzips)s],
               current_date, %(company)s,
               1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
          FROM generate_series(1, %(nben)s) g
        RETURNING id
        """,
        {
            "tag": tag,
            "prescribers": prescribers.ids,
            "npres": len(prescribers),
            "bands": AGE_BANDS,
            "situations": SITUATIONS,
            "zips": [z for z, _c in COMMUNES],
            "nzips": len(COMMUNES),
            "company": company.id,
            "nben": nben,
        },
    )
    ben_ids = sorted(r[0] for r in cr.fetchall())
    _logger.info(
        "hand-overs and %s beneficiaries in %.1fs", nben, time.time() - started
    )
    # Passes: the state from a hash of the pass; used ones at a venue for a
    # service, 0 to 120 days after the hand-over.
    cr.execute(
        """
        INSERT INTO pass_voucher (code, book_id, number, program_id, company_id,
                                  currency_id,
                                  amount, state, date_expiry, venue_id, service_id,
                                  redeemed_at, redeemed_by_id, beneficiary_id,
                                  create_uid, create_date, write_uid, write_date)
        SELECT x.code, x.book_id, x.number, x.program_id, x.company_id, x.currency_id,
               x.amount, x.state, x.date_expiry,
               CASE WHEN x.used
                    THEN (%(venues)s::int[])[1 + (x.h / 7) %% %(nvenues)s] END,
               CASE WHEN x.used
                    THEN (%(services)s::int[])[1 + (x.h / 3) %% %(nservices)s] END,
               CASE WHEN x.used THEN LEAST(
                    x.date_issue + ((x.book_id %% 20) + (x.h %% 120)) * interval '1 day'
                        + interval '10 hours',
                    now() at time zone 'UTC' - interval '1 hour') END,
               CASE WHEN x.used THEN 1 END,
               CASE WHEN x.book_id %% 3 = 0 AND x.holder_id IS NOT NULL
                    THEN (%(bens)s::int[])[1 + (x.book_id / 3) %% %(nbens)s] END,
               1, now() at time zone 'UTC', 1,
               -- Last changed when redeemed, else when issued: as in real
               -- life, few passes were changed in the last minutes (what the
               -- incremental refresh of the analyses reads).
               CASE WHEN x.used THEN LEAST(
                    x.date_issue + ((x.book_id %% 20) + (x.h %% 120)) * interval '1 day'
                        + interval '10 hours',
                    now() at time zone 'UTC' - interval '1 hour')
                    ELSE LEAST(x.date_issue + interval '9 hours',
                               now() at time zone 'UTC' - interval '1 hour') END
          FROM (
            SELECT 'T' || b.id || '-' || n AS code, b.id AS book_id, n AS number,
                   b.program_id, b.company_id, p.currency_id, p.face_value AS amount,
                   b.date_issue, b.date_expiry, b.holder_id,
                   ((b.id * 31 + n) * 2654435761) %% 1000003 AS h,
                   CASE
                       WHEN b.holder_id IS NULL THEN 'available'
                       WHEN ((b.id * 31 + n) * 2654435761) %% 1000003 %% 100 < 30
                           THEN 'redeemed'
                       WHEN ((b.id * 31 + n) * 2654435761) %% 1000003 %% 100 < 50
                           THEN 'settled'
                       WHEN ((b.id * 31 + n) * 2654435761) %% 1000003 %% 100 < 60
                           THEN 'expired'
                       WHEN ((b.id * 31 + n) * 2654435761) %% 1000003 %% 100 < 62
                           THEN 'cancelled'
                       ELSE 'distributed'
                   END AS state,
                   (b.holder_id IS NOT NULL
                    AND ((b.id * 31 + n) * 2654435761) %% 1000003 %% 100 < 50) AS used
              FROM pass_book b
              JOIN pass_program p ON p.id = b.program_id
             CROSS JOIN generate_series(1, %(ppb)s) n
             WHERE b.name LIKE %(prefix)s
          ) x
        """,
        {
            "prefix": tag + "-%",
            "ppb": args.passes_per_book,
            "venues": venues.ids,
            "nvenues": len(venues),
            "services": services.ids,
            "nservices": len(services),
            "bens": ben_ids,
            "nbens": len(ben_ids),
        },
    )
    _logger.info("%s passes in %.1fs", cr.rowcount, time.time() - started)
    return nbooks, nben, cr.rowcount


def populate(dbname, count, **options):
    """Add a batch of ``count`` passes to ``dbname``; returns the pass count.

    Odoo must be importable and configured (``odoo.tools.config``) already:
    ``main`` does it, and so does ``scripts/bench_reports.py``, which calls
    this function when its database holds fewer passes than it needs.
    ``options`` are the other arguments of the command line (``programs``,
    ``funders``, ``venues``, ``prescribers``, ``passes_per_book``).
    """
    import odoo
    from odoo import api
    from odoo.sql_db import db_connect

    defaults = {
        "passes_per_book": 10,
        "programs": 40,
        "funders": 12,
        "venues": 300,
        "prescribers": 60,
    }
    unknown = set(options) - set(defaults)
    if unknown:
        raise TypeError(f"unknown options: {sorted(unknown)}")
    args = argparse.Namespace(db=dbname, count=count, **{**defaults, **options})
    registry = odoo.modules.registry.Registry(args.db)
    tag = "P" + time.strftime("%y%m%d%H%M%S")
    started = time.time()
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {"lang": "fr_FR"})
        funders, venues, prescribers, services = build_partners(env, args, tag)
        programs = build_programs(env, args, tag, funders, services)
        env.flush_all()
        nbooks, nben, npasses = insert_bulk(
            env, args, tag, programs, venues, prescribers, services
        )
    # Outside the transaction: statistics and visibility map for the planner.
    with db_connect(args.db).cursor() as cr:
        cr._cnx.autocommit = True
        for table in (
            "pass_book",
            "pass_book_distribution",
            "pass_beneficiary",
            "pass_voucher",
        ):
            cr.execute(f"VACUUM ANALYZE {table}")  # fixed table names, no input
    _logger.info(
        "batch %s: %s programmes, %s books, %s beneficiaries, %s passes in %.1fs",
        tag,
        len(programs),
        nbooks,
        nben,
        npasses,
        time.time() - started,
    )
    return npasses


def main():
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sys.path.insert(0, args.odoo_src)
    import odoo

    odoo.tools.config.parse_config(["-c", args.conf] if args.conf else [])
    populate(
        args.db,
        args.count,
        passes_per_book=args.passes_per_book,
        programs=args.programs,
        funders=args.funders,
        venues=args.venues,
        prescribers=args.prescribers,
    )


if __name__ == "__main__":
    main()
