# Copyright 2026 Pass Numérique cooperative
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""OpenStreetMap ``opening_hours`` ("Mo-Fr 09:00-12:00; Sa 10:00-12:00") as
people read them: the public venue page and the back-office venue views."""

import re

OSM_DAYS = {
    "Mo": "lun.",
    "Tu": "mar.",
    "We": "mer.",
    "Th": "jeu.",
    "Fr": "ven.",
    "Sa": "sam.",
    "Su": "dim.",
    "PH": "jours fériés",
}


def french_opening_hours(value):
    """OpenStreetMap ``opening_hours`` ("Mo-Fr 09:00-12:00; Sa 10:00-12:00")
    as lines readable in French ("lun. to ven. 09:00 to 12:00", with en dashes)."""
    lines = []
    for rule in (value or "").split(";"):
        rule = rule.strip()
        if not rule:
            continue
        rule = re.sub(
            r"\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)\b", lambda m: OSM_DAYS[m.group(1)], rule
        )
        rule = rule.replace("-", "\u2013").replace(",", ", ").replace(" off", " fermé")
        lines.append(rule)
    return lines
