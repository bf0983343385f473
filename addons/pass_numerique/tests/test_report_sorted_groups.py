# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The analyses' ``_read_group`` override (``read_group_sorted``) pinned
against the standard ORM: it must give the very rows, in the very order,
that Odoo's own ``_read_group`` gives, without joining the comodel on every
row. An upgrade that changes what it relies on (the signature, the rows'
shape, the order of many2one groups and of empty groups) fails here."""

import inspect
from unittest.mock import patch

from odoo import models
from odoo.tests import TransactionCase, tagged

from ..models.pass_report import PassReportSortedGroups, _order_terms
from .test_reporting import ReportingFixture


@tagged("post_install", "-at_install")
class TestReportSortedGroups(ReportingFixture, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._build_reporting_fixture()
        # Name order (Pessac, then Bordeaux) differs from id order.
        cls.venue_bordeaux.name = "Zz Lieu Bordeaux (rep)"
        cls.env["pass.report"]._refresh()
        cls.programs = cls.program_ab | cls.program_b
        cls.domain = [("program_id", "in", cls.programs.ids)]

    def standard(self, model, *args, **kwargs):
        """Odoo's own ``_read_group``, without the override."""
        return models.BaseModel._read_group(model, *args, **kwargs)

    def test_signature_is_the_orms(self):
        ours = inspect.signature(PassReportSortedGroups._read_group)
        odoo = inspect.signature(models.BaseModel._read_group)
        self.assertEqual(list(ours.parameters), list(odoo.parameters))
        for name, parameter in odoo.parameters.items():
            self.assertEqual(ours.parameters[name].default, parameter.default, name)

    def test_same_rows_in_the_same_order_as_the_orm(self):
        cases = [
            (["venue_id"], ["__count"], "venue_id"),
            (["venue_id"], ["__count"], "venue_id desc"),
            (["venue_id"], ["__count", "amount_redeemed:sum"], "venue_id asc"),
            (["program_id", "venue_id"], ["__count"], "program_id, venue_id desc"),
            (["venue_id", "program_id"], ["__count"], "venue_id desc, program_id"),
            (["venue_id"], ["__count"], "__count desc, venue_id"),
            (["state", "venue_id"], ["__count"], "state, venue_id"),
            (["month:month", "venue_id"], ["__count"], "month:month, venue_id"),
        ]
        for model_name in ("pass.report", "pass.funder.report"):
            Model = self.env[model_name]
            for groupby, aggregates, order in cases:
                with self.subTest(model=model_name, order=order):
                    ours = Model._read_group(
                        self.domain, groupby, aggregates, order=order
                    )
                    odoo = self.standard(
                        Model, self.domain, groupby, aggregates, order=order
                    )
                    self.assertEqual(ours, odoo)
                    self.assertGreater(len(ours), 1)

    def test_orm_order_it_reproduces(self):
        """What the override relies on: many2one groups in the comodel's
        order (the venue's name), empty groups last ascending and first
        descending, rows as tuples (group values, then aggregates) with
        records for many2one values."""
        Report = self.env["pass.report"]
        rows = self.standard(
            Report, self.domain, ["venue_id"], ["__count"], order="venue_id"
        )
        self.assertEqual(
            [venue for venue, _count in rows],
            [self.venue_pessac, self.venue_bordeaux, Report.venue_id],
        )
        self.assertEqual([count for _venue, count in rows], [4, 5, 13])
        rows = self.standard(
            Report, self.domain, ["venue_id"], ["__count"], order="venue_id desc"
        )
        self.assertEqual(
            [venue for venue, _count in rows],
            [Report.venue_id, self.venue_bordeaux, self.venue_pessac],
        )

    def test_no_join_on_every_row(self):
        Report = self.env["pass.report"]
        queries = []
        execute = type(self.env.cr).execute

        def spy(cr, query, params=None, log_exceptions=True):
            queries.append(str(query))
            return execute(cr, query, params, log_exceptions)

        self.env.flush_all()
        with self.patch_cursor(spy):
            Report._read_group(self.domain, ["venue_id"], ["__count"], order="venue_id")
        grouped = [q for q in queries if "GROUP BY" in q]
        self.assertEqual(len(grouped), 1, queries)
        self.assertNotIn("res_partner", grouped[0])
        # The ORM joins the venues for the same order.
        queries.clear()
        with self.patch_cursor(spy):
            self.standard(
                Report, self.domain, ["venue_id"], ["__count"], order="venue_id"
            )
        grouped = [q for q in queries if "GROUP BY" in q]
        self.assertIn("res_partner", grouped[0])

    def patch_cursor(self, spy):
        return patch.object(type(self.env.cr), "execute", spy)

    def test_left_to_the_orm(self):
        Report = self.env["pass.report"]
        groupby = ["venue_id"]
        # Orders without a many2one sorted by its comodel, unusual orders.
        self.assertIsNone(_order_terms(Report, "state", ["state"]))
        self.assertIsNone(_order_terms(Report, "amount desc", groupby))
        self.assertEqual(
            _order_terms(Report, "venue_id desc, __count", groupby),
            [("venue_id", True), ("__count", False)],
        )
        # With a limit, the order picks the groups: the ORM does it.
        ours = Report._read_group(
            self.domain, groupby, ["__count"], order="venue_id", limit=2
        )
        odoo = self.standard(
            Report, self.domain, groupby, ["__count"], order="venue_id", limit=2
        )
        self.assertEqual(ours, odoo)
        self.assertEqual(len(ours), 2)
