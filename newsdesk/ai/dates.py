"""Explicit dates mentioned in sentences ("on February 18", "el 25 de enero de 2011",
"le 14 août", "il 3 marzo"), resolved against the publication date of the document.

A mention without a year takes the publication year, moved back a year if that would put
it more than a week after publication. ISO dates (2011-01-25) are read too.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS: dict[str, int] = {}
for _lang_months in (
    "january february march april may june july august september october november december",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
):
    for _i, _name in enumerate(_lang_months.split(), start=1):
        MONTHS.setdefault(_name, _i)
for _abbr, _i in (("jan", 1), ("feb", 2), ("mar", 3), ("apr", 4), ("jun", 6), ("jul", 7), ("aug", 8),
                  ("sep", 9), ("sept", 9), ("oct", 10), ("nov", 11), ("dec", 12), ("setiembre", 9),
                  ("fevrier", 2), ("aout", 8), ("decembre", 12)):
    MONTHS.setdefault(_abbr, _i)

_MONTH = "(?P<month>" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|º|°)?"
_PATTERNS = [
    re.compile(r"\b" + _DAY + r"\s+(?:de\s+)?" + _MONTH + r"(?:\s+(?:de\s+|del\s+)?" + _YEAR + r")?\b",
               re.IGNORECASE),
    re.compile(r"\b" + _MONTH + r"\s+" + _DAY + r"(?:,?\s+" + _YEAR + r")?\b", re.IGNORECASE),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),
]


def mentioned_dates(text: str, published: date, window_days: int = 3650) -> list[date]:
    """Dates mentioned in ``text`` (deduplicated, in order of appearance)."""
    found: list[date] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            month_raw = match.group("month")
            month = int(month_raw) if month_raw.isdigit() else MONTHS.get(month_raw.lower().rstrip("."))
            try:
                day = int(match.group("day"))
                year = int(match.group("year")) if match.group("year") else published.year
                value = date(year, month, day)
            except (TypeError, ValueError):
                continue
            if not match.group("year") and value > published + timedelta(days=7):
                try:
                    value = date(year - 1, month, day)
                except ValueError:
                    continue
            if abs((value - published).days) <= window_days and value not in found:
                found.append(value)
    return found
