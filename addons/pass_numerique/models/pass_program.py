# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
import logging
import re

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare, format_date

from ..tools import period
from ..tools.pass_code import generate_codes
from .pass_program_funding import funding_order_key

_logger = logging.getLogger(__name__)

# One call issues at most this many books / passes: a print-shop order is a
# few thousand books; more in one transaction is a typing mistake.
MAX_BOOKS_PER_CALL = 10000
MAX_PASSES_PER_BOOK = 50


class PassProgram(models.Model):
    _name = "pass.program"
    _description = "Pass programme (funding agreement)"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(required=True, tracking=True, copy=False)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    face_value = fields.Monetary(
        required=True, default=10.0, tracking=True, help="Value of one pass."
    )
    date_start = fields.Date(
        required=True, default=fields.Date.context_today, tracking=True
    )
    date_end = fields.Date(
        required=True,
        tracking=True,
        help="Last day a pass of this programme may be spent.",
    )
    validity_months = fields.Integer(
        string="Validity (months from issue)",
        default=12,
        required=True,
        help="A pass is valid this many months from its issue, and never after "
        "the programme's end date.",
    )
    grace_months = fields.Integer(
        string="Grace period (months)",
        default=1,
        required=True,
        help="After a pass's end of validity, months during which venues may still "
        "present it; then unredeemed passes expire.",
    )
    funding_ids = fields.One2many(
        "pass.program.funding", "program_id", string="Funders", copy=True
    )
    funder_ids = fields.Many2many(
        "res.partner", compute="_compute_funder_ids", string="Funder partners"
    )
    service_ids = fields.Many2many(
        "pass.service",
        "pass_program_service_rel",
        "program_id",
        "service_id",
        string="Allowed services",
        help="Services a pass may pay for. Empty: every service of the referential.",
    )
    department_ids = fields.Many2many(
        "res.country.department",
        "pass_program_department_rel",
        "program_id",
        "department_id",
        string="Départements",
        help="Territory: venues in these départements may accept the passes.",
    )
    territory_zips = fields.Char(
        string="Postcodes",
        help="Territory: postcodes or postcode prefixes separated by commas "
        "(e.g. '33000, 33800, 331'). Empty with no département: anywhere.",
    )
    target_public = fields.Text(
        help="Who the passes are for (e.g. seniors, job seekers).",
    )
    fee_rate = fields.Float(
        string="Fee rate (%)",
        default=4.0,
        digits=(5, 2),
        help="Cooperative fee charged to the funders, in percent of face value, "
        "excluding VAT.",
    )
    activation = fields.Selection(
        [
            ("on_issue", "When distributed"),
            ("on_payment", "When the funders have paid"),
        ],
        default="on_issue",
        required=True,
        tracking=True,
        help="When distributed: passes can be redeemed once distributed. "
        "When the funders have paid: a book's passes can be redeemed only once its "
        "funders' invoices are paid.",
    )
    require_handover = fields.Boolean(
        string="Pass must be handed to a beneficiary before use",
        default=False,
        tracking=True,
        help="A pass of this programme is accepted at a venue only once its "
        "holder (a prescriber) has handed it to a registered beneficiary.",
    )
    unused_policy = fields.Selection(
        [
            ("refund", "Refund the funders"),
            ("retain", "Retain as revenue"),
        ],
        string="Unused value",
        default="refund",
        required=True,
        tracking=True,
        help="What happens to the face value of passes that expire unused.",
    )
    print_text = fields.Text(
        string="Text printed on passes",
        translate=True,
        help="Short text printed on every pass (conditions, contact).",
    )
    logo = fields.Image(max_width=512, max_height=512)
    state = fields.Selection(
        [("draft", "Draft"), ("active", "Active"), ("closed", "Closed")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        index=True,
    )
    book_ids = fields.One2many("pass.book", "program_id", string="Books")
    book_count = fields.Integer(compute="_compute_counts")
    voucher_count = fields.Integer(compute="_compute_counts", string="Passes")
    voucher_redeemed_count = fields.Integer(compute="_compute_counts")
    amount_issued = fields.Monetary(compute="_compute_counts")
    venues_public_url = fields.Char(
        compute="_compute_venues_public_url",
        string="Public venue page",
        help="The page the QR code of every pass opens: where the passes of this "
        "programme are accepted.",
    )
    note = fields.Html()

    _sql_constraints = [
        (
            "code_company_unique",
            "unique(code, company_id)",
            "A programme with this code already exists in this company.",
        ),
        (
            "face_value_positive",
            "check(face_value > 0)",
            "The face value must be positive.",
        ),
        (
            "dates_order",
            "check(date_end >= date_start)",
            "The end date cannot be before the start date.",
        ),
        (
            "validity_positive",
            "check(validity_months > 0)",
            "The validity must be at least one month.",
        ),
        (
            "grace_not_negative",
            "check(grace_months >= 0)",
            "The grace period cannot be negative.",
        ),
        (
            "fee_rate_range",
            "check(fee_rate >= 0 and fee_rate < 100)",
            "The fee rate must be between 0 and 100 %.",
        ),
    ]

    @api.depends("funding_ids.partner_id")
    def _compute_funder_ids(self):
        for program in self:
            program.funder_ids = program.funding_ids.partner_id

    def _compute_counts(self):
        Voucher = self.env["pass.voucher"]
        stats = {
            (program, state): (count, amount)
            for program, state, count, amount in Voucher._read_group(
                [("program_id", "in", self.ids)],
                groupby=["program_id", "state"],
                aggregates=["__count", "amount:sum"],
            )
        }
        books = dict(
            self.env["pass.book"]._read_group(
                [("program_id", "in", self.ids)],
                groupby=["program_id"],
                aggregates=["__count"],
            )
        )
        for program in self:
            counts = {
                state: stats.get((program, state), (0, 0.0))
                for state, _label in Voucher._fields["state"].selection
            }
            program.book_count = books.get(program, 0)
            program.voucher_count = sum(c for c, _a in counts.values())
            program.voucher_redeemed_count = (
                counts["redeemed"][0] + counts["settled"][0]
            )
            program.amount_issued = sum(
                a for state, (_c, a) in counts.items() if state != "cancelled"
            )

    def _compute_venues_public_url(self):
        for program in self:
            program.venues_public_url = (
                program._venues_url() if program.id and program.state != "draft" else ""
            )

    @api.constrains("funding_ids")
    def _check_shares(self):
        for program in self:
            if not program.funding_ids:
                continue
            total = sum(program.funding_ids.mapped("share"))
            if float_compare(total, 100.0, precision_digits=2):
                raise ValidationError(
                    self.env._(
                        "The funders' shares of programme %(program)s add up to "
                        "%(total)s %%: they must add up to exactly 100 %%.",
                        program=program.display_name,
                        total=round(total, 2),
                    )
                )

    @api.constrains("territory_zips")
    def _check_territory_zips(self):
        for program in self:
            for token in program._territory_zip_list():
                if not re.fullmatch(r"\d{1,5}|2[AB]\d{0,3}", token):
                    raise ValidationError(
                        self.env._(
                            "%(token)s is not a postcode nor the start of a postcode "
                            "(digits only, e.g. 33000 or 331).",
                            token=token,
                        )
                    )

    def _pass_expiry_deadline(self, valid_until=None):
        """Last day a pass of this programme can still be presented: its
        validity (``valid_until``, by default the programme's end date) plus
        the programme's grace period. The one rule for the counter and for
        the end of validity."""
        self.ensure_one()
        return (valid_until or self.date_end) + relativedelta(months=self.grace_months)

    def _pass_fundings(self):
        """This programme's fundings in the funding model's order (larger
        share first, then the older line): the order every split, invoice
        and printed list of funders follows.

        Sorted in memory (no query) with the key of ``_order``: the cached
        ``funding_ids`` of a programme keeps the lines added since it was
        read in creation order, not in ``_order``.
        """
        self.ensure_one()
        return self.funding_ids.sorted(funding_order_key)

    def _covers_venue(self, venue):
        """Whether ``venue``'s address is inside this programme's territory
        (its départements or postcode prefixes; no territory: anywhere)."""
        self.ensure_one()
        zips = self._territory_zip_list()
        if not self.department_ids and not zips:
            return True
        if venue.country_department_id in self.department_ids:
            return True
        venue_zip = (venue.zip or "").replace(" ", "")
        return bool(venue_zip) and any(venue_zip.startswith(z) for z in zips)

    def _territory_zip_list(self):
        self.ensure_one()
        return [z.strip() for z in (self.territory_zips or "").split(",") if z.strip()]

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        # The funding lines created with the programme are checked together,
        # by _check_shares on the programme, not one by one.
        programs = super(
            PassProgram, self.with_context(pass_program_checks_shares=True)
        ).create(vals_list)
        return programs.with_env(self.env)

    def write(self, vals):
        if "funding_ids" in vals:
            # The lines of one save are checked together (moving 10 points
            # from one funder to another updates two lines).
            return super(
                PassProgram, self.with_context(pass_program_checks_shares=True)
            ).write(vals)
        return super().write(vals)

    def copy_data(self, default=None):
        # The code is required and unique: a duplicate gets a new one (and a
        # name saying it is a copy) instead of a database error.
        default = dict(default or {})
        vals_list = super().copy_data(default=default)
        for program, vals in zip(self, vals_list, strict=True):
            if "code" not in default:
                vals["code"] = self.env._("%(code)s-COPY", code=program.code)
            if "name" not in default:
                vals["name"] = self.env._("%(name)s (copy)", name=program.name)
        return vals_list

    def _check_funding_editable(self):
        """Funders and shares split every pass's face value (invoices,
        settlement, refunds): they are frozen once the programme is active."""
        frozen = self.filtered(lambda p: p.state != "draft")
        if frozen:
            raise UserError(
                self.env._(
                    "The funders and shares of programme %(program)s can no longer be "
                    "changed: it is %(state)s. An active programme without books can "
                    "be reset to draft to correct them.",
                    program=frozen[0].display_name,
                    state=frozen[0]._state_label(),
                )
            )

    @api.depends("name", "code")
    def _compute_display_name(self):
        for program in self:
            program.display_name = (
                f"[{program.code}] {program.name}" if program.code else program.name
            )

    # ------------------------------------------------------------------ actions
    def action_activate(self):
        for program in self:
            if program.state != "draft":
                raise UserError(
                    self.env._(
                        "Only a draft programme can be activated: programme "
                        "%(program)s is %(state)s.",
                        program=program.display_name,
                        state=program._state_label(),
                    )
                )
            if not program.funding_ids:
                raise UserError(
                    self.env._(
                        "Programme %(program)s has no funder: add the funders and "
                        "their shares before activating it.",
                        program=program.display_name,
                    )
                )
            program._check_shares()
        self.write({"state": "active"})
        return True

    def action_close(self):
        for program in self:
            if program.state != "active":
                raise UserError(
                    self.env._(
                        "Only an active programme can be closed: programme "
                        "%(program)s is %(state)s.",
                        program=program.display_name,
                        state=program._state_label(),
                    )
                )
        self.write({"state": "closed"})
        return True

    def action_draft(self):
        # Counted afresh: books issued in this transaction are not in the
        # cached book_count.
        with_books = {
            program
            for [program] in self.env["pass.book"]._read_group(
                [("program_id", "in", self.ids)], groupby=["program_id"]
            )
        }
        for program in self:
            if program.state != "active" or program in with_books:
                raise UserError(
                    self.env._(
                        "Programme %(program)s cannot go back to draft: only an "
                        "active programme without books can.",
                        program=program.display_name,
                    )
                )
        self.write({"state": "draft"})
        return True

    def _state_label(self):
        """The state's label in the user's language, for the messages."""
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def action_view_books(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pass_numerique.pass_book_action"
        )
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {"default_program_id": self.id}
        return action

    def action_view_vouchers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pass_numerique.pass_voucher_action"
        )
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------ figures
    def _pass_figures(
        self, date_from=None, date_to=None, state_counts=None, people=None
    ):
        """The figures every page shows about these programmes, one
        definition each (funder dashboard, funder statement, portal):

        - ``used``: passes redeemed at a venue, settled or not (states
          redeemed and settled), redeemed in the period when one is given;
        - ``settled``: of those, the passes on a validated remittance (state
          settled): the venue was paid or is about to be;
        - ``people``: distinct beneficiaries a pass of the programme was
          handed to (used or not yet; cancelled passes aside), whatever the
          period: the people the programme helps.

        ``date_from``/``date_to``: days in the company's timezone (Paris).
        Read live from the passes (one grouped query per figure), not from
        the analyses. ``state_counts``: {(programme, state): passes} of these
        programmes, every state, when the caller already read them (no
        period): ``used`` and ``settled`` come from it instead of a second
        query; ``people``: {programme id: people} from ``_pass_people`` when
        the caller read it, ``False`` when it shows no people (left at 0).
        Returns {programme: {"used", "settled", "people"}}, every programme
        of ``self`` present.
        """
        Voucher = self.env["pass.voucher"]
        domain = [("program_id", "in", self.ids)]
        used_domain = [*domain, ("state", "in", ("redeemed", "settled"))]
        if date_from or date_to:
            tz = period.company_tz(self.company_id[:1] or self.env.company)
            if date_from:
                used_domain.append(
                    (
                        "redeemed_at",
                        ">=",
                        period.day_start_utc(fields.Date.to_date(date_from), tz),
                    )
                )
            if date_to:
                used_domain.append(
                    (
                        "redeemed_at",
                        "<",
                        period.period_end_utc(fields.Date.to_date(date_to), tz),
                    )
                )
        figures = {p: {"used": 0, "settled": 0, "people": 0} for p in self}
        if state_counts is None or date_from or date_to:
            state_counts = {
                (program, state): count
                for program, state, count in Voucher._read_group(
                    used_domain,
                    groupby=["program_id", "state"],
                    aggregates=["__count"],
                )
            }
        for (program, state), count in state_counts.items():
            if program in figures and state in ("redeemed", "settled"):
                figures[program]["used"] += count
                if state == "settled":
                    figures[program]["settled"] += count
        if people is False:  # the caller does not show them
            return figures
        per_program = people if people is not None else self._pass_people()[0]
        for program in self:
            figures[program]["people"] = per_program.get(program.id, 0)
        return figures

    def _pass_people(self):
        """The people helped (distinct beneficiaries a pass was handed to,
        cancelled passes aside): ``({programme id: people}, people of all
        these programmes together)`` (a person holding passes of two
        programmes counts once in the second), from one query."""
        Voucher = self.env["pass.voucher"]
        query = Voucher._search(
            [
                ("program_id", "in", self.ids),
                ("beneficiary_id", "!=", False),
                ("state", "!=", "cancelled"),
            ]
        )
        self.env.cr.execute(
            query.select(
                SQL(
                    "DISTINCT %s, %s",
                    SQL.identifier(query.table, "program_id"),
                    SQL.identifier(query.table, "beneficiary_id"),
                )
            )
        )
        per_program = {}
        everyone = set()
        for program_id, beneficiary_id in self.env.cr.fetchall():
            per_program[program_id] = per_program.get(program_id, 0) + 1
            everyone.add(beneficiary_id)
        return per_program, len(everyone)

    # ------------------------------------------------------------------ issuing
    def _voucher_expiry_date(self, issue_date):
        """Last day a pass issued on ``issue_date`` may be spent."""
        self.ensure_one()
        return min(
            issue_date + relativedelta(months=self.validity_months), self.date_end
        )

    def _issue_row_triggers_off(self):
        """Check once the rows every new book and pass of this programme will
        refer to, then switch PostgreSQL's per-row triggers off for the bulk
        INSERTs of ``issue_books``. Returns True when switched off: the caller
        switches them on again (``SET LOCAL session_replication_role =
        origin``) after its INSERTs; a rollback does it too.

        Only when the database role may (PostgreSQL >= 15 and ``GRANT SET ON
        PARAMETER session_replication_role``, which ``scripts/setup.sh``
        gives): else nothing changes and the triggers run.

        The only triggers on pass_book and pass_voucher are PostgreSQL's
        foreign-key checks. For every new row they check that the programme,
        company, currency and user it refers to exist and lock them FOR KEY
        SHARE until the commit (so nobody deletes them meanwhile): six
        lookups a pass, most of the time of a 100,000-pass issue. Here each
        referenced row is looked up and locked once, with the same lock; the
        books the passes refer to are this transaction's own new rows, which
        no other transaction can see or delete. Unique, NOT NULL and CHECK
        constraints are not triggers and still apply to every row.
        """
        self.ensure_one()
        cr = self.env.cr
        if cr.connection.server_version < 150000:
            return False
        cr.execute(
            SQL("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        )
        if not cr.fetchone()[0]:
            return False
        referenced = (
            ("pass_program", self.id),
            ("res_company", self.company_id.id),
            ("res_currency", self.currency_id.id),
            ("res_users", self.env.uid),
        )
        for table, row_id in referenced:
            cr.execute(
                SQL(
                    "SELECT id FROM %s WHERE id = %s FOR KEY SHARE",
                    SQL.identifier(table),
                    row_id,
                )
            )
            if not cr.fetchone():
                # Let the foreign-key triggers refuse the INSERT as usual.
                return False
        cr.execute(SQL("SET LOCAL session_replication_role = replica"))
        return True

    def issue_books(self, count, passes_per_book=10):
        """Issue ``count`` books of ``passes_per_book`` passes on this programme.

        Returns the list of the new ``pass.book`` ids. Books and passes are
        written with two set-based INSERTs (plus one query to reserve the
        book numbers and one to rule out code collisions): the ORM's create()
        is the bottleneck at print-shop scale (100,000 passes). Access rights
        are checked first, exactly as create() would; the rows the new ones
        refer to are checked once rather than once a row when the database
        allows it (``_issue_row_triggers_off``).
        """
        self.ensure_one()
        program = self
        try:
            count = int(count)
            passes_per_book = int(passes_per_book)
        except (TypeError, ValueError) as exc:
            raise UserError(
                self.env._(
                    "The number of books and the number of passes per book must be "
                    "whole numbers."
                )
            ) from exc
        if not 1 <= count <= MAX_BOOKS_PER_CALL:
            raise UserError(
                self.env._(
                    "The number of books must be between 1 and %(max)s (requested: "
                    "%(count)s).",
                    max=MAX_BOOKS_PER_CALL,
                    count=count,
                )
            )
        if not 1 <= passes_per_book <= MAX_PASSES_PER_BOOK:
            raise UserError(
                self.env._(
                    "A book holds between 1 and %(max)s passes (requested: %(count)s).",
                    max=MAX_PASSES_PER_BOOK,
                    count=passes_per_book,
                )
            )
        if program.state != "active":
            raise UserError(
                self.env._(
                    "Books can only be issued on an active programme: programme "
                    "%(program)s is %(state)s.",
                    program=program.display_name,
                    state=program._state_label(),
                )
            )
        Book = self.env["pass.book"]
        Voucher = self.env["pass.voucher"]
        # The same checks create() makes: model access, then the record rules
        # on the programme the books will belong to.
        Book.check_access("create")
        Voucher.check_access("create")
        program.check_access("read")

        today = fields.Date.context_today(self)
        if today > program.date_end:
            raise UserError(
                self.env._(
                    "Programme %(program)s ended on %(date)s: no more books can be "
                    "issued.",
                    program=program.display_name,
                    date=format_date(self.env, program.date_end),
                )
            )
        expiry = program._voucher_expiry_date(today)
        names = Book.with_company(program.company_id)._reserve_names(count)
        self.env.flush_all()
        uid = self.env.uid
        cr = self.env.cr
        row_triggers_off = program._issue_row_triggers_off()
        cr.execute(
            SQL(
                """
                INSERT INTO pass_book (name, program_id, company_id, state,
                    passes_per_book, date_issue, date_expiry,
                    create_uid, write_uid, create_date, write_date)
                SELECT n, %(program)s, %(company)s, 'available', %(ppb)s,
                    %(today)s, %(expiry)s, %(uid)s, %(uid)s,
                    now() at time zone 'UTC', now() at time zone 'UTC'
                FROM unnest(%(names)s::varchar[]) WITH ORDINALITY AS t(n, i)
                ORDER BY i
                RETURNING id
                """,
                program=program.id,
                company=program.company_id.id,
                ppb=passes_per_book,
                today=today,
                expiry=expiry,
                uid=uid,
                names=names,
            )
        )
        book_ids = sorted(row[0] for row in cr.fetchall())
        total = count * passes_per_book
        # (book, number) of every pass to create; codes are drawn for them and
        # inserted with ON CONFLICT DO NOTHING: the unique index on the code
        # rules out collisions (1 in ~10**10 per pass against 10**5 existing
        # codes), and the few refused pairs get new codes in another round.
        pending = [(bid, n) for bid in book_ids for n in range(1, passes_per_book + 1)]
        for _round in range(10):
            codes = generate_codes(len(pending))
            cr.execute(
                SQL(
                    """
                    INSERT INTO pass_voucher (code, book_id, number, program_id,
                        company_id, currency_id, amount, state, date_expiry,
                        create_uid, write_uid, create_date, write_date)
                    SELECT c, b, n, %(program)s, %(company)s, %(currency)s,
                        %(amount)s, 'available', %(expiry)s, %(uid)s, %(uid)s,
                        now() at time zone 'UTC', now() at time zone 'UTC'
                    FROM unnest(%(codes)s::varchar[], %(books)s::int[],
                        %(numbers)s::int[]) AS t(c, b, n)
                    ON CONFLICT (code) DO NOTHING
                    """,
                    program=program.id,
                    company=program.company_id.id,
                    currency=program.currency_id.id,
                    amount=program.face_value,
                    expiry=expiry,
                    uid=uid,
                    codes=codes,
                    books=[bid for bid, _n in pending],
                    numbers=[n for _bid, n in pending],
                )
            )
            if cr.rowcount == len(pending):
                break
            cr.execute(
                SQL(
                    "SELECT book_id, number FROM pass_voucher "
                    "WHERE book_id = ANY(%(books)s::int[])",
                    books=sorted({bid for bid, _n in pending}),
                )
            )
            done = set(cr.fetchall())
            pending = [pair for pair in pending if pair not in done]
        else:
            raise UserError(self.env._("Could not draw unique codes."))
        if row_triggers_off:
            cr.execute(SQL("SET LOCAL session_replication_role = origin"))
        Book.invalidate_model()
        Voucher.invalidate_model()
        # The programme's books and counters changed behind the ORM's back.
        program.invalidate_recordset()
        books = Book.browse(book_ids)
        # Record rules apply to the new rows as they would after create().
        books.check_access("create")
        _logger.info(
            "Issued %s books (%s passes) on programme %s", count, total, program.code
        )
        program.message_post(
            body=self.env._(
                "%(count)s books of %(ppb)s passes issued (%(first)s to %(last)s).",
                count=count,
                ppb=passes_per_book,
                first=names[0],
                last=names[-1],
            )
        )
        return book_ids
