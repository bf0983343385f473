# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Reporting on passes and redemptions (SQL views, read only).

- ``pass.report``: one row per pass, with its programme, book holder, venue
  (and the venue's département and commune), service, month of redemption,
  the delay from the book's first hand-over to the redemption, and the
  pseudonymous facts of its beneficiary (age band, situation).
- ``pass.funder.report``: one row per pass and funder of its programme, the
  amounts weighted by the funder's share.

Small-number suppression: a figure counting beneficiaries (people) is hidden
when it concerns fewer than ``SMALL_NUMBER`` people, and so is every figure
of a group made by a beneficiary's facts (age band, situation, postcode).
The back office (``read_group``: pivot, graph, grouped lists and their
exports) and the funders' portal apply the same rule.

The views join the small tables (books, partners, beneficiaries, services)
with LEFT JOINs on their primary key only, so PostgreSQL drops every join a
query does not use: a count by programme reads ``pass_voucher`` alone.
"""

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_datetime

from ..tools.disclosure import is_small as is_suppressed
from ..tools.period import DEFAULT_TZ
from ..tools.period import company_tz as period_company_tz
from .pass_beneficiary import AGE_BANDS, SITUATIONS
from .pass_book import USED_STATES
from .pass_service import SERVICE_CATEGORIES
from .pass_voucher import VOUCHER_STATES
from .res_partner import FUNDER_TYPES

# A count of fewer people than this is not shown (statistical secrecy).
# Groups made by these fields are groups of people: suppressed as a whole.
BENEFICIARY_GROUPBYS = ("age_band", "situation", "beneficiary_zip", "beneficiary_id")
# The month of redemption is cut in the company's timezone, as every period
# (tools/period.py): its contact's timezone if PostgreSQL knows it, else this.
REPORT_TZ = DEFAULT_TZ
# When the analyses were last brought up to date (UTC, ISO), a system parameter.
REFRESHED_AT_PARAM = "pass_numerique.report_refreshed_at"


def _order_terms(model, order, groupby):
    """The terms of a ``_read_group`` order that sort a many2one group by
    its comodel's order (a join to the comodel on every row): [(spec,
    descending)], or None when the order has no such term."""
    terms, joins = [], False
    for part in order.split(","):
        spec, *direction = part.split()
        if spec not in groupby and spec != "__count" and ":" not in spec:
            return None  # an unusual order: left to the ORM
        field = model._fields.get(spec.split(":")[0])
        if (
            field is not None
            and spec in groupby
            and field.type == "many2one"
            and model.env[field.comodel_name]._order != "id"
        ):
            joins = True
        terms.append((spec, bool(direction) and direction[0].lower() == "desc"))
    return terms if joins else None


def read_group_sorted(model, super_read_group, domain, groupby, aggregates, **kw):
    """``_read_group`` sorting many2one groups in Python, after the query.

    The ORM sorts the groups of a many2one by its comodel's order (the
    venue's name...) by joining the comodel on each of the 2,000,000 rows
    and grouping by its order columns too: 0.5 to 1 s per pivot query. The
    groups are few (hundreds): the query groups by the key only, and the
    groups are sorted here by the rank of each key in the comodel's order
    (one query per many2one, on its few records). Same result, same order.
    With a limit or offset the ORM does it (the order picks the groups).

    Kept (Odoo's own ``_read_group`` is right but too slow here) and pinned
    by ``tests/test_report_sorted_groups.py``: same rows in the same order as
    the ORM's for many2one, date and selection groups, the ORM's signature,
    and no join of the comodel; an upgrade that changes any of it fails there.
    """
    order = kw.get("order")
    groupby = list(groupby)
    terms = None
    if order and not kw.get("limit") and not kw.get("offset"):
        terms = _order_terms(model, order, groupby)
    if terms is None:
        return super_read_group(domain, groupby, aggregates, **kw)
    rows = super_read_group(domain, groupby, aggregates, **{**kw, "order": None})
    columns = {spec: index for index, spec in enumerate(groupby)}
    for index, spec in enumerate(aggregates):
        columns.setdefault(spec, len(groupby) + index)
    ranks = {}
    for spec, _desc in terms:
        field = model._fields.get(spec.split(":")[0])
        if field is not None and field.type == "many2one" and spec in groupby:
            records = model.env[field.comodel_name].browse(
                {row[columns[spec]].id for row in rows if row[columns[spec]]}
            )
            ordered = records.with_context(active_test=False).search(
                [("id", "in", records.ids)]
            )
            ranks[spec] = {rec_id: rank for rank, rec_id in enumerate(ordered.ids)}

    def key(spec, value):
        if spec in ranks:
            value = ranks[spec].get(value.id) if value else None
        # PostgreSQL sorts empty values last in ascending order.
        return (value is None or value is False, value)

    # Stable sorts, last term first: the first term decides.
    for spec, desc in reversed(terms):
        index = columns[spec]
        present = [row for row in rows if not key(spec, row[index])[0]]
        empty = [row for row in rows if key(spec, row[index])[0]]
        present.sort(key=lambda row, i=index, s=spec: key(s, row[i])[1], reverse=desc)
        rows = empty + present if desc else present + empty
    return rows


def create_materialized_view(cr, table, query):
    """(Re)create the materialized view ``table`` as ``query`` (an ``SQL``),
    dropping whatever stands under that name first (a view of an older
    version, or the materialized view itself). The one drop/create of the
    analyses' ``init``."""
    cr.execute(SQL("SELECT relkind FROM pg_class WHERE relname = %s", table))
    kind = (cr.fetchone() or [None])[0]
    if kind == "v":
        cr.execute(SQL("DROP VIEW %s CASCADE", SQL.identifier(table)))
    elif kind == "m":
        cr.execute(SQL("DROP MATERIALIZED VIEW %s CASCADE", SQL.identifier(table)))
    cr.execute(SQL("CREATE MATERIALIZED VIEW %s AS %s", SQL.identifier(table), query))


class PassReportSortedGroups(models.AbstractModel):
    """The analyses hold one row per pass (millions): their many2one groups
    are sorted after the query (see :func:`read_group_sorted`)."""

    _name = "pass.report.sorted.groups"
    _description = "Analysis with groups sorted after the query"

    @api.model
    def _read_group(
        self,
        domain,
        groupby=(),
        aggregates=(),
        having=(),
        offset=0,
        limit=None,
        order=None,
    ):
        return read_group_sorted(
            self,
            super()._read_group,
            domain,
            groupby,
            aggregates,
            having=having,
            offset=offset,
            limit=limit,
            order=order,
        )


class PassReportFreshness(models.AbstractModel):
    """How fresh the analyses are, and bringing them up to date on demand:
    the pivots and graphs show "Données au <time>" and, to Pass staff and
    managers, a refresh button (static/src/js/pass_report_freshness.js)."""

    _name = "pass.report.freshness"
    _description = "Analysis freshness"

    @api.model
    def _pass_refreshed_at(self):
        """The UTC datetime of the last refresh, or None."""
        # sudo: a system parameter; the callers' rights are checked first.
        value = self.env["ir.config_parameter"].sudo().get_param(REFRESHED_AT_PARAM)
        return fields.Datetime.to_datetime(value) if value else None

    @api.model
    def _pass_mark_refreshed(self):
        # sudo: set by the refresh itself (cron, install, or a staff member
        # whose rights were checked in ``action_refresh_analysis``).
        self.env["ir.config_parameter"].sudo().set_param(
            REFRESHED_AT_PARAM, fields.Datetime.to_string(fields.Datetime.now())
        )

    @api.model
    def get_freshness(self):
        """For the analyses' control panel: {"refreshed_at": "12/03/2026
        14:05:00" in the user's language and timezone (or False), "label":
        the sentence to show, "can_refresh": bool}. Readers of the analysis
        only."""
        self.check_access("read")
        moment = self._pass_refreshed_at()
        when = (
            format_datetime(
                self.env,
                moment,
                tz=self.env.user.tz or period_company_tz(self.env.company),
                dt_format="short",
            )
            if moment
            else False
        )
        return {
            "refreshed_at": when,
            "label": self.env._("Data as of %(time)s", time=when)
            if when
            else self.env._("Data not computed yet"),
            "can_refresh": self._pass_may_refresh(),
        }

    @api.model
    def _pass_may_refresh(self):
        return self.env.user.has_group("pass_numerique.pass_numerique_group_user")

    @api.model
    def action_refresh_analysis(self):
        """Bring the analyses up to date now (Pass staff and managers): the
        same refresh as the hourly cron. Returns ``get_freshness()``."""
        if not self._pass_may_refresh():
            raise AccessError(
                self.env._(
                    "Only the Pass team and its managers can refresh the analyses."
                )
            )
        self.env["pass.report"]._refresh()
        return self.get_freshness()


class PassReport(models.Model):
    _name = "pass.report"
    _inherit = ["pass.report.sorted.groups", "pass.report.freshness"]
    _description = "Pass analysis"
    _auto = False
    _rec_name = "voucher_id"
    _order = "id desc"

    voucher_id = fields.Many2one("pass.voucher", string="Pass", readonly=True)
    program_id = fields.Many2one("pass.program", string="Programme", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    book_id = fields.Many2one("pass.book", string="Book", readonly=True)
    holder_id = fields.Many2one("res.partner", string="Book holder", readonly=True)
    state = fields.Selection(VOUCHER_STATES, readonly=True)
    venue_id = fields.Many2one("res.partner", string="Venue", readonly=True)
    department_id = fields.Many2one(
        "res.country.department", string="Département (venue)", readonly=True
    )
    commune = fields.Char(string="Commune (venue)", readonly=True)
    service_id = fields.Many2one("pass.service", string="Service", readonly=True)
    service_category = fields.Selection(
        SERVICE_CATEGORIES, string="Service category", readonly=True
    )
    date_issue = fields.Date(string="Issued on", readonly=True)
    date_distributed = fields.Datetime(string="Handed out on", readonly=True)
    redeemed_at = fields.Datetime(string="Redeemed on", readonly=True)
    # The month of redemption in Europe/Paris, computed once at the refresh:
    # grouping by ``redeemed_at:month`` converts every row's timestamp to the
    # user's timezone at each query (1 to 2 s on 2,000,000 rows).
    month = fields.Date(string="Month of redemption", readonly=True)
    date_expiry = fields.Date(string="Valid until", readonly=True)
    beneficiary_id = fields.Many2one(
        "pass.beneficiary", string="Beneficiary", readonly=True
    )
    age_band = fields.Selection(AGE_BANDS, readonly=True)
    situation = fields.Selection(SITUATIONS, readonly=True)
    beneficiary_zip = fields.Char(string="Beneficiary postcode", readonly=True)
    # Measures
    amount = fields.Monetary(string="Face value", readonly=True)
    amount_redeemed = fields.Monetary(string="Redeemed value", readonly=True)
    distributed_count = fields.Integer(string="Passes handed out", readonly=True)
    redeemed_count = fields.Integer(string="Passes redeemed", readonly=True)
    settled_count = fields.Integer(string="Passes settled", readonly=True)
    expired_count = fields.Integer(string="Passes expired", readonly=True)
    delay_days = fields.Float(
        string="Days from hand-out to redemption",
        aggregator="avg",
        digits=(16, 1),
        readonly=True,
    )
    people_count = fields.Integer(
        string="Beneficiaries (people)",
        aggregator="count_distinct",
        readonly=True,
        help="Distinct beneficiaries; fewer than 5 people are not shown.",
    )

    def _select_sql(self):
        return SQL(
            """
            SELECT v.id AS id,
                   v.id AS voucher_id,
                   v.program_id AS program_id,
                   v.company_id AS company_id,
                   v.currency_id AS currency_id,
                   v.book_id AS book_id,
                   book.holder_id AS holder_id,
                   v.state AS state,
                   v.venue_id AS venue_id,
                   venue.country_department_id AS department_id,
                   venue.city AS commune,
                   v.service_id AS service_id,
                   service.category AS service_category,
                   book.date_issue AS date_issue,
                   dist.date_distributed AS date_distributed,
                   v.redeemed_at AS redeemed_at,
                   date_trunc(
                       'month', timezone(
                           COALESCE(ctz.name, %(tz)s), timezone('UTC', v.redeemed_at)
                       )
                   )::date AS month,
                   v.date_expiry AS date_expiry,
                   v.beneficiary_id AS beneficiary_id,
                   ben.age_band AS age_band,
                   ben.situation AS situation,
                   ben.zip AS beneficiary_zip,
                   v.amount::float8 AS amount,
                   CASE WHEN v.state IN %(used)s THEN v.amount::float8 ELSE 0 END
                       AS amount_redeemed,
                   CASE WHEN book.holder_id IS NOT NULL THEN 1 ELSE 0 END
                       AS distributed_count,
                   CASE WHEN v.state IN %(used)s THEN 1 ELSE 0 END AS redeemed_count,
                   CASE WHEN v.state = 'settled' THEN 1 ELSE 0 END AS settled_count,
                   CASE WHEN v.state = 'expired' THEN 1 ELSE 0 END AS expired_count,
                   (EXTRACT(EPOCH FROM v.redeemed_at - dist.date_distributed)
                       / 86400.0)::float8 AS delay_days,
                   v.beneficiary_id AS people_count
              FROM pass_voucher v
              LEFT JOIN pass_book book ON book.id = v.book_id
              LEFT JOIN res_partner venue ON venue.id = v.venue_id
              LEFT JOIN pass_service service ON service.id = v.service_id
              LEFT JOIN pass_beneficiary ben ON ben.id = v.beneficiary_id
              LEFT JOIN (
                    SELECT book_id, MIN(date) AS date_distributed
                      FROM pass_book_distribution
                     GROUP BY book_id
              ) dist ON dist.book_id = v.book_id
              LEFT JOIN (
                    SELECT company.id AS company_id, zone.name
                      FROM res_company company
                      JOIN res_partner contact ON contact.id = company.partner_id
                      JOIN pg_timezone_names zone ON zone.name = contact.tz
              ) ctz ON ctz.company_id = v.company_id
            """,
            used=USED_STATES,
            tz=REPORT_TZ,
        )

    def init(self):
        """A materialized view, refreshed by a cron (and ``_refresh``).

        Amounts and delays are stored as ``float8``, not ``numeric``: a sum
        of numerics over 2,000,000 rows costs 0.5 to 0.7 s more than the
        same sum of floats, and 15 significant digits keep every total of
        the scheme exact to the cent (the ORM reads both as Python floats).

        Why not a plain view: with 2,000,000 passes every pivot joined the
        passes to their books, hand-overs (first hand-out date), venues and
        beneficiaries at each query, 2 to 6 s per pivot. Materialized, a
        query reads one narrow table. Rows are stored by programme and state
        and indexed so (``program_id, state``): a funder's dashboard reads
        its programmes' contiguous rows only. The unique index on ``id`` lets
        the refresh run CONCURRENTLY, without blocking readers.
        """
        cr = self.env.cr
        create_materialized_view(
            cr,
            self._table,
            SQL("(%s ORDER BY v.program_id, v.state, v.id)", self._select_sql()),
        )
        tools.create_unique_index(cr, "pass_report_id_uniq", self._table, ["id"])
        tools.create_index(
            cr, "pass_report_program_state_idx", self._table, ["program_id", "state"]
        )
        # Built just now: as fresh as after a refresh.
        self._pass_mark_refreshed()

    @api.model
    def _refresh(self):
        """Bring the analysis up to date (cron, and after bulk changes)."""
        self.env.flush_all()
        # The funders analysis is built on this one: refreshed after it.
        for table in (self._table, self.env["pass.funder.report"]._table):
            self.env.cr.execute(
                SQL(
                    "REFRESH MATERIALIZED VIEW CONCURRENTLY %s",
                    SQL.identifier(table),
                )
            )
        self._pass_mark_refreshed()
        self.env.invalidate_all()
        return True

    @api.model
    def read_group(
        self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True
    ):
        """Pivot, graph and grouped lists: hide the figures of fewer than 5 people."""
        groupbys = [groupby] if isinstance(groupby, str) else list(groupby or [])
        by_people = any(g.split(":")[0] in BENEFICIARY_GROUPBYS for g in groupbys)
        names = [f.split(":")[0].split("(")[0] for f in fields]
        asks_people = "people_count" in names
        if not (by_people or asks_people):
            return super().read_group(
                domain,
                fields,
                groupby,
                offset=offset,
                limit=limit,
                orderby=orderby,
                lazy=lazy,
            )
        query_fields = list(fields)
        if not asks_people:
            query_fields.append("people_count:count_distinct")
        groups = super().read_group(
            domain,
            query_fields,
            groupby,
            offset=offset,
            limit=limit,
            orderby=orderby,
            lazy=lazy,
        )
        grouped = {g.split(":")[0] for g in groupbys}
        measures = [n for n in names if n in self._fields and n not in grouped]
        for group in groups:
            people = group.get("people_count")
            if is_suppressed(people):
                group["people_count"] = False
                if by_people:
                    for name in measures:
                        group[name] = False
                    for key in list(group):
                        if key == "__count" or (
                            key.endswith("_count") and key not in self._fields
                        ):
                            group[key] = False
            if not asks_people:
                group.pop("people_count", None)
        return groups


class PassFunderReport(models.Model):
    _name = "pass.funder.report"
    _inherit = ["pass.report.sorted.groups", "pass.report.freshness"]
    _description = "Funders analysis"
    _auto = False
    _order = "id desc"

    voucher_id = fields.Many2one("pass.voucher", string="Pass", readonly=True)
    funder_id = fields.Many2one("res.partner", string="Funder", readonly=True)
    funder_type = fields.Selection(FUNDER_TYPES, string="Funder type", readonly=True)
    share = fields.Float(string="Share (%)", aggregator="avg", readonly=True)
    program_id = fields.Many2one("pass.program", string="Programme", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    state = fields.Selection(VOUCHER_STATES, readonly=True)
    venue_id = fields.Many2one("res.partner", string="Venue", readonly=True)
    department_id = fields.Many2one(
        "res.country.department", string="Département (venue)", readonly=True
    )
    commune = fields.Char(string="Commune (venue)", readonly=True)
    service_id = fields.Many2one("pass.service", string="Service", readonly=True)
    date_issue = fields.Date(string="Issued on", readonly=True)
    redeemed_at = fields.Datetime(string="Redeemed on", readonly=True)
    month = fields.Date(string="Month of redemption", readonly=True)
    amount_funded = fields.Monetary(string="Funded value", readonly=True)
    amount_redeemed = fields.Monetary(string="Funded value redeemed", readonly=True)
    amount_settled = fields.Monetary(string="Funded value settled", readonly=True)
    amount_expired = fields.Monetary(string="Funded value expired", readonly=True)
    redeemed_count = fields.Integer(string="Passes redeemed", readonly=True)

    def init(self):
        """A materialized view too, built on pass_report (created first, same
        file): one row per pass, times the programme's funders; refreshed
        with it (``PassReport._refresh``).

        Why: as a plain view every funders pivot joined the 2,000,000 rows of
        pass_report to the fundings at each query, 3,000,000 rows made on the
        fly: 1.5 to 2 s per query, over the second of issue 6.
        """
        cr = self.env.cr
        create_materialized_view(
            cr,
            self._table,
            SQL(
                """
                (
                    SELECT (r.id::bigint * 100000 + f.id) AS id,
                           r.voucher_id, f.partner_id AS funder_id,
                           funder.pass_funder_type AS funder_type, f.share,
                           r.program_id, r.company_id, r.currency_id, r.state,
                           r.venue_id, r.department_id, r.commune, r.service_id,
                           r.date_issue, r.redeemed_at, r.month,
                           r.amount * f.share::float8 / 100 AS amount_funded,
                           r.amount_redeemed * f.share::float8 / 100
                               AS amount_redeemed,
                           CASE WHEN r.state = 'settled'
                                THEN r.amount * f.share::float8 / 100 ELSE 0
                           END AS amount_settled,
                           CASE WHEN r.state = 'expired'
                                THEN r.amount * f.share::float8 / 100 ELSE 0
                           END AS amount_expired,
                           r.redeemed_count
                      FROM pass_report r
                      JOIN pass_program_funding f ON f.program_id = r.program_id
                      LEFT JOIN res_partner funder ON funder.id = f.partner_id
                     ORDER BY f.partner_id, r.state, r.id
                )
                """
            ),
        )
        # Unique: for REFRESH ... CONCURRENTLY.
        tools.create_unique_index(cr, "pass_funder_report_id_uniq", self._table, ["id"])

    # ------------------------------------------------------------------ hooks
    @api.model
    def _funder_money(self, funder, programs):
        """Money of ``funder`` for ``programs``, from the ledger.

        Returns {"received": float|None, "spent": float|None, "held":
        float|None, "currency": res.currency}. The ledger lives in
        pass_settlement, which overrides this hook; without it nothing is
        known (None: the portal says so rather than showing zeros).
        """
        return {
            "received": None,
            "spent": None,
            "held": None,
            "currency": programs[:1].currency_id or self.env.company.currency_id,
        }

    @api.model
    def _funder_statements(self, funder, programs):
        """Statements ``funder`` may download: a list of {"name": str,
        "date": date, "url": str}. pass_settlement overrides this hook."""
        return []
