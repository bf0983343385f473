# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Reporting on passes and redemptions (tables kept by the module, read only).

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

Both analyses are plain tables (``_auto = False``: built here, not by the
ORM), kept up to date in two ways:

- every minute, ``_refresh_incremental`` recomputes the rows of the passes
  changed since the last refresh (``pass_voucher.write_date``, with an
  overlap: see ``REFRESH_OVERLAP``), a few milliseconds for a thousand
  passes: the figures are at most a couple of minutes old;
- every hour (and at install or upgrade), ``_refresh`` rebuilds both tables
  from scratch into new tables and swaps them in (renames, in one short
  transaction at the end): it catches what does not touch a pass (a venue's
  commune, a beneficiary's age band, a programme's funders and shares, a
  deleted pass).

One transaction-level advisory lock (``REPORT_LOCK_KEY``) serialises them:
an incremental refresh that finds it taken skips (the next one, a minute
later, catches up); the full rebuild waits for it.
"""

from datetime import timedelta

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
# When the analyses were last brought up to date (the start of the refresh's
# transaction, UTC): one row of this table, written by the refreshes (not a
# system parameter: writing one every minute would clear every worker's
# caches every minute).
REFRESH_STATE_TABLE = "pass_report_refresh_state"
# First key of the transaction-level advisory lock of the analyses' refreshes
# (the second one is 0). 74_670 and 74_671 are pass_settlement's.
REPORT_LOCK_KEY = 74_672
# A pass's ``write_date`` is its transaction's start (``now()``): a change
# whose transaction began before a refresh but committed after it has a
# write_date older than that refresh. The incremental refresh recomputes the
# passes changed since (last refresh - overlap): idempotent, so recomputing
# a pass twice is harmless; a transaction longer than this is caught by the
# hourly rebuild.
REFRESH_OVERLAP = timedelta(minutes=15)
# The indexes of each analysis table: {name suffix: (unique, columns)}, named
# ``<table>_<suffix>``. ``id`` unique; the pass analysis is read by programme
# and state (a funder's dashboard), the funders analysis's rows are found by
# pass (the incremental refresh).
REPORT_INDEXES = {
    "id_uniq": (True, "id"),
    "program_state_idx": (False, "program_id, state"),
}
FUNDER_REPORT_INDEXES = {"id_uniq": (True, "id"), "voucher_idx": (False, "voucher_id")}


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


def drop_relation(cr, name):
    """Drop whatever stands under ``name`` (a view or materialized view of an
    older version of the module, or the table of this one)."""
    cr.execute(SQL("SELECT relkind FROM pg_class WHERE relname = %s", name))
    kind = (cr.fetchone() or [None])[0]
    statement = {
        "v": "DROP VIEW %s CASCADE",
        "m": "DROP MATERIALIZED VIEW %s CASCADE",
        "r": "DROP TABLE %s CASCADE",
    }.get(kind)
    if statement:
        cr.execute(SQL(statement, SQL.identifier(name)))


def build_table(cr, name, query, order, indexes):
    """Create the table ``name`` as ``query`` (an ``SQL``) sorted by
    ``order`` (an ``SQL``: rows stored in the order the readers want them),
    with ``indexes`` ({suffix: (unique, columns)}, named ``<name>_<suffix>``),
    and analyse it."""
    cr.execute(
        SQL(
            "CREATE TABLE %s AS (%s ORDER BY %s)",
            SQL.identifier(name),
            query,
            order,
        )
    )
    for suffix, (unique, columns) in indexes.items():
        cr.execute(
            SQL(
                "CREATE %s %s ON %s (%s)",
                SQL("UNIQUE INDEX" if unique else "INDEX"),
                SQL.identifier(f"{name}_{suffix}"),
                SQL.identifier(name),
                SQL(columns),
            )
        )
    cr.execute(SQL("ANALYZE %s", SQL.identifier(name)))


def swap_in(cr, new, table, indexes):
    """Replace ``table`` by the table ``new`` (built by ``build_table`` with
    ``indexes``): drop the old one, rename the new one and its indexes.
    Takes an exclusive lock on the old table until the transaction ends:
    call it last, just before the commit."""
    drop_relation(cr, table)
    cr.execute(
        SQL(
            "ALTER TABLE %s RENAME TO %s",
            SQL.identifier(new),
            SQL.identifier(table),
        )
    )
    for suffix in indexes:
        cr.execute(
            SQL(
                "ALTER INDEX %s RENAME TO %s",
                SQL.identifier(f"{new}_{suffix}"),
                SQL.identifier(f"{table}_{suffix}"),
            )
        )


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
        """The UTC datetime of the last refresh (incremental or full): the
        figures are those of that moment. None before the first one."""
        cr = self.env.cr
        cr.execute(SQL("SELECT to_regclass(%s) IS NOT NULL", REFRESH_STATE_TABLE))
        if not cr.fetchone()[0]:
            return None
        cr.execute(
            SQL(
                "SELECT refreshed_at FROM %s WHERE id = 1",
                SQL.identifier(REFRESH_STATE_TABLE),
            )
        )
        row = cr.fetchone()
        return row[0] if row else None

    @api.model
    def _pass_mark_refreshed(self, moment):
        """Record ``moment`` (a refresh's transaction start, UTC) as the time
        of the figures, and the next incremental refresh's starting point."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS %(table)s (
                    id integer PRIMARY KEY CHECK (id = 1),
                    refreshed_at timestamp NOT NULL
                )
                """,
                table=SQL.identifier(REFRESH_STATE_TABLE),
            )
        )
        cr.execute(
            SQL(
                """
                INSERT INTO %(table)s (id, refreshed_at) VALUES (1, %(moment)s)
                ON CONFLICT (id) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at
                """,
                table=SQL.identifier(REFRESH_STATE_TABLE),
                moment=moment,
            )
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
        incremental refresh of the every-minute cron (milliseconds). Returns
        ``get_freshness()``."""
        if not self._pass_may_refresh():
            raise AccessError(
                self.env._(
                    "Only the Pass team and its managers can refresh the analyses."
                )
            )
        self.env["pass.report"]._refresh_incremental()
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

    def _select_sql(self, voucher_ids=None):
        """The rows of the analysis: of every pass, or of ``voucher_ids``."""
        if voucher_ids is None:
            where = dist_where = SQL("TRUE")
        else:
            where = SQL("v.id = ANY(%s)", list(voucher_ids))
            dist_where = SQL(
                "book_id IN (SELECT book_id FROM pass_voucher WHERE id = ANY(%s))",
                list(voucher_ids),
            )
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
                     WHERE %(dist_where)s
                     GROUP BY book_id
              ) dist ON dist.book_id = v.book_id
              LEFT JOIN (
                    SELECT company.id AS company_id, zone.name
                      FROM res_company company
                      JOIN res_partner contact ON contact.id = company.partner_id
                      JOIN pg_timezone_names zone ON zone.name = contact.tz
              ) ctz ON ctz.company_id = v.company_id
             WHERE %(where)s
            """,
            used=USED_STATES,
            tz=REPORT_TZ,
            where=where,
            dist_where=dist_where,
        )

    def init(self):
        """A table, rebuilt here (install, upgrade) and by ``_refresh``, and
        kept up to date every minute by ``_refresh_incremental``.

        Amounts and delays are stored as ``float8``, not ``numeric``: a sum
        of numerics over 2,000,000 rows costs 0.5 to 0.7 s more than the
        same sum of floats, and 15 significant digits keep every total of
        the scheme exact to the cent (the ORM reads both as Python floats).

        Why not a plain view: with 2,000,000 passes every pivot joined the
        passes to their books, hand-overs (first hand-out date), venues and
        beneficiaries at each query, 2 to 6 s per pivot. Stored, a query
        reads one narrow table. Rows are stored by programme and state and
        indexed so (``program_id, state``): a funder's dashboard reads its
        programmes' contiguous rows mostly.

        An older version's materialized views (or views) are dropped here
        and replaced by the tables: the upgrade needs no migration script.
        """
        cr = self.env.cr
        # The funders analysis is built on this one: both are rebuilt here
        # (``PassFunderReport.init`` does nothing). Dropped first so that a
        # materialized view of an older version does not outlive its source.
        drop_relation(cr, self.env["pass.funder.report"]._table)
        # An index to find the passes changed since the last refresh.
        tools.create_index(
            cr, "pass_voucher_write_date_idx", "pass_voucher", ["write_date"]
        )
        self._refresh()

    def _funder_select_sql(self, source, voucher_ids=None):
        """The rows of the funders analysis, from the pass analysis table
        ``source``: of every pass, or of ``voucher_ids``."""
        where = (
            SQL("TRUE")
            if voucher_ids is None
            else SQL("r.id = ANY(%s)", list(voucher_ids))
        )
        return SQL(
            """
            SELECT (r.id::bigint * 100000 + f.id) AS id,
                   r.voucher_id, f.partner_id AS funder_id,
                   funder.pass_funder_type AS funder_type, f.share,
                   r.program_id, r.company_id, r.currency_id, r.state,
                   r.venue_id, r.department_id, r.commune, r.service_id,
                   r.date_issue, r.redeemed_at, r.month,
                   r.amount * f.share::float8 / 100 AS amount_funded,
                   r.amount_redeemed * f.share::float8 / 100 AS amount_redeemed,
                   CASE WHEN r.state = 'settled'
                        THEN r.amount * f.share::float8 / 100 ELSE 0
                   END AS amount_settled,
                   CASE WHEN r.state = 'expired'
                        THEN r.amount * f.share::float8 / 100 ELSE 0
                   END AS amount_expired,
                   r.redeemed_count
              FROM %(source)s r
              JOIN pass_program_funding f ON f.program_id = r.program_id
              LEFT JOIN res_partner funder ON funder.id = f.partner_id
             WHERE %(where)s
            """,
            source=SQL.identifier(source),
            where=where,
        )

    def _pass_lock(self, wait):
        """Take the analyses' refresh lock (till the transaction ends):
        waiting for it when ``wait``, else returns False if it is taken."""
        function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
        self.env.cr.execute(
            SQL("SELECT %s(%s, 0)", SQL.identifier(function), REPORT_LOCK_KEY)
        )
        return wait or self.env.cr.fetchone()[0]

    @api.model
    def _refresh(self):
        """Rebuild both analyses from scratch (hourly cron, install and
        upgrade, tests after bulk changes).

        Built into new tables (with their indexes, analysed), then swapped
        in by renames at the very end: readers keep reading the old tables
        for the whole build (60 to 120 s on 2,000,000 passes) and wait only
        for the renames, till the transaction commits. Caveat of any swap: a
        request whose snapshot predates the commit and reads the analyses
        afterwards sees them empty (that one request)."""
        cr = self.env.cr
        self.env.flush_all()
        self._pass_lock(wait=True)
        moment = cr.now()
        table, funders = self._table, self.env["pass.funder.report"]._table
        new, new_funders = f"{table}_new", f"{funders}_new"
        drop_relation(cr, new)
        drop_relation(cr, new_funders)
        build_table(
            cr,
            new,
            self._select_sql(),
            SQL("v.program_id, v.state, v.id"),
            REPORT_INDEXES,
        )
        build_table(
            cr,
            new_funders,
            self._funder_select_sql(new),
            SQL("f.partner_id, r.state, r.id"),
            FUNDER_REPORT_INDEXES,
        )
        swap_in(cr, new_funders, funders, FUNDER_REPORT_INDEXES)
        swap_in(cr, new, table, REPORT_INDEXES)
        self._pass_mark_refreshed(moment)
        self.env.invalidate_all()
        return True

    @api.model
    def _refresh_incremental(self):
        """Recompute the rows of the passes changed since the last refresh
        (every-minute cron, staff's refresh button). Returns False when
        another refresh holds the lock (skipped: the next one catches up),
        else True. The first one, on a database never refreshed, is a full
        rebuild."""
        cr = self.env.cr
        self.env.flush_all()
        if not self._pass_lock(wait=False):
            return False
        since = self._pass_refreshed_at()
        if since is None:
            return self._refresh()
        moment = cr.now()
        cr.execute(
            SQL(
                "SELECT id FROM pass_voucher WHERE write_date > %s",
                since - REFRESH_OVERLAP,
            )
        )
        ids = [row[0] for row in cr.fetchall()]
        if ids:
            self._refresh_rows(ids)
        self._pass_mark_refreshed(moment)
        self.env.invalidate_all()
        return True

    def _refresh_rows(self, voucher_ids):
        """Recompute the rows of ``voucher_ids`` in both analyses (delete,
        then insert from the same SELECT as the full rebuild): idempotent."""
        cr = self.env.cr
        table, funders = self._table, self.env["pass.funder.report"]._table
        cr.execute(
            SQL(
                "DELETE FROM %s WHERE voucher_id = ANY(%s)",
                SQL.identifier(funders),
                voucher_ids,
            )
        )
        cr.execute(
            SQL(
                "DELETE FROM %s WHERE id = ANY(%s)",
                SQL.identifier(table),
                voucher_ids,
            )
        )
        cr.execute(
            SQL(
                "INSERT INTO %s %s",
                SQL.identifier(table),
                self._select_sql(voucher_ids),
            )
        )
        cr.execute(
            SQL(
                "INSERT INTO %s %s",
                SQL.identifier(funders),
                self._funder_select_sql(table, voucher_ids),
            )
        )

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
        """A table too, built on pass_report's one pass by pass: one row per
        pass, times the programme's funders. Built, rebuilt and refreshed
        with it (``PassReport.init``, ``_refresh``, ``_refresh_incremental``):
        nothing to do here.

        Why stored: as a plain view every funders pivot joined the 2,000,000
        rows of pass_report to the fundings at each query, 3,000,000 rows
        made on the fly: 1.5 to 2 s per query, over the second of issue 6.
        """

    # ------------------------------------------------------------------ hooks
    @api.model
    def _funder_money(self, funder, programs, used=None):
        """Money of ``funder`` for ``programs``, from the ledger. ``used``:
        {programme: passes used so far} when the caller counted them.

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
