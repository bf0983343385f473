# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_is_zero

from odoo.addons.pass_numerique.tools.guard import guarded_write

# Funder types that are public bodies: invoiced through Chorus Pro (the
# obligation of public procurement), so they need a SIRET and a service code.
PUBLIC_FUNDER_TYPES = ("state", "region", "departement", "commune", "social")


class SaleOrder(models.Model):
    _inherit = "sale.order"

    pass_funder_breakdown = fields.Html(
        string="Co-funders' shares",
        compute="_compute_pass_funder_breakdown",
        sanitize=False,
        help="What each co-funder of the programmes will be invoiced: its part "
        "of the face value of the books (out of the scope of VAT) on one invoice, "
        "its part of the fee with VAT on another.",
    )
    pass_order_funder_ids = fields.One2many(
        "pass.order.funder",
        "order_id",
        string="Co-funders' invoicing",
        help="Per co-funder of the order: the address of its invoices (its "
        "Chorus Pro service) and its legal commitment number.",
    )

    @api.depends(
        "order_line.product_uom_qty",
        "order_line.price_subtotal",
        "order_line.price_tax",
        "order_line.pass_fee_funder_id",
    )
    def _compute_pass_funder_breakdown(self):
        QWeb = self.env["ir.qweb"]
        for order in self:
            rows = order._pass_funder_breakdown()
            order.pass_funder_breakdown = rows and QWeb._render(
                "pass_settlement.sale_order_funder_breakdown",
                {"rows": rows, "currency": order.currency_id},
            )

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders._pass_sync_quotation_fees()
        return orders

    def write(self, vals):
        res = super().write(vals)
        if not self.env.context.get("pass_syncing_fees") and any(
            fname in vals for fname in self._pass_fee_trigger_fields()
        ):
            self._pass_sync_quotation_fees()
        return res

    def _pass_fee_trigger_fields(self):
        """Fields of an order whose change changes its fee lines."""
        return (
            "order_line",
            "partner_id",
            "partner_invoice_id",
            "partner_shipping_id",
            "fiscal_position_id",
        )

    def _pass_sync_quotation_fees(self):
        """Keep the fee lines of pass quotations up to date, so that each
        co-funder's share and fee show before confirmation."""
        quotations = self.filtered(
            lambda o: o.state in ("draft", "sent")
            and o.company_id.pass_fee_product_id
            and (o._pass_lines() or o.order_line.filtered("pass_fee_program_id"))
        )
        quotations._pass_sync_fee_lines()
        quotations._pass_sync_order_funders()

    def _pass_order_funders(self):
        """The co-funders of this order's books (commercial partners), in the
        order of the programmes' shares."""
        self.ensure_one()
        funders = self.env["res.partner"]
        programs = (
            self._pass_lines().pass_program_id
            | self.order_line.filtered("pass_fee_program_id").pass_fee_program_id
        )
        for program in programs:
            for funding in program._pass_fundings():
                funders |= funding.partner_id.commercial_partner_id
        return funders

    def _pass_sync_order_funders(self):
        """One co-funder line per funder of the order's programmes, with the
        funder's invoice address as default (the order's for the funder who
        placed it, with the order's customer reference as its legal
        commitment). Quotations only: a confirmed order keeps its lines."""
        for order in self.filtered(lambda o: o.state in ("draft", "sent")):
            funders = order._pass_order_funders()
            lines = order.pass_order_funder_ids
            commands = [
                Command.delete(line.id)
                for line in lines
                if line.funder_id not in funders
            ]
            for sequence, funder in enumerate(funders):
                line = lines.filtered(lambda sol, f=funder: sol.funder_id == f)
                if line:
                    if line.sequence != sequence:
                        commands.append(Command.update(line.id, {"sequence": sequence}))
                    continue
                commands.append(
                    Command.create(order._pass_order_funder_defaults(funder, sequence))
                )
            if commands:
                order.check_access("write")
                # sudo: the caller may change this order (checked above); the
                # co-funder lines follow its programmes whatever the caller's
                # rights on them (an accountant or Pass user confirming).
                order.sudo().with_context(pass_syncing_fees=True).write(
                    {"pass_order_funder_ids": commands}
                )

    def _pass_order_funder_defaults(self, funder, sequence=10):
        self.ensure_one()
        # The commitment of the funder's convention for the programme, when
        # one was given on its funding line.
        fundings = (
            self._pass_lines().pass_program_id | self.order_line.pass_fee_program_id
        ).funding_ids.filtered(
            lambda f: f.partner_id.commercial_partner_id == funder
            and f.pass_commitment_ref
        )
        commitment = fundings[:1].pass_commitment_ref or False
        if self._pass_is_orderer(funder):
            contact = self.partner_invoice_id
            commitment = self.client_order_ref or commitment
        else:
            contact = self.env["res.partner"].browse(
                funder.address_get(["invoice"])["invoice"]
            )
        return {
            "funder_id": funder.id,
            "sequence": sequence,
            "partner_invoice_id": contact.id,
            "commitment_ref": commitment,
        }

    def _pass_funder_invoicing(self, funder):
        """(invoice contact, legal commitment) of this funder's invoices for
        this order: its co-funder line, else the defaults."""
        self.ensure_one()
        funder = funder.commercial_partner_id
        line = self.pass_order_funder_ids.filtered(lambda f: f.funder_id == funder)[:1]
        vals = self._pass_order_funder_defaults(funder)
        Partner = self.env["res.partner"]
        if line:
            contact = line.partner_invoice_id or Partner.browse(
                vals["partner_invoice_id"]
            )
            commitment = (line.commitment_ref or "").strip() or vals["commitment_ref"]
            return contact, commitment or False
        return Partner.browse(vals["partner_invoice_id"]), vals["commitment_ref"]

    def _pass_check_chorus(self):
        """Before confirmation (and invoicing): every co-funder invoiced
        through Chorus Pro has what Chorus Pro will ask for on ITS invoices,
        said in French on the order, not when the invoices are sent."""
        for order in self:
            company = order.company_id
            for funder in order._pass_order_funders():
                funder = funder.with_company(company)
                if funder.invoice_sending_method != "fr_chorus":
                    continue
                contact, commitment = order._pass_funder_invoicing(funder)
                company_partner = company.partner_id
                if not company_partner.siren or not company_partner.nic:
                    raise UserError(
                        self.env._(
                            "Company %(company)s has no SIRET: it is required to "
                            "invoice %(funder)s through Chorus Pro.",
                            company=company.display_name,
                            funder=funder.display_name,
                        )
                    )
                if not funder.siren or not funder.nic:
                    raise UserError(
                        self.env._(
                            "Funder %(funder)s is invoiced through Chorus Pro but has "
                            "no SIRET: set it on its form before confirming order "
                            "%(order)s.",
                            funder=funder.display_name,
                            order=order.name,
                        )
                    )
                service = contact.fr_chorus_service_id
                required = funder.fr_chorus_required or (
                    "service"
                    if funder.pass_funder_type in PUBLIC_FUNDER_TYPES
                    else "none"
                )
                needs_service = required in ("service", "service_and_engagement") or (
                    required == "service_or_engagement" and not commitment
                )
                if needs_service and not (service and service._is_service_ok()):
                    raise UserError(
                        self.env._(
                            "Funder %(funder)s is invoiced through Chorus Pro and "
                            'expects a service code: in the "Co-funders" tab of '
                            "order %(order)s, choose as invoice address the contact "
                            "of its service (a named contact, with an active Chorus "
                            "service).",
                            funder=funder.display_name,
                            order=order.name,
                        )
                    )
                needs_commitment = required in (
                    "engagement",
                    "service_and_engagement",
                ) or (service and service.engagement_required)
                if needs_commitment and not commitment:
                    raise UserError(
                        self.env._(
                            "Funder %(funder)s requires a legal commitment number in "
                            'Chorus Pro: enter it in the "Co-funders" tab of order '
                            "%(order)s.",
                            funder=funder.display_name,
                            order=order.name,
                        )
                    )
                # OCA's own checks of the same data (an active service, the
                # commitment number looked up in Chorus Pro when the company
                # asks for it), on this funder's contact and commitment.
                company._chorus_common_validation_checks(
                    order, contact, commitment, service
                )

    def _chorus_validation_checks(self):
        """OCA's check at confirmation looks at the order's invoice address and
        customer reference only: a pass order is invoiced to each co-funder
        with its own contact and commitment, checked per funder."""
        if self._pass_lines():
            return self._pass_check_chorus()
        return super()._chorus_validation_checks()

    def _pass_lines(self):
        return self.order_line.filtered("pass_program_id")

    def _pass_check_order(self):
        for order in self:
            for line in order._pass_lines():
                program = line.pass_program_id
                qty = line.product_uom_qty
                if qty <= 0 or not float_is_zero(qty - round(qty), precision_digits=6):
                    raise UserError(
                        self.env._(
                            "Books are sold whole: the quantity of %(product)s "
                            "must be a whole number of books (it is %(qty)s).",
                            product=line.product_id.display_name,
                            qty=qty,
                        )
                    )
                if program.state != "active":
                    raise UserError(
                        self.env._(
                            "Programme %(program)s is not active: its books "
                            "cannot be sold.",
                            program=program.display_name,
                        )
                    )
                if order.currency_id != program.currency_id:
                    raise UserError(
                        self.env._(
                            "Order %(order)s is in %(order_currency)s but programme "
                            "%(program)s is in %(currency)s.",
                            order=order.name,
                            order_currency=order.currency_id.name,
                            program=program.display_name,
                            currency=program.currency_id.name,
                        )
                    )
                if order.company_id != program.company_id:
                    raise UserError(
                        self.env._(
                            "Programme %(program)s belongs to another company.",
                            program=program.display_name,
                        )
                    )
            if order._pass_lines():
                order.company_id._pass_check_settlement_config()
                order._pass_check_chorus()

    def _pass_sync_fee_lines(self):
        """The cooperative's fee on the books of each programme (the
        programme's fee rate on their face value, excl. VAT), split per
        co-funder before VAT like the face value: one fee line per programme
        and funder, with the fee product's taxes mapped by THAT funder's
        fiscal position. Each funder's fee line is what its fee invoice
        carries, so the order's VAT is the sum of the funders' invoices' VAT
        (rounded per document, not once on the order's total).

        Quotations only (draft or sent): a confirmed order keeps the fee lines
        it was confirmed with."""
        for order in self.filtered(lambda o: o.state in ("draft", "sent")):
            fee_product = order.company_id.pass_fee_product_id
            currency = order.currency_id
            totals = defaultdict(float)
            for line in order._pass_lines():
                totals[line.pass_program_id] += line.price_subtotal
            commands = []
            kept = self.env["sale.order.line"]
            for program, total in totals.items():
                fee_cents = round(
                    currency.round(total * program.fee_rate / 100.0) / currency.rounding
                )
                fundings = program._pass_fundings()
                for (funder, cents), funding in zip(
                    program._pass_split_amount(fee_cents), fundings, strict=True
                ):
                    existing = order.order_line.filtered(
                        lambda sol, p=program, f=funder: sol.pass_fee_program_id == p
                        and sol.pass_fee_funder_id == f
                    )[:1]
                    if not cents and not existing:
                        continue
                    vals = {
                        "product_id": fee_product.id,
                        "name": self.env._(
                            "Management fee %(rate)s %% - %(program)s - "
                            "share of %(funder)s (%(share)s %%)",
                            rate=program.fee_rate,
                            program=program.name,
                            funder=funder.name,
                            share=funding.share,
                        ),
                        "product_uom_qty": 1,
                        "price_unit": cents * currency.rounding,
                        "tax_id": [Command.set(order._pass_fee_taxes(funder).ids)],
                        "pass_fee_program_id": program.id,
                        "pass_fee_funder_id": funder.id,
                    }
                    if existing:
                        kept |= existing
                        commands.append(Command.update(existing.id, vals))
                    else:
                        commands.append(Command.create(vals))
            stale = order.order_line.filtered("pass_fee_program_id") - kept
            commands += [Command.delete(line.id) for line in stale]
            if commands:
                order.with_context(pass_syncing_fees=True).write(
                    {"order_line": commands}
                )

    def _pass_funder_breakdown(self):
        """Per co-funder, what its two invoices for this order will say: its
        part of the face value of the books (its cents of a pass times the
        passes, as invoiced), its fee (its own fee line, VAT rounded as on its
        invoice) and the VAT of it. A list of dicts (funder, face, fee, tax,
        total), in the order of the programmes' shares."""
        self.ensure_one()
        currency = self.currency_id
        rows = {}

        def row(funder):
            return rows.setdefault(
                funder, {"funder": funder, "face": 0.0, "fee": 0.0, "tax": 0.0}
            )

        for line in self._pass_lines():
            passes = (
                round(line.product_uom_qty)
                * line.product_id.product_tmpl_id.pass_passes_per_book
            )
            for funder, cents in line.pass_program_id._pass_funder_cents():
                row(funder)["face"] += cents * passes * currency.rounding
        for line in self.order_line.filtered("pass_fee_program_id"):
            if line.pass_fee_funder_id:
                fee_row = row(line.pass_fee_funder_id)
                fee_row["fee"] += line.price_subtotal
                fee_row["tax"] += line.price_tax
                continue
            # A fee line of the whole programme (quoted before the split).
            program = line.pass_fee_program_id
            fees = program._pass_split_amount(
                round(line.price_subtotal / currency.rounding)
            )
            taxes = program._pass_split_amount(
                round(line.price_tax / currency.rounding)
            )
            for (funder, fee), (_funder, tax) in zip(fees, taxes, strict=True):
                row(funder)["fee"] += fee * currency.rounding
                row(funder)["tax"] += tax * currency.rounding
        for values in rows.values():
            for key in ("face", "fee", "tax"):
                values[key] = currency.round(values[key])
            values["total"] = currency.round(
                values["face"] + values["fee"] + values["tax"]
            )
        return list(rows.values())

    def _pass_is_orderer(self, funder):
        """Whether this funder is the one who placed the order."""
        self.ensure_one()
        return funder.commercial_partner_id == self.partner_id.commercial_partner_id

    def _pass_fiscal_position(self, funder):
        """The fiscal position of this funder's invoices: the order's for the
        funder who placed it, the funder's own for the co-funders."""
        self.ensure_one()
        if self._pass_is_orderer(funder):
            return self.fiscal_position_id
        addresses = funder.address_get(["invoice", "delivery"])
        Partner = self.env["res.partner"]
        return (
            self.env["account.fiscal.position"]
            .with_company(self.company_id)
            ._get_fiscal_position(
                Partner.browse(addresses["invoice"]),
                delivery=Partner.browse(addresses["delivery"]),
            )
        )

    def _pass_fee_taxes(self, funder):
        """The taxes of this funder's fee: the fee product's (VAT on the
        cooperative's service), mapped by the funder's fiscal position."""
        self.ensure_one()
        company = self.company_id
        taxes = company.pass_fee_product_id.taxes_id._filter_taxes_by_company(company)
        return self._pass_fiscal_position(funder).map_tax(taxes)

    def action_pass_update_fees(self):
        self._pass_sync_fee_lines()
        return True

    def action_confirm(self):
        pass_orders = self.filtered(lambda o: o._pass_lines())
        pass_orders._pass_sync_order_funders()
        pass_orders._pass_check_order()
        pass_orders._pass_sync_fee_lines()
        res = super().action_confirm()
        pass_orders._pass_issue_books()
        return res

    def _pass_issue_books(self):
        """Issue the ordered books and hand them to the ordering funder."""
        for order in self:
            for line in order._pass_lines().filtered(lambda sol: not sol.pass_book_ids):
                product = line.product_id.product_tmpl_id
                book_ids = line.pass_program_id.issue_books(
                    round(line.product_uom_qty), product.pass_passes_per_book
                )
                books = self.env["pass.book"].browse(book_ids)
                with guarded_write():
                    books.write({"sale_line_id": line.id})
                if order.partner_id.commercial_partner_id.is_pass_funder:
                    books.distribute(order.partner_id.commercial_partner_id.id)

    def _create_invoices(self, grouped=False, final=False, date=None):
        pass_orders = self.filtered(lambda o: o._pass_lines())
        moves = self.env["account.move"]
        if self - pass_orders:
            moves |= super(SaleOrder, self - pass_orders)._create_invoices(
                grouped=grouped, final=final, date=date
            )
        if pass_orders:
            moves |= pass_orders._pass_create_funder_invoices(date=date)
        return moves

    def _pass_create_funder_invoices(self, date=None):
        """Two invoices per co-funder and order, built from sale's own
        ``_prepare_invoice`` / ``_prepare_invoice_line`` (payment terms,
        salesperson, team, origin, other addons' values survive) and then
        given to the funder:

        - the face value: its part of the books, on the funders' money
          account, out of the scope of VAT (multi-purpose vouchers, art. 30
          ter of directive 2006/112/EC, art. 257 ter CGI: VAT category O,
          which EN 16931 (BR-O-11 to 14) forbids mixing with other
          categories on one invoice);
        - the fee: its part of the cooperative's fee, with VAT.

        Each funder is invoiced what is left of its share of each line: all of
        it the first time; again after a credit note gave its share back (a
        Chorus Pro rejection, a wrong legal commitment); nothing while a draft
        or posted invoice covers it."""
        self._pass_check_order()
        moves_vals = []
        kinds = ("face", "fee")
        for order in self:
            order = order.with_company(order.company_id)
            documents = defaultdict(list)
            for line in order.order_line.filtered(
                lambda sol: sol.pass_program_id or sol.pass_fee_program_id
            ):
                for funder, kind, vals in line._pass_prepare_funder_invoice_lines():
                    documents[funder, kind].append(vals)
            rank = {}
            for line in order._pass_lines() | order.order_line.filtered(
                "pass_fee_program_id"
            ):
                program = line.pass_program_id or line.pass_fee_program_id
                for funder, _cents in program._pass_funder_cents():
                    rank.setdefault(funder, len(rank))
            for funder, _kind in documents:
                rank.setdefault(funder, len(rank))
            for funder, kind in sorted(
                documents, key=lambda key: (rank[key[0]], kinds.index(key[1]))
            ):
                vals = order._pass_prepare_funder_invoice(funder, date=date)
                vals["invoice_line_ids"] += [
                    Command.create(line_vals) for line_vals in documents[funder, kind]
                ]
                moves_vals.append(vals)
        if not moves_vals:
            raise UserError(
                self.env._("There is nothing left to invoice on these orders.")
            )
        # sudo (in sale's _create_account_invoices): as in sale's own
        # _create_invoices, salespeople invoice orders without being
        # accountants; _pass_check_order checked the orders first.
        moves = self._create_account_invoices(moves_vals, final=False)
        for move in moves:
            move.message_post_with_source(
                "mail.message_origin_link",
                render_values={
                    "self": move,
                    "origin": move.line_ids.sale_line_ids.order_id,
                },
                subtype_xmlid="mail.mt_note",
            )
        return moves.sudo(False)

    def _pass_prepare_funder_invoice(self, funder, date=None):
        """The values of one of this funder's invoices for this order: sale's
        own ``_prepare_invoice`` (salesperson, team, payment term, origin,
        narration, what other addons add), then the funder as customer, the
        pass sales journal, the funder's fiscal position and reference. The
        funder who placed the order keeps the order's addresses, fiscal
        position, payment term and purchase reference; a co-funder gets its
        own addresses, fiscal position and payment term (the order's if it
        has none), and the order's number as reference: another funder's
        purchase reference is not its own."""
        self.ensure_one()
        company = self.company_id
        order = self.with_context(lang=funder.lang)
        vals = order._prepare_invoice()
        vals.update(
            {
                "journal_id": company.pass_sale_journal_id.id,
                "fiscal_position_id": self._pass_fiscal_position(funder).id,
                "ref": self._pass_funder_ref(funder),
                "invoice_date": date or False,
            }
        )
        # The funder's contact for this order (its Chorus Pro service: the
        # buyer reference of its invoices), never another funder's.
        contact, _commitment = self._pass_funder_invoicing(funder)
        # How the funder pays (Chorus Pro wants it, with the cooperative's
        # IBAN): its contact's incoming payment method, else the funder's.
        method = (contact or funder).with_company(
            company
        ).property_inbound_payment_method_line_id or funder.with_company(
            company
        ).property_inbound_payment_method_line_id
        if method:
            vals["preferred_payment_method_line_id"] = method.id
        if self._pass_is_orderer(funder):
            if contact:
                vals["partner_id"] = contact.id
        else:
            addresses = funder.address_get(["invoice", "delivery"])
            term = funder.with_company(company).property_payment_term_id
            vals.update(
                {
                    "partner_id": contact.id or addresses["invoice"],
                    "partner_shipping_id": addresses["delivery"],
                    "invoice_payment_term_id": (
                        term.id or vals.get("invoice_payment_term_id")
                    ),
                    # The order's payment reference and online payments are
                    # the orderer's.
                    "payment_reference": False,
                    "transaction_ids": [Command.clear()],
                }
            )
        return vals

    def _pass_funder_ref(self, funder):
        """The reference on this funder's invoices (its purchase order or
        legal commitment): its legal commitment for this order when it gave
        one, else the order's customer reference for the funder who placed
        it, the order's number for the other co-funders."""
        self.ensure_one()
        _contact, commitment = self._pass_funder_invoicing(funder)
        if commitment:
            return commitment
        if self._pass_is_orderer(funder):
            return self.client_order_ref or self.name
        return self.name
