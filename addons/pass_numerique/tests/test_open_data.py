# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Venues from and to the national open-data standard ("schéma de données des
lieux de médiation numérique" v1.0.2): import of published files (CSV, JSON,
the national cartography's older shape), bad input, matching, export and the
round trip, through the wizards as a cooperative manager."""

import base64
import csv
import io
import json
import re

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL, file_open, mute_logger

from odoo.addons.pass_numerique.tools import open_data

DATA = "pass_numerique/tests/data/"


def read_data(name):
    with file_open(DATA + name, "rb") as handle:
        return handle.read()


@tagged("post_install", "-at_install")
class TestOpenDataVenues(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="pn_open_data_manager",
            groups="pass_numerique.pass_numerique_group_manager,base.group_partner_manager",
        )
        cls.staff = new_test_user(
            cls.env,
            login="pn_open_data_staff",
            groups="pass_numerique.pass_numerique_group_user",
        )
        cls.menv = cls.env(user=cls.manager)
        cls.Partner = cls.menv["res.partner"]
        cls.services = cls.env["pass.service"].search([])
        cls.fr = cls.env.ref("base.fr")

    # ------------------------------------------------------------------
    # helpers

    def _wizard(self, data, filename, env=None, source="Éditeur de test"):
        """The wizard with a file; ``source``: the publisher the user gives
        (used for the rows of files that do not name theirs)."""
        env = env or self.menv
        return env["pass.venue.import"].create(
            {
                "data_file": base64.b64encode(data),
                "filename": filename,
                "source": source,
            }
        )

    def _import(self, data, filename):
        """Preview, check the preview wrote nothing, import; the wizard."""
        wizard = self._wizard(data, filename)
        venues_before = self.Partner.search_count([("is_pass_venue", "=", True)])
        wizard.action_preview()
        self.assertEqual(wizard.state, "preview")
        self.assertEqual(
            self.Partner.search_count([("is_pass_venue", "=", True)]),
            venues_before,
            "the preview must not write anything",
        )
        preview = self._summary(wizard)
        wizard.action_import()
        self.assertEqual(wizard.state, "done")
        self.assertEqual(
            self._summary(wizard), preview, "import does what the preview said"
        )
        return wizard

    def _summary(self, wizard):
        return (
            wizard.create_count,
            wizard.update_count,
            wizard.unchanged_count,
            wizard.reject_count,
        )

    def _venue(self, open_data_id):
        return self.Partner.search([("pass_open_data_id", "=", open_data_id)])

    def _reasons(self, wizard):
        """{line (or id): reason} of the rejected rows."""
        return {
            line.open_data_id or line.line: line.reason
            for line in wizard.reject_line_ids
        }

    def _categories(self, partner):
        return set(partner.pass_service_ids.mapped("category"))

    def _all_services(self, *categories):
        return self.services.filtered(lambda s: s.category in categories)

    def _qualified_venues(self):
        venues = self.Partner.create(
            [
                {
                    "name": "Médiathèque de Mérignac",
                    "is_company": True,
                    "street": "19 place Charles de Gaulle",
                    "street2": "1er étage",
                    "zip": "33700",
                    "city": "Mérignac",
                    "country_id": self.fr.id,
                    "partner_latitude": 44.8386,
                    "partner_longitude": -0.6436,
                    "phone": "05 56 18 88 62",
                    "email": "mediatheque@merignac.example.org",
                    "website": "https://mediatheque.merignac.example.org",
                    "siret": "21330063500017",
                    "is_pass_venue": True,
                    "pass_opening_hours": "Tu-Sa 10:00-18:00",
                    "pass_service_ids": [
                        (
                            6,
                            0,
                            self._all_services("admin").ids[:1]
                            + self._all_services("leisure").ids,
                        )
                    ],
                },
                {
                    "name": "Cyber-base de Basse-Terre",
                    "is_company": True,
                    "street": "Rue de la République",
                    "zip": "97100",
                    "city": "Basse-Terre",
                    "country_id": self.env.ref("base.gp").id,
                    "partner_latitude": 15.9985,
                    "partner_longitude": -61.7255,
                    "phone": "+590590991122",
                    "is_pass_venue": True,
                    "pass_open_data_id": "cyber-base-basse-terre",
                    "pass_service_ids": [(6, 0, self._all_services("access").ids)],
                },
                {
                    "name": "Tiers-lieu candidat",
                    "is_company": True,
                    "street": "1 rue Neuve",
                    "zip": "33000",
                    "city": "Bordeaux",
                    "is_pass_venue": True,
                },
            ]
        )
        venues[:2].action_pass_qualify()
        return venues

    # ------------------------------------------------------------------
    # the schema

    def test_schema_columns_and_services(self):
        """The parser's columns and services are those of schema.json v1.0.2,
        and the referential's categories carry the schema's labels."""
        schema = json.loads(read_data("schema.json"))
        self.assertEqual(schema["version"], open_data.SCHEMA_VERSION)
        self.assertEqual(
            [f["name"] for f in schema["fields"]], open_data.SCHEMA_COLUMNS
        )
        required = [
            f["name"] for f in schema["fields"] if f["constraints"].get("required")
        ]
        self.assertEqual(required, open_data.REQUIRED_COLUMNS)
        services_field = next(f for f in schema["fields"] if f["name"] == "services")
        for _category, label in open_data.SCHEMA_SERVICES:
            self.assertIn(label, services_field["constraints"]["pattern"])
        # The referential's categories are the schema's nine services.
        selection = self.env["pass.service"]._fields["category"].selection
        self.assertEqual([key for key, _label in selection], open_data.CATEGORY_ORDER)
        self.assertEqual(
            set(self.services.mapped("category")), set(open_data.CATEGORY_ORDER)
        )

    def test_every_issue_has_a_french_message(self):
        messages = self.menv["pass.venue.import"]._issue_messages()
        self.assertEqual(set(messages), set(open_data.ISSUE_CODES))
        for code, params in open_data.ISSUE_CODES.items():
            text = messages[code](dict.fromkeys(params, "X"))
            self.assertTrue(text and "%(" not in text, code)

    # ------------------------------------------------------------------
    # import of published files

    def test_import_schema_example_csv(self):
        """The schema's own example: one venue created with every field mapped,
        as a candidate (never qualified by an import)."""
        wizard = self._import(read_data("exemple-valide.csv"), "exemple-valide.csv")
        self.assertEqual(self._summary(wizard), (1, 0, 0, 0))
        self.assertEqual(wizard.file_format, "csv")
        venue = self._venue("structure-1")
        self.assertEqual(len(venue), 1)
        self.assertRecordValues(
            venue,
            [
                {
                    "name": "Anonymal",
                    "street": "12 BIS RUE DE LECLERCQ",
                    "street2": "Le patio du bois de l'Aulne",
                    "zip": "51100",
                    "city": "Reims",
                    "country_id": self.fr.id,
                    "partner_latitude": 43.52609,
                    "partner_longitude": 5.41423,
                    "phone": "+33180059880",
                    "email": "contact@laquincaillerie.tl",
                    "website": "https://www.laquincaillerie.tl/",
                    "pass_opening_hours": (
                        "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"
                    ),
                    "siret": "43493312300029",
                    "is_company": True,
                    "is_pass_venue": True,
                    "pass_venue_state": "candidate",
                }
            ],
        )
        # The schema's services are the referential's categories: a new venue
        # offers every service of the categories it declares.
        self.assertEqual(
            venue.pass_service_ids,
            self._all_services("daily_tools", "employment", "leisure"),
        )
        self.assertEqual(wizard.create_line_ids.partner_id, venue)

    def test_import_charente_sample(self):
        """20 venues of the national cartography's Charente file (older JSON
        shape): 20 created; the one with a wrong SIRET without it, with a
        warning saying why (#14: a fixable field no longer rejects the row)."""
        wizard = self._import(
            read_data("charente-2023-07-11-sample.json"), "charente-2023-07-11.json"
        )
        self.assertEqual(wizard.file_format, "json")
        self.assertEqual(self._summary(wizard), (20, 0, 0, 0))
        warned = wizard.create_line_ids.filtered(
            lambda line: line.siret == "20006801400015"
        )
        self.assertEqual(warned.warning_codes, "bad_siret")
        self.assertIn("Invalid SIRET", warned.notes)
        self.assertIn("20006801400015", warned.notes)
        self.assertFalse(self.Partner.search([("siret", "=", "20006801400015")]))
        self.assertFalse(warned.partner_id.siret)
        venues = wizard.create_line_ids.partner_id
        self.assertEqual(len(venues), 20)
        self.assertEqual(set(venues.mapped("pass_venue_state")), {"candidate"})
        self.assertTrue(all(venues.mapped("is_pass_venue")))
        self.assertEqual(venues.country_id, self.fr)
        # l10n_fr_department derives the département from the postcode.
        self.assertEqual(set(venues.country_department_id.mapped("code")), {"16"})
        # "00000000000000" means "SIRET unknown" in the national cartography.
        chateaubernard = venues.filtered(
            lambda v: v.name == "Médiathèque chateaubernard"
        )
        self.assertFalse(chateaubernard.siret)
        self.assertEqual(
            self._categories(chateaubernard), {"daily_tools", "understanding"}
        )
        bail_air = self._venue(
            "mediation-numerique-conseiller-numerique-63e363ce05dd9706f1f2eaa9-mediation-numerique"
        )
        self.assertRecordValues(
            bail_air,
            [
                {
                    "siret": "85140647000019",
                    "phone": "+33545932222",
                    "website": "https://www.caj-grand-font.fr/",
                    "pass_opening_hours": (
                        "Mo-Th 09:00-12:00,14:00-18:00; Fr 09:00-12:00,14:00-17:00"
                    ),
                    "partner_latitude": 45.653971,
                    "partner_longitude": 0.173162,
                    "city": "ANGOULÊME",
                }
            ],
        )
        # The older "courriel" column.
        chasseneuil = venues.filtered(lambda v: v.zip == "16260")
        self.assertEqual(chasseneuil.email, "franceservices@chasseneuil.fr")
        # Two venues of the same body (same SIRET, same name and postcode)
        # with their own ids are two venues.
        self.assertEqual(len(venues.filtered(lambda v: v.siret == "22160001800016")), 2)
        self.assertEqual(len(venues.filtered(lambda v: v.siret == "24160054300128")), 2)

    def test_reimport_updates_without_duplicates(self):
        """Importing the same file again matches every venue by its id: no
        duplicate; the cooperative's qualification is kept; fields changed
        since are set back from the file, empty cells erase nothing."""
        data = read_data("charente-2023-07-11-sample.json")
        first = self._import(data, "charente.json")
        venues = first.create_line_ids.partner_id
        bail_air = venues.filtered(lambda v: v.siret == "85140647000019")
        bail_air.action_pass_qualify()
        bail_air.write({"phone": "+33500000000", "comment": "Charte signée"})
        chateaubernard = venues.filtered(
            lambda v: v.name == "Médiathèque chateaubernard"
        )
        chateaubernard.phone = "+33545000000"  # the file has no phone for it
        count = self.Partner.search_count([])

        second = self._import(data, "charente.json")
        self.assertEqual(self._summary(second), (0, 20, 19, 0))
        self.assertEqual(self.Partner.search_count([]), count)
        self.assertEqual(second.update_line_ids.partner_id, venues)
        self.assertEqual(set(second.update_line_ids.mapped("match_by")), {"id"})
        changed = second.update_line_ids.filtered("changes")
        self.assertEqual(changed.partner_id, bail_air)
        self.assertEqual(changed.changes, "phone")
        self.assertEqual(bail_air.phone, "+33545932222")
        self.assertEqual(bail_air.pass_venue_state, "qualified")
        self.assertEqual(chateaubernard.phone, "+33545000000")

        # An archived venue stays archived, and is not created again.
        chateaubernard.action_archive()
        third = self._import(data, "charente.json")
        self.assertEqual(self._summary(third), (0, 20, 20, 0))
        line = third.update_line_ids.filtered(lambda x: x.partner_id == chateaubernard)
        self.assertIn("Archived venue", line.notes)
        self.assertFalse(chateaubernard.active)
        self.assertEqual(
            self.Partner.search_count([("name", "=", "Médiathèque chateaubernard")]), 0
        )

    def test_match_by_siret_then_name_and_postcode(self):
        """Existing partners without open-data id are found by SIRET, then by
        name and postcode (case and accents aside), and updated."""
        by_siret = self.Partner.create(
            {
                "name": "La Quincaillerie numérique",
                "siret": "43493312300029",
                "is_company": True,
            }
        )
        wizard = self._import(read_data("exemple-valide.csv"), "exemple-valide.csv")
        self.assertEqual(self._summary(wizard), (0, 1, 0, 0))
        self.assertEqual(wizard.update_line_ids.match_by, "siret")
        self.assertRecordValues(
            by_siret,
            [
                {
                    "name": "Anonymal",
                    "pass_open_data_id": "structure-1",
                    "is_pass_venue": True,
                    "pass_venue_state": "candidate",
                    "zip": "51100",
                }
            ],
        )

        by_name = self.Partner.create(
            {"name": "MEDIATHEQUE  CHATEAUBERNARD", "zip": "16100", "is_company": True}
        )
        # A SIRET shared by two partners identifies neither of them.
        twins = self.Partner.create(
            [
                {"name": "Association Bail-Air (siège)", "siret": "85140647000019"},
                {"name": "Association Bail-Air (antenne)", "siret": "85140647000019"},
            ]
        )
        wizard = self._import(
            read_data("charente-2023-07-11-sample.json"), "charente.json"
        )
        self.assertEqual(self._summary(wizard), (19, 1, 0, 0))
        line = wizard.update_line_ids
        self.assertEqual((line.partner_id, line.match_by), (by_name, "name_zip"))
        self.assertEqual(by_name.name, "Médiathèque chateaubernard")
        self.assertEqual(by_name.street, "allée des justes de France")
        self.assertFalse(twins.filtered("is_pass_venue"))
        bail_air = wizard.create_line_ids.filtered(
            lambda line: line.siret == "85140647000019"
        )
        self.assertEqual(len(bail_air.partner_id), 1)
        self.assertNotIn(bail_air.partner_id, twins)

    # ------------------------------------------------------------------
    # bad input

    def test_invalid_values_rejected_with_reasons(self):
        """Rows that cannot become a venue are rejected with their reason in
        French; rows with a fixable field (SIRET, pivot, coordinates) are
        imported without it, with a warning (#14); the valid rows of the same
        file are imported."""
        wizard = self._import(read_data("venues-invalid-values.csv"), "lieux.csv")
        self.assertEqual(self._summary(wizard), (10, 0, 0, 3))
        reasons = self._reasons(wizard)
        expected = {
            "bad-zip": 'Invalid postcode: "3360A"',
            "bad-name": "Missing mandatory value: nom",
            "ok-1": "Identifier already present on line 2",
        }
        self.assertEqual(set(reasons), set(expected))
        for key, text in expected.items():
            self.assertIn(text, reasons[key], key)
        duplicate = wizard.reject_line_ids.filtered(lambda line: line.line == "12")
        self.assertEqual(duplicate.name, "Identifiant en double")
        for key in ("bad-zip", "bad-name"):
            self.assertFalse(self._venue(key))
        warned = {
            "bad-siret": ("bad_siret", "Invalid SIRET: 12345678901234"),
            "bad-pivot": ("bad_pivot", 'Invalid pivot identifier: "ABC"'),
            "bad-range": (
                "coordinates_out_of_range",
                "Impossible coordinates: latitude 95.2",
            ),
            "bad-swap": ("coordinates_swapped", "Swapped coordinates"),
            "bad-abroad": ("coordinates_outside_france", "Coordinates outside France"),
            "bad-number": (
                "bad_number",
                'Unreadable coordinate: latitude = "quarante-quatre"',
            ),
            "bad-half": ("half_coordinates", "Incomplete coordinates"),
        }
        lines = {line.open_data_id: line for line in wizard.create_line_ids}
        for key, (code, text) in warned.items():
            self.assertEqual(lines[key].warning_codes, code, key)
            self.assertIn(text, lines[key].notes, key)
            venue = self._venue(key)
            self.assertEqual(len(venue), 1, key)
            self.assertFalse(venue.siret, key)
            self.assertFalse(venue.partner_latitude or venue.partner_longitude, key)
        self.assertEqual(self._venue("ok-1").name, "Espace public numérique de Pessac")
        # Overseas: country, phone prefix.
        self.assertRecordValues(
            self._venue("ok-2"),
            [
                {
                    "country_id": self.env.ref("base.gp").id,
                    "phone": "+590590820000",
                    "zip": "97110",
                    "partner_latitude": 16.2411,
                }
            ],
        )
        # Imported with remarks: lost leading zero, RNA number (in its own
        # field), unknown service.
        ok3 = self._venue("ok-3")
        self.assertEqual(ok3.zip, "01000")
        self.assertFalse(ok3.siret)
        self.assertEqual(ok3.pass_rna, "W011234567")
        self.assertEqual(self._categories(ok3), {"daily_tools"})
        notes = wizard.create_line_ids.filtered(
            lambda line: line.open_data_id == "ok-3"
        ).notes
        self.assertIn("leading zero", notes)
        self.assertIn("W011234567", notes)
        self.assertIn("Ateliers de robotique", notes)

    def test_malformed_csv_rows(self):
        """Rows with too many or too few columns, a stray quote, a quote never
        closed: rejected with the lines concerned; the readable rows are
        imported."""
        wizard = self._import(read_data("venues-malformed.csv"), "malformed.csv")
        self.assertEqual(self._summary(wizard), (2, 0, 0, 4))
        self.assertTrue(self._venue("mal-1"))
        self.assertEqual(
            self._venue("mal-5").street, "4 rue de la Tranchée, bâtiment B"
        )
        reasons = {line.line: line.reason for line in wizard.reject_line_ids}
        self.assertIn("9 columns instead of 8", reasons["3"])
        self.assertIn("5 columns instead of 8", reasons["4"])
        self.assertIn("Misplaced quote", reasons["5"])
        self.assertIn("Quote opened on line 8", reasons["8-9"])
        names = wizard.reject_line_ids.mapped("name")
        self.assertIn("Trop de colonnes", names)
        for key in ("mal-2", "mal-3", "mal-4", "mal-6", "mal-7"):
            self.assertFalse(self._venue(key))

    def test_unknown_columns_ignored_and_reported(self):
        wizard = self._import(read_data("venues-unknown-columns.csv"), "lieux.csv")
        self.assertEqual(self._summary(wizard), (2, 0, 0, 0))
        self.assertIn(
            "Columns unknown to the schema, ignored: note_interne, referent_pass",
            wizard.file_summary,
        )
        # Headers written as the schema's titles ("Nom", "Code postal").
        self.assertRecordValues(
            self._venue("unk-1"), [{"name": "Point numérique CAF", "zip": "87000"}]
        )

    def test_encodings(self):
        """UTF-8 with a byte-order mark, Latin-1 with semicolons and decimal
        commas, UTF-16: the same accented names, the first column read."""
        wizard = self._import(read_data("venues-utf8-bom.csv"), "bom.csv")
        self.assertEqual(self._summary(wizard), (2, 0, 0, 0))
        self.assertIn("UTF-8 avec BOM", wizard.file_summary)
        self.assertEqual(self._venue("bom-1").name, "Médiathèque Jacques-Prévert")
        self.assertEqual(self._venue("bom-2").city, "Angoulême")
        self.assertEqual(self._venue("bom-2").phone, "+33545000001")

        wizard = self._import(read_data("venues-latin1-semicolon.csv"), "latin1.csv")
        self.assertEqual(self._summary(wizard), (2, 0, 0, 0))
        self.assertIn("Latin-1", wizard.file_summary)
        self.assertIn("point-virgule", wizard.file_summary)
        self.assertRecordValues(
            self._venue("lat1-1"),
            [
                {
                    "name": "Maison de quartier Saint-Michel, salle Émile-Zola",
                    "partner_latitude": 44.8345,
                    "partner_longitude": -0.5672,
                    "phone": "+33556910000",
                }
            ],
        )
        self.assertEqual(
            self._venue("lat1-2").name, "Centre socioculturel de la Côte-à-l'Ève"
        )

        # UTF-16 (a spreadsheet's "Unicode text"), tab-separated.
        text = read_data("exemple-valide.csv").decode("utf-8").replace('","', '"\t"')
        text = text.replace(
            ",formations_labels,autres_formations_labels,modalites_acces,"
            "modalites_accompagnement,",
            "\tformations_labels\t"
            "autres_formations_labels\tmodalites_acces\t"
            "modalites_accompagnement\t",
        )
        wizard = self._import(text.encode("utf-16"), "exemple.txt")
        self.assertEqual(self._summary(wizard), (1, 0, 0, 0))
        self.assertIn("tabulation", wizard.file_summary)
        self.assertEqual(
            self._venue("structure-1").street2, "Le patio du bois de l'Aulne"
        )

    def test_json_shapes_and_broken_files(self):
        """JSON wrapped in an object, numbers for the SIRET and postcode,
        services as a list or ';'-separated; a non-object item is rejected;
        unreadable files are refused whole, writing nothing."""
        wizard = self._import(read_data("venues-wrapped.json"), "lieux.json")
        self.assertEqual(self._summary(wizard), (2, 0, 0, 1))
        self.assertIn("is not an object", wizard.reject_line_ids.reason)
        self.assertRecordValues(
            self._venue("json-ok-1"),
            [
                {
                    "siret": "21160015000018",
                    "zip": "16000",
                    "partner_latitude": 45.6516,
                    "email": "alpha@example.org",
                }
            ],
        )
        self.assertEqual(
            self._categories(self._venue("json-ok-1")), {"daily_tools", "leisure"}
        )
        self.assertEqual(
            self._categories(self._venue("json-ok-2")), {"admin", "employment"}
        )

        count = self.Partner.search_count([])
        for data, filename in (
            (read_data("venues-broken.json"), "broken.json"),  # malformed JSON
            (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "lieux.xlsx"),  # XLSX
            (b"", "vide.csv"),  # no file
            (b"  \n", "vide.csv"),  # empty file
            (b"id,nom\n", "entete.csv"),  # no row
            (b"numero;montant\n1;10\n", "autre.csv"),  # not the schema
            (b'{"total": 3}', "objet.json"),  # not a list of venues
        ):
            wizard = self._wizard(data, filename)
            with self.assertRaises(UserError):
                wizard.action_preview()
            with self.assertRaises(UserError):
                wizard.action_import()
        self.assertEqual(self.Partner.search_count([]), count)

    def test_import_is_atomic(self):
        """An unexpected error while writing (here a database constraint the
        parser knows nothing of) rolls back every venue of the import: none
        created, none updated."""
        existing = self.Partner.create(
            {
                "name": "Lieu existant",
                "pass_open_data_id": "atom-1",
                "phone": "+33500000001",
                "zip": "79000",
                "city": "Niort",
                "is_pass_venue": True,
            }
        )
        self.env.cr.execute(
            SQL(
                "ALTER TABLE res_partner ADD CONSTRAINT pn_test_forbidden_city "
                "CHECK (city IS NULL OR city <> 'Ville-Interdite')"
            )
        )
        data = (
            "id,nom,adresse,code_postal,commune,telephone\n"
            "atom-2,Nouveau lieu,1 rue Neuve,79000,Niort,+33500000002\n"
            "atom-1,Lieu existant,2 rue Neuve,79000,Ville-Interdite,+33500000003\n"
            "atom-3,Troisième lieu,3 rue Neuve,79000,Niort,+33500000004\n"
        ).encode()
        wizard = self._wizard(data, "atom.csv")
        wizard.action_preview()
        self.assertEqual(self._summary(wizard), (2, 1, 0, 0))
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(UserError),
        ):
            wizard.action_import()
        self.assertFalse(
            self.Partner.search([("pass_open_data_id", "in", ["atom-2", "atom-3"])])
        )
        self.assertRecordValues(existing, [{"phone": "+33500000001", "city": "Niort"}])

    def test_staff_cannot_import(self):
        """Importing changes the venue directory: managers only."""
        with self.assertRaises(AccessError):
            self._wizard(
                read_data("exemple-valide.csv"), "x.csv", env=self.env(user=self.staff)
            )

    # ------------------------------------------------------------------
    # export and round trip

    def test_export_follows_the_schema(self):
        """Qualified venues only, every column of the schema in its order,
        mandatory values present, values matching the schema's patterns."""
        Export = self.env(user=self.staff)["pass.venue.export"]
        qualified_before = Export.create({}).venue_count
        venues = self._qualified_venues()
        # Without a selection: every qualified venue.
        self.assertEqual(Export.create({}).venue_count, qualified_before + 2)
        # Selected venues: only the qualified ones among them.
        wizard = Export.with_context(
            active_model="res.partner", active_ids=venues.ids
        ).create({"file_format": "csv"})
        self.assertEqual(wizard.venue_count, 2)
        wizard.action_export()
        self.assertRegex(
            wizard.filename,
            r"^\d{4}-\d{2}-\d{2}_\w+_lieux-de-mediation-numerique_\w+\.csv$",
        )
        text = base64.b64decode(wizard.data).decode("utf-8")
        schema = json.loads(read_data("schema.json"))
        reader = csv.DictReader(io.StringIO(text))
        self.assertEqual(reader.fieldnames, [f["name"] for f in schema["fields"]])
        rows = list(reader)
        self.assertEqual(
            [row["nom"] for row in rows],
            ["Médiathèque de Mérignac", "Cyber-base de Basse-Terre"],
        )
        for row in rows:
            for schema_field in schema["fields"]:
                constraints = schema_field["constraints"]
                value = row[schema_field["name"]]
                if constraints.get("required"):
                    self.assertTrue(value, schema_field["name"])
                if value and constraints.get("pattern"):
                    self.assertTrue(
                        re.fullmatch(constraints["pattern"], value),
                        "%s = %r" % (schema_field["name"], value),
                    )
        merignac, basse_terre = rows
        self.assertEqual(merignac["id"], "pass-numerique-%s" % venues[0].id)
        self.assertEqual(merignac["pivot"], "21330063500017")
        self.assertEqual(merignac["telephone"], "+33556188862")
        self.assertEqual(
            merignac["services"],
            "Aide aux démarches administratives|Loisirs et créations numériques",
        )
        self.assertEqual(basse_terre["id"], "cyber-base-basse-terre")
        self.assertEqual(basse_terre["pivot"], open_data.UNKNOWN_PIVOT)
        self.assertEqual(basse_terre["latitude"], "15.9985")

        # JSON: the same venues, coordinates as numbers, empty values left out.
        items = json.loads(
            self.env["res.partner"].pass_open_data_export("json", venues.ids)
        )
        self.assertEqual(len(items), 2)
        self.assertEqual(items[1]["longitude"], -61.7255)
        self.assertNotIn("complement_adresse", items[1])

    def test_round_trip(self):
        """Export, then import into the same database: every venue is
        recognised, nothing is duplicated and nothing changes (but the id the
        export gave a venue without one). Import into a fresh state (the
        venues deleted): the venues come back with the same values."""
        venues = self._qualified_venues()[:2]
        fields_kept = [
            "name",
            "street",
            "street2",
            "zip",
            "city",
            "country_id",
            "partner_latitude",
            "partner_longitude",
            "email",
            "website",
            "pass_opening_hours",
            "siret",
        ]
        snapshot = venues.read([*fields_kept, "pass_service_ids"])
        categories = [self._categories(venue) for venue in venues]
        exported = {
            file_format: self.env["res.partner"].pass_open_data_export(
                file_format, venues.ids
            )
            for file_format in ("csv", "json")
        }
        count = self.Partner.search_count([])

        wizard = self._import(exported["csv"].encode(), "export.csv")
        self.assertEqual(self._summary(wizard), (0, 2, 1, 0))
        changed = wizard.update_line_ids.filtered("changes")
        self.assertEqual(
            (changed.partner_id, changed.changes), (venues[0], "open-data id")
        )
        self.assertEqual(
            venues[0].pass_open_data_id, "pass-numerique-%s" % venues[0].id
        )
        self.assertEqual(venues.read([*fields_kept, "pass_service_ids"]), snapshot)
        self.assertEqual(set(venues.mapped("pass_venue_state")), {"qualified"})
        self.assertEqual(self.Partner.search_count([]), count)

        wizard = self._import(exported["json"].encode(), "export.json")
        self.assertEqual(self._summary(wizard), (0, 2, 2, 0))

        # Fresh state: the venues are gone, the file brings them back.
        phones = venues.mapped("phone")
        venues.unlink()
        wizard = self._import(exported["csv"].encode(), "export.csv")
        self.assertEqual(self._summary(wizard), (2, 0, 0, 0))
        recreated = wizard.create_line_ids.partner_id
        for record, values, venue_categories in zip(
            recreated, snapshot, categories, strict=True
        ):
            for name in fields_kept:
                value = record[name].id if name == "country_id" else record[name]
                expected = values[name][0] if name == "country_id" else values[name]
                self.assertEqual(value or False, expected or False, name)
            self.assertEqual(self._categories(record), venue_categories)
            self.assertEqual(record.pass_venue_state, "candidate")
        self.assertEqual(recreated.mapped("phone"), ["+33556188862", "+590590991122"])
        self.assertEqual(phones[1], "+590590991122")
        # And importing once more only recognises them.
        wizard = self._import(exported["csv"].encode(), "export.csv")
        self.assertEqual(self._summary(wizard), (0, 2, 2, 0))
