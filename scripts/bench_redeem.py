"""Benchmark: redemptions per second over JSON-RPC, beside a trivial call.

Starts an Odoo server with 4 workers on the database, then, as a venue's
portal user, measures with 1 and with 8 concurrent clients (threads, one
connection each) the rate of ``pass.voucher.redeem_code`` (each call redeems
a different pass) and, in the same run on the same server, the rate of a
trivial ``search_count``. Aim: redemption at least half the raw rate.
``BENCH_SCALE=0.1`` makes a tenth of the calls.
"""

import json
import sys
import threading
import time
import urllib.request
import uuid

from bench_common import odoo_env, odoo_server, parse_args, print_table, scaled

CONCURRENCY = (1, 8)
WORKERS = 4


class Client:
    """A JSON-RPC client of /jsonrpc (``execute_kw``), as odoorpc and the
    integrators' scripts call it, on its own connection."""

    def __init__(self, port, db, uid, password):
        self.url = f"http://127.0.0.1:{port}/jsonrpc"
        self.db, self.uid, self.password = db, uid, password
        self.opener = urllib.request.build_opener()

    def call(self, model, method, *args):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.db, self.uid, self.password, model, method, list(args)],
            },
        }
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=120) as resp:
            answer = json.loads(resp.read())
        if answer.get("error"):
            raise RuntimeError(
                answer["error"].get("data", {}).get("message") or answer["error"]
            )
        return answer["result"]


def timed(clients, count, work):
    """Make ``count`` calls ``work(client, i)`` spread over the clients (one
    thread each, started together). Returns (seconds, results)."""
    barrier = threading.Barrier(len(clients) + 1)
    results, errors = [], []
    lock = threading.Lock()

    def loop(client, indexes):
        barrier.wait()
        mine = []
        try:
            for i in indexes:
                mine.append(work(client, i))
        except Exception as exc:  # reported below, stops the benchmark
            with lock:
                errors.append(repr(exc))
        with lock:
            results.extend(mine)

    chunks = [range(k, count, len(clients)) for k in range(len(clients))]
    threads = [
        threading.Thread(target=loop, args=(c, ch))
        for c, ch in zip(clients, chunks, strict=False)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if errors:
        raise SystemExit(f"bench_redeem: calls failed: {errors[:3]}")
    return seconds, results


def prepare(args, passes):
    """A qualified venue with a portal user, and ``passes`` distributed passes."""
    tag = uuid.uuid4().hex[:6]
    with odoo_env(args) as env:
        service = env["pass.service"].create(
            {
                "code": f"bench_{tag}",
                "name": f"Atelier bench {tag}",
                "category": "daily_tools",
            }
        )
        Partner = env["res.partner"]
        funder = Partner.create(
            {
                "name": f"Bench funder {tag}",
                "is_pass_funder": True,
                "pass_funder_type": "state",
            }
        )
        prescriber = Partner.create(
            {
                "name": f"Bench prescriber {tag}",
                "is_company": True,
                "is_pass_prescriber": True,
            }
        )
        from odoo.addons.pass_numerique.tools.guard import guarded_write

        # Fixtures: venues are created qualified, as data files do.
        with guarded_write():
            venue = Partner.create(
                {
                    "name": f"Bench venue {tag}",
                    "is_company": True,
                    "is_pass_venue": True,
                    "pass_venue_state": "qualified",
                    "zip": "33000",
                    "city": "Bordeaux",
                    "country_id": env.ref("base.fr").id,
                    "pass_service_ids": [(6, 0, service.ids)],
                }
            )
        login = f"bench-venue-{tag}"
        contact = Partner.create({"name": login, "parent_id": venue.id})
        user = env["res.users"].create(
            {
                "name": login,
                "login": login,
                "password": login,
                "partner_id": contact.id,
                "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
            }
        )
        program = env["pass.program"].create(
            {
                "name": f"Bench redeem {tag}",
                "code": f"BENCHR-{tag}",
                "face_value": 10.0,
                "date_start": "2020-01-01",
                "date_end": "2099-12-31",
                "territory_zips": "33",
                "service_ids": [(6, 0, service.ids)],
                "funding_ids": [(0, 0, {"partner_id": funder.id, "share": 100.0})],
            }
        )
        program.action_activate()
        book_ids = program.issue_books(-(-passes // 10), 10)
        env["pass.book"].browse(book_ids).distribute(prescriber.id)
        codes = env["pass.voucher"].search([("book_id", "in", book_ids)]).mapped("code")
        return {
            "uid": user.id,
            "login": login,
            "venue": venue.id,
            "partner": contact.id,
            "service": service.code,
            "codes": codes,
        }


def main():
    args = parse_args(__doc__.splitlines()[0])
    calls = scaled(1000, minimum=20)
    warmup = 4 * WORKERS
    needed = (calls + warmup) * len(CONCURRENCY)
    data = prepare(args, needed)
    codes = iter(data["codes"])
    rows = []
    with odoo_server(args, workers=WORKERS) as port:

        def clients(n):
            return [
                Client(port, args.db, data["uid"], data["login"]) for _i in range(n)
            ]

        def raw(client, _i):
            return client.call(
                "res.partner", "search_count", [("id", "=", data["partner"])]
            )

        def redeem(client, i):
            answer = client.call(
                "pass.voucher", "redeem_code", batch[i], data["venue"], data["service"]
            )
            if not answer.get("ok"):
                raise RuntimeError(f"refused: {answer}")
            return answer

        for n in CONCURRENCY:
            pool = clients(n)
            # Warm every worker up (registry, credentials cache) first.
            batch = [next(codes) for _i in range(warmup)]
            timed(pool, warmup, raw)
            timed(pool, warmup, redeem)
            raw_seconds, raw_results = timed(pool, calls, raw)
            assert raw_results == [1] * calls, raw_results[:5]
            batch = [next(codes) for _i in range(calls)]
            redeem_seconds, answers = timed(pool, calls, redeem)
            assert len({a["voucher_id"] for a in answers}) == calls
            raw_rate = calls / raw_seconds
            redeem_rate = calls / redeem_seconds
            rows.append([n, calls, raw_rate, redeem_rate, redeem_rate / raw_rate])
            print(
                f"[bench_redeem] {n} client(s): {raw_rate:.1f} search_count/s, "
                f"{redeem_rate:.1f} redeem_code/s",
                file=sys.stderr,
                flush=True,
            )

    with odoo_env(args) as env:
        redeemed = env["pass.voucher"].search_count(
            [("code", "in", data["codes"]), ("state", "=", "redeemed")]
        )
    assert redeemed == needed, (redeemed, needed)
    print_table(
        f"Redemptions over JSON-RPC, server with {WORKERS} workers, as a venue's user",
        ["clients", "calls", "search_count/s", "redeem_code/s", "redeem / raw"],
        rows,
    )
    print(
        "aim: redeem_code at least half the rate of a trivial search_count "
        "(ratio >= 0.5)"
    )


if __name__ == "__main__":
    main()
