"""`make load`: a month-end load on the cluster of `make cluster` (locust).

Only against 127.0.0.1 (the two Odoo servers of scripts/cluster.sh), bounded
in time (LOAD_SECONDS) and in count (each user stops after its work):

- N venues (LOAD_VENUES) redeem their real passes at the counter through the
  JSON routes, K each (LOAD_CODES), plus a few passes of the next venue
  (LOAD_CONTESTED: two venues race for them), pausing LOAD_THINK seconds
  between two passes (a range, default 0.1-0.5: a busy counter); they look
  at "today" now and then and send their remittance half-way and at the
  end;
- M funders (LOAD_FUNDERS) open their dashboard and statement pages
  (LOAD_FUNDER_PAGES each): read-only routes, served by the replica;
- at the same time, an accountant runs one clearing (today's period) on
  server A and a print batch (LOAD_PRINT_BOOKS books) is printed on server B.

Venues and funders are spread over both servers. Everybody logs in first
(logging in hashes the password: a burst of logins is not the month-end
rush): the clock of the rush starts when all are logged in. Afterwards it checks that
no pass was taken twice (one accepted answer per code, one venue per pass)
and that no request was lost (every accepted redemption is a redeemed pass
in the database and the other way round, every remittance sent exists), then
prints a table of p50/p95/p99 latency and errors per action and one line:
``load: <requests> requests, <errors> errors, p95 redeem <ms> ms, replica
reads <n>`` (transactions the replica served on the database meanwhile).
"""

import argparse
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time

# gevent 22.10's monkey-patching loads its plugins through pkg_resources,
# which misses the zope.interface distribution of this virtualenv (named
# zope_interface): load them without that requirement check.
import gevent.events
import pkg_resources


def _entry_points(group):
    for entry_point in pkg_resources.iter_entry_points(group):
        entry_point.load = entry_point.resolve
        yield entry_point


gevent.events.iter_entry_points = _entry_points

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import psycopg2  # noqa: E402
from locust import HttpUser, between, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.exception import StopUser  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_REFUSALS = {"already_redeemed"}


def env_int(name, default):
    return int(os.environ.get(name, default))


def think_range(text):
    """'0.1-0.5' (seconds) -> (0.1, 0.5); '2' -> (2.0, 2.0)."""
    low, _sep, high = text.partition("-")
    low, high = float(low), float(high or low)
    if not 0 <= low <= high <= 600:
        raise argparse.ArgumentTypeError(f"bad pause range: {text}")
    return low, high


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--odoo-src", required=True)
    parser.add_argument("--ports", nargs=2, type=int, required=True)
    parser.add_argument("--replica-port", type=int, required=True)
    parser.add_argument("--primary-port", type=int, default=5439)
    parser.add_argument("--venues", type=int, default=env_int("LOAD_VENUES", 8))
    parser.add_argument("--funders", type=int, default=env_int("LOAD_FUNDERS", 3))
    parser.add_argument("--codes", type=int, default=env_int("LOAD_CODES", 20))
    parser.add_argument("--contested", type=int, default=env_int("LOAD_CONTESTED", 3))
    parser.add_argument(
        "--funder-pages", type=int, default=env_int("LOAD_FUNDER_PAGES", 15)
    )
    parser.add_argument(
        "--print-books", type=int, default=env_int("LOAD_PRINT_BOOKS", 40)
    )
    parser.add_argument(
        "--think",
        type=think_range,
        default=think_range(os.environ.get("LOAD_THINK") or "0.1-0.5"),
        help="a venue's pause between two passes, seconds (LOAD_THINK)",
    )
    parser.add_argument(
        "--spawn-rate",
        type=float,
        default=float(os.environ.get("LOAD_SPAWN_RATE") or 10),
        help="users logging in per second before the rush (LOAD_SPAWN_RATE)",
    )
    parser.add_argument("--seconds", type=int, default=env_int("LOAD_SECONDS", 120))
    return parser.parse_args()


# ---------------------------------------------------------------- shared state
class Shared:
    data = None
    hosts = ()
    answers = []  # (code, venue_id, ok, reason)
    remittances = []  # ids of the remittances sent
    errors = []
    contested = 0
    funder_pages = 0
    print_batch_id = None
    think = (0.1, 0.5)
    users = 0
    logged_in = 0
    finished = 0  # users that did all their work
    ready = None  # set when every user is logged in


