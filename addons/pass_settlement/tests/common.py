# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import Command, fields
from odoo.tests import Form

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.pass_numerique.tests.common import make_company_user
from odoo.addons.pass_numerique.tools.guard import guarded_write


def iban_fr(account):
    """A valid French IBAN (ISO 13616 check digits) for a test account number."""
    bban = f"30006000{account:013d}00"
    digits = "".join(str(int(c, 36)) for c in bban + "FR00")
    return f"FR{98 - int(digits) % 97:02d}{bban}"


class PassSettlementCommon(AccountTestInvoicingCommon):
    """A French cooperative with the French chart, funders, a venue, and the
    helpers to check the ledger invariant."""

    @classmethod
    def get_default_groups(cls):
        groups = super().get_default_groups()
        return (
            groups
            | cls.env.ref("pass_numerique.pass_numerique_group_manager")
            | cls.env.ref("pass_settlement.group_pass_accountant")
        )

    @classmethod
    @AccountTestInvoicingCommon.setup_country("fr")
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # SEPA pain.001.001.09 needs the debtor's town: the cooperative's
        # address, as a real company has one.
        cls.company.partner_id.write(
            {"street": "1 rue de la Paix", "zip": "75002", "city": "Paris"}
        )
        cls.eur = cls.company.currency_id
        Partner = cls.env["res.partner"]
        cls.state_funder = Partner.create(
            {"name": "État", "is_pass_funder": True, "pass_funder_type": "state"}
        )
        cls.dept_funder = Partner.create(
            {
                "name": "Département",
                "is_pass_funder": True,
                "pass_funder_type": "departement",
            }
        )
        cls.city_funder = Partner.create(
            {"name": "Commune", "is_pass_funder": True, "pass_funder_type": "commune"}
        )
        cls.service = cls.env["pass.service"].create(
            {
                "code": "test_settle_service",
                "name": "Démarche en ligne",
                "category": "admin",
            }
        )
        # A qualified venue (qualification is guarded: set as a fixture).
        with guarded_write():
            cls.venue = Partner.create(
                {
                    "name": "Lieu de médiation",
                    "is_pass_venue": True,
                    "is_company": True,
                    "pass_venue_state": "qualified",
                    "zip": "33000",
                    "city": "Bordeaux",
                    "country_id": cls.env.ref("base.fr").id,
                    "pass_service_ids": [Command.set(cls.service.ids)],
                }
            )
        cls.accountant = make_company_user(
            cls.env, "pass_accountant", "pass_settlement.group_pass_accountant"
        )

    @classmethod
    def _program(cls, shares, code, **vals):
        program = cls.env["pass.program"].create(
            {
                "name": f"Programme {code}",
                "code": code,
                "company_id": cls.company.id,
                "face_value": 10.0,
                "date_start": "2026-01-01",
                "date_end": "2030-12-31",
                "funding_ids": [
                    Command.create({"partner_id": partner.id, "share": share})
                    for partner, share in shares
                ],
                **vals,
            }
        )
        program.action_activate()
        return program

    @classmethod
    def _thirds(cls):
        """The shares of a programme funded in thirds by the State, the
        département and the commune (33.33 / 33.33 / 33.34 %)."""
        return [
            (cls.state_funder, 33.33),
            (cls.dept_funder, 33.33),
            (cls.city_funder, 33.34),
        ]

    @classmethod
    def _portal_user(cls, organisation, login):
        """A portal user of ``organisation`` (a venue or a funder: the parent
        of the user's contact); its password is ``<login>-pwd-2026``."""
        user = make_company_user(
            cls.env, login, "base.group_portal", password=f"{login}-pwd-2026"
        )
        user.partner_id.parent_id = organisation
        return user

    @classmethod
    def _copy_venue(cls, name, source=None, **vals):
        """Another qualified venue offering the test service, a copy of
        ``source`` (by default ``venue``); ``vals`` override any of it."""
        with guarded_write():
            return (source or cls.venue).copy(
                {
                    "name": name,
                    "pass_venue_state": "qualified",
                    "pass_service_ids": [Command.set(cls.service.ids)],
                    **vals,
                }
            )

    @classmethod
    def _bank_account(cls, partner, account, trusted=False):
        """A bank account of ``partner`` (IBAN ``iban_fr(account)``);
        ``trusted``: checked, allowed for outgoing payments."""
        vals = {"acc_number": iban_fr(account), "partner_id": partner.id}
        if trusted:
            vals["allow_out_payment"] = True
        return cls.env["res.partner.bank"].create(vals)

    @classmethod
    def _order(cls, program, books, partner=None):
        """A confirmed sale of ``books`` books of ``program``."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": (partner or program.funding_ids[0].partner_id).id,
                "company_id": cls.company.id,
                "order_line": [
                    Command.create(
                        {"product_id": program.product_id.id, "product_uom_qty": books}
                    )
                ],
            }
        )
        order.action_confirm()
        return order

    @classmethod
    def _invoice(cls, order):
        invoices = order._create_invoices()
        invoices.action_post()
        return invoices

    def _credit_note(self, invoice, reason="Rejet Chorus Pro", **line_changes):
        """A draft credit note of ``invoice`` through Odoo's reversal wizard
        (as a Chorus Pro rejection is recorded); ``line_changes``: values set
        on its first pass line, through the form."""
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "journal_id": invoice.journal_id.id,
                    "date": fields.Date.context_today(invoice),
                    "reason": reason,
                }
            )
        )
        action = wizard.refund_moves()
        credit_note = self.env["account.move"].browse(action["res_id"])
        if line_changes:
            line = credit_note.invoice_line_ids.filtered("pass_program_id")[:1]
            with Form(credit_note) as form:
                index = credit_note.invoice_line_ids.ids.index(line.id)
                with form.invoice_line_ids.edit(index) as line_form:
                    for fname, value in line_changes.items():
                        setattr(line_form, fname, value)
        return credit_note

    def _pay(self, moves):
        """Register the payment of ``moves`` in full, one payment each."""
        return (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create({"group_payment": False})
            ._create_payments()
        )

    @classmethod
    def _sold_passes(cls, program, books):
        """The passes (by number) of ``books`` books of ``program``, sold
        and invoiced (for setUpClass: shared by the tests of a class)."""
        order = cls._order(program, books=books)
        cls._invoice(order)
        return order.order_line.pass_book_ids.voucher_ids.sorted("number")

    @classmethod
    def _redeem_passes(cls, vouchers, venue=None):
        """Redeem ``vouchers`` at ``venue`` (default ``venue``) for the test
        service; each must be accepted (class-level set-ups)."""
        for voucher in vouchers:
            res = cls.env["pass.voucher"].redeem_code(
                voucher.code, (venue or cls.venue).id, cls.service.code
            )
            if not res["ok"]:
                raise AssertionError(res)

    def _redeem(self, vouchers):
        for voucher in vouchers:
            res = self.env["pass.voucher"].redeem_code(
                voucher.code, self.venue.id, self.service.code
            )
            self.assertTrue(res["ok"], res)

    def _remit(self, venue=None):
        remittance = self.env["pass.remittance"].create(
            {"venue_id": (venue or self.venue).id, "company_id": self.company.id}
        )
        remittance.action_add_redeemed()
        remittance.action_submit()
        remittance.with_user(self.accountant).action_validate()
        return remittance

    def _liability_balances(self):
        groups = self.env["account.move.line"]._read_group(
            [
                ("account_id", "=", self.company.pass_liability_account_id.id),
                ("parent_state", "=", "posted"),
                ("company_id", "=", self.company.id),
            ],
            ["partner_id"],
            ["balance:sum"],
        )
        return {partner: self.eur.round(-balance) for partner, balance in groups}

    def assertLiabilityInvariant(self, programs):
        """For each funder, the money held on the liability account equals its
        part of the face value of invoiced passes not yet settled."""
        expected = {}
        for program in programs:
            parts = dict(program._pass_funder_cents())
            invoiced_books = self.env["pass.book"].search(
                [
                    ("program_id", "=", program.id),
                    ("sale_line_id.invoice_lines.parent_state", "=", "posted"),
                ]
            )
            unsettled = invoiced_books.voucher_ids.filtered(
                lambda v: v.state in ("available", "distributed", "redeemed")
            )
            for funder, cents in parts.items():
                expected[funder] = expected.get(funder, 0) + cents * len(unsettled)
        balances = self._liability_balances()
        self.assertLedgerOk()
        for funder, cents in expected.items():
            self.assertAlmostEqual(
                balances.get(funder, 0.0),
                cents * self.eur.rounding,
                places=2,
                msg=f"liability of {funder.name}",
            )
        return balances

    def _ledger_check(self, company=None):
        """The product's own ledger check of ``company`` (default: the test
        company), run as the accountant: its result dict."""
        company = company or self.company
        return self.env["pass.ledger.check"].with_user(self.accountant).run(company.id)

    def assertLedgerOk(self, company=None):
        """The product's own ledger check (pass.ledger.check, run as the
        accountant) finds no difference between the passes and the journal
        items, for any funder or venue of the company."""
        result = self._ledger_check(company)
        differences = [
            (
                self.env["res.partner"].browse(d["partner_id"]).name,
                d["role"],
                d["expected"],
                d["ledger"],
            )
            for d in result["differences"]
        ]
        self.assertEqual(
            differences, [], "ledger check (partner, role, expected, ledger)"
        )
        self.assertTrue(result["ok"])
        return result


class PassPaymentsMixin:
    """For classes of ``PassSettlementCommon`` that pay (clearing runs, SEPA
    payment orders): the default user in the payments and bank-account
    validation groups, and ``_setup_payments`` for the cooperative's side."""

    @classmethod
    def get_default_groups(cls):
        groups = super().get_default_groups()
        # Payments, and trusting bank accounts (allow_out_payment).
        return (
            groups
            | cls.env.ref("account_payment_order.group_account_payment")
            | cls.env.ref("account.group_validate_bank_account")
        )

    @classmethod
    def _setup_payments(cls, company_account):
        """The cooperative's bank account the transfers leave from
        (``iban_fr(company_account)``, set on the venues' payment mode's
        journal), and the accountant in the payments group."""
        cls.company_bank = cls._bank_account(cls.company.partner_id, company_account)
        mode = cls.company.pass_venue_payment_mode_id
        mode.fixed_journal_id.bank_account_id = cls.company_bank
        cls.accountant.groups_id += cls.env.ref(
            "account_payment_order.group_account_payment"
        )
