# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Issue #14, points 5 and 6: the export gives back every column of the
schema as it came, keeps the publisher's source and date while the venue is
not changed here, and every exported file is valid against schema.json
(checked with frictionless); fixable fields no longer reject a row, file-level
problems are reported once."""

import csv
import io
import json

from frictionless import Resource, Schema

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_open_data_publishers import OpenDataCase, read_data


@tagged("post_install", "-at_install")
class TestRoundTrip(OpenDataCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.schema = json.loads(read_data("schema.json"))

    def _export(self, venues):
        return self.env["res.partner"].pass_open_data_export("csv", venues.ids)

    def _rows(self, text):
        return list(csv.DictReader(io.StringIO(text)))

    def assertValidAgainstSchema(self, text):
        """frictionless reads schema.json (Table Schema) and checks every row:
        types, required values, patterns, length, unique ids."""
        resource = Resource(
            data=text.encode("utf-8"),
            format="csv",
            encoding="utf-8",
            schema=Schema.from_descriptor(self.schema),
        )
        report = resource.validate()
        errors = [
            "%s: %s" % (error.type, error.note)
            for task in report.tasks
            for error in task.errors
        ]
        self.assertTrue(report.valid, "\n".join(errors[:20]))
        self.assertEqual(report.tasks[0].stats["rows"], len(self._rows(text)))

    def test_all_columns_come_back(self):
        """The schema's own example (every one of the 32 columns filled),
        imported then exported: the same row, column for column, with the
        publisher's source and date; once changed here, the cooperative's."""
        original = self._rows(read_data("exemple-valide.csv").decode())[0]
        self.assertEqual(len(original), 32)
        job = self._import(read_data("exemple-valide.csv"), "exemple.csv")
        venue = job.create_line_ids.partner_id
        venue.action_pass_qualify()
        text = self._export(venue)
        self.assertValidAgainstSchema(text)
        exported = self._rows(text)[0]
        self.assertEqual(
            {k: v for k, v in exported.items() if v != original[k]}, {}, "lossless"
        )
        self.assertEqual(
            (exported["source"], exported["date_maj"]), ("Hubik", "2024-04-02")
        )

        # Re-importing the export changes nothing.
        again = self._import(text.encode(), "export.csv")
        self.assertEqual(self._counts(again), (0, 1, 1, 0, 0, 0))

        venue.phone = "+33180059881"
        exported = self._rows(self._export(venue))[0]
        self.assertEqual(exported["source"], self.env.company.name)
        self.assertEqual(
            exported["date_maj"], fields.Date.to_string(venue.write_date.date())
        )
        self.assertEqual(exported["telephone"], "+33180059881")
        self.assertEqual(exported["code_insee"], "51454")

    def test_every_export_is_valid(self):
        """Venues of every file shape, qualified, exported together: valid
        against the schema (older labels mapped, ids unique although two
        publishers use "1", a venue without street still has an address, a
        SIRET with a wrong check digit kept as it came, an RNA as pivot)."""
        for name, source in (
            ("charente-2023-07-11-sample.json", None),
            ("venues-2022-v0-vocabulary.csv", None),
            ("venues-province-sud-2024.csv", None),
            ("venues-hubik-2024.json", None),
            ("venues-no-id.csv", "Ville de Limoges"),
            ("venues-invalid-values.csv", "Ville de Pessac"),
        ):
            self._import(read_data(name), name, source)
        venues = self.Partner.search(
            [("is_pass_venue", "=", True), ("pass_open_data_source", "!=", False)]
        )
        hamlet = self.Partner.create(
            {
                "name": "Permanence du hameau",
                "is_pass_venue": True,
                "street2": "Salle des fêtes",
                "zip": "16700",
                "city": "Salles-de-Villefagnan",
            }
        )
        (venues | hamlet).action_pass_qualify()
        text = self._export(venues | hamlet)
        self.assertValidAgainstSchema(text)
        rows = self._rows(text)
        self.assertEqual(len(rows), len(venues) + 1)
        self.assertEqual(len({row["id"] for row in rows}), len(rows))
        by_name = {row["nom"]: row for row in rows}
        self.assertEqual(by_name["Permanence du hameau"]["adresse"], "Salle des fêtes")
        self.assertEqual(by_name["SIRET faux"]["pivot"], "12345678901234")
        self.assertEqual(by_name["Association Bourg Connecté"]["pivot"], "W011234567")
        self.assertEqual(
            by_name["Espace France Services de Ruffec"][
                "dispositif_programmes_nationaux"
            ],
            "France Services|Conseillers numériques",
        )
        self.assertEqual(
            by_name["Médiathèque chateaubernard"]["source"], "conseiller-numerique"
        )

    def test_fixable_fields_are_warnings(self):
        """A 0,0 placeholder and swapped coordinates: the venue without them;
        the warning codes say why."""
        data = (
            "id,nom,adresse,code_postal,commune,latitude,longitude,pivot,source\n"
            "f-1,Lieu zéro,1 rue A,16000,Angoulême,0,0,,T\n"
            "f-2,Lieu inversé,2 rue A,16000,Angoulême,0.1556,45.6484,,T\n"
            "f-3,Lieu SIRET faux,3 rue A,16000,Angoulême,45.6484,0.1556,"
            "21160015000027,T\n"
        ).encode()
        job = self._import(data, "fix.csv")
        self.assertEqual(self._counts(job), (3, 0, 0, 0, 0, 0))
        self.assertEqual(
            job.line_ids.mapped("warning_codes"),
            ["coordinates_placeholder", "coordinates_swapped", "bad_siret"],
        )
        zero, swapped, siret = (self._venue("T", "f-%s" % i) for i in range(1, 4))
        self.assertFalse(zero.partner_latitude or swapped.partner_latitude)
        self.assertFalse(siret.siret)
        self.assertEqual(siret.partner_latitude, 45.6484)
        self.assertEqual(job.summary()["warnings"]["bad_siret"], 1)

    def test_file_level_errors_once(self):
        """A column without which no row can become a venue: one error for
        the file (not one per row), nothing written."""
        header = "id,nom,code_postal,commune,source\n"
        rows = "".join("m-%s,Lieu %s,16000,Angoulême,T\n" % (i, i) for i in range(646))
        count = self.Partner.search_count([])
        job = self._job((header + rows).encode(), "sans-adresse.csv")
        with self.assertRaises(UserError) as caught:
            job.plan()
        message = str(caught.exception)
        self.assertEqual(message.count("adresse"), 1)
        self.assertIn("Required columns missing from the file", message)
        self.assertFalse(job.line_ids)
        self.assertEqual(self.Partner.search_count([]), count)

    def test_badly_quoted_row_keeps_its_name(self):
        job = self._import(read_data("venues-malformed.csv"), "m.csv", source="T")
        names = {line.line: line.name for line in job.reject_line_ids}
        self.assertTrue(names["5"].startswith("Centre social"))
        self.assertTrue(names["8-9"])