def arrived():
    """Count a user as logged in (or refused: it will not come)."""
    Shared.logged_in += 1
    if Shared.logged_in >= Shared.users:
        Shared.ready.set()


def wait_for_everybody():
    """Count this user as logged in, then wait for the others (at most two
    minutes): the rush starts when everybody is at the counter."""
    arrived()
    Shared.ready.wait(timeout=120)


def fire(environment, name, started, exception=None, request_type="ODOO"):
    environment.events.request.fire(
        request_type=request_type,
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=0,
        exception=exception,
        context={},
    )


def json_body(params):
    return {"jsonrpc": "2.0", "method": "call", "params": params}


def login(client, db, login_, password):
    with client.post(
        "/web/session/authenticate",
        json=json_body({"db": db, "login": login_, "password": password}),
        name="login",
        catch_response=True,
    ) as answer:
        # A connection refused or reset has no status (0): not ``answer.ok``,
        # which raises the connection error instead of counting it.
        try:
            uid = answer.status_code == 200 and (
                (answer.json().get("result") or {}).get("uid")
            )
        except ValueError:
            uid = None
        if not uid:
            answer.failure(
                f"login refused: HTTP {answer.status_code} {(answer.text or '')[:200]}"
            )
            arrived()  # the others do not wait for a user that never comes
            raise StopUser()


