# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Periods (days, months, statements, clearing) cut in the company's timezone.

Redemption times are stored as naive UTC datetimes (Odoo's convention); a
period is a range of local days. A pass redeemed on 1 November at 00:30 in
Paris (31 October, 23:30 UTC) belongs to November: the period of a month
starts at the local midnight of its first day and ends at the local midnight
after its last day, both converted to UTC.

The timezone of a company (``company_tz``): Odoo 18's ``res.company`` has no
timezone of its own, so it is the company partner's ``tz`` if set, else
``DEFAULT_TZ`` (Europe/Paris: the scheme is French). The user's timezone is
deliberately not used: a period of accounts is the same for every user, for
the scheduler and for the portal, whoever looks at it. Set the timezone on
the company's contact to cut elsewhere (overseas departments, for example).

Pure functions: they take dates and a timezone name and return dates or
naive UTC datetimes, ready for a domain on a ``Datetime`` field.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Europe/Paris"


def company_tz(company):
    """The timezone name periods of ``company`` (a res.company record, or
    nothing) are cut in: its partner's timezone, else ``DEFAULT_TZ``."""
    # sudo: the company's timezone is no secret, but its contact is not
    # readable by every user (portal users read their own partner only).
    tz = company and company.sudo().partner_id.tz
    return tz if tz and _zone(tz) is not None else DEFAULT_TZ


def _zone(tz):
    try:
        return ZoneInfo(tz or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _to_date(day):
    return day.date() if isinstance(day, datetime) else day


def day_start_utc(day, tz=DEFAULT_TZ):
    """The naive UTC datetime of the local midnight starting ``day``."""
    day = _to_date(day)
    if day <= date.min:
        return datetime.min
    zone = _zone(tz) or ZoneInfo(DEFAULT_TZ)
    local = datetime.combine(day, time.min, tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def period_end_utc(date_to, tz=DEFAULT_TZ):
    """The first instant (naive UTC) after the local day ``date_to``: what
    happened strictly before it belongs to a period ending on ``date_to``.
    The last representable day has no next day: the period then runs to
    ``datetime.max``."""
    date_to = _to_date(date_to)
    if date_to >= date.max:
        return datetime.max
    return day_start_utc(date_to + timedelta(days=1), tz)


def period_bounds_utc(date_from, date_to, tz=DEFAULT_TZ):
    """Naive UTC datetimes ``[start, end)`` covering the local days
    ``date_from`` to ``date_to`` (both included)."""
    return day_start_utc(date_from, tz), period_end_utc(date_to, tz)


def month_bounds(day):
    """The first and last days (dates) of the month of ``day``."""
    first = _to_date(day).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def previous_month_bounds(day):
    """The first and last days (dates) of the month before that of ``day``."""
    last = _to_date(day).replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def month_bounds_utc(day, tz=DEFAULT_TZ):
    """Naive UTC datetimes ``[start, end)`` of the local month of ``day``."""
    first, last = month_bounds(day)
    return period_bounds_utc(first, last, tz)


def local_date(moment, tz=DEFAULT_TZ):
    """The local day (date) of a naive UTC datetime."""
    zone = _zone(tz) or ZoneInfo(DEFAULT_TZ)
    return moment.replace(tzinfo=UTC).astimezone(zone).date()


def local_today(tz=DEFAULT_TZ, now=None):
    """Today in ``tz`` (``now``: a naive UTC datetime, default the current
    time)."""
    return local_date(now or datetime.now(UTC).replace(tzinfo=None), tz)
