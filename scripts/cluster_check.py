"""`make cluster-test`: the cluster of scripts/cluster.sh does what it is for.

Against the two Odoo servers (127.0.0.1 only) and the two PostgreSQL
servers of `make cluster`, on its demo database:

1. the funder dashboard and statements are read on the replica: the
   replica's transaction count on the database (pg_stat_database, read from
   another database of the replica) grows with each page;
2. redemptions are served by the primary: 8 redemptions through two sessions
   move the replica's count by at most one session check per session, and
   the passes are redeemed on the primary;
3. an attachment written through one server is read through the other (one
   filestore);
4. wrong codes typed through both servers add up to the one guessing limit;
5. the replica stopped: the dashboard is still served (Odoo falls back to the
   primary), then the replica is started again (Odoo's workers try it again
   20 minutes later: scripts/cluster.sh restarts the servers after this).

Prints one line per check and exits 1 if one fails. Its fixtures (a book of
passes distributed to the demo prescriber) are made on the primary through
the ORM, as the benchmarks do.
"""

import argparse
import base64
import importlib.util
import json
import os
import subprocess
import sys
import time
import uuid

import psycopg2
import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

FUNDER = ("financeur@example.com", "financeur")
VENUE = ("lieu-demo", "lieu-demo")
ADMIN = ("admin", "admin")
failures = []


def report(ok, label, detail=""):
    print(f"[cluster-test] {'ok  ' if ok else 'FAIL'} {label} {detail}".rstrip())
    if not ok:
        failures.append(label)


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--ports", nargs=2, type=int, required=True)
    parser.add_argument("--replica-port", type=int, required=True)
    parser.add_argument("--replica-run", required=True)
    parser.add_argument("--replica-data", required=True)
    parser.add_argument("--pgbin", required=True)
    parser.add_argument("--primary-port", type=int, default=5439)
    return parser.parse_args()


def replica_xacts(args):
    """Transactions the replica served on the database so far (read from the
    replica's ``postgres`` database, so that reading does not count)."""
    with (
        psycopg2.connect(
            host="127.0.0.1",
            port=args.replica_port,
            user="odoo",
            password="odoo",
            dbname="postgres",
        ) as cnx,
        cnx.cursor() as cr,
    ):
        cr.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = %s",
            [args.db],
        )
        row = cr.fetchone()
    cnx.close()
    return row[0] if row else 0


def settled_xacts(args, timeout=15):
    """The count once the servers' backends have reported their statistics
    (PostgreSQL flushes them within a second or so of going idle)."""
    previous = replica_xacts(args)
    deadline = time.time() + timeout
    while time.time() < deadline:
        time.sleep(1.5)
        current = replica_xacts(args)
        if current == previous:
            return current
        previous = current
    return previous


def wait_for_replica(args, timeout=30):
    """Wait until the replica has replayed everything the primary wrote so
    far; returns the seconds waited."""
    start = time.time()
    with primary(args) as cnx, cnx.cursor() as cr:
        cr.execute("SELECT pg_current_wal_lsn()")
        target = cr.fetchone()[0]
    cnx.close()
    with (
        psycopg2.connect(
            host="127.0.0.1",
            port=args.replica_port,
            user="odoo",
            password="odoo",
            dbname="postgres",
        ) as cnx,
        cnx.cursor() as cr,
    ):
        cnx.autocommit = True
        while time.time() - start < timeout:
            cr.execute(
                "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s) >= 0", [target]
            )
            if cr.fetchone()[0]:
                break
            time.sleep(0.05)
    cnx.close()
    return time.time() - start


def session(port, db, login_password):
    login, password = login_password
    http = requests.Session()
    http.base = f"http://127.0.0.1:{port}"
    answer = http.post(
        http.base + "/web/session/authenticate",
        json={"params": {"db": db, "login": login, "password": password}},
        timeout=60,
    )
    answer.raise_for_status()
    assert answer.json().get("result", {}).get("uid"), answer.text[:300]
    return http


def json_call(http, route, **params):
    answer = http.post(http.base + route, json={"params": params}, timeout=60)
    answer.raise_for_status()
    body = answer.json()
    if "error" in body:
        raise RuntimeError(json.dumps(body["error"])[:500])
    return body["result"]


def call_kw(http, model, method, args, kwargs=None):
    return json_call(
        http,
        f"/web/dataset/call_kw/{model}/{method}",
        model=model,
        method=method,
        args=args,
        kwargs=kwargs or {},
    )


def fixtures(args):
    """A book of 10 passes of the demo Gironde programme, distributed to the
    demo prescriber, for the demo venue; committed on the primary."""
    from bench_common import odoo_env

    with odoo_env(args) as env:
        program = env.ref("pass_numerique.pass_program_gironde_demo")
        prescriber = env.ref("pass_numerique.res_partner_prescriber_ccas_bordeaux_demo")
        venue = env.ref("pass_numerique.res_users_venue_demo").partner_id
        venue = venue.commercial_partner_id
        book = env["pass.book"].browse(program.issue_books(1, 10))
        book.distribute(prescriber.id)
        env.cr.commit()
        return {
            "codes": book.voucher_ids.mapped("code"),
            "venue_id": venue.id,
            "user_id": env.ref("pass_numerique.res_users_venue_demo").id,
            "service": venue.pass_service_ids[:1].code,
        }


