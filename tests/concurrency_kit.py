"""What the tests of real concurrency share (two database transactions at
once, in this process, on the Odoo registry of the test database): the
superuser's environment on a cursor, a company of its own with the French
chart, ``Race``, which runs two transactions against each other, and
``click``, the button clicks they race with.

A helper module, not a test module: ``test_settlement_concurrency`` and
``test_subscription_concurrency`` both import it.
"""

import threading
import time


def env_of(cr, company_id=None):
    """The superuser's environment on ``cr`` (in French); with
    ``company_id``, that company is the allowed one."""
    from odoo import SUPERUSER_ID, api

    context = {"lang": "fr_FR"}
    if company_id:
        context["allowed_company_ids"] = [company_id]
    return api.Environment(cr, SUPERUSER_ID, context)


def french_company(env, name):
    """A new company ``name`` in Paris with the French chart (and so the
    settlement's defaults); returns it in an environment where it is the
    allowed company."""
    company = env["res.company"].create(
        {
            "name": name,
            "currency_id": env.ref("base.EUR").id,
            "country_id": env.ref("base.fr").id,
            "city": "Paris",
            "zip": "75002",
        }
    )
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    env["account.chart.template"].try_loading("fr", company=company, install_demo=False)
    return env["res.company"].browse(company.id)


def click(model, record_id, method):
    """An action for ``Race`` (or a retry): the button ``method`` of the
    record ``record_id`` of ``model``, clicked in the environment given."""

    def action(env):
        getattr(env[model].browse(record_id), method)()

    return action


class Race:
    """Run ``first`` and ``second`` in two threads with two cursors: the
    first does its work and keeps its transaction open until the second is
    seen waiting on a lock (or has finished: refused at once); then the first
    commits. Each outcome is "ok" or the exception raised."""

    def __init__(self, registry, world):
        self.registry = registry
        self.world = world
        self.first_done = threading.Event()
        self.release = threading.Event()
        self.second_pid = None
        self.second_finished = threading.Event()
        self.outcome = {}

    def _env(self, cr):
        return env_of(cr, self.world["company_id"])

    def _first(self, action):
        try:
            with self.registry.cursor() as cr:
                action(self._env(cr))
                cr.flush()
                self.first_done.set()
                assert self.release.wait(60), "second transaction never blocked"
            self.outcome["first"] = "ok"
        except Exception as error:  # reported to the test
            self.outcome["first"] = error
        finally:
            self.first_done.set()

    def _second(self, action):
        try:
            assert self.first_done.wait(60)
            with self.registry.cursor() as cr:
                cr.execute("SELECT pg_backend_pid()")
                self.second_pid = cr.fetchone()[0]
                action(self._env(cr))
            self.outcome["second"] = "ok"
        except Exception as error:
            self.outcome["second"] = error
        finally:
            self.second_finished.set()

    def run(self, first, second):
        threads = [
            threading.Thread(target=self._first, args=(first,)),
            threading.Thread(target=self._second, args=(second,)),
        ]
        for thread in threads:
            thread.start()
        blocked = False
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.second_finished.is_set():
            if self.second_pid and self._waiting(self.second_pid):
                blocked = True
                break
            time.sleep(0.05)
        self.release.set()
        for thread in threads:
            thread.join(120)
        return blocked

    def _waiting(self, pid):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
            )
            row = cr.fetchone()
            return bool(row and row[0] == "Lock")