class VenueUser(HttpUser):
    """A venue's counter: redeem, look at today, send the remittance."""

    instances = itertools.count()

    def wait_time(self):
        return random.uniform(*Shared.think)

    def __init__(self, environment):
        self.index = next(VenueUser.instances)
        self.host = Shared.hosts[self.index % 2]
        super().__init__(environment)

    def on_start(self):
        venues = Shared.data["venues"]
        me = self.me = venues[self.index % len(venues)]
        nxt = venues[(self.index + 1) % len(venues)]
        codes = list(me["codes"]) + list(nxt["codes"][: Shared.contested])
        random.shuffle(codes)
        self.codes = codes
        self.done = 0
        self.sent = 0
        login(self.client, Shared.data["db"], me["login"], me["password"])
        wait_for_everybody()
        # Venues do not all scan their first pass at the same instant.
        gevent.sleep(random.uniform(0, Shared.think[1]))

    def _remit(self):
        page = self.client.get("/my/pass/remittances", name="remittances page")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text or "")
        if not token:
            return
        with self.client.post(
            "/my/pass/remittances/new",
            data={"csrf_token": token[1]},
            name="remittance send",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            found = re.search(
                r"/my/pass/remittances/(\d+)", answer.headers.get("Location", "")
            )
            if answer.status_code in (301, 302, 303) and found:
                Shared.remittances.append(int(found[1]))
            elif answer.status_code in (301, 302, 303):
                # Nothing to send (another venue took the contested passes).
                pass
            else:
                answer.failure(f"HTTP {answer.status_code}")

    @task
    def counter(self):
        if not self.codes:
            self._remit()
            Shared.finished += 1
            raise StopUser()
        code = self.codes.pop()
        with self.client.post(
            "/my/pass-counter/redeem",
            json=json_body({"code": code, "service_code": self.me["service"]}),
            name="redeem",
            catch_response=True,
        ) as answer:
            try:
                body = answer.json()
            except ValueError:
                answer.failure(f"HTTP {answer.status_code}")
                return
            if "error" in body:
                answer.failure(json.dumps(body["error"])[:200])
                return
            result = body["result"]
            Shared.answers.append(
                (
                    code,
                    self.me["venue_id"],
                    bool(result.get("ok")),
                    result.get("reason"),
                )
            )
            if not result.get("ok") and result.get("reason") not in EXPECTED_REFUSALS:
                answer.failure(f"refused: {result.get('reason')}")
        self.done += 1
        if self.done % 5 == 0:
            self.client.post(
                "/my/pass-counter/today", json=json_body({}), name="counter today"
            )
        if self.done == len(self.me["codes"]) // 2:
            self._remit()


class FunderUser(HttpUser):
    """A funder's staff on the dashboard and the statements (read-only)."""

    wait_time = between(0.5, 1.5)
    instances = itertools.count()

    def __init__(self, environment):
        self.index = next(FunderUser.instances)
        self.host = Shared.hosts[(self.index + 1) % 2]
        super().__init__(environment)

    def on_start(self):
        funders = Shared.data["funders"]
        self.me = funders[self.index % len(funders)]
        self.pages = 0
        login(self.client, Shared.data["db"], self.me["login"], self.me["password"])
        wait_for_everybody()

    @task(3)
    def dashboard(self):
        self._page("/my/pass-funding", "funder dashboard")

    @task(1)
    def statement(self):
        self._page(
            f"/my/pass-statements/funder/{self.me['funder_id']}", "funder statement"
        )

    def _page(self, url, name):
        if self.pages >= Shared.funder_pages:
            Shared.finished += 1
            raise StopUser()
        self.pages += 1
        self.client.get(url, name=name)


# ---------------------------------------------------------------- back office
def call_kw(http, base, model, method, args, kwargs=None):
    answer = http.post(
        f"{base}/web/dataset/call_kw/{model}/{method}",
        json=json_body(
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        ),
        timeout=600,
    )
    answer.raise_for_status()
    body = answer.json()
    if "error" in body:
        raise RuntimeError(
            body["error"].get("data", {}).get("message") or body["error"]
        )
    return body["result"]


def admin_session(base, db):
    import requests

    http = requests.Session()
    http.post(
        f"{base}/web/session/authenticate",
        json=json_body({"db": db, "login": "admin", "password": "admin"}),
        timeout=60,
    ).raise_for_status()
    return http


def clearing_run(environment, base, db, company_id):
    """One clearing of today's period, as an accountant does (server A)."""
    gevent.sleep(5)
    http = admin_session(base, db)
    today = time.strftime("%Y-%m-%d")
    started = time.perf_counter()
    try:
        ids = call_kw(
            http,
            base,
            "pass.clearing.run",
            "search",
            [[("company_id", "=", company_id), ("period_end", "=", today)]],
        )
        if not ids:
            ids = [
                call_kw(
                    http,
                    base,
                    "pass.clearing.run",
                    "create",
                    [
                        {
                            "company_id": company_id,
                            "period_start": today,
                            "period_end": today,
                        }
                    ],
                )
            ]
        call_kw(http, base, "pass.clearing.run", "action_run", [ids[:1]])
        fire(environment, "clearing run", started)
    except Exception as error:
        fire(environment, "clearing run", started, exception=error)
        Shared.errors.append(f"clearing run: {error}")


def print_batch(environment, base, other_base, db, book_ids, company_id):
    """A print batch on server B; its PDF downloaded through server A."""
    gevent.sleep(8)
    http = admin_session(base, db)
    started = time.perf_counter()
    try:
        batch_id = call_kw(
            http,
            base,
            "pass.print.batch",
            "create",
            [{"company_id": company_id, "book_ids": [(6, 0, book_ids)]}],
        )
        call_kw(http, base, "pass.print.batch", "action_print", [[batch_id]])
        fire(environment, "print batch", started)
    except Exception as error:
        fire(environment, "print batch", started, exception=error)
        Shared.errors.append(f"print batch: {error}")
        return
    Shared.print_batch_id = batch_id
    other = admin_session(other_base, db)
    started = time.perf_counter()
    try:
        batch = call_kw(
            other,
            other_base,
            "pass.print.batch",
            "read",
            [[batch_id], ["state", "pdf_attachment_id"]],
        )[0]
        if batch["state"] != "done" or not batch["pdf_attachment_id"]:
            raise RuntimeError(f"batch {batch_id} is {batch['state']}")
        # Read on the replica once it has replayed the batch.
        for _n in range(50):
            pdf = other.get(
                f"{other_base}/web/content/{batch['pdf_attachment_id'][0]}", timeout=120
            )
            if pdf.status_code != 404:
                break
            gevent.sleep(0.1)
        if pdf.status_code != 200 or not pdf.content.startswith(b"%PDF"):
            raise RuntimeError(f"PDF through the other server: HTTP {pdf.status_code}")
        fire(environment, "print PDF (other server)", started)
    except Exception as error:
        fire(environment, "print PDF (other server)", started, exception=error)
        Shared.errors.append(f"print PDF: {error}")


# ---------------------------------------------------------------- checks
def replica_xacts(args):
    cnx = psycopg2.connect(
        host="127.0.0.1",
        port=args.replica_port,
        user="odoo",
        password="odoo",
        dbname="postgres",
    )
    with cnx, cnx.cursor() as cr:
        cr.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = %s",
            [args.db],
        )
        value = cr.fetchone()[0]
    cnx.close()
    return value


