# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Reads on the replica, writes on the primary.

Odoo serves a route declared ``readonly=True`` with a cursor on the replica
(``db_replica_host``/``db_replica_port``) and, when the route must write
after all, rolls back and serves it again on the primary. Under the test
runner a read-only route's transaction is ``SET TRANSACTION READ ONLY``, as on
a hot standby: a page that writes shows here as a "retrying with a
read/write cursor" warning.

- the pages that only read are declared read-only: the funder dashboard,
  the statements, the public venue page, the counter's "today" figures;
  the counter (check, redeem, cancel), the remittances and the prescribers'
  hand-over stay on the primary, and so do the model methods behind the
  counter, the remittances and the clearing run (RPC / buttons);
- each read-only page is served without a retry (it really only reads);
- a read-only page that has to write is served all the same, on the
  primary, and its write is kept.
"""

import inspect
import threading
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from odoo.addons.pass_numerique.models.pass_funder_dashboard import (
    PassFunderDashboard,
)

from .test_statement import StatementCommon

READONLY_ROUTES = {
    "/my/pass-funding",
    "/my/pass-funding/<int:program_id>",
    "/my/pass-statements",
    "/my/pass-statements/funder/<int:partner_id>",
    "/my/pass-statements/venue/<int:partner_id>",
    "/pass/lieux/<string:program_id>/<string:token>",
    "/my/pass-counter/today",
}
PRIMARY_ROUTES = {
    "/my/pass-counter",
    "/my/passes",
    "/my/pass-counter/check",
    "/my/pass-counter/redeem",
    "/my/pass-counter/cancel",
    "/my/pass/remittances",
    "/my/pass/remittances/new",
    "/my/pass/remittances/<int:remittance_id>",
    "/my/pass-books",
    "/my/pass-books/<string:book_id>/hand",
}
# Models whose public methods (RPC, buttons) move passes or money: none of
# ours may be served on the replica (Odoo does so only for methods marked
# @api.readonly; its own read methods, search_read and the like, are).
PRIMARY_MODELS = ("pass.voucher", "pass.remittance", "pass.clearing.run")
RETRY = "retrying with a read/write cursor"


@tagged("post_install", "-at_install")
class TestReadonlyRoutes(StatementCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        cls.funder_user = cls._portal_user(cls.state_funder, "ro_funder")
        cls.venue_user = cls._portal_user(cls.venue, "ro_venue")

    def _routes(self):
        # The routing map is built for the thread's database, as in a request.
        thread = threading.current_thread()
        with patch.object(thread, "dbname", self.env.cr.dbname, create=True):
            rules = list(self.env["ir.http"].routing_map().iter_rules())
        return {
            rule.rule: rule.endpoint.routing
            for rule in rules
            if rule.rule in READONLY_ROUTES | PRIMARY_ROUTES
        }

    def test_declarations(self):
        routes = self._routes()
        self.assertEqual(set(routes), READONLY_ROUTES | PRIMARY_ROUTES)
        self.assertEqual(
            {path for path, routing in routes.items() if routing["readonly"] is True},
            READONLY_ROUTES,
        )
        for model in PRIMARY_MODELS:
            for name, method in inspect.getmembers(
                type(self.env[model]), inspect.isfunction
            ):
                ours = method.__module__.startswith("odoo.addons.pass_")
                if ours and not name.startswith("_"):
                    self.assertFalse(getattr(method, "_readonly", False), name)

    def _assert_read_only(self, login, url, json=False):
        """``url`` answers 200 in a read-only transaction, without a retry."""
        if login:
            self.authenticate(login, f"{login}-pwd-2026")
        else:
            self.authenticate(None, None)
        with self.assertNoLogs("odoo.http", level="WARNING"):
            if json:
                response = self.url_open(
                    url,
                    data=b'{"jsonrpc": "2.0", "params": {}}',
                    headers={"Content-Type": "application/json"},
                )
            else:
                response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, 200, url)
        return response

    def test_readonly_pages_only_read(self):
        self._build()
        period = f"date_from={self.today}&date_to={self.today}"
        self._assert_read_only("ro_funder", "/my/pass-funding")
        self._assert_read_only("ro_funder", f"/my/pass-funding/{self.program.id}")
        self._assert_read_only("ro_funder", "/my/pass-statements")
        page = self._assert_read_only(
            "ro_funder", f"/my/pass-statements/funder/{self.state_funder.id}?{period}"
        )
        self.assertIn("o_pass_statement_row", page.text)
        page = self._assert_read_only(
            "ro_venue", f"/my/pass-statements/venue/{self.venue.id}?{period}"
        )
        self.assertIn("o_pass_statement_remittance", page.text)
        today = self._assert_read_only("ro_venue", "/my/pass-counter/today", json=True)
        self.assertIn("today", today.json()["result"])
        page = self._assert_read_only(
            None, f"/pass/lieux/{self.program.id}/{self.program._venues_token()}"
        )
        self.assertIn(self.venue.name, page.text)

    def test_readonly_page_that_writes_falls_back(self):
        """The dashboard made to write: served on the primary, write kept."""
        original = PassFunderDashboard._figures

        def figures_and_write(dashboard, funder, programs):
            # sudo: the test's own marker, written as the funder's request.
            dashboard.env["ir.config_parameter"].sudo().set_param(
                "pass_numerique.test_readonly_fallback", str(funder.id)
            )
            return original(dashboard, funder, programs)

        self.authenticate("ro_funder", "ro_funder-pwd-2026")
        with (
            patch.object(PassFunderDashboard, "_figures", figures_and_write),
            self.assertLogs("odoo.http", level="WARNING") as logs,
        ):
            response = self.url_open("/my/pass-funding")
        self.assertEqual(response.status_code, 200)
        self.assertIn(RETRY, "\n".join(logs.output))
        self.assertEqual(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("pass_numerique.test_readonly_fallback"),
            str(self.state_funder.id),
        )