def primary(args):
    return psycopg2.connect(
        host="127.0.0.1",
        port=args.primary_port,
        user="odoo",
        password="odoo",
        dbname=args.db,
    )


def pass_code_module():
    """The addon's code helpers (pure Python, standard library only)."""
    path = os.path.join(HERE, "..", "addons", "pass_numerique", "tools", "pass_code.py")
    spec = importlib.util.spec_from_file_location("pass_code_for_checks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def unknown_code():
    """A well-formed code (valid check digit) that no pass has."""
    pass_code = pass_code_module()
    body = str(uuid.uuid4().int % 10**15).zfill(15)
    return body + str(pass_code.damm_digit(body))


def main():
    args = parse()
    a, b = args.ports
    data = fixtures(args)

    # 1. Reads on the replica.
    funders = [session(a, args.db, FUNDER), session(b, args.db, FUNDER)]
    before = settled_xacts(args)
    pages = 0
    for http in funders:
        for url in ("/my/pass-funding", "/my/pass-statements"):
            answer = http.get(http.base + url, timeout=60)
            report(answer.status_code == 200, f"GET {url} via {http.base}")
            pages += 1
    after = settled_xacts(args)
    report(
        after - before >= pages,
        "dashboard and statements read on the replica",
        f"({pages} pages, +{after - before} transactions on the replica)",
    )

    # 2. Redemptions on the primary.
    venues = [session(a, args.db, VENUE), session(b, args.db, VENUE)]
    before = settled_xacts(args)
    redeemed = []
    for n, code in enumerate(data["codes"][:8]):
        http = venues[n % 2]
        result = json_call(
            http, "/my/pass-counter/redeem", code=code, service_code=data["service"]
        )
        if result.get("ok"):
            redeemed.append(code)
        else:
            report(False, f"redeem via {http.base}", json.dumps(result)[:200])
    after = settled_xacts(args)
    # Odoo checks a session now and then in a read-only transaction (its
    # token, its inactivity limit): at most one per session here, never one
    # per redemption.
    report(
        after - before <= len(venues),
        "redemptions served by the primary",
        f"({len(redeemed)} redeemed, +{after - before} transactions on the replica:"
        " session checks)",
    )
    with primary(args) as cnx, cnx.cursor() as cr:
        cr.execute(
            "SELECT count(*) FROM pass_voucher WHERE code = ANY(%s) "
            "AND state = 'redeemed' AND venue_id = %s",
            [redeemed, data["venue_id"]],
        )
        count = cr.fetchone()[0]
    report(
        len(redeemed) == 8 and count == 8,
        "passes redeemed through both servers are redeemed on the primary",
        f"({count}/8)",
    )

    # 3. One filestore.
    admin_a, admin_b = session(a, args.db, ADMIN), session(b, args.db, ADMIN)
    payload = os.urandom(64 * 1024)
    attachment_id = call_kw(
        admin_a,
        "ir.attachment",
        "create",
        [
            {
                "name": f"cluster-{uuid.uuid4().hex[:8]}.bin",
                "datas": base64.b64encode(payload).decode(),
            }
        ],
    )
    # /web/content is a read-only route: server B reads the attachment's row
    # on the replica, once the replica has replayed its creation.
    lag = wait_for_replica(args)
    answer = admin_b.get(f"{admin_b.base}/web/content/{attachment_id}", timeout=60)
    report(
        answer.status_code == 200 and answer.content == payload,
        "an attachment written through server A is read through server B",
        f"(HTTP {answer.status_code}, replica caught up in {lag * 1000:.0f} ms)",
    )
    call_kw(admin_a, "ir.attachment", "unlink", [[attachment_id]])

    # 4. One guessing limit for both servers.
    refused_at = None
    for n in range(12):
        http = venues[n % 2]
        result = json_call(
            http, "/my/pass-counter/check", code=unknown_code(), service_code=""
        )
        if result.get("reason") == "too_many_attempts":
            refused_at = n + 1
            break
    report(
        refused_at == 11,
        "wrong codes through both servers count against one limit",
        f"(refused at attempt {refused_at}, limit 10)",
    )
    with primary(args) as cnx, cnx.cursor() as cr:
        # The demo venue is not left blocked.
        cr.execute(
            "DELETE FROM pass_rate_limit WHERE (scope = 'venue' AND key = %s) "
            "OR (scope = 'user' AND key = %s) OR scope = 'ip'",
            [str(data["venue_id"]), str(data["user_id"])],
        )

    # 5. The replica stopped: reads still served.
    pg_ctl = [os.path.join(args.pgbin, "pg_ctl"), "-D", args.replica_data]
    if os.getuid() == 0:
        pg_ctl = ["runuser", "-u", "postgres", "--", *pg_ctl]
    subprocess.run(
        [*pg_ctl, "-w", "-m", "fast", "stop"], check=True, capture_output=True
    )
    try:
        for http in funders:
            statuses = [
                http.get(http.base + "/my/pass-funding", timeout=120).status_code
                for _n in range(3)
            ]
            report(
                statuses == [200, 200, 200],
                f"replica stopped: the dashboard is served by {http.base}",
                f"{statuses}",
            )
    finally:
        subprocess.run(
            [
                *pg_ctl,
                "-w",
                "-t",
                "120",
                "-l",
                os.path.join(os.path.dirname(args.replica_data), "replica.log"),
                "start",
            ],
            check=True,
            capture_output=True,
        )
    print(
        "[cluster-test] "
        + ("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    )
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