def checks(args):
    """(label, ok, detail) of the checks after the load."""
    results = []
    accepted = {}
    for code, venue_id, ok, _reason in Shared.answers:
        if ok:
            accepted.setdefault(code, []).append(venue_id)
    twice = {code: v for code, v in accepted.items() if len(v) > 1}
    results.append(
        ("no pass accepted twice", not twice, f"{len(accepted)} passes accepted")
    )
    codes = [code for v in Shared.data["venues"] for code in v["codes"]]
    cnx = psycopg2.connect(
        host="127.0.0.1",
        port=args.primary_port,
        user="odoo",
        password="odoo",
        dbname=args.db,
    )
    with cnx, cnx.cursor() as cr:
        cr.execute(
            "SELECT code, venue_id FROM pass_voucher WHERE code = ANY(%s) "
            "AND state IN ('redeemed', 'settled')",
            [codes],
        )
        in_db = dict(cr.fetchall())
        cr.execute(
            "SELECT voucher_id, count(*) FROM pass_redemption_attempt "
            "WHERE ok AND voucher_id IN (SELECT id FROM pass_voucher "
            "WHERE code = ANY(%s)) GROUP BY voucher_id HAVING count(*) > 1",
            [codes],
        )
        logged_twice = cr.fetchall()
        cr.execute(
            "SELECT count(*) FROM pass_remittance WHERE id = ANY(%s)",
            [Shared.remittances],
        )
        remittances = cr.fetchone()[0]
    cnx.close()
    results.append(
        (
            "no pass redeemed twice in the database",
            not logged_twice,
            f"{len(logged_twice)} passes with 2 accepted attempts",
        )
    )
    lost = {c for c in accepted if c not in in_db}
    ghost = {c for c in in_db if c not in accepted}
    wrong_venue = {c for c, v in accepted.items() if c in in_db and in_db[c] != v[0]}
    results.append(
        (
            "no request lost",
            not lost and not ghost and not wrong_venue,
            f"{len(in_db)} redeemed in the database for {len(accepted)} accepted "
            f"answers ({len(lost)} lost, {len(ghost)} unanswered, "
            f"{len(wrong_venue)} at another venue)",
        )
    )
    results.append(
        (
            "every remittance sent exists",
            remittances == len(Shared.remittances),
            f"{remittances}/{len(Shared.remittances)}",
        )
    )
    # A user that crashed (a connection reset, an unexpected answer) made
    # no request the table counts: it did not finish its work.
    results.append(
        (
            "every user did all its work",
            Shared.finished == Shared.users,
            f"{Shared.finished}/{Shared.users}",
        )
    )
    return results


