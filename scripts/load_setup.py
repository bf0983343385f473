"""Fixtures of the month-end load test (scripts/load_run.py), on the primary.

Creates, with a tag of its own so that runs never share anything: a
programme of the Gironde (the demo venue's territory) funded by M new
funders, N qualified venues (copies of the demo venue, with its services)
each with a portal user, one portal user per funder, K distributed passes
per venue (real codes, books distributed to the demo prescriber) and a few
undistributed books for the print batch. Writes what the load needs as JSON
to --out. Every client of the load is 127.0.0.1: the per-IP guessing limit
is raised for the database (as the integration tests do).
"""

import json
import math
import sys
import uuid
from datetime import date

from bench_common import odoo_env, parse_args


def extra(parser):
    parser.add_argument("--venues", type=int, default=8)
    parser.add_argument("--funders", type=int, default=3)
    parser.add_argument("--codes", type=int, default=20, help="passes per venue")
    parser.add_argument("--print-books", type=int, default=40)
    parser.add_argument("--out", required=True)


def main():
    args = parse_args(__doc__.splitlines()[0], extra)
    tag = uuid.uuid4().hex[:6]
    with odoo_env(args) as env:
        from odoo import Command

        from odoo.addons.pass_numerique.tools.guard import guarded_write

        env["ir.config_parameter"].sudo().set_param(
            "pass_numerique.max_refused_attempts_ip", "1000000"
        )
        demo_venue = env.ref("pass_numerique.res_users_venue_demo").partner_id
        demo_venue = demo_venue.commercial_partner_id
        prescriber = env.ref("pass_numerique.res_partner_prescriber_ccas_bordeaux_demo")
        gironde = env.ref("l10n_fr_department.res_country_department_gironde")
        portal = env.ref("base.group_portal")
        company = env.company
        Partner = env["res.partner"]
        funders = Partner.create(
            [
                {
                    "name": f"Financeur charge {j} {tag}",
                    "is_company": True,
                    "is_pass_funder": True,
                    "pass_funder_type": "commune",
                }
                for j in range(args.funders)
            ]
        )
        shares = [math.floor(10000 / args.funders) / 100] * args.funders
        shares[0] = round(100 - sum(shares[1:]), 2)
        today = date.today()
        program = env["pass.program"].create(
            {
                "name": f"Charge fin de mois {tag}",
                "code": f"LOAD-{tag}",
                "company_id": company.id,
                "face_value": 10.0,
                "date_start": date(today.year, 1, 1).isoformat(),
                "date_end": date(today.year + 1, 12, 31).isoformat(),
                "department_ids": [Command.set(gironde.ids)],
                "funding_ids": [
                    Command.create({"partner_id": funder.id, "share": share})
                    for funder, share in zip(funders, shares, strict=True)
                ],
            }
        )
        program.action_activate()
        venues = Partner.browse()
        with guarded_write():
            for i in range(args.venues):
                venues |= demo_venue.copy(
                    {
                        "name": f"Lieu charge {i} {tag}",
                        "is_pass_venue": True,
                        "pass_venue_state": "qualified",
                        "pass_service_ids": [
                            Command.set(demo_venue.pass_service_ids.ids)
                        ],
                        "child_ids": [],
                    }
                )

        def portal_user(login, organisation):
            contact = Partner.create(
                {"name": f"Accueil {login}", "parent_id": organisation.id}
            )
            return env["res.users"].create(
                {
                    "name": contact.name,
                    "login": login,
                    "password": login,
                    "partner_id": contact.id,
                    "groups_id": [Command.set(portal.ids)],
                }
            )

        venue_users = [
            portal_user(f"load-venue-{i}-{tag}", v) for i, v in enumerate(venues)
        ]
        funder_users = [
            portal_user(f"load-funder-{j}-{tag}", f) for j, f in enumerate(funders)
        ]
        books = env["pass.book"].browse(
            program.issue_books(math.ceil(args.venues * args.codes / 10), 10)
        )
        books.distribute(prescriber.id)
        codes = books.voucher_ids.sorted(lambda v: (v.book_id.id, v.number)).mapped(
            "code"
        )
        print_books = program.issue_books(args.print_books, 10)
        service = demo_venue.pass_service_ids[:1].code
        data = {
            "tag": tag,
            "db": args.db,
            "program_id": program.id,
            "company_id": company.id,
            "print_book_ids": print_books,
            "venues": [
                {
                    "login": user.login,
                    "password": user.login,
                    "venue_id": venue.id,
                    "service": service,
                    "codes": codes[i * args.codes : (i + 1) * args.codes],
                }
                for i, (user, venue) in enumerate(zip(venue_users, venues, strict=True))
            ],
            "funders": [
                {"login": user.login, "password": user.login, "funder_id": funder.id}
                for user, funder in zip(funder_users, funders, strict=True)
            ],
        }
        env.cr.commit()
    with open(args.out, "w") as out:
        json.dump(data, out)
    print(
        f"[load] fixtures {tag}: {args.venues} venues x {args.codes} passes, "
        f"{args.funders} funders, {args.print_books} books to print",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
