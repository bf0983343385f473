# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Back office: every action of the app opens for the people who use it, the
forms drive the main flows (programme with its funders, issuing, handing
books on, qualifying a venue) and the menus follow the groups."""

from lxml import etree

from odoo import fields
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import make_funder, make_prescriber

USER_GROUP = "pass_numerique.pass_numerique_group_user"
MANAGER_GROUP = "pass_numerique.pass_numerique_group_manager"

MENU_IDS = [
    "pass_numerique_menu_root",
    "pass_numerique_menu_operations",
    "pass_numerique_menu_programs",
    "pass_numerique_menu_partners",
    "pass_numerique_menu_reporting",
    "pass_numerique_menu_config",
]


@tagged("post_install", "-at_install")
class TestBackOfficeViews(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pass_user = new_test_user(
            cls.env, login="pn_views_user", groups=f"base.group_user,{USER_GROUP}"
        )
        # Contact Creation, as Odoo's default user template gives: managers create
        # and qualify venues, funders and prescribers, which are partners.
        cls.manager = new_test_user(
            cls.env,
            login="pn_views_manager",
            groups=f"base.group_user,base.group_partner_manager,{MANAGER_GROUP}",
        )
        cls.employee = new_test_user(
            cls.env, login="pn_views_employee", groups="base.group_user"
        )
        cls.state_funder = make_funder(cls.env, "Préfecture test", funder_type="state")
        cls.dept_funder = make_funder(cls.env, "Département test")
        cls.prescriber = make_prescriber(cls.env, "CCAS test")
        cls.actions = cls.env["ir.actions.act_window"].browse(
            cls.env["ir.model.data"]
            .search(
                [
                    ("module", "=", "pass_numerique"),
                    ("model", "=", "ir.actions.act_window"),
                ]
            )
            .mapped("res_id")
        )

    # ------------------------------------------------------------------ helpers
    def _load_action_views(self, action, user):
        """What the web client asks when it opens ``action`` for ``user``."""
        views = [[view_id, view_type] for view_id, view_type in action.views]
        views.append([action.search_view_id.id or False, "search"])
        Model = self.env[action.res_model].with_user(user).with_context(lang="fr_FR")
        return Model.get_views(
            views, {"toolbar": True, "load_filters": True, "action_id": action.id}
        )

    def _visible_menus(self, user):
        return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

    def _menu(self, xmlid):
        return self.env.ref(f"pass_numerique.{xmlid}")

    def _new_program(self, code="VIEWS"):
        form = Form(self.env["pass.program"].with_user(self.manager))
        form.name = "Programme des vues"
        form.code = code
        form.date_end = fields.Date.add(fields.Date.today(), years=1)
        with form.funding_ids.new() as line:
            line.partner_id = self.state_funder
            line.share = 60.0
        with form.funding_ids.new() as line:
            line.partner_id = self.dept_funder
            line.share = 40.0
        return form.save()

    # ------------------------------------------------------------------ actions
    def test_every_action_opens_for_managers(self):
        self.assertGreaterEqual(len(self.actions), 15)
        for action in self.actions:
            with self.subTest(action=action.name, model=action.res_model):
                if action.res_model == "res.config.settings":
                    continue  # Settings are for administrators, checked below.
                result = self._load_action_views(action, self.manager)
                expected = {view_type for _view_id, view_type in action.views} | {
                    "search"
                }
                self.assertEqual(set(result["views"]), expected)
                for view in result["views"].values():
                    self.assertTrue(view["arch"])

    def test_every_menu_action_opens_for_pass_users(self):
        visible = self.env["ir.ui.menu"].browse(self._visible_menus(self.pass_user))
        menu_actions = self.env["ir.actions.act_window"].union(
            *(
                m.action
                for m in visible
                if m.action and m.action._name == "ir.actions.act_window"
            )
        )
        self.assertIn(self.env.ref("pass_numerique.pass_book_action"), menu_actions)
        self.assertIn(self.env.ref("pass_numerique.pass_venue_action"), menu_actions)
        for action in menu_actions.filtered(lambda a: a in self.actions):
            with self.subTest(action=action.name):
                result = self._load_action_views(action, self.pass_user)
                self.assertIn("search", result["views"])

    def test_settings_open_for_administrators(self):
        action = self.env.ref("pass_numerique.res_config_settings_action")
        result = self._load_action_views(action, self.env.ref("base.user_admin"))
        self.assertIn(
            'name="pass_max_refused_attempts"', result["views"]["form"]["arch"]
        )

    # ------------------------------------------------------------------ menus
    def test_menus_follow_groups(self):
        for xmlid in MENU_IDS:
            self.assertTrue(self._menu(xmlid).exists(), xmlid)
        user_menus = self._visible_menus(self.pass_user)
        for xmlid in MENU_IDS[:-1]:
            self.assertIn(self._menu(xmlid).id, user_menus, xmlid)
        # A Pass user sees the operations but not the configuration.
        self.assertNotIn(self._menu("pass_numerique_menu_config").id, user_menus)
        self.assertNotIn(self._menu("pass_service_menu").id, user_menus)
        manager_menus = self._visible_menus(self.manager)
        self.assertIn(self._menu("pass_numerique_menu_config").id, manager_menus)
        self.assertIn(self._menu("pass_service_menu").id, manager_menus)
        # Settings need the administrators' rights on top of the manager's.
        self.assertNotIn(self._menu("pass_numerique_settings_menu").id, manager_menus)
        # An employee outside the app does not see it at all.
        self.assertNotIn(
            self._menu("pass_numerique_menu_root").id,
            self._visible_menus(self.employee),
        )

    def test_load_menus_for_pass_user(self):
        menus = self.env["ir.ui.menu"].with_user(self.pass_user).load_menus(debug=False)
        root = self._menu("pass_numerique_menu_root")
        self.assertIn(root.id, menus["root"]["children"])
        self.assertTrue(menus[root.id]["web_icon_data"])
        names = {menus[child]["xmlid"] for child in menus[root.id]["children"]}
        self.assertIn("pass_numerique.pass_numerique_menu_operations", names)
        self.assertNotIn("pass_numerique.pass_numerique_menu_config", names)

    # ------------------------------------------------------------------ partners
    def test_venue_kanban_and_map_list(self):
        action = self.env.ref("pass_numerique.pass_venue_action")
        self.assertEqual(action.views[0][1], "kanban")
        result = self._load_action_views(action, self.pass_user)
        kanban = etree.fromstring(result["views"]["kanban"]["arch"])
        self.assertTrue(kanban.xpath("//field[@name='pass_venue_state']"))
        self.assertTrue(kanban.xpath("//field[@name='pass_service_ids']"))
        listing = etree.fromstring(result["views"]["list"]["arch"])
        for fname in (
            "zip",
            "city",
            "partner_latitude",
            "partner_longitude",
            "pass_venue_state",
        ):
            self.assertTrue(listing.xpath(f"//field[@name='{fname}']"), fname)

    def test_venue_created_and_qualified_from_the_form(self):
        action = self.env.ref("pass_numerique.pass_venue_action")
        Partner = (
            self.env["res.partner"]
            .with_user(self.manager)
            .with_context(**safe_eval(action.context))
        )
        form = Form(Partner)
        form.name = "Médiathèque test"
        form.zip = "33000"
        form.city = "Bordeaux"
        venue = form.save()
        self.assertTrue(venue.is_pass_venue)
        self.assertEqual(venue.pass_venue_state, "candidate")
        arch = Partner.get_views([[False, "form"]])["views"]["form"]["arch"]
        self.assertIn('name="action_pass_qualify"', arch)
        venue.action_pass_qualify()
        self.assertEqual(venue.pass_venue_state, "qualified")
        self.assertEqual(venue.pass_qualified_date, fields.Date.context_today(venue))

    def test_partner_form_pass_page_only_for_pass_users(self):
        def form_arch(user):
            views = self.env["res.partner"].with_user(user).get_views([[False, "form"]])
            return etree.fromstring(views["views"]["form"]["arch"])

        self.assertFalse(
            form_arch(self.employee).xpath("//page[@name='pass_numerique']")
        )
        user_arch = form_arch(self.pass_user)
        self.assertTrue(user_arch.xpath("//page[@name='pass_numerique']"))
        # Qualifying a venue is the managers' decision.
        self.assertFalse(user_arch.xpath("//button[@name='action_pass_qualify']"))
        self.assertTrue(
            form_arch(self.manager).xpath("//button[@name='action_pass_qualify']")
        )

    # ------------------------------------------------------------------ programmes
    def test_program_form_with_funding_list(self):
        result = self._load_action_views(
            self.env.ref("pass_numerique.pass_program_action"), self.manager
        )
        form = etree.fromstring(result["views"]["form"]["arch"])
        funding = form.xpath("//field[@name='funding_ids']/list[@editable]")
        self.assertTrue(funding)
        self.assertTrue(funding[0].xpath("field[@name='share']"))
        for button in (
            "action_activate",
            "action_close",
            "action_view_books",
            "action_view_vouchers",
        ):
            self.assertTrue(form.xpath(f"//button[@name='{button}']"), button)
        self.assertTrue(form.xpath("//chatter"))

        program = self._new_program()
        self.assertEqual(program.state, "draft")
        self.assertEqual(sorted(program.funding_ids.mapped("share")), [40.0, 60.0])
        self.assertEqual(program.funder_ids, self.state_funder | self.dept_funder)

    def test_program_buttons_for_pass_users(self):
        result = self._load_action_views(
            self.env.ref("pass_numerique.pass_program_action"), self.pass_user
        )
        form = etree.fromstring(result["views"]["form"]["arch"])
        self.assertFalse(form.xpath("//button[@name='action_activate']"))
        self.assertTrue(form.xpath("//button[@name='action_view_books']"))

    def test_issue_and_distribute_through_the_wizards(self):
        program = self._new_program(code="WIZ")
        # Activated as superuser: with pass_settlement installed, activation also
        # creates the programme's sale product, which is not this test's subject.
        program.with_env(self.env).action_activate()

        issue = Form(
            self.env["pass.program.issue"]
            .with_user(self.manager)
            .with_context(active_model="pass.program", active_id=program.id)
        )
        self.assertEqual(issue.program_id, program)
        issue.count = 3
        issue.passes_per_book = "5"
        action = issue.save().action_confirm()
        books = self.env["pass.book"].search(action["domain"])
        self.assertEqual(len(books), 3)
        self.assertEqual(program.book_count, 3)
        self.assertEqual(program.voucher_count, 15)

        # The smart buttons open the programme's books and passes.
        self.assertEqual(
            self.env["pass.book"].search(program.action_view_books()["domain"]), books
        )
        self.assertEqual(
            self.env["pass.voucher"].search_count(
                program.action_view_vouchers()["domain"]
            ),
            15,
        )

        distribute = Form(
            self.env["pass.book.distribute"]
            .with_user(self.pass_user)
            .with_context(active_model="pass.book", active_ids=books[:2].ids)
        )
        distribute.holder_id = self.prescriber
        distribute.save().action_confirm()
        self.assertEqual(set(books[:2].mapped("state")), {"distributed"})
        self.assertEqual(books[2].state, "available")
        self.assertEqual(books[0].distribution_ids.holder_id, self.prescriber)

        cancel = Form(
            self.env["pass.book.cancel"]
            .with_user(self.pass_user)
            .with_context(active_model="pass.book", active_ids=books[2].ids)
        )
        cancel.reason = "lost"
        cancel.save().action_confirm()
        self.assertEqual(books[2].state, "cancelled")
        self.assertEqual(set(books[2].voucher_ids.mapped("state")), {"cancelled"})

    def test_book_form_mark_paid_for_managers_only(self):
        action = self.env.ref("pass_numerique.pass_book_action")
        user_form = self._load_action_views(action, self.pass_user)["views"]["form"][
            "arch"
        ]
        manager_form = self._load_action_views(action, self.manager)["views"]["form"][
            "arch"
        ]
        self.assertNotIn('name="action_mark_funders_paid"', user_form)
        self.assertIn('name="action_mark_funders_paid"', manager_form)
        self.assertIn('name="distribution_ids"', user_form)
