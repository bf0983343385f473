# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Venues of several publishers (issue #14): ids namespaced by publisher,
other publishers' venues suggested, moves held until confirmed, files without
ids, coordinates at the stored precision, older vocabularies, declared and
confirmed services."""

import base64
import csv
import io

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import file_open

from odoo.addons.pass_numerique.tools import open_data

DATA = "pass_numerique/tests/data/"


def read_data(name):
    with file_open(DATA + name, "rb") as handle:
        return handle.read()


class OpenDataCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="pn_publishers_manager",
            groups="pass_numerique.pass_numerique_group_manager",
        )
        cls.menv = cls.env(user=cls.manager)
        cls.Partner = cls.menv["res.partner"]
        cls.Job = cls.menv["pass.venue.import.job"]
        cls.services = cls.env["pass.service"].search([])

    def _job(self, data, filename, source=None):
        return self.Job.create(
            {
                "data_file": base64.b64encode(data),
                "filename": filename,
                "source": source,
            }
        )

    def _import(self, data, filename, source=None):
        job = self._job(data, filename, source)
        job.plan()
        planned = self._counts(job)
        job.apply()
        self.assertEqual(job.state, "done")
        self.assertEqual(self._counts(job), planned, "import does what the plan said")
        return job

    def _counts(self, job):
        """(created, updated, unchanged, suggested, to confirm, rejected)"""
        return (
            job.create_count,
            job.update_count,
            job.unchanged_count,
            job.suggest_count,
            job.to_confirm_count,
            job.reject_count,
        )

    def _venue(self, source, open_data_id):
        return self.Partner.with_context(active_test=False).search(
            [
                ("pass_open_data_source", "=", source),
                ("pass_open_data_id", "=", open_data_id),
            ]
        )

    def _line(self, job, open_data_id):
        return job.line_ids.filtered(lambda line: line.open_data_id == open_data_id)

    def _codes(self, venue):
        return set(venue.pass_service_ids.mapped("code"))

    def _category(self, *categories):
        return set(
            self.services.filtered(lambda s: s.category in categories).mapped("code")
        )


@tagged("post_install", "-at_install")
class TestPublishers(OpenDataCase):
    def test_colliding_ids_stay_apart(self):
        """Nouméa's ids 0..5 and a Charente bus's ids 1..4: four venues
        created, none of Nouméa's touched (the issue's 17,000 km move)."""
        noumea = self._import(read_data("venues-province-sud-2024.csv"), "ps.csv")
        self.assertEqual(self._counts(noumea), (6, 0, 0, 0, 0, 0))
        magenta = self._venue("Province Sud", "1")
        snapshot = magenta.read(["name", "street", "zip", "city", "partner_latitude"])
        count = self.Partner.search_count([])

        bus = self._import(read_data("venues-charente-bus-2024.csv"), "bus.csv")
        self.assertEqual(self._counts(bus), (4, 0, 0, 0, 0, 0))
        self.assertEqual(self.Partner.search_count([]), count + 4)
        self.assertEqual(
            magenta.read(["name", "street", "zip", "city", "partner_latitude"]),
            snapshot,
        )
        montbron = self._venue("Département de la Charente", "1")
        self.assertEqual(montbron.zip, "16220")
        self.assertNotEqual(montbron, magenta)

        # Each file again: every venue recognised in its own publisher's ids.
        again = self._import(read_data("venues-province-sud-2024.csv"), "ps.csv")
        self.assertEqual(self._counts(again), (0, 6, 6, 0, 0, 0))
        self.assertEqual(set(again.line_ids.mapped("match_by")), {"id"})
        again = self._import(read_data("venues-charente-bus-2024.csv"), "bus.csv")
        self.assertEqual(self._counts(again), (0, 4, 4, 0, 0, 0))
        self.assertEqual(again.update_line_ids.partner_id.mapped("zip")[0][:2], "16")

    def test_file_without_source_asks_for_it(self):
        """A file whose rows do not say who published them cannot be matched
        by id: the publisher is asked for, once, and nothing is written."""
        data = read_data("venues-no-id.csv")
        count = self.Partner.search_count([])
        with self.assertRaises(UserError):
            self._job(data, "sans-source.csv").plan()
        wizard = self.menv["pass.venue.import"].create(
            {"data_file": base64.b64encode(data), "filename": "sans-source.csv"}
        )
        with self.assertRaises(UserError):
            wizard.action_preview()
        self.assertEqual(self.Partner.search_count([]), count)
        wizard.source = "Ville de Limoges"
        wizard.action_preview()
        self.assertEqual(wizard.create_count, 6)
        self.assertEqual(
            set(wizard.create_line_ids.mapped("source")), {"Ville de Limoges"}
        )

    def test_other_publishers_venue_is_suggested(self):
        """Hubik publishes venues the Charente already publishes: by SIRET
        (Aigre) or same name a few metres away (Barbezieux) they are suggested,
        not applied; a SIRET shared by several venues suggests nothing; the
        manager's decisions are applied and remembered."""
        self._import(read_data("venues-charente-bus-2024.csv"), "bus.csv")
        aigre = self._venue("Département de la Charente", "4")
        barbezieux = self._venue("Département de la Charente", "3")
        before = (aigre | barbezieux).read(["name", "street", "partner_latitude"])

        hubik = self._import(read_data("venues-hubik-2024.json"), "hubik.json")
        self.assertEqual(self._counts(hubik), (2, 0, 0, 2, 2, 0))
        aigre_line = self._line(hubik, "hubik-2231")
        self.assertRecordValues(
            aigre_line,
            [
                {
                    "action": "suggest",
                    "partner_id": aigre.id,
                    "match_by": "siret",
                    "confirm_reason": "other_publisher",
                    "warning_codes": "other_publisher",
                }
            ],
        )
        barbezieux_line = self._line(hubik, "hubik-2233")
        self.assertEqual(
            (barbezieux_line.partner_id, barbezieux_line.match_by),
            (barbezieux, "name_address"),
        )
        # Nothing applied without confirmation.
        self.assertEqual(
            (aigre | barbezieux).read(["name", "street", "partner_latitude"]), before
        )
        # The SIRET of the département covers four bus stops: no suggestion.
        chabanais = self._line(hubik, "hubik-2232")
        self.assertEqual(chabanais.action, "create")
        # Hubik's id "1" is not the Charente's "1".
        self.assertEqual(self._line(hubik, "1").action, "create")

        aigre_line.action_confirm()
        barbezieux_line.action_separate()
        self.assertEqual(aigre.pass_open_data_aliases, [["Hubik", "hubik-2231"]])
        # Confirmed: the other publisher fills what the venue lacks, no more.
        self.assertEqual(aigre.name, "Bus numérique - arrêt d'Aigre")
        separate = self._venue("Hubik", "hubik-2233")
        self.assertEqual(len(separate), 1)
        self.assertNotEqual(separate, barbezieux)

        again = self._import(read_data("venues-hubik-2024.json"), "hubik.json")
        self.assertEqual(self._counts(again), (0, 4, 4, 0, 0, 0))
        self.assertEqual(self._line(again, "hubik-2231").partner_id, aigre)

    def test_move_or_new_departement_held_until_confirmed(self):
        """A venue moving 40 km, or to another département: shown with the
        distance, not applied until a manager confirms."""
        self._import(read_data("venues-charente-bus-2024.csv"), "bus.csv")
        chabanais = self._venue("Département de la Charente", "2")
        barbezieux = self._venue("Département de la Charente", "3")
        text = read_data("venues-charente-bus-2024.csv").decode()
        text = text.replace('"45.8710","0.7160"', '"45.6000","0.4000"')
        text = text.replace(
            '"Barbezieux-Saint-Hilaire","16300","Place du Champ de Foire",'
            '"45.4730","-0.1540"',
            '"Jonzac","17500","Place du Champ de Foire","45.4460","-0.4340"',
        )
        job = self._import(text.encode(), "bus.csv")
        self.assertEqual(self._counts(job), (0, 4, 2, 0, 2, 0))
        moved = self._line(job, "2")
        self.assertEqual(moved.confirm_reason, "moved")
        self.assertEqual(moved.warning_codes, "moved")
        self.assertAlmostEqual(moved.move_km, 39.0, delta=3)
        department = self._line(job, "3")
        self.assertEqual(
            (department.confirm_reason, department.warning_codes),
            ("department", "department_changed"),
        )
        self.assertEqual(chabanais.partner_latitude, 45.871)
        self.assertEqual(barbezieux.zip, "16300")

        moved.action_confirm()
        self.assertEqual(chabanais.partner_latitude, 45.6)
        self.assertEqual(barbezieux.zip, "16300")
        self.assertEqual(job.to_confirm_count, 1)

    def test_file_without_ids_never_duplicates(self):
        """No id column: venues are recognised by name, postcode and street;
        three libraries of one town and two identical rows stay distinct, and
        importing the file again changes nothing."""
        data = read_data("venues-no-id.csv")
        first = self._import(data, "sans-id.csv", source="Ville de Limoges")
        self.assertEqual(self._counts(first), (6, 0, 0, 0, 0, 0))
        self.assertIn("gives no id", first.file_summary)
        count = self.Partner.search_count([])
        second = self._import(data, "sans-id.csv", source="Ville de Limoges")
        self.assertEqual(self._counts(second), (0, 6, 6, 0, 0, 0))
        self.assertEqual(set(second.line_ids.mapped("match_by")), {"name_address"})
        self.assertEqual(second.line_ids.partner_id, first.line_ids.partner_id)
        self.assertEqual(self.Partner.search_count([]), count)
        # The same file with a header "identifiant" is a file with ids.
        with_ids = b"identifiant;" + data.replace(b"\n", b"\nX;", 5)
        self.assertTrue(
            open_data.parse_file(with_ids, "x.csv").records[0].open_data_id, "X"
        )

    def test_coordinates_compared_at_stored_precision(self):
        """Coordinates with more digits than the field keeps are compared
        once rounded as stored: a re-import reports no change and leaves the
        venue (and its localisation date) alone."""
        data = (
            "id,nom,adresse,code_postal,commune,latitude,longitude,source\n"
            "p-1,Lieu précis,1 rue Haute,16000,Angoulême,45.64999995,0.15566665,T\n"
            "p-2,Lieu arrondi,2 rue Haute,16000,Angoulême,45.6500005,0.1556665,T\n"
        ).encode()
        self._import(data, "precision.csv")
        venues = self._venue("T", "p-1") | self._venue("T", "p-2")
        self.assertEqual(venues.mapped("partner_latitude"), [45.65, 45.6500005])
        venues.write({"date_localization": "2020-01-01"})
        write_dates = venues.mapped("write_date")
        for _attempt in range(2):
            job = self._import(data, "precision.csv")
            self.assertEqual(self._counts(job), (0, 2, 2, 0, 0, 0))
        self.assertEqual(
            [str(d) for d in venues.mapped("date_localization")], ["2020-01-01"] * 2
        )
        self.assertEqual(venues.mapped("write_date"), write_dates)


