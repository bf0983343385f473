"""Benchmark: issuing passes against Odoo's own gift-card generator.

In one run on one database: issue 10,000 books of 10 passes (100,000 passes)
with ``pass.program.issue_books``, then generate as many gift cards with the
loyalty generator wizard (``loyalty.generate.wizard`` on a gift-card
programme, as the "Generate gift cards" button does), each timed up to its
commit. Prints both rates and their ratio (aim: issuing >= 20x faster).
``BENCH_SCALE=0.1`` issues a tenth of it.
"""

import time
import uuid

from bench_common import odoo_env, parse_args, print_table, scaled

PASSES_PER_BOOK = 10


def main():
    args = parse_args(__doc__.splitlines()[0])
    books = scaled(10000)
    passes = books * PASSES_PER_BOOK
    tag = uuid.uuid4().hex[:6]
    with odoo_env(args) as env:
        if "loyalty.generate.wizard" not in env:
            raise SystemExit(
                "bench_issue: the loyalty addon is not installed in %s "
                "(run_bench.sh installs it)" % args.db
            )
        funder = env["res.partner"].create(
            {
                "name": f"Bench funder {tag}",
                "is_pass_funder": True,
                "pass_funder_type": "state",
            }
        )
        program = env["pass.program"].create(
            {
                "name": f"Bench issue {tag}",
                "code": f"BENCH-{tag}",
                "face_value": 10.0,
                "date_end": "2099-12-31",
                "funding_ids": [(0, 0, {"partner_id": funder.id, "share": 100.0})],
            }
        )
        program.action_activate()
        Loyalty = env["loyalty.program"]
        gift_program = Loyalty.create(
            dict(
                Loyalty._get_template_values()["gift_card"],
                name=f"Bench gift cards {tag}",
            )
        )
        env.cr.commit()

        queries = env.cr.sql_log_count
        start = time.perf_counter()
        book_ids = program.issue_books(books, PASSES_PER_BOOK)
        env.flush_all()
        env.cr.commit()
        issue_seconds = time.perf_counter() - start
        issue_queries = env.cr.sql_log_count - queries
        issued = env["pass.voucher"].search_count([("book_id", "in", book_ids)])
        codes = env["pass.voucher"].search_count(
            [("program_id", "=", program.id), ("code", "!=", False)]
        )
        assert issued == passes == codes, (issued, passes, codes)

        queries = env.cr.sql_log_count
        start = time.perf_counter()
        wizard = env["loyalty.generate.wizard"].create(
            {
                "program_id": gift_program.id,
                "mode": "anonymous",
                "coupon_qty": passes,
                "points_granted": 10.0,
            }
        )
        wizard.generate_coupons()
        env.flush_all()
        env.cr.commit()
        loyalty_seconds = time.perf_counter() - start
        loyalty_queries = env.cr.sql_log_count - queries
        cards = env["loyalty.card"].search_count([("program_id", "=", gift_program.id)])
        assert cards == passes, (cards, passes)

    issue_rate = passes / issue_seconds
    loyalty_rate = passes / loyalty_seconds
    print_table(
        f"Issuing {books:,} books = {passes:,} passes vs {passes:,} Odoo gift cards",
        ["method", "items", "SQL queries", "seconds", "items/s", "ratio"],
        [
            [
                "pass.program.issue_books",
                passes,
                issue_queries,
                issue_seconds,
                issue_rate,
                issue_rate / loyalty_rate,
            ],
            [
                "loyalty.generate.wizard (gift cards)",
                passes,
                loyalty_queries,
                loyalty_seconds,
                loyalty_rate,
                1.0,
            ],
        ],
    )
    print(
        f"issue_books is {issue_rate / loyalty_rate:.1f}x Odoo's gift-card "
        "generator (aim: >= 20x)"
    )


if __name__ == "__main__":
    main()
