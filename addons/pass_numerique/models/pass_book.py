# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tools.guard import guarded_write

CANCEL_REASONS = [
    ("lost", "Lost"),
    ("stolen", "Stolen"),
    ("destroyed", "Destroyed"),
    ("misprint", "Misprint"),
    ("other", "Other"),
]

# Pass states that can still change hands or be cancelled.
UNUSED_STATES = ("available", "distributed")
# Pass states of a pass used at a venue (redeemed, then settled).
USED_STATES = ("redeemed", "settled")

# Fields of a book that only its business methods change.
BOOK_GUARDED_FIELDS = frozenset(
    {
        "name",
        "program_id",
        "company_id",
        "holder_id",
        "state",
        "funders_paid",
        "passes_per_book",
        "date_issue",
        "date_expiry",
    }
)


class PassBook(models.Model):
    _name = "pass.book"
    _inherit = ["pass.guarded.mixin"]
    _description = "Pass book (carnet)"
    _order = "id desc"
    _check_company_auto = True
    _pass_guarded_fields = BOOK_GUARDED_FIELDS

    name = fields.Char(string="Book number", required=True, readonly=True, copy=False)
    program_id = fields.Many2one(
        "pass.program",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one(related="program_id.currency_id")
    # For the views: the funders' payment matters only on on-payment programmes.
    program_activation = fields.Selection(related="program_id.activation")
    voucher_ids = fields.One2many("pass.voucher", "book_id", string="Passes")
    passes_per_book = fields.Integer(readonly=True)
    holder_id = fields.Many2one(
        "res.partner", string="Holder", readonly=True, index=True, ondelete="restrict"
    )
    distribution_ids = fields.One2many(
        "pass.book.distribution", "book_id", string="Holder history", readonly=True
    )
    state = fields.Selection(
        [
            ("available", "Available"),
            ("distributed", "Distributed"),
            ("cancelled", "Cancelled"),
        ],
        default="available",
        required=True,
        readonly=True,
        index=True,
    )
    funders_paid = fields.Boolean(
        string="Funders' payment received",
        readonly=True,
        copy=False,
        help="For programmes activated on payment: the passes of this book can be "
        "redeemed only once every funder has paid for it.",
    )
    date_issue = fields.Date(string="Issued on", readonly=True)
    date_expiry = fields.Date(string="Valid until", readonly=True)
    amount_total = fields.Monetary(compute="_compute_usage", string="Face value")
    voucher_used_count = fields.Integer(compute="_compute_usage", string="Used passes")
    voucher_unused_count = fields.Integer(
        compute="_compute_usage", string="Unused passes"
    )

    _sql_constraints = [
        ("name_unique", "unique(name)", "This book number already exists."),
    ]

    @api.depends("voucher_ids.state", "voucher_ids.amount")
    def _compute_usage(self):
        stats = {
            (book.id, state): (count, amount)
            for book, state, count, amount in self.env["pass.voucher"]._read_group(
                [("book_id", "in", self.ids)],
                groupby=["book_id", "state"],
                aggregates=["__count", "amount:sum"],
            )
        }
        for book in self:
            rows = {s: v for (bid, s), v in stats.items() if bid == book.id}
            book.amount_total = sum(
                a for s, (_c, a) in rows.items() if s != "cancelled"
            )
            book.voucher_used_count = sum(
                rows.get(s, (0, 0))[0] for s in ("redeemed", "settled")
            )
            book.voucher_unused_count = sum(
                rows.get(s, (0, 0))[0] for s in UNUSED_STATES
            )

    @api.model
    def _reserve_names(self, count):
        """Reserve ``count`` book numbers from the book sequence in one query."""
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(  # sudo: users issuing books
                # need numbers from a sequence they may not read, as next_by_code does
                [
                    ("code", "=", "pass.book"),
                    ("company_id", "in", [self.env.company.id, False]),
                ],
                order="company_id",
                limit=1,
            )
        )
        if not sequence:
            raise UserError(
                self.env._("The sequence of book numbers (pass.book) cannot be found.")
            )
        if sequence.implementation != "standard":
            return [sequence.next_by_id() for _i in range(count)]
        prefix, suffix = sequence._get_prefix_suffix()
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%(seq)s) FROM generate_series(1, %(count)s)",
                seq=f"ir_sequence_{sequence.id:03d}",
                count=count,
            )
        )
        return [
            "%s%s%s" % (prefix, str(row[0]).zfill(sequence.padding), suffix)
            for row in self.env.cr.fetchall()
        ]

    # ------------------------------------------------------------------ business
    def _is_activated(self):
        """Whether this book's passes may be redeemed as far as money goes."""
        self.ensure_one()
        return self.program_id.activation == "on_issue" or self.funders_paid

    def action_mark_funders_paid(self):
        """Manual activation of books of an on-payment programme (the settlement
        addon sets it from the funders' reconciled invoices)."""
        if not self.env.user.has_group("pass_numerique.pass_numerique_group_manager"):
            raise AccessError(self.env._("Only a Pass manager can activate books."))
        with guarded_write():
            self.write({"funders_paid": True})
        return True

    def hand_to_beneficiary(self, beneficiary_id):
        """A prescriber gives these books' distributed passes to one of its
        pseudonymous beneficiaries. Returns the number of passes handed.

        The caller's organisation must hold every book and be the
        beneficiary's prescriber; Pass staff may record it on a prescriber's
        behalf. Checked on ``self.env.user`` even when called with sudo().
        """
        try:
            beneficiary_id = int(beneficiary_id or 0)
        except (TypeError, ValueError):
            beneficiary_id = 0
        # sudo: a prescriber's portal user reads the beneficiary and the books'
        # holders to be checked below; nothing is written before the checks.
        beneficiary = (
            self.env["pass.beneficiary"].sudo().browse(beneficiary_id).exists()
            if 0 < beneficiary_id < 2**31
            else self.env["pass.beneficiary"]
        )
        if not beneficiary:
            raise UserError(self.env._("This beneficiary does not exist."))
        if not self:
            raise UserError(self.env._("Choose at least one book to hand out."))
        books = self.sudo()  # sudo: see above, read-only until the checks pass
        user = self.env.user
        if not user.has_group("pass_numerique.pass_numerique_group_user"):
            organisation = user.partner_id.commercial_partner_id
            if (
                user._is_public()
                or books.holder_id != organisation
                or beneficiary.prescriber_id != organisation
            ):
                raise AccessError(
                    self.env._(
                        "You can only hand out the books your organisation holds, to "
                        "its own beneficiaries."
                    )
                )
        for book in books:
            if book.holder_id != beneficiary.prescriber_id:
                raise UserError(
                    self.env._(
                        "Book %(book)s is not held by %(prescriber)s, the prescriber "
                        "of beneficiary %(reference)s.",
                        book=book.name,
                        prescriber=beneficiary.prescriber_id.display_name,
                        reference=beneficiary.reference,
                    )
                )
        # sudo: prescribers' portal users may not write passes; allowed above.
        vouchers = (
            self.env["pass.voucher"]
            .sudo()
            .search(
                [
                    ("book_id", "in", books.ids),
                    ("state", "=", "distributed"),
                    ("beneficiary_id", "=", False),
                ]
            )
        )
        if not vouchers:
            raise UserError(
                self.env._("These books have no pass left to hand to a beneficiary.")
            )
        with guarded_write():
            vouchers.write({"beneficiary_id": beneficiary.id})
        return len(vouchers)

    def distribute(self, holder_id):
        """Hand these books on to a funder, prescriber or beneficiary.

        Their ``available`` passes become ``distributed``; passes already
        redeemed, settled, expired or cancelled are left as they are; the
        holder history keeps every hand-over.
        """
        self._check_pass_user()
        try:
            holder_id = int(holder_id or 0)
        except (TypeError, ValueError):
            holder_id = 0
        holder = (
            self.env["res.partner"].browse(holder_id).exists()
            if 0 < holder_id < 2**31
            else self.env["res.partner"]
        )
        if not holder:
            raise UserError(self.env._("The recipient of the books does not exist."))
        if not self:
            raise UserError(self.env._("Select at least one book to hand out."))
        if not (holder.is_pass_funder or holder.is_pass_prescriber):
            raise UserError(
                self.env._(
                    "%(holder)s is neither a funder nor a prescriber: books can only "
                    "be handed to one of them.",
                    holder=holder.display_name,
                )
            )
        for book in self:
            if book.state == "cancelled":
                raise UserError(
                    self.env._(
                        "Book %(book)s is cancelled: it cannot be handed out.",
                        book=book.name,
                    )
                )
            if book.program_id.state != "active":
                raise UserError(
                    self.env._(
                        "Book %(book)s belongs to programme %(program)s, which is not "
                        "active: it cannot be handed out.",
                        book=book.name,
                        program=book.program_id.display_name,
                    )
                )
            if book.holder_id == holder:
                raise UserError(
                    self.env._(
                        "Book %(book)s is already held by %(holder)s.",
                        book=book.name,
                        holder=holder.display_name,
                    )
                )
        self.env["pass.book.distribution"].create(
            [
                {
                    "book_id": book.id,
                    "from_partner_id": book.holder_id.id,
                    "holder_id": holder.id,
                }
                for book in self
            ]
        )
        vouchers = self.env["pass.voucher"].search(
            [("book_id", "in", self.ids), ("state", "=", "available")]
        )
        with guarded_write():
            self.write({"holder_id": holder.id, "state": "distributed"})
            vouchers.write({"state": "distributed"})
        return True

    def _check_pass_user(self):
        if not self.env.user.has_group("pass_numerique.pass_numerique_group_user"):
            raise AccessError(self.env._("Only Pass Numérique staff can do this."))

    def cancel_unused(self, reason, note=False):
        """Cancel the passes of these books that were not used (lost, stolen,
        destroyed book). Redeemed and settled passes are kept."""
        self._check_pass_user()
        if reason not in dict(CANCEL_REASONS):
            raise UserError(self.env._("Choose the reason for cancelling the passes."))
        vouchers = self.env["pass.voucher"].search(
            [("book_id", "in", self.ids), ("state", "in", UNUSED_STATES)]
        )
        if not vouchers:
            raise UserError(
                self.env._("These books have no unused pass left to cancel.")
            )
        vouchers._cancel(reason, note)
        fully = self.filtered(
            lambda b: not b.voucher_unused_count and not b.voucher_used_count
        )
        with guarded_write():
            fully.write({"state": "cancelled"})
        return len(vouchers)
