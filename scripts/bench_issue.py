"""Benchmark: issuing passes against Odoo's own gift-card generator.

In one run on one database: issue 10,000 books of 10 passes (100,000 passes)
with ``pass.program.issue_books``, then generate as many gift cards with the
loyalty generator wizard (``loyalty.generate.wizard`` on a gift-card
programme, as the "Generate gift cards" button does), each timed up to its
commit. Prints both rates and their ratio (aims: issuing >= 50,000 passes/s,
close to what PostgreSQL inserts in a table with these indexes, and >= 20x
Odoo's generator). ``BENCH_SCALE=0.1`` issues a tenth of it.

issue_books runs its fast path when the database role may switch the per-row
foreign-key triggers off (``GRANT SET ON PARAMETER session_replication_role``,
given by scripts/setup.sh); the table says which path ran.
"""

import logging
import sys
import time
import uuid

import psycopg2
from bench_common import odoo_env, parse_args, print_table, scaled

PASSES_PER_BOOK = 10
# Passes issued per second by issue_books, at least.
AIM_RATE = 50000
# Gift cards generated per run of the loyalty wizard.
CHUNK = 10000


def generate_gift_cards(env, gift_program, count):
    """Generate ``count`` gift cards with the loyalty wizard, by runs of at
    most CHUNK cards (as a user would), each committed.

    Odoo's gift-card codes carry 32 random bits ('044' + 8 random hex digits
    of a uuid4): at this scale two cards of a run may well get the same code,
    the unique index refuses the run and the user has to start it again. A
    refused run is retried and counted, and its time is left out, so that
    the rate is the generator's best case. Returns (seconds, queries,
    collisions)."""
    seconds = queries = collisions = 0
    # The refused INSERT of a colliding run is logged with its 10,000 rows.
    logging.getLogger("odoo.sql_db").setLevel(logging.CRITICAL)
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        start_queries = env.cr.sql_log_count
        start = time.perf_counter()
        try:
            wizard = env["loyalty.generate.wizard"].create(
                {
                    "program_id": gift_program.id,
                    "mode": "anonymous",
                    "coupon_qty": size,
                    "points_granted": 10.0,
                }
            )
            wizard.generate_coupons()
            env.flush_all()
            env.cr.commit()
        except psycopg2.errors.UniqueViolation:
            env.cr.rollback()
            env.transaction.reset()
            collisions += 1
            if collisions > 20:
                raise
            continue
        seconds += time.perf_counter() - start
        queries += env.cr.sql_log_count - start_queries
        done += size
    return seconds, queries, collisions


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
        # Warm-up, not timed: the first call of each loads translations and
        # caches that a running server already has.
        program.issue_books(1, PASSES_PER_BOOK)
        generate_gift_cards(env, gift_program, PASSES_PER_BOOK)
        env.cr.commit()

        env.cr.execute(
            "SELECT has_parameter_privilege('session_replication_role', 'SET')"
        )
        fast_path = env.cr.fetchone()[0]
        queries = env.cr.sql_log_count
        start = time.perf_counter()
        book_ids = program.issue_books(books, PASSES_PER_BOOK)
        env.flush_all()
        env.cr.commit()
        issue_seconds = time.perf_counter() - start
        issue_queries = env.cr.sql_log_count - queries
        issued = env["pass.voucher"].search_count([("book_id", "in", book_ids)])
        assert issued == passes, (issued, passes)

        print(
            f"[bench_issue] issue_books: {passes:,} passes in {issue_seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        loyalty_seconds, loyalty_queries, collisions = generate_gift_cards(
            env, gift_program, passes
        )
        cards = env["loyalty.card"].search_count([("program_id", "=", gift_program.id)])
        assert cards == passes + PASSES_PER_BOOK, (cards, passes)

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
    print(
        f"issue_books: {issue_rate:,.0f} passes/s (aim: >= {AIM_RATE:,}), "
        + (
            "foreign keys checked once per referenced row"
            if fast_path
            else "foreign keys checked row by row (the database role may not "
            "SET session_replication_role: see scripts/setup.sh)"
        )
    )
    if collisions:
        print(
            f"Odoo's gift-card generator hit {collisions} duplicate code(s) "
            f"(runs of {CHUNK:,} cards refused by the unique index, retried, "
            "their time not counted): its codes carry 32 random bits."
        )


if __name__ == "__main__":
    main()
