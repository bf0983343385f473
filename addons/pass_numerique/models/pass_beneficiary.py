# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import re

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

AGE_BANDS = [
    ("under_18", "Under 18"),
    ("18_24", "18-24"),
    ("25_39", "25-39"),
    ("40_59", "40-59"),
    ("60_74", "60-74"),
    ("75_plus", "75 and over"),
]

SITUATIONS = [
    ("job_seeker", "Job seeker"),
    ("employed", "Employed"),
    ("retired", "Retired"),
    ("student", "Student"),
    ("minimum_income", "Minimum income (RSA)"),
    ("disability", "Disability"),
    ("other", "Other"),
]

# The facts every beneficiary is registered with, whoever registers it (portal
# form, back office or RPC): the statistics and the consent rest on them.
REQUIRED_FACTS = ("age_band", "zip", "consent_date")
# The reference a new record shows until the server gives it its own.
NEW_REFERENCE = "/"
ZIP_RE = re.compile(r"[0-9]{5}")


class PassBeneficiary(models.Model):
    """A person who receives passes, known only by pseudonymous facts.

    No name, no contact: the prescriber keeps the link between the reference
    and the person in its own files. This is enough to measure impact (age
    band, place, situation) without personal data in the cooperative's ERP.

    The reference is the server's (the ``pass.beneficiary`` sequence): a
    reference sent by a client is refused, so nobody can take the references
    the sequence will hand to another prescriber. Neither the reference nor
    the prescriber changes afterwards.
    """

    _name = "pass.beneficiary"
    _inherit = ["pass.guarded.mixin"]
    _description = "Beneficiary (pseudonymous)"
    _order = "id desc"
    _rec_name = "reference"
    _pass_guarded_fields = frozenset({"reference", "prescriber_id"})
    # create() gives the reference itself and refuses a client's (see
    # create()); the prescriber is chosen at creation, then fixed.
    _pass_guarded_create_ok = frozenset({"reference", "prescriber_id"})

    reference = fields.Char(
        required=True, readonly=True, copy=False, default=NEW_REFERENCE
    )
    prescriber_id = fields.Many2one(
        "res.partner",
        required=True,
        index=True,
        domain=[("is_pass_prescriber", "=", True)],
        default=lambda self: self._default_prescriber(),
    )
    age_band = fields.Selection(AGE_BANDS, required=True)
    zip = fields.Char(string="Postcode", required=True)
    situation = fields.Selection(SITUATIONS)
    consent_date = fields.Date(
        required=True,
        help="Date the person agreed to the use of these facts for statistics.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    voucher_ids = fields.One2many("pass.voucher", "beneficiary_id", string="Passes")

    _sql_constraints = [
        (
            "reference_unique",
            "unique(reference, company_id)",
            "This reference already exists.",
        ),
        (
            "zip_format",
            "check(zip IS NULL OR zip ~ '^[0-9]{5}$')",
            "A postcode has 5 digits.",
        ),
    ]

    def _default_prescriber(self):
        partner = self.env.user.partner_id.commercial_partner_id
        return partner if partner.is_pass_prescriber else False

    @api.constrains("prescriber_id")
    def _check_prescriber(self):
        # sudo: a prescriber's portal user may not read the role flags of
        # partners; only the flag is read.
        for beneficiary in self.sudo():
            if not beneficiary.prescriber_id.is_pass_prescriber:
                raise ValidationError(
                    self.env._(
                        "%(partner)s is not a prescriber: only a prescriber registers "
                        "beneficiaries.",
                        partner=beneficiary.prescriber_id.display_name,
                    )
                )

    @api.constrains(*REQUIRED_FACTS)
    def _check_required_facts(self):
        for beneficiary in self:
            self._check_facts({name: beneficiary[name] for name in REQUIRED_FACTS})
            if not ZIP_RE.fullmatch(beneficiary.zip):
                raise ValidationError(self.env._("A postcode has 5 digits."))

    def _check_facts(self, values):
        """Refuse a beneficiary without an age band, a postcode or a consent
        date (today or before) in ``values`` (field name: value). The
        postcode's format is the ``zip_format`` constraint's."""
        if not values.get("age_band"):
            raise ValidationError(self.env._("Choose the beneficiary's age band."))
        if not values.get("zip"):
            raise ValidationError(self.env._("A postcode has 5 digits."))
        try:
            consent = fields.Date.to_date(values.get("consent_date"))
        except (TypeError, ValueError):
            consent = None
        if not consent or consent > fields.Date.context_today(self):
            raise ValidationError(
                self.env._("Enter the consent date (today or earlier).")
            )

    @api.model_create_multi
    def create(self, vals_list):
        # The facts are checked before the insert: a missing one is a clear
        # refusal, not the database's NOT NULL error.
        defaults = self.default_get(list(REQUIRED_FACTS))
        for vals in vals_list:
            self._check_facts({**defaults, **vals})
        new = [
            vals
            for vals in vals_list
            if vals.get("reference") in (None, False, NEW_REFERENCE)
        ]
        if len(new) < len(vals_list):
            # A reference sent by the caller: refused (only a business method
            # writing inside guarded_write(), or data being loaded, sets one).
            self._pass_check_guarded({"reference"})
        for vals, reference in zip(new, self._next_references(len(new)), strict=True):
            vals["reference"] = reference
        return super().create(vals_list)

    @api.model
    def _next_references(self, count):
        """``count`` new references from the ``pass.beneficiary`` sequence,
        skipping any already taken (e.g. typed in before the server gave
        them all)."""
        # sudo: prescribers' portal users may read neither ir.sequence nor
        # the other prescribers' beneficiaries; only references are compared.
        sequence = self.env["ir.sequence"].sudo()
        everybody = self.sudo().with_context(active_test=False)
        references = []
        while len(references) < count:
            wanted = [
                sequence.next_by_code("pass.beneficiary")
                for _index in range(count - len(references))
            ]
            if not all(wanted):
                # No sequence: the required reference is refused by the
                # database, as before.
                return references + wanted
            taken = set(
                everybody.search([("reference", "in", wanted)]).mapped("reference")
            )
            references += [ref for ref in wanted if ref not in taken]
        return references

    @api.model
    def _hand_book(self, book, reference=None, values=None):
        """Hand ``book``'s passes still to give to one beneficiary of the
        book's holder, and return that beneficiary: the one registered before
        with ``reference`` when given (a person who comes back is not counted
        twice), else a new one registered with ``values``.

        Runs as the caller: the record rules give a prescriber's user only
        its organisation's beneficiaries, so another organisation's reference
        is not found; :meth:`pass.book.hand_to_beneficiary` then checks that
        the organisation holds the book and registered the beneficiary.
        """
        book.ensure_one()
        # As the caller: the record rules keep the passes of the books the
        # prescriber's organisation holds.
        if not self.env["pass.voucher"].search_count(
            [
                ("book_id", "=", book.id),
                ("state", "=", "distributed"),
                ("beneficiary_id", "=", False),
            ],
            limit=1,
        ):
            raise UserError(
                self.env._(
                    "Book %(book)s has no pass left to hand to a beneficiary.",
                    book=book.name,
                )
            )
        if reference:
            beneficiary = self.search(
                [
                    ("reference", "=", reference.strip().upper()),
                    ("prescriber_id", "=", book.holder_id.id),
                ],
                limit=1,
            )
            if not beneficiary:
                raise UserError(
                    self.env._(
                        "No beneficiary of your organisation has the reference "
                        "%(reference)s: check it, or register a new beneficiary.",
                        reference=reference,
                    )
                )
        else:
            beneficiary = self.create(values or {})
        book.hand_to_beneficiary(beneficiary.id)
        return beneficiary
