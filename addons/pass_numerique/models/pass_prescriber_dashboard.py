# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The prescriber's portal page (``/my/pass-books``), as a model service:
the books the organisation holds with their passes' use, what became of
those passes, and the hand-over of a book to a beneficiary.

Everything runs as the caller: the record rules give a prescriber's portal
user the books its organisation holds, their passes, its own beneficiaries,
the programmes of those books and the active services."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.tools import format_date

from .pass_beneficiary import ZIP_RE
from .pass_book import USED_STATES
from .pass_funder_dashboard import beneficiary_choices, percent, rate
from .pass_venue_counter import service_name

# References offered in the hand-over form (the most recent beneficiaries);
# any older one can still be typed.
MAX_KNOWN_BENEFICIARIES = 500


class PassPrescriberDashboard(models.AbstractModel):
    _name = "pass.prescriber.dashboard"
    _description = "Prescriber books page (portal)"

    @api.model
    def _check_prescriber_access(self, prescriber):
        """Refuse (AccessError) anybody but Pass staff and the users of
        ``prescriber``'s own organisation; it must be a prescriber."""
        user = self.env.user
        own = (
            not user._is_public()
            and user.partner_id.commercial_partner_id == prescriber
        )
        staff = user.has_group("pass_numerique.pass_numerique_group_user")
        if not (prescriber and prescriber.is_pass_prescriber and (own or staff)):
            raise AccessError(
                self.env._("Only a prescriber's own users may see its books.")
            )

    @api.model
    def _books_page(self, prescriber):
        """The books ``prescriber`` holds, one row each (passes used, unused,
        still to hand, the beneficiaries' references), what became of their
        passes (``outcome``) and the choices of the hand-over form."""
        self._check_prescriber_access(prescriber)
        books = self.env["pass.book"].search([("holder_id", "=", prescriber.id)])
        stats = {}
        beneficiary_ids = set()
        for book, state, beneficiary, count in self.env["pass.voucher"]._read_group(
            [("book_id", "in", books.ids)],
            groupby=["book_id", "state", "beneficiary_id"],
            aggregates=["__count"],
        ):
            row = stats.setdefault(
                book.id,
                {"total": 0, "used": 0, "unused": 0, "to_give": 0, "people": set()},
            )
            row["total"] += count
            if state in USED_STATES:
                row["used"] += count
            elif state in ("available", "distributed"):
                row["unused"] += count
            if beneficiary:
                row["people"].add(beneficiary.id)
                beneficiary_ids.add(beneficiary.id)
            elif state == "distributed":
                row["to_give"] += count
        # Only the references of the organisation's own beneficiaries (a book
        # handed on by another prescriber keeps theirs): the record rules.
        references = {
            b.id: b.reference
            for b in self.env["pass.beneficiary"].search(
                [("id", "in", list(beneficiary_ids))]
            )
        }
        rows = []
        for book in books:
            row = stats.get(book.id, {})
            rows.append(
                {
                    "book": book,
                    "program": book.program_id.name,
                    "expiry": format_date(self.env, book.date_expiry)
                    if book.date_expiry
                    else "",
                    "total": row.get("total", 0),
                    "used": row.get("used", 0),
                    "unused": row.get("unused", 0),
                    "to_give": row.get("to_give", 0),
                    "beneficiaries": sorted(
                        references[b] for b in row.get("people", ()) if b in references
                    ),
                }
            )
        age_bands, situations = beneficiary_choices(self.env)
        # The organisation's own beneficiaries, offered when a person who
        # already has passes comes back for more.
        known = self.env["pass.beneficiary"].search_fetch(
            [("prescriber_id", "=", prescriber.id)],
            ["reference"],
            limit=MAX_KNOWN_BENEFICIARIES,
        )
        return {
            "prescriber": prescriber,
            "book_rows": rows,
            "pass_outcome": self._outcome(prescriber),
            "age_bands": age_bands,
            "situations": situations,
            "beneficiary_references": known.mapped("reference"),
            "today": fields.Date.context_today(self),
        }

    @api.model
    def _outcome(self, prescriber):
        """What became of the passes of the books ``prescriber`` holds.

        One definition per figure, the same as the book cards': "used" is
        every pass of the held books in a used state (redeemed or settled),
        handed to a registered beneficiary or not, so the headline is the sum
        of the cards; "to hand" is a distributed pass not yet given to a
        beneficiary. Counts only, no beneficiary's data."""
        self._check_prescriber_access(prescriber)
        outcome = dict.fromkeys(
            ("total", "handed", "not_handed", "redeemed", "waiting", "expired"), 0
        )
        outcome["cancelled"] = 0
        services = {}
        for state, handed, service, count in self.env["pass.voucher"]._read_group(
            [("book_id.holder_id", "=", prescriber.id)],
            groupby=["state", "beneficiary_id", "service_id"],
            aggregates=["__count"],
        ):
            outcome["total"] += count
            if handed:
                outcome["handed"] += count
            if state in USED_STATES:
                outcome["redeemed"] += count
                name = service_name(service) or self.env._("No service")
                services[name] = services.get(name, 0) + count
            elif state in ("available", "distributed"):
                if handed:
                    outcome["waiting"] += count
                elif state == "distributed":
                    outcome["not_handed"] += count
            elif state == "expired":
                outcome["expired"] += count
            else:
                outcome["cancelled"] += count
        outcome["rate"] = percent(self.env, rate(outcome["redeemed"], outcome["total"]))
        outcome["services"] = sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))
        return outcome

    @api.model
    def _hand_book(self, prescriber, book_id, reference=None, values=None):
        """Hand the passes still to give of the book ``book_id`` held by
        ``prescriber`` to a beneficiary: the organisation's one registered
        with ``reference``, else a new one registered with ``values`` (age
        band, situation, postcode, consent date, as the portal form sends
        them). Returns the beneficiary.

        A book held by anybody else is MissingError; a form that breaks the
        beneficiary rules is ValidationError, and nothing is changed."""
        self._check_prescriber_access(prescriber)
        book = self.env["pass.book"].search(
            [("id", "=", book_id), ("holder_id", "=", prescriber.id)], limit=1
        )
        if not book:
            raise MissingError(self.env._("This book does not exist."))
        if not reference:
            values = dict(values or {}, prescriber_id=prescriber.id)
            self._check_form(values)
        with self.env.cr.savepoint():
            # The model finds the organisation's own beneficiary (or
            # registers the new one), checks that the organisation holds the
            # book, then hands its passes.
            return self.env["pass.beneficiary"]._hand_book(
                book, reference=reference, values=values
            )

    @api.model
    def _check_form(self, values):
        """The portal form's rules on a new beneficiary, before anything is
        written: the choices are the model's own (the situation is asked
        for here), the postcode five digits as typed, the consent today or
        before (the model's constraints say the same for every caller)."""
        age_bands, situations = beneficiary_choices(self.env)
        if values.get("age_band") not in dict(age_bands):
            raise ValidationError(self.env._("Choose the beneficiary's age band."))
        if values.get("situation") not in dict(situations):
            raise ValidationError(self.env._("Choose the beneficiary's situation."))
        zip_code = values.get("zip")
        if not (isinstance(zip_code, str) and ZIP_RE.fullmatch(zip_code)):
            raise ValidationError(self.env._("A postcode has 5 digits."))
        self.env["pass.beneficiary"]._check_facts(values)