def table(stats):
    rows = []
    for entry in sorted(stats.entries.values(), key=lambda e: e.name):
        if not entry.num_requests:
            continue
        rows.append(
            [
                entry.name,
                entry.num_requests,
                entry.num_failures,
                entry.get_response_time_percentile(0.5),
                entry.get_response_time_percentile(0.95),
                entry.get_response_time_percentile(0.99),
            ]
        )
    total = stats.total
    rows.append(
        [
            "all",
            total.num_requests,
            total.num_failures,
            total.get_response_time_percentile(0.5),
            total.get_response_time_percentile(0.95),
            total.get_response_time_percentile(0.99),
        ]
    )
    headers = ["action", "requests", "errors", "p50 ms", "p95 ms", "p99 ms"]
    cells = [headers] + [
        [f"{c:.0f}" if isinstance(c, float) else str(c) for c in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    print()
    for n, row in enumerate(cells):
        print(
            "| "
            + " | ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
            + " |"
        )
        if n == 0:
            print(
                "|"
                + "|".join(
                    ("-" * (w + 1) + (":" if i else "-")) for i, w in enumerate(widths)
                )
                + "|"
            )
    print()


def main():
    args = parse()
    hosts = [f"http://127.0.0.1:{port}" for port in args.ports]
    started = time.time()
    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        subprocess.run(
            [
                sys.executable,
                os.path.join(HERE, "load_setup.py"),
                "--db",
                args.db,
                "--conf",
                args.conf,
                "--odoo-src",
                args.odoo_src,
                "--venues",
                str(args.venues),
                "--funders",
                str(args.funders),
                "--codes",
                str(args.codes),
                "--print-books",
                str(args.print_books),
                "--out",
                out.name,
            ],
            check=True,
        )
        Shared.data = json.load(out)
    Shared.hosts = hosts
    Shared.contested = args.contested
    Shared.funder_pages = args.funder_pages
    VenueUser.fixed_count = args.venues
    FunderUser.fixed_count = args.funders
    # Let the replica replay the fixtures before the funders read it.
    time.sleep(2)
    replica_before = replica_xacts(args)

    environment = Environment(user_classes=[VenueUser, FunderUser])
    runner = environment.create_local_runner()
    users = args.venues + args.funders
    Shared.think = args.think
    Shared.users = users
    Shared.ready = gevent.event.Event()
    # Users log in at spawn_rate a second: the servers' listen queues are
    # short (8 per worker) and a reverse proxy would queue the rest.
    runner.start(users, spawn_rate=min(users, max(args.spawn_rate, 0.1)))
    # Logins first (their times are in the table), then the rush: its
    # figures start from zero, and the back office starts with it.
    Shared.ready.wait(timeout=120 + users / max(args.spawn_rate, 0.1))
    login_stats = environment.stats.get("login", "POST")
    logins = (login_stats.num_requests, login_stats.num_failures)
    login_p95 = login_stats.get_response_time_percentile(0.95)
    environment.stats.reset_all()
    rush_started = time.time()
    back_office = [
        gevent.spawn(
            clearing_run, environment, hosts[0], args.db, Shared.data["company_id"]
        ),
        gevent.spawn(
            print_batch,
            environment,
            hosts[1],
            hosts[0],
            args.db,
            Shared.data["print_book_ids"],
            Shared.data["company_id"],
        ),
    ]
    deadline = time.time() + args.seconds
    gevent.sleep(2)
    while time.time() < deadline and runner.user_count > 0:
        gevent.sleep(0.5)
    timed_out = runner.user_count > 0
    rush_seconds = max(time.time() - rush_started, 1.0)
    runner.quit()
    gevent.joinall(back_office, timeout=max(60, deadline - time.time()))
    gevent.sleep(3)  # the servers' backends report their statistics
    replica_reads = replica_xacts(args) - replica_before

    stats = environment.stats
    print(
        f"\n### Month-end load: {args.venues} venues x {args.codes} passes "
        f"(+{args.contested} contested), {args.funders} funders x "
        f"{args.funder_pages} pages, 1 clearing run, 1 print batch of "
        f"{args.print_books} books, 2 servers, a venue's pause "
        f"{args.think[0]:g}-{args.think[1]:g} s; the rush took "
        f"{rush_seconds:.0f} s ({time.time() - started:.0f} s in all)"
    )
    table(stats)
    print(
        f"(before it: {logins[0]} logins, {logins[1]} refused, p95 "
        f"{login_p95:.0f} ms; redemptions per second in the rush: "
        f"{stats.get('redeem', 'POST').num_requests / rush_seconds:.1f})"
    )
    failed = False
    for label, ok, detail in checks(args):
        print(f"[load] {'ok  ' if ok else 'FAIL'} {label} ({detail})")
        failed = failed or not ok
    if timed_out:
        print(f"[load] FAIL the users had not finished after {args.seconds} s")
        failed = True
    for error in Shared.errors:
        print(f"[load] error: {error}")
    for error in list(stats.errors.values())[:10]:
        print(
            f"[load] error x{error.occurrences}: {error.name}: {str(error.error)[:200]}"
        )
    redeem = stats.get("redeem", "POST")
    errors = stats.total.num_failures + logins[1]
    print(
        f"load: {stats.total.num_requests + logins[0]} requests, {errors} errors, "
        f"p95 redeem {redeem.get_response_time_percentile(0.95):.0f} ms, "
        f"replica reads {replica_reads}"
    )
    sys.exit(1 if failed or errors else 0)


if __name__ == "__main__":
    main()
