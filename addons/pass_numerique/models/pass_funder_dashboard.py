# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The funder dashboard (portal ``/my/pass-funding``), as a model service.

The programmes a funder funds with their figures (books and passes ordered,
handed out, redeemed, settled, expired; redemption rate; delay from hand-out
to redemption; breakdowns by service, venue, territory, month and by the
beneficiaries' age band and situation).

Figures about people (beneficiaries): a key figure of fewer than 5 people is
shown as "< 5"; in a breakdown the cells of fewer than 5 people are masked,
and so are as many other cells as it takes for no masked cell to come back by
subtracting the shown ones from the total (``tools.disclosure.suppress``).
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, MissingError
from odoo.tools import format_amount, format_date

from ..tools.disclosure import SMALL_NUMBER, is_small, people_display, suppress
from ..tools.formatting import format_days, format_percent
from .pass_book import USED_STATES

# The month chart shows at most this many months (the most recent).
CHART_MONTHS = 24
# Breakdowns longer than this show their first rows (by passes redeemed).
BREAKDOWN_ROWS = 15
STATE_KEYS = (
    "available",
    "distributed",
    "redeemed",
    "settled",
    "expired",
    "cancelled",
    "ordered",
    "used",
    "distributed_total",
    "value",
    "value_used",
)


def rate(part, whole):
    """A percentage, rounded, or None when there is nothing to divide."""
    return round(100.0 * part / whole, 1) if whole else None


def percent(env, value):
    """A rate for the page ("44,4 %" in French), or None."""
    return None if value is None else format_percent(env, value)


def duration(env, value):
    """An average delay in days for the page ("2,5 j"), or None."""
    return None if value is None or value is False else format_days(env, value)


def beneficiary_choices(env):
    """Age bands and situations of a beneficiary, [(key, label)] each, with
    the field's translated labels."""
    fields_ = env["pass.beneficiary"]._fields
    return (
        fields_["age_band"]._description_selection(env),
        fields_["situation"]._description_selection(env),
    )


class PassFunderDashboard(models.AbstractModel):
    _name = "pass.funder.dashboard"
    _description = "Funder dashboard (portal)"

    # ------------------------------------------------------------------ entry
    @api.model
    def _check_funder_access(self, funder):
        """Refuse (AccessError) anybody but Pass staff and the users of
        ``funder``'s own organisation; ``funder`` must be a funder."""
        user = self.env.user
        own = (
            not user._is_public()
            and user.partner_id.commercial_partner_id == funder
            and funder.is_pass_funder
        )
        staff = user.has_group("pass_numerique.pass_numerique_group_user")
        if not (funder and (own or (staff and funder.is_pass_funder))):
            raise AccessError(
                self.env._("Only a funder's own users may see its dashboard.")
            )

    @api.model
    def _funder_programs(self, funder):
        """The programmes ``funder`` funds (drafts aside), read as the caller:
        a portal funder reads its own programmes through the record rules."""
        self._check_funder_access(funder)
        return self.env["pass.program"].search(
            [("funding_ids.partner_id", "=", funder.id), ("state", "!=", "draft")],
            order="date_start desc, id desc",
        )

    @api.model
    def _dashboard(self, funder, program_id=None):
        """Everything the dashboard page shows, for every programme of
        ``funder`` or only ``program_id``. The caller's rights are checked
        first; a programme ``funder`` does not fund is MissingError (nothing
        of it, not even that it exists)."""
        programs = self._funder_programs(funder)
        selected = programs
        if program_id is not None:
            selected = programs.filtered(lambda p: p.id == program_id)
            if not selected:
                raise MissingError(self.env._("This programme does not exist."))
        return {
            "funder": funder,
            "programs": programs,
            "program": selected if program_id is not None else None,
            "figures": self._figures(funder, selected),
            "today": format_date(self.env, fields.Date.context_today(self)),
        }

    # ------------------------------------------------------------------ figures
    def _people(self, people, hidden=None):
        """A count of people for the page. ``hidden``: None for a figure on
        its own (shown "< 5" when small), else whether the breakdown's
        suppression masks it. A hidden count carries no number."""
        if hidden is None:
            hidden = is_small(people, SMALL_NUMBER)
            display = people_display(people, self.env)
        else:
            display = self.env._("hidden") if hidden else str(people or 0)
        return {
            "value": None if hidden else people or 0,
            "display": display,
            "suppressed": hidden,
        }

    def _breakdown(self, Report, domain, groupby, label, people_total):
        """Redeemed passes grouped by ``groupby``: rows sorted by passes,
        with value, people (masked so that no count under 5 comes back from
        ``people_total``) and a bar width in percent."""
        groups = Report._read_group(
            domain,
            groupby=[groupby] if isinstance(groupby, str) else groupby,
            aggregates=[
                "__count",
                "amount_redeemed:sum",
                "people_count:count_distinct",
            ],
        )
        # A person may count in several rows (passes used at two venues):
        # the suppression is then only more cautious. Every row takes part.
        hidden, _total_hidden = suppress(
            [people for *_keys, people in groups], people_total, SMALL_NUMBER
        )
        rows = [
            {
                "label": label(*keys),
                "passes": count,
                "amount": amount,
                "people": self._people(people, masked),
            }
            for (*keys, count, amount, people), masked in zip(
                groups, hidden, strict=True
            )
        ]
        rows.sort(key=lambda r: (-r["passes"], r["label"]))
        top = max((r["passes"] for r in rows), default=0)
        for row in rows:
            row["width"] = round(100.0 * row["passes"] / top, 1) if top else 0
        return rows[:BREAKDOWN_ROWS], len(rows)

    def _people_breakdown(self, cells, index, choices):
        """Beneficiaries by age band (``index`` 0) or situation (1) from the
        (age band, situation) cells: every line under 5 people masked, and as
        many others as it takes for none to come back from the total (each
        person is in one line). Returns the rows and whether the total must
        not be published either."""
        groups = {}
        for key, (redeemed, people) in cells.items():
            total = groups.get(key[index], (0, 0))
            groups[key[index]] = (total[0] + redeemed, total[1] + people)
        labels = dict(choices)
        labels[False] = self.env._("Not specified")
        keys = [k for k in [k for k, _l in choices] + [False] if k in groups]
        hidden, total_hidden = suppress(
            [groups[key][1] for key in keys], None, SMALL_NUMBER
        )
        rows = [
            {
                "label": labels[key],
                "people": self._people(groups[key][1], masked),
                "redeemed": None if masked else groups[key][0],
            }
            for key, masked in zip(keys, hidden, strict=True)
        ]
        return rows, total_hidden

    def _program_counts(self, programs):
        """Books and passes per programme: ({id: books}, {id: passes}, people
        of all of them together), read
        in ``programs``' environment (the caller's figures run it sudo)."""
        env = programs.env
        domain = [("program_id", "in", programs.ids)]
        books = {}
        for program, state, count in env["pass.book"]._read_group(
            domain, groupby=["program_id", "state"], aggregates=["__count"]
        ):
            row = books.setdefault(program.id, {"ordered": 0, "distributed": 0})
            if state != "cancelled":
                row["ordered"] += count
            if state == "distributed":
                row["distributed"] += count
        Voucher = env["pass.voucher"]
        # Passes of the books handed out: every book holds its
        # passes_per_book passes from its issue on, so the books tell it
        # (200,000 rows) without joining the passes (2,000,000).
        distributed = dict(
            env["pass.book"]._read_group(
                [*domain, ("holder_id", "!=", False)],
                groupby=["program_id"],
                aggregates=["passes_per_book:sum"],
            )
        )
        state_rows = Voucher._read_group(
            domain,
            groupby=["program_id", "state"],
            aggregates=["__count", "amount:sum"],
        )
        # Used, settled and people through the one definition the
        # statements use too (pass.program._pass_figures), from the counts
        # just read.
        people, all_people = programs._pass_people()
        shared = programs._pass_figures(
            state_counts={(p, state): n for p, state, n, _amount in state_rows},
            people=people,
        )
        passes = {}
        for program, state, count, amount in state_rows:
            row = passes.setdefault(program.id, dict.fromkeys(STATE_KEYS, 0))
            row[state] += count
            if state != "cancelled":
                row["value"] += amount
                row["ordered"] += count
            if state in USED_STATES:
                row["value_used"] += amount
        for program in programs:
            row = passes.setdefault(program.id, dict.fromkeys(STATE_KEYS, 0))
            row["distributed_total"] = distributed.get(program, 0)
            row["used"] = shared[program]["used"]
            row["settled"] = shared[program]["settled"]
            row["people"] = shared[program]["people"]
        return books, passes, all_people

    def _figures(self, funder, programs):
        """Every figure of the funder's dashboard, for ``programs`` (the
        funder's own, as found by ``_funder_programs``)."""
        env = self.env
        shown = programs
        # sudo: the caller's rights were checked (_funder_programs); portal
        # funders read neither the analysis nor the passes, and every query
        # below is restricted to ``programs``, the funder's own programmes.
        programs = programs.sudo()
        Report = env["pass.report"].sudo()
        domain = [("program_id", "in", programs.ids)]
        used = [*domain, ("state", "in", USED_STATES)]
        currency = programs[:1].currency_id or env.company.currency_id

        def money(value):
            return format_amount(env, value or 0.0, currency)

        books, passes, all_people = self._program_counts(programs)
        delays = dict(
            Report._read_group(
                used, groupby=["program_id"], aggregates=["delay_days:avg"]
            )
        )
        shares = {
            f.program_id.id: f.share
            for f in programs.funding_ids.filtered(lambda f: f.partner_id == funder)
        }
        # The breakdowns are of used passes: their people total is the used
        # passes' (for the suppression); the headline is every person helped.
        [(all_delay, used_people)] = Report._read_group(
            used, aggregates=["delay_days:avg", "people_count:count_distinct"]
        )
        # People per programme: a person may have passes of two programmes.
        program_hidden = suppress(
            [passes[p.id]["people"] for p in programs], all_people, SMALL_NUMBER
        )[0]
        program_rows = []
        totals = dict.fromkeys(STATE_KEYS, 0)
        totals.update(books_ordered=0, books_distributed=0, value_funded=0.0)
        for program, hidden in zip(shown, program_hidden, strict=True):
            row = passes[program.id]
            book = books.get(program.id, {"ordered": 0, "distributed": 0})
            share = shares.get(program.id, 0.0)
            for key in STATE_KEYS:
                totals[key] += row[key]
            totals["books_ordered"] += book["ordered"]
            totals["books_distributed"] += book["distributed"]
            totals["value_funded"] += row["value"] * share / 100.0
            program_rows.append(
                {
                    "program": program,
                    "share": format_percent(
                        env, share, 0 if float(share).is_integer() else 2
                    ),
                    "books_ordered": book["ordered"],
                    "books_distributed": book["distributed"],
                    "passes": row,
                    "rate": percent(env, rate(row["used"], row["distributed_total"])),
                    "delay": duration(env, delays.get(program)),
                    "people": self._people(row["people"], hidden),
                    "value_funded": money(row["value"] * share / 100.0),
                    "date_end": format_date(env, program.date_end),
                    "url": f"/my/pass-funding/{program.id}",
                }
            )
        totals["rate"] = percent(env, rate(totals["used"], totals["distributed_total"]))
        totals["delay"] = duration(env, all_delay)
        totals["people"] = self._people(all_people)
        totals["value_funded"] = money(totals["value_funded"])
        figures = {
            "program_rows": program_rows,
            "totals": totals,
            "months": self._month_chart(
                Report, used, min(programs.mapped("date_start"), default=None)
            ),
            "small_number": SMALL_NUMBER,
        }
        figures.update(self._place_breakdowns(Report, used, used_people))
        figures.update(self._people_breakdowns(Report, domain, totals, all_people))
        figures.update(
            self._money(
                funder,
                programs,
                money,
                {p: passes[p.id]["used"] for p in programs},
            )
        )
        return figures

    def _place_breakdowns(self, Report, used, used_people):
        """Used passes by service, venue and territory (``Report`` already
        restricted by the caller)."""
        env = self.env

        def territory(department, commune):
            place = (
                f"{department.code} {department.name}"
                if department
                else env._("Outside any known département")
            )
            return " · ".join(x for x in (place, commune or "") if x)

        values = {}
        for key, groupby, label in (
            ("services", "service_id", lambda s: s.name or env._("No service")),
            ("venues", "venue_id", lambda v: v.name or env._("No venue")),
            ("territories", ["department_id", "commune"], territory),
        ):
            rows, total = self._breakdown(Report, used, groupby, label, used_people)
            values[key] = rows
            values[f"{key}_total"] = total
        return values

    def _people_breakdowns(self, Report, domain, totals, all_people):
        """Passes redeemed and people by age band and by situation, from one
        query on the (age band, situation) cells: each person is in exactly
        one cell, so a band's people are the sum of its cells."""
        cells = {
            (band, situation): (redeemed, people)
            for band, situation, redeemed, people in Report._read_group(
                [*domain, ("beneficiary_id", "!=", False)],
                groupby=["age_band", "situation"],
                aggregates=["redeemed_count:sum", "people_count:count_distinct"],
            )
        }
        ages, situations = beneficiary_choices(self.env)
        age_bands, ages_hidden = self._people_breakdown(cells, 0, ages)
        situation_rows, situations_hidden = self._people_breakdown(cells, 1, situations)
        if ages_hidden or situations_hidden:
            # Both break the same people down: the total of one (the sum of
            # its shown cells) would give the other's back. Nothing of
            # either, nor the key figure that may well be the same total.
            for row in age_bands + situation_rows:
                row["people"] = self._people(row["people"]["value"], True)
                row["redeemed"] = None
            totals["people"] = self._people(all_people, True)
        return {"age_bands": age_bands, "situations": situation_rows}

    def _money(self, funder, programs, money, used):
        """The funder's money for ``programs``, from the ledger when
        pass_settlement is installed (else "not known"). ``used``:
        {programme: passes used so far}, as the page counted them."""
        # sudo: rights checked in _funder_programs; the ledger figures of the
        # funder's own programmes only.
        FunderReport = self.env["pass.funder.report"].sudo()
        figures = FunderReport._funder_money(funder, programs, used=used)
        known = figures.get("held") is not None
        return {
            "money_known": known,
            # Whether the funder still owes part of what it was invoiced.
            "money_due": bool(known and figures.get("due")),
            "money": {
                key: money(figures.get(key)) if known else None
                for key in ("invoiced", "received", "due", "spent", "refunded", "held")
            },
            "statements": FunderReport._funder_statements(funder, programs),
        }

    def _month_chart(self, Report, domain, start=None):
        """Passes redeemed per month, as bars of an inline SVG chart: every
        month from ``start`` (the first programme's) to this one, months
        without a redemption included (at most the last CHART_MONTHS)."""
        counts = {
            month: count
            for month, count in Report._read_group(
                domain, groupby=["month:month"], aggregates=["__count"]
            )
            if month
        }
        today = fields.Date.context_today(self)
        month = min([*counts, start or today, today]).replace(day=1)
        last = max([*counts, today]).replace(day=1)
        groups = []
        while month <= last:
            groups.append((month, counts.get(month, 0)))
            month = (month + timedelta(days=32)).replace(day=1)
        groups = groups[-CHART_MONTHS:]
        top = max((c for _m, c in groups), default=0)
        bar, gap, height = 44, 14, 140
        bars = []
        for index, (month, count) in enumerate(groups):
            h = round(height * count / top) if top else 0
            bars.append(
                {
                    "x": index * (bar + gap),
                    "y": height - h,
                    "width": bar,
                    "height": h,
                    "count": count,
                    "label": format_date(self.env, month, date_format="MMM yy"),
                }
            )
        return {
            "bars": bars,
            "width": max(len(bars) * (bar + gap), 6 * (bar + gap)),
            "height": height,
            "top": top,
        }
