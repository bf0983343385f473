# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Numbers, percentages and durations as the user's language writes them.

One place for the portal pages, the PDFs and the back office: "11,6 %",
"0,0 j", "1 250" in French, "11.6%", "0.0 d", "1,250" in English. Numbers go
through Odoo's ``formatLang`` (the separators of the user's ``res.lang``),
the percent sign through the locale's pattern (a no-break space before it in
French), dates through ``odoo.tools.format_date``.
"""

from babel.numbers import parse_pattern

from odoo.tools.misc import babel_locale_parse, formatLang


def format_number(env, value, digits=0):
    """``value`` with ``digits`` decimals and the language's separators;
    "" for None/False (nothing to show)."""
    if value is None or value is False:
        return ""
    # round() first: a tiny negative average reads "0,0", not "-0,0".
    return formatLang(env, round(value, digits) or 0.0, digits=digits)


def format_count(env, value):
    """A count of passes, books or people: "1 250" in French."""
    return format_number(env, value or 0, digits=0)


def format_percent(env, value, digits=1):
    """A percentage already multiplied by 100 (11.6 for 11.6 %):
    "11,6 %" in French, "11.6%" in English; "" for None/False."""
    if value is None or value is False:
        return ""
    locale = babel_locale_parse(env.lang or "en_US")
    pattern = parse_pattern(locale.percent_formats[None].pattern)
    return "%s%s%s" % (
        pattern.prefix[0],
        format_number(env, value, digits),
        pattern.suffix[0],
    )


def format_days(env, value, digits=1):
    """A duration in days: "2,5 j" in French; "" for None/False."""
    if value is None or value is False:
        return ""
    return env._("%(days)s d", days=format_number(env, value, digits))