@tagged("post_install", "-at_install")
class TestVocabularies(OpenDataCase):
    def test_mapping_table_covers_the_older_services(self):
        """The 15 services of the 2022-2023 standard are in the table, with
        their sources, onto services of the referential."""
        with file_open("pass_numerique/data/open_data_vocabulary.csv") as handle:
            rows = list(csv.DictReader(handle))
        old_services = [row for row in rows if row["column"] == "services"]
        self.assertGreaterEqual(len({row["old_value"] for row in old_services}), 15)
        codes = set(self.services.mapped("code"))
        for row in rows:
            self.assertTrue(row["source"] and row["version"], row["old_value"])
            self.assertLessEqual(set(row["service_codes"].split()), codes)
        for column in (
            "publics_accueillis",
            "conditions_acces",
            "labels_nationaux",
            "modalites_accompagnement",
        ):
            self.assertTrue([row for row in rows if row["column"] == column], column)

    def test_older_vocabulary_file(self):
        """A 2022 file (v0.1 labels joined by ';', courriel, conditions_acces,
        labels_nationaux, publics_accueillis, accessibilite): every venue gets
        its services, the finer ones the labels name."""
        job = self._import(read_data("venues-2022-v0-vocabulary.csv"), "v0.csv")
        self.assertEqual(self._counts(job), (4, 0, 0, 0, 0, 0))
        source = "Région Nouvelle-Aquitaine"
        venues = [self._venue(source, "v0-%s" % i) for i in range(1, 5)]
        self.assertTrue(all(venue.pass_service_ids for venue in venues))
        ruffec, confolens, emploi, soyaux = venues
        self.assertEqual(ruffec.email, "franceservices@ruffec.fr")
        self.assertEqual(
            self._codes(ruffec),
            {"online_admin_procedure", "france_connect", "online_health_services"},
        )
        # "Créer avec le numérique" names photos and videos, not video calls.
        self.assertEqual(
            self._codes(confolens),
            self._category("daily_tools") | {"digital_culture", "photos_and_videos"},
        )
        self.assertEqual(
            self._codes(emploi), self._category("employment", "access", "equipment")
        )
        self.assertIn("unknown_services", self._line(job, "v0-4").warning_codes)
        self.assertEqual(
            self._codes(soyaux), self._category("parenting", "understanding")
        )
        # The old columns are kept and exported in the current vocabulary.
        self.assertEqual(
            ruffec.pass_open_data_extra["fiche_acces_libre"],
            "https://acceslibre.beta.gouv.fr/app/16-ruffec/a/mairie/erp/mairie-ruffec/",
        )
        cells = open_data.export_extra_cells(ruffec.pass_open_data_extra)
        self.assertEqual(
            cells["publics_specifiquement_adresses"], "Seniors|Familles et/ou enfants"
        )
        self.assertEqual(cells["frais_a_charge"], "Gratuit")
        # In the order the file gave them ("France Services;CNFS").
        self.assertEqual(
            cells["dispositif_programmes_nationaux"],
            "France Services|Conseillers numériques",
        )
        self.assertEqual(cells["autres_formations_labels"], "SudLabs")
        self.assertEqual(cells["modalites_accompagnement"], "Accompagnement individuel")
        cells = open_data.export_extra_cells(confolens.pass_open_data_extra)
        self.assertEqual(cells["frais_a_charge"], "Gratuit sous condition|Payant")
        self.assertEqual(cells["prise_en_charge_specifique"], "Illettrisme")

    def test_unknown_label_never_removes_services(self):
        """Over venues already declaring services, a row whose labels are
        partly unknown adds what it recognises and removes nothing; a row of
        known labels only updates the declaration."""
        head = "id,nom,adresse,code_postal,commune,services,source\n"
        row = "u-1,Lieu,1 rue Basse,16000,Angoulême,%s,T\n"
        first = (
            "Maîtrise des outils numériques du quotidien"
            "|Compréhension du monde numérique"
        )
        self._import((head + row % first).encode(), "u.csv")
        venue = self._venue("T", "u-1")
        declared = self._codes(venue)
        self.assertEqual(declared, self._category("daily_tools", "understanding"))
        job = self._import(
            (head + row % "Loisirs et créations numériques|Ateliers 3D").encode(),
            "u.csv",
        )
        self.assertEqual(self._line(job, "u-1").warning_codes, "unknown_services")
        self.assertEqual(
            self._codes(venue),
            self._category("daily_tools", "understanding", "leisure"),
        )
        self._import((head + row % "Loisirs et créations numériques").encode(), "u.csv")
        self.assertEqual(self._codes(venue), self._category("leisure"))

    def test_services_declared_then_confirmed(self):
        """A category from open data proposes the services its presentation
        text names (not every service of the category); the services are
        declared until qualification confirms them; a confirmed venue's
        services are not changed by a later file, which is reported."""
        job = self._import(read_data("venues-charente-bus-2024.csv"), "bus.csv")
        source = "Département de la Charente"
        montbron, chabanais, barbezieux, aigre = (
            self._venue(source, str(i)) for i in range(1, 5)
        )
        # "impots.gouv.fr et le site de la CAF": administrative procedures,
        # not FranceConnect nor online health.
        self.assertEqual(self._codes(montbron), {"online_admin_procedure"})
        self.assertEqual(self._codes(aigre), {"online_health_services"})
        self.assertEqual(self._codes(chabanais), {"smartphone_first_steps"})
        self.assertEqual(
            self._codes(barbezieux), self._category("admin", "daily_tools")
        )
        self.assertTrue(
            all(job.create_line_ids.partner_id.mapped("pass_services_declared"))
        )
        montbron.action_pass_qualify()
        self.assertFalse(montbron.pass_services_declared)
        text = (
            read_data("venues-charente-bus-2024.csv")
            .decode()
            .replace(
                '"Aide aux démarches administratives","Le bus numérique',
                '"Aide aux démarches administratives|Loisirs et créations numériques",'
                '"Le bus numérique',
            )
        )
        job = self._import(text.encode(), "bus.csv")
        line = self._line(job, "1")
        self.assertEqual(line.warning_codes, "services_not_confirmed")
        self.assertIn("Loisirs et créations numériques", line.notes)
        self.assertEqual(self._codes(montbron), {"online_admin_procedure"})

    def test_aggregated_file_same_id_two_sources(self):
        """The same id from two sources in one file is no duplicate."""
        data = (
            "id,nom,adresse,code_postal,commune,source\n"
            "7,Lieu A,1 rue A,16000,Angoulême,Source A\n"
            "7,Lieu B,1 rue B,16000,Angoulême,Source B\n"
            "7,Lieu C,1 rue C,16000,Angoulême,Source B\n"
        ).encode()
        job = self._import(data, "agg.csv")
        self.assertEqual(self._counts(job), (2, 0, 0, 0, 0, 1))
        self.assertEqual(
            io.StringIO(job.reject_line_ids.reason).read()[:10], "Identifier"
        )
