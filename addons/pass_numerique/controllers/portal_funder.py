# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Portal pages of the funders, and what became of a prescriber's passes.

- Funders (``is_pass_funder`` commercial partner): ``/my/pass-funding``, the
  programmes they fund with their figures (books and passes ordered, handed
  out, redeemed, settled, expired; redemption rate; delay from hand-out to
  redemption; breakdowns by service, venue, territory, month and by the
  beneficiaries' age band and situation), and ``/my/pass-funding/<id>`` for
  one programme. A programme the funder does not fund is "not found".
- Prescribers: the books page gains a summary of what became of the passes
  they held (handed to a beneficiary, redeemed, still valid, expired).

Figures about people (beneficiaries): a key figure of fewer than 5 people is
shown as "< 5"; in a breakdown (by age band, situation, service, venue,
territory) the cells of fewer than 5 people are masked, and so are as many
other cells as it takes for no masked cell to come back by subtracting the
shown ones from the total (``tools.disclosure.suppress``).
"""

from datetime import timedelta

from werkzeug.exceptions import NotFound

from odoo import fields, http
from odoo.http import request
from odoo.tools import format_amount, format_date

from ..models.pass_report import SMALL_NUMBER, USED_STATES, people_display
from ..tools.disclosure import is_small, suppress
from ..tools.formatting import format_days, format_percent
from .portal import PassPortal

# The month chart shows at most this many months (the most recent).
CHART_MONTHS = 24
# Breakdowns longer than this show their first rows (by passes redeemed).
BREAKDOWN_ROWS = 15


class PassFunderPortal(PassPortal):
    # ------------------------------------------------------------------ helpers
    def _pass_funder(self):
        partner = self._pass_partner()
        if request.env.user._is_public() or not partner.is_pass_funder:
            raise NotFound()
        return partner

    def _pass_funder_programs(self, funder):
        """The programmes ``funder`` (the user's own organisation) funds.

        sudo: portal users cannot read programmes; the domain on the
        funder's shares keeps only the user's organisation's programmes, and
        every figure below is computed on these programmes only.
        """
        return (
            request.env["pass.program"]
            .sudo()
            .search(
                [("funding_ids.partner_id", "=", funder.id), ("state", "!=", "draft")],
                order="date_start desc, id desc",
            )
        )

    def _pass_people(self, people, hidden=None):
        """A count of people for the page. ``hidden``: None for a figure on
        its own (shown "< 5" when small), else whether the breakdown's
        suppression masks it. A hidden count carries no number."""
        if hidden is None:
            hidden = is_small(people, SMALL_NUMBER)
            display = people_display(people, request.env)
        else:
            display = request.env._("hidden") if hidden else str(people or 0)
        return {
            "value": None if hidden else people or 0,
            "display": display,
            "suppressed": hidden,
        }

    def _pass_breakdown(self, Report, domain, groupby, label, people_total):
        """Redeemed passes grouped by ``groupby``: rows sorted by passes,
        with value, people (masked so that no count under 5 comes back from
        ``people_total``, the people of ``domain``) and a bar width in
        percent."""
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
        # the suppression is then only more cautious. Every row takes part,
        # also the ones past BREAKDOWN_ROWS.
        hidden, _total_hidden = suppress(
            [people for *_keys, people in groups], people_total, SMALL_NUMBER
        )
        rows = []
        for (*keys, count, amount, people), masked in zip(groups, hidden, strict=True):
            rows.append(
                {
                    "label": label(*keys),
                    "passes": count,
                    "amount": amount,
                    "people": self._pass_people(people, masked),
                }
            )
        rows.sort(key=lambda r: (-r["passes"], r["label"]))
        top = max((r["passes"] for r in rows), default=0)
        for row in rows:
            row["width"] = round(100.0 * row["passes"] / top, 1) if top else 0
        return rows[:BREAKDOWN_ROWS], len(rows)

    def _pass_people_cells(self, Report, domain):
        """Passes redeemed and people by (age band, situation), one query.

        Both are facts of the beneficiary: each person is in exactly one
        cell, so the people of an age band (or a situation) are the sum of
        its cells, exactly; one query instead of two on the funder's rows.
        """
        return {
            (band, situation): (redeemed, people)
            for band, situation, redeemed, people in Report._read_group(
                [*domain, ("beneficiary_id", "!=", False)],
                groupby=["age_band", "situation"],
                aggregates=["redeemed_count:sum", "people_count:count_distinct"],
            )
        }

    def _pass_people_breakdown(self, cells, index, choices):
        """Beneficiaries (people) by age band (``index`` 0) or situation (1),
        from ``_pass_people_cells``: every line under 5 people masked, and as
        many others as it takes for none to come back from the total (each
        person is in one line), its passes with it. Returns the rows and
        whether the total must not be published either."""
        groups = {}
        for key, (redeemed, people) in cells.items():
            total = groups.get(key[index], (0, 0))
            groups[key[index]] = (total[0] + redeemed, total[1] + people)
        labels = dict(choices)
        labels[False] = request.env._("Not specified")
        keys = [k for k in [k for k, _l in choices] + [False] if k in groups]
        hidden, total_hidden = suppress(
            [groups[key][1] for key in keys], None, SMALL_NUMBER
        )
        rows = []
        for key, masked in zip(keys, hidden, strict=True):
            redeemed, people = groups[key]
            rows.append(
                {
                    "label": labels[key],
                    "people": self._pass_people(people, masked),
                    "redeemed": None if masked else redeemed,
                }
            )
        return rows, total_hidden

    def _pass_funding_figures(self, funder, programs):
        """Every figure of the funder's dashboard, for ``programs``."""
        env = request.env
        # sudo: portal users cannot read the analysis; every query below is
        # restricted to ``programs``, the funder's own programmes.
        Report = env["pass.report"].sudo()
        domain = [("program_id", "in", programs.ids)]
        used = [*domain, ("state", "in", USED_STATES)]
        currency = programs[:1].currency_id or env.company.currency_id

        def money(value):
            return format_amount(env, value or 0.0, currency)

        # Books per programme (sudo: as above, restricted to ``programs``).
        books = {}
        for program, state, count in (
            env["pass.book"]
            .sudo()
            ._read_group(
                domain, groupby=["program_id", "state"], aggregates=["__count"]
            )
        ):
            row = books.setdefault(program.id, {"ordered": 0, "distributed": 0})
            if state != "cancelled":
                row["ordered"] += count
            if state == "distributed":
                row["distributed"] += count
        # Passes per programme and state, live (sudo: as above, restricted
        # to ``programs``); used, settled and people through the one
        # definition the statements use too (pass.program._pass_figures).
        Voucher = env["pass.voucher"].sudo()
        distributed = dict(
            Voucher._read_group(
                [*domain, ("book_id.holder_id", "!=", False)],
                groupby=["program_id"],
                aggregates=["__count"],
            )
        )
        shared = programs._pass_figures()
        passes = {}
        for program, state, count, amount in Voucher._read_group(
            domain,
            groupby=["program_id", "state"],
            aggregates=["__count", "amount:sum"],
        ):
            row = passes.setdefault(program.id, {s: 0 for s in _STATE_KEYS})
            row[state] += count
            row["value"] += amount if state != "cancelled" else 0.0
            if state != "cancelled":
                row["ordered"] += count
            if state in USED_STATES:
                row["value_used"] += amount
        for program in programs:
            row = passes.setdefault(program.id, {s: 0 for s in _STATE_KEYS})
            row["distributed_total"] = distributed.get(program, 0)
            row["used"] = shared[program]["used"]
            row["settled"] = shared[program]["settled"]
        delays = {}
        for program, delay in Report._read_group(
            used, groupby=["program_id"], aggregates=["delay_days:avg"]
        ):
            delays[program] = delay
        people = {program: shared[program]["people"] for program in programs}
        shares = {
            f.program_id.id: f.share
            for f in programs.funding_ids.filtered(lambda f: f.partner_id == funder)
        }
        # The breakdowns below are of used passes: their people total is the
        # used passes' (for the suppression), the headline is every person
        # helped (pass.program._pass_figures).
        [(all_delay, used_people)] = Report._read_group(
            used, aggregates=["delay_days:avg", "people_count:count_distinct"]
        )
        all_people = programs._pass_people_count()
        # People per programme: a person may have passes of two programmes.
        program_hidden = dict(
            zip(
                programs.ids,
                suppress(
                    [people.get(program, 0) for program in programs],
                    all_people,
                    SMALL_NUMBER,
                )[0],
                strict=True,
            )
        )
        program_rows = []
        totals = {s: 0 for s in _STATE_KEYS}
        totals.update(books_ordered=0, books_distributed=0, value_funded=0.0)
        for program in programs:
            row = passes.get(program.id, {s: 0 for s in _STATE_KEYS})
            book = books.get(program.id, {"ordered": 0, "distributed": 0})
            share = shares.get(program.id, 0.0)
            for key in _STATE_KEYS:
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
                    "rate": _percent(env, _rate(row["used"], row["distributed_total"])),
                    "delay": _duration(env, delays.get(program)),
                    "people": self._pass_people(
                        people.get(program, 0), program_hidden[program.id]
                    ),
                    "value_funded": money(row["value"] * share / 100.0),
                    "date_end": format_date(env, program.date_end),
                    "url": f"/my/pass-funding/{program.id}",
                }
            )
        totals["rate"] = _percent(
            env, _rate(totals["used"], totals["distributed_total"])
        )
        totals["delay"] = _duration(env, all_delay)
        totals["people"] = self._pass_people(all_people)
        totals["value_funded"] = money(totals["value_funded"])

        services, services_total = self._pass_breakdown(
            Report,
            used,
            "service_id",
            lambda s: s.name or env._("No service"),
            used_people,
        )
        venues, venues_total = self._pass_breakdown(
            Report,
            used,
            "venue_id",
            lambda v: v.name or env._("No venue"),
            used_people,
        )
        territories, territories_total = self._pass_breakdown(
            Report,
            used,
            ["department_id", "commune"],
            lambda d, c: " · ".join(
                x
                for x in (
                    f"{d.code} {d.name}"
                    if d
                    else env._("Outside any known département"),
                    c or "",
                )
                if x
            ),
            used_people,
        )
        months = self._pass_month_chart(
            Report, used, min(programs.mapped("date_start"), default=None)
        )
        cells = self._pass_people_cells(Report, domain)
        choices = self._pass_beneficiary_choices()
        age_bands, ages_total_hidden = self._pass_people_breakdown(cells, 0, choices[0])
        situations, situations_total_hidden = self._pass_people_breakdown(
            cells, 1, choices[1]
        )
        if ages_total_hidden or situations_total_hidden:
            # Both break the same people down: the total of one (the sum of
            # its shown cells) would give the other's back. Nothing of
            # either, nor the key figure that may well be the same total.
            for row in age_bands + situations:
                row["people"] = self._pass_people(row["people"]["value"], True)
                row["redeemed"] = None
            totals["people"] = self._pass_people(all_people, True)
        money_figures = env["pass.funder.report"].sudo()._funder_money(funder, programs)
        money_known = money_figures.get("held") is not None
        # Whether the funder still owes part of what it was invoiced.
        money_due = bool(money_known and money_figures.get("due"))
        return {
            "program_rows": program_rows,
            "totals": totals,
            "services": services,
            "services_total": services_total,
            "venues": venues,
            "venues_total": venues_total,
            "territories": territories,
            "territories_total": territories_total,
            "months": months,
            "age_bands": age_bands,
            "situations": situations,
            "money_known": money_known,
            "money_due": money_due,
            "money": {
                key: money(money_figures.get(key)) if money_known else None
                for key in ("invoiced", "received", "due", "spent", "refunded", "held")
            },
            "statements": env["pass.funder.report"]
            .sudo()
            ._funder_statements(funder, programs),
            "small_number": SMALL_NUMBER,
        }

    def _pass_month_chart(self, Report, domain, start=None):
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
        today = fields.Date.context_today(request.env.user)
        first = min([*counts, start or today, today])
        month = first.replace(day=1)
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
                    "label": format_date(request.env, month, date_format="MMM yy"),
                }
            )
        return {
            "bars": bars,
            "width": max(len(bars) * (bar + gap), 6 * (bar + gap)),
            "height": height,
            "top": top,
        }

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        partner = self._pass_partner()
        values["pass_is_funder"] = bool(partner.is_pass_funder) and not (
            request.env.user._is_public()
        )
        return values

    # ------------------------------------------------------------------ funder
    @http.route(
        ["/my/pass-funding", "/my/pass-funding/<int:program_id>"],
        type="http",
        auth="user",
        website=True,
        methods=["GET"],
        readonly=True,
    )
    def pass_funding(self, program_id=None, **kw):
        funder = self._pass_funder()
        programs = self._pass_funder_programs(funder)
        selected = programs
        if program_id is not None:
            # Another funder's programme (or none) is not found: nothing of it,
            # not even that it exists.
            selected = programs.filtered(lambda p: p.id == program_id)
            if not selected:
                raise NotFound()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "pass_funding",
                "funder": funder,
                "programs": programs,
                "program": selected if program_id is not None else None,
                "figures": self._pass_funding_figures(funder, selected),
                "today": format_date(
                    request.env, fields.Date.context_today(request.env.user)
                ),
            }
        )
        return request.render("pass_numerique.portal_pass_funding", values)

    # ------------------------------------------------------------------ prescriber
    def _pass_books_values(self, prescriber, **extra):
        values = super()._pass_books_values(prescriber, **extra)
        values["pass_outcome"] = self._pass_prescriber_outcome(prescriber)
        return values

    def _pass_prescriber_outcome(self, prescriber):
        """What became of the passes of the books the prescriber holds.

        One definition per figure, the same as the book cards': "used" is
        every pass of the held books in a used state (redeemed or settled),
        handed to a registered beneficiary or not, so the headline is the sum
        of the cards; "to hand" is a distributed pass not yet given to a
        beneficiary (the cards' "Remettre à un bénéficiaire (n pass)").
        Counts only, no beneficiary's data."""
        env = request.env
        # As the portal user: the record rules keep the passes of the books
        # the organisation holds; the domain says so too.
        domain = [("book_id.holder_id", "=", prescriber.id)]
        outcome = {
            "total": 0,
            "handed": 0,
            "not_handed": 0,
            "redeemed": 0,
            "waiting": 0,
            "expired": 0,
            "cancelled": 0,
        }
        services = {}
        for state, handed, service, count in env["pass.voucher"]._read_group(
            domain,
            groupby=["state", "beneficiary_id", "service_id"],
            aggregates=["__count"],
        ):
            outcome["total"] += count
            if handed:
                outcome["handed"] += count
            if state in USED_STATES:
                outcome["redeemed"] += count
                # sudo: the name of the service the pass paid for (pass.service
                # is not readable by portal users).
                name = service.sudo().name or env._("No service")
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
        outcome["rate"] = _percent(env, _rate(outcome["redeemed"], outcome["total"]))
        outcome["services"] = sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))
        return outcome


_STATE_KEYS = (
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


def _rate(part, whole):
    """A percentage, rounded, or None when there is nothing to divide."""
    return round(100.0 * part / whole, 1) if whole else None


def _percent(env, value):
    """A rate for the page ("44,4 %" in French), or None."""
    return None if value is None else format_percent(env, value)


def _duration(env, value):
    """An average delay in days for the page ("2,5 j"), or None."""
    return None if value is None or value is False else format_days(env, value)
