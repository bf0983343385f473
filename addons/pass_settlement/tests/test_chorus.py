# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Public funders invoiced through Chorus Pro (OCA's l10n_fr_chorus_*):
each co-funder's invoices carry ITS service code (buyer reference) and ITS
legal commitment (buyer's order reference), never another funder's; what is
missing is said at order confirmation; the invoices go out through OCA's
transmission path, tested up to the HTTP call (only the HTTP POSTs are
mocked)."""

import base64
import io
import json
import tarfile
from unittest.mock import MagicMock, patch

from lxml import etree

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import config

from .common import PassSettlementCommon

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:"
    "ReusableAggregateBusinessInformationEntity:100",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
STATE_EJ = "1300012345"
DEPT_EJ = "EJ-CD15-2026-0042"


@tagged("post_install", "-at_install")
class TestChorus(PassSettlementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "vat": "FR44732829320",
                "email": "compta@pass-numerique.example",
                "phone": "+33 5 56 00 00 00",
            }
        )
        cls.company.partner_id.write({"siren": "732829320", "nic": "00074"})
        # sudo: bank accounts are created by payment managers; the fixture
        # gives the cooperative its IBAN (Chorus Pro wants one on invoices).
        cls.iban = (
            cls.env["res.partner.bank"]
            .sudo()
            .create(
                {
                    "acc_number": "FR7630006000011234567890189",
                    "partner_id": cls.company.partner_id.id,
                    "company_id": cls.company.id,
                    "allow_out_payment": True,
                }
            )
        )
        bank = cls.company_data["default_journal_bank"]
        bank.bank_account_id = cls.iban
        cls.inbound_line = bank.inbound_payment_method_line_ids[:1]
        fr = cls.env.ref("base.fr")
        Service = cls.env["chorus.partner.service"]
        Partner = cls.env["res.partner"]
        # The State: service code and legal commitment required.
        # The Département: service code required.
        for funder, siret, required in (
            (cls.state_funder, "11000001500013", "service_and_engagement"),
            (cls.dept_funder, "21330063500017", "service"),
        ):
            funder.with_company(cls.company).write(
                {
                    "is_company": True,
                    "country_id": fr.id,
                    "street": "1 place de la République",
                    "zip": "15000",
                    "city": "Aurillac",
                    "siret": siret,
                    "invoice_sending_method": "fr_chorus",
                    "property_inbound_payment_method_line_id": (cls.inbound_line.id),
                }
            )
            funder.fr_chorus_required = required
        # Each funder's Chorus Pro service, and its invoicing contact there.
        for key, funder, code, name, contact in (
            (
                "state",
                cls.state_funder,
                "ETAT-DINUM",
                "DINUM",
                "DINUM - service facturier",
            ),
            (
                "dept",
                cls.dept_funder,
                "CD15-INCLUSION",
                "Direction de l'inclusion",
                "Direction de l'inclusion",
            ),
        ):
            service = Service.create(
                {"partner_id": funder.id, "code": code, "name": name}
            )
            setattr(cls, f"{key}_service", service)
            contact = Partner.create(
                {
                    "name": contact,
                    "parent_id": funder.id,
                    "type": "invoice",
                    "fr_chorus_service_id": service.id,
                }
            )
            setattr(cls, f"{key}_contact", contact)
        cls.program = cls._program(
            [(cls.dept_funder, 60.0), (cls.state_funder, 40.0)], "CHORUS"
        )

    # ------------------------------------------------------------------ helpers
    def _quotation(self, **vals):
        return self.env["sale.order"].create(
            {
                "partner_id": self.dept_funder.id,
                "partner_invoice_id": self.dept_contact.id,
                "client_order_ref": DEPT_EJ,
                "company_id": self.company.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.program.product_id.id, "product_uom_qty": 2}
                    )
                ],
                **vals,
            }
        )

    def _funder_line(self, order, funder):
        line = order.pass_order_funder_ids.filtered(lambda f: f.funder_id == funder)
        self.assertEqual(len(line), 1)
        return line

    def _confirmed(self):
        order = self._quotation()
        self._funder_line(order, self.state_funder).commitment_ref = STATE_EJ
        order.action_confirm()
        return order

    def _invoices(self, order):
        invoices = order._create_invoices()
        invoices.action_post()
        return invoices

    def _state_credit_note(self, reason):
        """A draft credit note of the State's first invoice of a confirmed
        order (reversal wizard, as a Chorus Pro rejection is recorded)."""
        invoices = self._invoices(self._confirmed())
        state_face = invoices.filtered(
            lambda m: m.commercial_partner_id == self.state_funder
        )[:1]
        return self._credit_note(state_face, reason)

    def _cii(self, invoice):
        xml, errors = self.env["account.edi.xml.cii"]._export_invoice(invoice)
        self.assertEqual(errors, set())
        return etree.fromstring(xml)

    def _cii_refs(self, tree):
        agreement = ".//ram:ApplicableHeaderTradeAgreement"
        return (
            tree.findtext(f"{agreement}/ram:BuyerReference", namespaces=NS),
            tree.findtext(
                f"{agreement}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
                namespaces=NS,
            ),
        )

    # ------------------------------------------------------------------ data
    def test_order_lists_each_cofunder_with_its_own_defaults(self):
        order = self._quotation()
        dept = self._funder_line(order, self.dept_funder)
        state = self._funder_line(order, self.state_funder)
        self.assertTrue(dept.is_orderer)
        self.assertEqual(dept.partner_invoice_id, self.dept_contact)
        self.assertEqual(dept.commitment_ref, DEPT_EJ)
        self.assertEqual(dept.chorus_service_id, self.dept_service)
        self.assertFalse(state.is_orderer)
        # The State's invoice address (its service), never the orderer's EJ.
        self.assertEqual(state.partner_invoice_id, self.state_contact)
        self.assertFalse(state.commitment_ref)

    def test_programme_commitment_is_the_cofunder_default(self):
        """A commitment given on the programme's funding line (the funder's
        convention) is the default of that funder only."""
        program = self._program(
            [(self.dept_funder, 50.0), (self.state_funder, 50.0)],
            "CHORUS2",
            funding_ids=[
                Command.create(
                    {
                        "partner_id": self.dept_funder.id,
                        "share": 50.0,
                        "pass_commitment_ref": "EJ-CONV-CD15",
                    }
                ),
                Command.create(
                    {
                        "partner_id": self.state_funder.id,
                        "share": 50.0,
                        "pass_commitment_ref": "EJ-CONV-ETAT",
                    }
                ),
            ],
        )
        order = self._quotation(
            client_order_ref=False,
            order_line=[
                Command.create(
                    {"product_id": program.product_id.id, "product_uom_qty": 1}
                )
            ],
        )
        self.assertEqual(
            self._funder_line(order, self.state_funder).commitment_ref,
            "EJ-CONV-ETAT",
        )
        self.assertEqual(
            self._funder_line(order, self.dept_funder).commitment_ref,
            "EJ-CONV-CD15",
        )

    def test_credit_note_of_a_chorus_funder_posts(self):
        """A credit note (a Chorus Pro rejection) goes to the same funder, with
        its commitment, without a payment method (Chorus Pro refuses one)."""
        refund = self._state_credit_note(reason="rejet")
        refund.action_post()
        self.assertEqual(refund.state, "posted")
        self.assertEqual(refund.partner_id, self.state_contact)
        self.assertFalse(refund.preferred_payment_method_line_id)
        self.assertLedgerOk()

    def test_each_funder_invoice_carries_its_own_service_and_commitment(self):
        order = self._confirmed()
        invoices = self._invoices(order)
        self.assertEqual(len(invoices), 4)
        expected = {
            self.dept_funder: (self.dept_contact, "CD15-INCLUSION", DEPT_EJ),
            self.state_funder: (self.state_contact, "ETAT-DINUM", STATE_EJ),
        }
        for invoice in invoices:
            contact, code, commitment = expected[invoice.commercial_partner_id]
            self.assertEqual(invoice.state, "posted")
            self.assertEqual(invoice.invoice_sending_method, "fr_chorus")
            self.assertEqual(invoice.partner_id, contact)
            self.assertEqual(invoice.chorus_service_code, code)
            self.assertEqual(invoice.ref, commitment)
            self.assertEqual(invoice.buyer_reference, code)
            # Odoo's Factur-X (CII): BT-10 and BT-13 are this funder's.
            self.assertEqual(self._cii_refs(self._cii(invoice)), (code, commitment))
            # UBL (Peppol BIS 3): the same two references.
            xml, _errors = self.env["account.edi.xml.ubl_bis3"]._export_invoice(invoice)
            tree = etree.fromstring(xml)
            self.assertEqual(tree.findtext("cbc:BuyerReference", namespaces=NS), code)
            self.assertEqual(
                tree.findtext("cac:OrderReference/cbc:ID", namespaces=NS), commitment
            )
        self.assertLedgerOk()

    def test_chorus_payload_built_by_oca_for_each_funder(self):
        """OCA's Chorus payload (``_prepare_chorus_deposer_flux_payload``):
        the CII 16B file of each funder's invoice names its own service and
        commitment."""
        self.company.fr_chorus_invoice_format = "xml_cii"
        invoices = self._invoices(self._confirmed())
        for invoice in invoices:
            payload = invoice._prepare_chorus_deposer_flux_payload()
            self.assertEqual(payload["syntaxeFlux"], "IN_DP_E1_CII_16B")
            self.assertFalse(payload["avecSignature"])
            tree = etree.fromstring(base64.b64decode(payload["fichierFlux"]))
            _contact, code, commitment = (
                (None, "CD15-INCLUSION", DEPT_EJ)
                if invoice.commercial_partner_id == self.dept_funder
                else (None, "ETAT-DINUM", STATE_EJ)
            )
            self.assertEqual(self._cii_refs(tree), (code, commitment))
            other = STATE_EJ if commitment == DEPT_EJ else DEPT_EJ
            self.assertNotIn(other.encode(), base64.b64decode(payload["fichierFlux"]))

    def test_send_through_oca_up_to_the_http_call(self):
        """OCA's ``_fr_chorus_send``: token from PISTE, then the invoices'
        flow posted to Chorus Pro; only the two HTTP POSTs are mocked."""
        self.company.write(
            {
                "fr_chorus_invoice_format": "xml_cii",
                "fr_chorus_api_login": "TECH_pass@cpro.fr",
                "fr_chorus_api_password": "secret",
            }
        )
        invoices = self._invoices(self._confirmed())
        state_invoices = invoices.filtered(
            lambda m: m.commercial_partner_id == self.state_funder
        )
        token = MagicMock(status_code=200)
        token.json.return_value = {
            "access_token": "tok",
            "token_type": "Bearer",
            "expires_in": 3600,
        }
        answer = MagicMock(status_code=200)
        answer.json.return_value = {
            "codeRetour": 0,
            "numeroFluxDepot": "CPP-FLUX-42",
            "dateDepot": "2026-11-26",
        }
        self.env.registry.clear_cache()  # PISTE tokens are cached
        with (
            patch.dict(
                config.options,
                {"chorus_api_oauth_id": "pass-id", "chorus_api_oauth_secret": "s"},
            ),
            patch(
                "odoo.addons.l10n_fr_chorus_account.models.res_company.requests.post",
                return_value=token,
            ) as token_post,
            patch(
                "requests_oauthlib.OAuth2Session.post", return_value=answer
            ) as chorus_post,
        ):
            flow = state_invoices._fr_chorus_send()
        token_post.assert_called_once()
        self.assertEqual(token_post.call_args.kwargs["data"]["client_id"], "pass-id")
        url = chorus_post.call_args.args[0]
        self.assertTrue(url.endswith("/cpro/factures/v1/deposer/flux"), url)
        payload = json.loads(chorus_post.call_args.kwargs["data"])
        self.assertEqual(payload["syntaxeFlux"], "IN_DP_E1_CII_16B")
        self.assertTrue(payload["nomFichier"].endswith(".tar.gz"))
        with tarfile.open(
            fileobj=io.BytesIO(base64.b64decode(payload["fichierFlux"]))
        ) as tar:
            files = [tar.extractfile(member).read() for member in tar.getmembers()]
        self.assertEqual(len(files), 2)
        for xml in files:
            refs = self._cii_refs(etree.fromstring(xml))
            self.assertEqual(refs, ("ETAT-DINUM", STATE_EJ))
            self.assertNotIn(DEPT_EJ.encode(), xml)
        self.assertEqual(flow.name, "CPP-FLUX-42")
        self.assertEqual(state_invoices.chorus_flow_id, flow)
        self.assertFalse((invoices - state_invoices).chorus_flow_id)

    # ------------------------------------------------------------------ bad input
    def _assert_refused_at_confirmation(self, order):
        with self.assertRaises(UserError) as caught:
            order.action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertFalse(order.order_line.pass_book_ids)
        return str(caught.exception)

    def test_funder_without_siret_refused_at_confirmation(self):
        self.state_funder.write({"siren": False, "nic": False})
        order = self._quotation()
        self._funder_line(order, self.state_funder).commitment_ref = STATE_EJ
        message = self._assert_refused_at_confirmation(order)
        self.assertIn(self.state_funder.name, message)
        self.assertIn("SIRET", message)

    def test_funder_without_service_refused_at_confirmation(self):
        order = self._quotation()
        line = self._funder_line(order, self.state_funder)
        line.write({"partner_invoice_id": self.state_funder.id, "commitment_ref": "X"})
        message = self._assert_refused_at_confirmation(order)
        self.assertIn(self.state_funder.name, message)
        self.assertIn("service code", message)

    def test_public_funder_unknown_requirement_needs_a_service(self):
        """A public funder whose Chorus requirements were never fetched is
        asked for a service code (the brief's rule for public bodies)."""
        self.dept_funder.fr_chorus_required = False
        order = self._quotation(partner_invoice_id=self.dept_funder.id)
        self._funder_line(order, self.state_funder).commitment_ref = STATE_EJ
        self._assert_refused_at_confirmation(order)

    def test_missing_commitment_refused_at_confirmation(self):
        order = self._quotation()
        message = self._assert_refused_at_confirmation(order)
        self.assertIn("legal commitment", message)
        self.assertIn(self.state_funder.name, message)

    def test_funder_not_on_chorus_needs_nothing(self):
        self.state_funder.with_company(self.company).invoice_sending_method = "email"
        order = self._quotation()
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_other_funder_refs_never_leak(self):
        """The State without an EJ of its own gets the order number, not the
        Département's commitment."""
        self.state_funder.fr_chorus_required = "service"
        order = self._quotation()
        order.action_confirm()
        invoices = self._invoices(order)
        state_invoices = invoices.filtered(
            lambda m: m.commercial_partner_id == self.state_funder
        )
        self.assertEqual(set(state_invoices.mapped("ref")), {order.name})
        for invoice in state_invoices:
            self.assertEqual(
                self._cii_refs(self._cii(invoice)), ("ETAT-DINUM", order.name)
            )

    def test_credit_note_to_another_funder_refused(self):
        refund = self._state_credit_note(reason="test")
        refund.partner_id = self.dept_contact
        with self.assertRaises(UserError):
            refund.action_post()
        self.assertEqual(refund.state, "draft")
        self.assertLedgerOk()

    def test_payment_of_another_funder_refused(self):
        invoices = self._invoices(self._confirmed())
        state_invoice = invoices.filtered(
            lambda m: m.commercial_partner_id == self.state_funder
        )[:1]
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.dept_funder.id,
                "amount": state_invoice.amount_total,
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        payment.action_post()
        lines = (state_invoice.line_ids | payment.move_id.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        with self.assertRaises(UserError):
            lines.reconcile()
        self.assertEqual(state_invoice.payment_state, "not_paid")

    def test_money_moved_to_another_funder_flagged_by_ledger_check(self):
        """An entry moving the State's money on 467 to the Département (a
        hand-made credit or payment booked on the wrong funder) is found by
        the ledger check, for both funders."""
        self._invoices(self._confirmed())
        liability = self.company.pass_liability_account_id
        move = self.env["account.move"].create(
            {
                "journal_id": self.company_data["default_journal_misc"].id,
                "line_ids": [
                    Command.create(
                        {
                            "account_id": liability.id,
                            "partner_id": self.state_funder.id,
                            "debit": 8.0,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": liability.id,
                            "partner_id": self.dept_funder.id,
                            "credit": 8.0,
                        }
                    ),
                ],
            }
        )
        move.action_post()
        result = self._ledger_check()
        self.assertFalse(result["ok"])
        flagged = {
            d["partner_id"]: d["difference"]
            for d in result["differences"]
            if d["role"] == "funder"
        }
        self.assertEqual(
            flagged, {self.state_funder.id: 8.0, self.dept_funder.id: -8.0}
        )
