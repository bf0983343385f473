# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Issue #14, point 8: the import as a model API (plan -> apply), callable
over RPC by managers only, a scheduled sync from a configured URL (against a
local HTTP server), large files applied in the background with progress."""

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch
from xmlrpc.client import Fault

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.pass_numerique.models import pass_venue_import_job

from .test_open_data_publishers import OpenDataCase, read_data


class _FileServer:
    """A local HTTP server publishing files (path -> bytes), in a thread."""

    def __init__(self, files):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                content = files.get(self.path)
                if content is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path):
        return "http://127.0.0.1:%s%s" % (self.server.server_address[1], path)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@tagged("post_install", "-at_install")
class TestImportApi(OpenDataCase):
    def test_import_file_in_one_call(self):
        """An integrator's call: plan only (nothing written), then apply."""
        data = base64.b64encode(read_data("venues-province-sud-2024.csv")).decode()
        count = self.Partner.search_count([])
        planned = self.Job.import_file(data, "ps.csv")
        self.assertEqual(planned["state"], "planned")
        self.assertEqual((planned["created"], planned["rejected"]), (6, 0))
        self.assertEqual(self.Partner.search_count([]), count)
        applied = self.Job.browse(planned["job_id"]).apply()
        self.assertEqual((applied["state"], applied["created"]), ("done", 6))
        self.assertEqual(self.Partner.search_count([]), count + 6)
        again = self.Job.import_file(data, "ps.csv", apply=True)
        self.assertEqual((again["created"], again["unchanged"]), (0, 6))

    def test_staff_and_users_cannot_import(self):
        """Importing changes the venue directory: managers only, whatever the
        path (create, the one-call method, a job of a manager)."""
        data = base64.b64encode(read_data("venues-province-sud-2024.csv")).decode()
        job = self.Job.create({"data_file": data, "filename": "ps.csv"})
        venues = [("is_pass_venue", "=", True)]
        count = self.Partner.search_count(venues)
        for groups in ("pass_numerique.pass_numerique_group_user", "base.group_user"):
            user = new_test_user(
                self.env, login="pn_import_%s" % groups.split(".")[1], groups=groups
            )
            Job = self.env(user=user)["pass.venue.import.job"]
            with self.assertRaises(AccessError):
                Job.import_file(data, "ps.csv", apply=True)
            with self.assertRaises(AccessError):
                Job.create({"data_file": data, "filename": "ps.csv"})
            with self.assertRaises(AccessError):
                job.with_user(user).apply()
            with self.assertRaises(AccessError):
                job.line_ids.with_user(user).action_confirm()
        self.assertEqual(job.state, "draft")
        self.assertEqual(self.Partner.search_count(venues), count)

    def test_scheduled_sync_from_url(self):
        """The cron downloads the configured URL and imports it; the next run
        finds every venue up to date; a URL that fails leaves a failed job
        saying why, and no venue."""
        params = self.env["ir.config_parameter"].sudo()
        Job = self.env["pass.venue.import.job"]
        files = {"/lieux.csv": read_data("venues-no-id.csv")}
        count = self.Partner.search_count([])
        with _FileServer(files) as server:
            params.set_param(
                pass_venue_import_job.SYNC_URL_PARAM, server.url("/lieux.csv")
            )
            params.set_param(
                pass_venue_import_job.SYNC_SOURCE_PARAM, "Ville de Limoges"
            )
            job = Job._cron_sync()
            self.assertEqual((job.state, job.create_count), ("done", 6))
            self.assertEqual(job.filename, "lieux.csv")
            self.assertEqual(self.Partner.search_count([]), count + 6)
            job = Job._cron_sync()
            self.assertEqual(self._counts(job), (0, 6, 6, 0, 0, 0))
            params.set_param(
                pass_venue_import_job.SYNC_URL_PARAM, server.url("/absent.csv")
            )
            job = Job._cron_sync()
            self.assertEqual(job.state, "failed")
            self.assertIn("could not be downloaded", job.error)
        self.assertEqual(self.Partner.search_count([]), count + 6)
        params.set_param(pass_venue_import_job.SYNC_URL_PARAM, "")
        self.assertFalse(Job._cron_sync())

    def test_large_file_in_the_background(self):
        """Past the limit of rows applied in the request, the import is queued
        and applied by the cron chunk by chunk, with its progress."""
        data = read_data("venues-province-sud-2024.csv")
        count = self.Partner.search_count([])
        with (
            patch.object(pass_venue_import_job, "SYNC_LIMIT", 4),
            patch.object(pass_venue_import_job, "CHUNK_SIZE", 4),
        ):
            wizard = self.menv["pass.venue.import"].create(
                {"data_file": base64.b64encode(data), "filename": "ps.csv"}
            )
            wizard.action_import()
            job = wizard.job_id
            self.assertEqual((wizard.state, job.state), ("done", "queued"))
            self.assertEqual(self.Partner.search_count([]), count)
            Job = self.env["pass.venue.import.job"]
            Job._cron_apply()
            self.assertEqual(
                (job.state, job.rows_done, job.progress), ("running", 4, 4 * 100 / 6)
            )
            self.assertEqual(self.Partner.search_count([]), count + 4)
            Job._cron_apply()
            self.assertEqual((job.state, job.progress), ("done", 100.0))
        self.assertEqual(self.Partner.search_count([]), count + 6)
        self.assertEqual(len(job.create_line_ids.partner_id), 6)


@tagged("post_install", "-at_install")
class TestImportRpc(HttpCase):
    def test_import_over_xmlrpc(self):
        """Through a real RPC call, as the API documents: a manager imports,
        a staff member is refused with an access error."""
        for login, groups in (
            ("pn_rpc_manager", "pass_numerique.pass_numerique_group_manager"),
            ("pn_rpc_staff", "pass_numerique.pass_numerique_group_user"),
        ):
            new_test_user(self.env, login=login, groups=groups)
        data = base64.b64encode(read_data("venues-province-sud-2024.csv")).decode()
        db = self.env.cr.dbname
        common = self.xmlrpc_common
        uid = common.authenticate(db, "pn_rpc_manager", "pn_rpc_manager", {})
        result = self.xmlrpc_object.execute_kw(
            db,
            uid,
            "pn_rpc_manager",
            "pass.venue.import.job",
            "import_file",
            [data, "ps.csv"],
            {"apply": True},
        )
        self.assertEqual((result["state"], result["created"]), ("done", 6))
        uid = common.authenticate(db, "pn_rpc_staff", "pn_rpc_staff", {})
        with self.assertRaises(Fault):
            self.xmlrpc_object.execute_kw(
                db,
                uid,
                "pn_rpc_staff",
                "pass.venue.import.job",
                "import_file",
                [data, "ps.csv"],
                {"apply": True},
            )
