# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Shared fixtures of the pass_numerique tests (no demo data needed).

``PassNumeriqueCommon`` builds, once per test class:

- ``company`` (the current company, in EUR) and ``eur``;
- ``funder_state`` and ``funder_dept`` (State and Gironde département);
- ``prescriber`` (a CCAS);
- ``service_admin``, ``service_mail`` (test services) and ``venue``, a
  qualified venue in Bordeaux (Gironde) offering both;
- ``program``: an active programme co-funded 60/40 by the State and the
  département, 10 € passes, valid 12 months, territory Gironde;
- ``pass_user``, ``pass_manager`` and ``portal_user`` (new_test_user).

Helpers: ``_create_program(code, shares=None, **vals)`` (draft programme),
``_issue(count, passes_per_book=10, program=None)`` (books recordset),
``_redeem(voucher, venue=None, service=None)``.

The ``make_*`` builders (service, funder, prescriber, venue, active
programme, user of one company, portal user) are the pieces of the other
fixture worlds (portal, print, reporting, boundaries): each test class builds
its world from them.
"""

import re
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase, new_test_user

from odoo.addons.pass_numerique.tools.guard import guarded_write

USER_GROUP = "pass_numerique.pass_numerique_group_user"
MANAGER_GROUP = "pass_numerique.pass_numerique_group_manager"


def create_guarded(model, vals):
    """Fixtures: create records with guarded fields set (as data files do)."""
    with guarded_write():
        return model.create(vals)


def write_guarded(records, vals):
    """Fixtures: put records straight into a state (as data files do)."""
    with guarded_write():
        return records.write(vals)


# ---------------------------------------------------------------- builders
# The pieces of the fixture worlds of the portal, print, reporting and
# boundary tests (each builds its own world from them, in setUpClass).


def make_service(env, code, name, category="admin"):
    """A service of the referential."""
    return env["pass.service"].create(
        {"code": code, "name": name, "category": category}
    )


def make_funder(env, name, funder_type="departement", **vals):
    """A funder (``pass_funder_type`` ``funder_type``)."""
    return env["res.partner"].create(
        {
            "name": name,
            "is_pass_funder": True,
            "pass_funder_type": funder_type,
            **vals,
        }
    )


def make_prescriber(env, name, **vals):
    """A prescriber organisation."""
    return env["res.partner"].create(
        {"name": name, "is_company": True, "is_pass_prescriber": True, **vals}
    )


def make_venue(env, name, zip_code, services, **vals):
    """A qualified venue in Bordeaux (France) offering ``services``
    (qualification is guarded: set as a fixture)."""
    return create_guarded(
        env["res.partner"],
        {
            "name": name,
            "is_company": True,
            "is_pass_venue": True,
            "pass_venue_state": "qualified",
            "zip": zip_code,
            "city": "Bordeaux",
            "country_id": env.ref("base.fr").id,
            "pass_service_ids": [Command.set(services.ids)],
            **vals,
        },
    )


def make_program(env, code, name, fundings, services, **vals):
    """An active programme of 10 passes, started 10 days ago and valid two
    more years, in Gironde (postcodes 33), for ``services``; ``fundings``:
    (funder, share) pairs. ``vals`` override any of it."""
    today = fields.Date.today()
    program = env["pass.program"].create(
        {
            "name": name,
            "code": code,
            "face_value": 10.0,
            "date_start": today - timedelta(days=10),
            "date_end": fields.Date.add(today, years=2),
            "territory_zips": "33",
            "service_ids": [Command.set(services.ids)],
            "funding_ids": [
                Command.create({"partner_id": funder.id, "share": share})
                for funder, share in fundings
            ],
            **vals,
        }
    )
    program.action_activate()
    return program


def make_company_user(env, login, groups, company=None, **vals):
    """A user in ``groups`` (xml ids, comma separated) of ``company`` only
    (by default the current company); ``vals``: more of ``new_test_user``'s
    values (name, password, email...)."""
    company = company or env.company
    return new_test_user(
        env,
        login=login,
        groups=groups,
        company_id=company.id,
        company_ids=[Command.set(company.ids)],
        **vals,
    )


def make_portal_user(env, login, organisation, contact_name=None, **vals):
    """A portal user of ``organisation`` (its contact, by default "Accueil
    <login>", is a child of it); its password is its login; ``vals``: more
    of ``new_test_user``'s values (lang...)."""
    contact = env["res.partner"].create(
        {"name": contact_name or f"Accueil {login}", "parent_id": organisation.id}
    )
    return new_test_user(
        env, login=login, groups="base.group_portal", partner_id=contact.id, **vals
    )


def csrf_token(html):
    """The CSRF token of the form on a page (its HTML)."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class PortalFormMixin:
    """For ``HttpCase`` classes that post the portal's forms."""

    def _csrf(self, url):
        """The CSRF token of the form on the page at ``url`` (answered 200)."""
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200, url)
        return csrf_token(page.text)

    def _hand_over_form(self, **values):
        """The prescriber's hand-over form (/my/pass-books), filled in for a
        retired person aged 60 to 74 in 33000 who consents today, with its
        CSRF token; ``values`` override any field."""
        return {
            "csrf_token": self._csrf("/my/pass-books"),
            "age_band": "60_74",
            "zip": "33000",
            "situation": "retired",
            "consent_date": fields.Date.to_string(fields.Date.today()),
            **values,
        }


class PassNumeriqueCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.france = cls.env.ref("base.fr")
        cls.gironde = cls.env.ref("l10n_fr_department.res_country_department_gironde")
        Partner = cls.env["res.partner"]
        cls.funder_state = Partner.create(
            {
                "name": "État - Préfecture de la Gironde (test)",
                "is_company": True,
                "is_pass_funder": True,
                "pass_funder_type": "state",
            }
        )
        cls.funder_dept = Partner.create(
            {
                "name": "Département de la Gironde (test)",
                "is_company": True,
                "is_pass_funder": True,
                "pass_funder_type": "departement",
            }
        )
        cls.prescriber = Partner.create(
            {
                "name": "CCAS de Bordeaux (test)",
                "is_company": True,
                "is_pass_prescriber": True,
                "zip": "33000",
                "city": "Bordeaux",
                "country_id": cls.france.id,
            }
        )
        Service = cls.env["pass.service"]
        cls.service_admin = Service.create(
            {
                "code": "test_demarche_en_ligne",
                "name": "Réaliser une démarche administrative en ligne (test)",
                "category": "admin",
            }
        )
        cls.service_mail = Service.create(
            {
                "code": "test_messagerie",
                "name": "Utiliser une messagerie (test)",
                "category": "daily_tools",
            }
        )
        cls.venue = create_guarded(
            Partner,
            {
                "name": "Espace numérique de Bordeaux Bastide (test)",
                "is_company": True,
                "is_pass_venue": True,
                "pass_venue_state": "qualified",
                "street": "12 rue de la Benauge",
                "zip": "33100",
                "city": "Bordeaux",
                "country_id": cls.france.id,
                "pass_service_ids": [
                    Command.set((cls.service_admin | cls.service_mail).ids)
                ],
            },
        )
        cls.program = cls._create_program(
            "TEST-GIRONDE",
            name="Pass Numérique Gironde (test)",
            department_ids=[Command.set(cls.gironde.ids)],
            service_ids=[Command.set((cls.service_admin | cls.service_mail).ids)],
        )
        cls.program.action_activate()
        cls.pass_user = make_company_user(
            cls.env, "pass_test_user", USER_GROUP, name="Agent Pass (test)"
        )
        cls.pass_manager = make_company_user(
            cls.env, "pass_test_manager", MANAGER_GROUP, name="Responsable Pass (test)"
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="pass_test_portal",
            name="Portail (test)",
            groups="base.group_portal",
        )

    @classmethod
    def _create_program(cls, code, shares=None, **vals):
        """A draft programme; ``shares`` is a list of (partner, share),
        by default the State 60 % and the département 40 %."""
        if shares is None:
            shares = [(cls.funder_state, 60.0), (cls.funder_dept, 40.0)]
        values = {
            "name": f"Programme {code}",
            "code": code,
            "company_id": cls.company.id,
            "currency_id": cls.eur.id,
            "face_value": 10.0,
            "date_start": "2026-01-01",
            "date_end": "2030-12-31",
            "validity_months": 12,
            "funding_ids": [
                Command.create({"partner_id": partner.id, "share": share})
                for partner, share in shares
            ],
        }
        values.update(vals)
        return cls.env["pass.program"].create(values)

    def _issue(self, count, passes_per_book=10, program=None):
        program = program or self.program
        return self.env["pass.book"].browse(program.issue_books(count, passes_per_book))

    def _redeem(self, voucher, venue=None, service=None):
        venue = venue or self.venue
        service = service or self.service_admin
        result = self.env["pass.voucher"].redeem_code(
            voucher.code, venue.id, service.code
        )
        self.assertTrue(result["ok"], result)
        voucher.invalidate_recordset()
        return result
