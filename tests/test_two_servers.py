"""Two Odoo servers on one database: what must not assume one process.

Each "server" here is a thread with its own database connections, as two
Odoo hosts (or two prefork workers) have; nothing is shared between them but
PostgreSQL, as in production.

- Cron jobs: every scheduled action of our addons (clearing, expiry, print
  batches, analyses refresh, venue imports and sync, end of validity, ledger
  check; found by their XML ids, so a new one is covered too) is picked up
  by Odoo's cron runner with ``FOR NO KEY UPDATE SKIP LOCKED`` on its
  ir_cron row. Two runners started together on a ready job: its code runs
  once, the other runner skips it, and the job is not ready again until its
  next call. The jobs' own code is replaced by a slow counter here (the real
  jobs would clear or expire this test database's passes): what is tested
  is Odoo's runner on our jobs' rows.
- Rate limits of redemption attempts (``pass.rate.limit``) live in the
  database: attempts made through two servers at once add up, none is lost,
  and the limit refuses past it whichever server the attempt comes through.
"""

import os
import re
import threading
import time
import uuid
from unittest.mock import patch

DB = os.environ.get("PASS_TEST_DB")
# How long a fake job runs: long enough for the other runner to try it.
JOB_SECONDS = 1.0


def _env(cr, uid=None):
    from odoo import SUPERUSER_ID, api

    return api.Environment(cr, uid or SUPERUSER_ID, {})


def _our_crons(registry):
    """(id, xml id, model, method) of every scheduled action of our addons."""
    with registry.cursor() as cr:
        env = _env(cr)
        data = env["ir.model.data"].search(
            [
                ("model", "=", "ir.cron"),
                ("module", "in", ("pass_numerique", "pass_settlement")),
            ]
        )
        crons = []
        for row in data:
            cron = env["ir.cron"].browse(row.res_id)
            match = re.fullmatch(r"\s*model\.(\w+)\(\)\s*", cron.code or "")
            assert match, f"{row.complete_name}: code {cron.code!r}"
            crons.append((cron.id, row.complete_name, cron.model_id.model, match[1]))
        return crons


def test_our_crons_are_all_there(registry):
    names = {name for _id, name, _model, _method in _our_crons(registry)}
    for expected in (
        "pass_settlement.pass_clearing_run_cron",
        "pass_numerique.pass_voucher_cron_expire",
        "pass_numerique.pass_print_batch_cron",
        "pass_numerique.pass_report_cron_refresh",
        "pass_numerique.pass_report_cron_refresh_incremental",
        "pass_numerique.pass_venue_import_job_cron_sync",
        "pass_settlement.pass_venue_subscription_cron",
    ):
        assert expected in names


def _run_like_a_cron_worker(registry, job_id, outcome):
    """One iteration of ``ir.cron._process_jobs`` for ``job_id``, as a cron
    worker of another server does: acquire the job (or skip it), run it,
    commit its next call."""
    import odoo

    IrCron = registry["ir.cron"]
    threading.current_thread().dbname = DB
    db = odoo.sql_db.db_connect(DB)
    with db.cursor() as cron_cr:
        job = IrCron._acquire_one_job(cron_cr, job_id)
        if not job:
            outcome.append("skipped")
            return
        outcome.append("acquired")
        IrCron._process_job(db, cron_cr, job)


def _two_runners_at_once(registry, cron_id, name, model, method):
    # The registry as the cron workers will see it: Odoo's cron reloads a
    # registry another process signalled as changed (earlier tests of the
    # session may have), and the job's method is patched on that one.
    registry = registry.check_signaling()
    with registry.cursor() as cr:
        cr.execute(
            "SELECT nextcall, lastcall, active FROM ir_cron WHERE id = %s", [cron_id]
        )
        saved = cr.fetchone()
        # Ready now, as at its time.
        cr.execute(
            "UPDATE ir_cron SET nextcall = (now() at time zone 'UTC') "
            "- interval '1 minute', active = true WHERE id = %s",
            [cron_id],
        )
    runs = []

    def slow_job(records, *args, **kwargs):
        runs.append(threading.current_thread().name)
        time.sleep(JOB_SECONDS)

    outcome = []
    start = threading.Barrier(2)

    def server():
        start.wait()
        _run_like_a_cron_worker(registry, cron_id, outcome)

    try:
        with patch.object(registry[model], method, slow_job):
            threads = [
                threading.Thread(target=server, name=label)
                for label in ("server-a", "server-b")
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            # A third runner right after: the job is no longer ready.
            _run_like_a_cron_worker(registry, cron_id, outcome)
        assert len(runs) == 1, (name, runs)
        assert sorted(outcome) == ["acquired", "skipped", "skipped"], (name, outcome)
        with registry.cursor() as cr:
            cr.execute(
                "SELECT nextcall > (now() at time zone 'UTC'), failure_count "
                "FROM ir_cron WHERE id = %s",
                [cron_id],
            )
            later, failures = cr.fetchone()
        assert later and not failures, (name, later, failures)
    finally:
        with registry.cursor() as cr:
            cr.execute(
                "UPDATE ir_cron SET nextcall = %s, lastcall = %s, active = %s "
                "WHERE id = %s",
                [*saved, cron_id],
            )


def test_cron_jobs_never_run_twice_at_once(registry):
    for cron_id, name, model, method in _our_crons(registry):
        _two_runners_at_once(registry, cron_id, name, model, method)


def test_rate_limits_shared_by_two_servers(registry):
    """Two servers, 6 wrong attempts each at once, one venue and one user:
    12 attempts counted (none lost), the 11th and 12th refused (limit 10),
    whichever server they came through; an attempt through either server
    is refused afterwards."""
    from odoo import Command

    tag = uuid.uuid4().hex[:8]
    with registry.cursor() as cr:
        env = _env(cr)
        venue = env["res.partner"].create({"name": f"Lieu deux serveurs {tag}"})
        user = env["res.users"].create(
            {
                "name": f"Guichet deux serveurs {tag}",
                "login": f"two_servers_{tag}",
                "groups_id": [Command.set([env.ref("base.group_portal").id])],
            }
        )
        limits = env["pass.rate.limit"]._settings()
        venue_id, user_id = venue.id, user.id
    assert limits["venue"] == limits["user"] == 10, limits
    per_server = 6
    refused = []
    start = threading.Barrier(2)

    def server(label):
        start.wait()
        for _n in range(per_server):
            with registry.cursor() as cr:
                env = _env(cr, user_id)
                _ticket, blocked = env["pass.rate.limit"]._take_slot(
                    env["res.partner"].browse(venue_id)
                )
                if blocked:
                    refused.append(label)

    threads = [threading.Thread(target=server, args=(x,)) for x in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert len(refused) == 2 * per_server - limits["venue"], refused
        with registry.cursor() as cr:
            cr.execute(
                "SELECT scope, count FROM pass_rate_limit "
                "WHERE (scope = 'venue' AND key = %s) OR (scope = 'user' AND key = %s)",
                [str(venue_id), str(user_id)],
            )
            assert dict(cr.fetchall()) == {"venue": 12, "user": 12}
        for _label in "ab":
            with registry.cursor() as cr:
                env = _env(cr, user_id)
                _ticket, blocked = env["pass.rate.limit"]._take_slot(
                    env["res.partner"].browse(venue_id)
                )
                assert blocked
    finally:
        with registry.cursor() as cr:
            cr.execute(
                "DELETE FROM pass_rate_limit "
                "WHERE (scope = 'venue' AND key = %s) OR (scope = 'user' AND key = %s)",
                [str(venue_id), str(user_id)],
            )
