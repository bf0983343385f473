# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The French translation ships with the addons and reaches the user."""

import re

import polib

from odoo.exceptions import UserError
from odoo.modules.module import get_module_path
from odoo.tests import tagged

from .common import PassNumeriqueCommon

# English words that give away an English text left untranslated.
ENGLISH_WORDS = re.compile(
    r"\b(the|of|and|is|are|this|these|with|from|must|cannot|yet|passes|books|"
    r"venue|venues|funder|funders|beneficiary|redeemed)\b",
    re.IGNORECASE,
)
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%[sd]|%%")
TAG = re.compile(r"<[^>]+>")


@tagged("post_install", "-at_install")
class TestFrenchTranslation(PassNumeriqueCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(
            ["pass_numerique"], ["fr_FR"], overwrite=True
        )
        cls.env_fr = cls.env(context=dict(cls.env.context, lang="fr_FR"))
        cls.env_en = cls.env(context=dict(cls.env.context, lang="en_US"))

    def _po_entries(self, module):
        path = f"{get_module_path(module)}/i18n/fr.po"
        return [entry for entry in polib.pofile(path) if not entry.obsolete]

    def test_field_labels_and_selections_in_french(self):
        fields_en = self.env_en["pass.book"].fields_get(["name", "state"])
        fields_fr = self.env_fr["pass.book"].fields_get(["name", "state"])
        self.assertEqual(fields_en["name"]["string"], "Book number")
        self.assertEqual(fields_fr["name"]["string"], "Numéro de carnet")
        states_fr = dict(fields_fr["state"]["selection"])
        self.assertEqual(states_fr["distributed"], "Remis")
        self.assertEqual(states_fr["cancelled"], "Annulé")
        voucher_fr = self.env_fr["pass.voucher"].fields_get(["state"])
        self.assertEqual(dict(voucher_fr["state"]["selection"])["redeemed"], "Encaissé")

    def test_menus_and_actions_in_french(self):
        menu = self.env.ref("pass_numerique.pass_beneficiary_menu")
        self.assertEqual(menu.with_env(self.env_en).name, "Beneficiaries")
        self.assertEqual(menu.with_env(self.env_fr).name, "Bénéficiaires")
        operations = self.env.ref("pass_numerique.pass_numerique_menu_operations")
        self.assertEqual(operations.with_env(self.env_fr).name, "Opérations")
        action = self.env.ref("pass_numerique.pass_book_action")
        self.assertEqual(action.with_env(self.env_fr).name, "Carnets")

    def test_form_view_buttons_in_french(self):
        arch = self.env_fr["pass.program"].get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        self.assertIn('string="Activer"', arch)
        self.assertNotIn('string="Activate"', arch)

    def test_check_code_refusal_message_in_french(self):
        book = self._issue(1, passes_per_book=1)
        book.distribute(self.prescriber.id)
        voucher = book.voucher_ids
        self._redeem(voucher)
        result = (
            self.env_fr["pass.voucher"]
            .with_user(self.pass_user)
            .check_code(voucher.code, self.venue.id, self.service_admin.code)
        )
        self.assertFalse(result["ok"])
        self.assertEqual(result["reason"], "already_redeemed")
        self.assertEqual(
            result["message"],
            "Ce pass a déjà été encaissé : il ne peut pas servir deux fois.",
        )
        result_en = (
            self.env_en["pass.voucher"]
            .with_user(self.pass_user)
            .check_code(voucher.code, self.venue.id, self.service_admin.code)
        )
        self.assertEqual(result_en["reason"], "already_redeemed")
        self.assertEqual(
            result_en["message"],
            "This pass has already been redeemed: it cannot be used twice.",
        )
        reasons_fr = dict(
            self.env_fr["pass.redemption.attempt"].fields_get(["reason"])["reason"][
                "selection"
            ]
        )
        self.assertEqual(reasons_fr["already_redeemed"], "Déjà encaissé")

    def test_refusal_in_the_user_language(self):
        """The source is English; a French user gets the French text."""
        program = self.env["pass.program"].browse(self.program.id)
        program.action_close()
        with self.assertRaises(UserError) as caught:
            program.with_env(self.env_en).action_close()
        self.assertEqual(
            str(caught.exception),
            f"Only an active programme can be closed: programme "
            f"{program.display_name} is Closed.",
        )
        with self.assertRaises(UserError) as caught:
            program.with_env(self.env_fr).action_close()
        self.assertEqual(
            str(caught.exception),
            f"Seul un programme actif peut être clos : le programme "
            f"{program.display_name} est Clos.",
        )
        self.assertEqual(program.state, "closed")

    def test_shipped_po_files_are_complete(self):
        for module in ("pass_numerique", "pass_settlement"):
            entries = self._po_entries(module)
            self.assertGreater(len(entries), 100, module)
            empty = [e.msgid for e in entries if not e.msgstr]
            self.assertLess(
                len(empty) / len(entries), 0.02, f"{module}: untranslated {empty[:10]}"
            )
            for entry in entries:
                if not entry.msgstr:
                    continue
                # same placeholders, so formatting a translation never fails
                self.assertEqual(
                    sorted(PLACEHOLDER.findall(entry.msgid)),
                    sorted(PLACEHOLDER.findall(entry.msgstr)),
                    f"{module}: {entry.msgid!r}",
                )
                # an English text "translated" as itself is an untranslated text
                if entry.msgstr == entry.msgid:
                    text = PLACEHOLDER.sub(" ", TAG.sub(" ", entry.msgid))
                    self.assertFalse(
                        ENGLISH_WORDS.search(text), f"{module}: English {entry.msgid!r}"
                    )
