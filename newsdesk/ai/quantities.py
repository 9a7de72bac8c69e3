"""Numbers in news sentences, with their magnitude, unit and the thing they count.

``quantities(text)`` finds figures ("1,111", "5.2", "3.5%"), number words ("twelve",
"twenty-five", "a dozen"), magnitudes ("2 million", "5.2M", "$3bn") and units, converted
to a base unit per dimension so that "5.2 million km2" and "2 million square miles" are
comparable. Each ``Quantity`` also records the content word it counts (``head``: "127
people" -> "people") and whether it is part of a date ("March 3", "2014"), so the claim
check can ask "is this number in the source?" and the comparison "do two outlets give
different numbers for the same thing?".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .dates import MONTHS

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
NUMBER_WORDS: dict[str, float] = {w: float(i) for i, w in enumerate(_ONES)}
NUMBER_WORDS.update({w: float(20 + 10 * i) for i, w in enumerate(_TENS)})
NUMBER_WORDS.update({"dozen": 12.0, "hundred": 100.0, "thousand": 1e3, "half": 0.5,
                     "second": 2.0, "third": 3.0, "fourth": 4.0, "fifth": 5.0, "sixth": 6.0,
                     "seventh": 7.0, "eighth": 8.0, "ninth": 9.0, "tenth": 10.0,
                     "twice": 2.0, "triple": 3.0, "double": 2.0})
MAGNITUDES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "millions": 1e6, "m": 1e6, "mn": 1e6,
              "mln": 1e6, "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12,
              "tn": 1e12, "hundred": 1e2}
# unit surface form -> (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, float]] = {}
for _names, _dim, _factor in (
    ("km2|km²|sq km|square kilometres|square kilometers|square km", "area", 1e6),
    ("sq mi|square miles|square mile|mi2|mi²", "area", 2_589_988.11),
    ("m2|m²|square metres|square meters", "area", 1.0),
    ("hectares|ha|hectare", "area", 1e4),
    ("acres|acre", "area", 4046.86),
    ("km|kilometres|kilometers|kilometre|kilometer", "length", 1000.0),
    ("miles|mile|mi", "length", 1609.344),
    ("nautical miles|nautical mile|nm", "length", 1852.0),
    ("metres|meters|metre|meter|m", "length", 1.0),
    ("feet|foot|ft", "length", 0.3048),
    ("kg|kilograms|kilogram|kilos", "mass", 1.0),
    ("tonnes|tons|tonne|ton|t", "mass", 1000.0),
    ("pounds|lbs|lb", "mass", 0.45359),
    ("%|percent|per cent|pct", "percent", 1.0),
    ("hours|hour|hrs|h", "time", 3600.0),
    ("minutes|minute|mins|min", "time", 60.0),
    ("days|day", "time", 86400.0),
    ("weeks|week", "time", 604800.0),
    ("$|dollars|dollar|usd|us dollars", "usd", 1.0),
    ("€|euros|euro|eur", "eur", 1.0),
    ("£|pounds sterling|gbp", "gbp", 1.0),
):
    for _name in _names.split("|"):
        UNITS.setdefault(_name, (_dim, _factor))

_WORD_NUMBER = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_MAGNITUDE = "|".join(sorted(MAGNITUDES, key=len, reverse=True))
_QUANTITY = re.compile(
    r"(?P<pre>[$€£])?\s?"
    r"(?:(?P<num>(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d])|(?<![\w.,])\d+(?:[.,]\d+)?(?![\d]))"
    r"|\b(?P<word>(?:" + _WORD_NUMBER + r")(?:-(?:" + "|".join(_ONES[1:10]) + r"))?)\b)"
    r"(?:\s?(?P<mag>" + _MAGNITUDE + r")\b)?"
    r"(?:\s?(?P<unit>" + _UNIT + r")(?![\w]))?", re.IGNORECASE)
_AFTER = re.compile(r"\W*(?:(?:of|the|a|an|more|than|people|were|was|are|have|had|been|some|about|"
                    r"over|nearly|almost|around|at|least|other|and)\s+)*([^\W\d_][\w'-]*)", re.IGNORECASE)
_MONTH_NAMES = {m for m in MONTHS if len(m) > 3}


@dataclass(frozen=True)
class Quantity:
    value: float          # in the dimension's base unit when ``dim`` is set
    number: float         # the figure as written, times its magnitude ("5.2M" -> 5200000)
    factor: float         # the unit's factor to the dimension's base unit (1 without a unit)
    dim: str | None       # area, length, mass, percent, time, usd, eur, gbp, or None
    text: str
    head: str | None      # the word it counts ("people"), lower-cased
    is_date: bool         # part of a date (a day of the month, or a year)


def _number(num: str | None, word: str | None) -> float | None:
    if num is not None:
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", num):
            return float(num.replace(",", ""))
        if re.fullmatch(r"\d+[.,]\d{3}", num) and not num.startswith("0"):
            return float(num.replace(",", "").replace(".", ""))   # 2.926 = 2926 in es/it/fr copy
        return float(num.replace(",", "."))
    if word is None:
        return None
    parts = word.lower().split("-")
    return sum(NUMBER_WORDS.get(p, 0.0) for p in parts)


def quantities(text: str) -> list[Quantity]:
    out = []
    for match in _QUANTITY.finditer(text or ""):
        value = _number(match.group("num"), match.group("word"))
        if value is None:
            continue
        if "/" in text[max(0, match.start() - 1):match.start()] + text[match.end():match.end() + 1]:
            continue   # a fraction, ratio or code ("1/2.6-inch", "24/7"), not a count
        word = match.group("word")
        if word and word.lower() in ("second", "half", "double") and not match.group("unit"):
            continue   # "a second time", "half of them", "double standards": too often not a figure
        mag = (match.group("mag") or "").lower()
        if mag in ("m", "b") and match.group("num") is None:
            mag = ""
        value *= MAGNITUDES.get(mag, 1.0)
        unit_raw = (match.group("unit") or "").lower()
        pre = match.group("pre")
        dim, factor = UNITS.get(unit_raw, (None, 1.0)) if unit_raw else (None, 1.0)
        if pre:
            dim, factor = UNITS[pre]
        if unit_raw in ("m", "t", "h", "b", "nm", "mi", "min", "ha") and not match.group("num"):
            dim, factor = None, 1.0     # "one m..." is no unit
        before = text[max(0, match.start() - 12):match.start()].lower()
        after_text = text[match.end():match.end() + 40]
        after = _AFTER.match(after_text)
        head = after.group(1).lower() if after else None
        month_near = any(m in before.split() or m == (head or "") for m in _MONTH_NAMES)
        is_year = match.group("num") is not None and dim is None and 1900 <= value <= 2100 and "," not in match.group("num")
        out.append(Quantity(value * factor, value, factor, dim, match.group(0).strip(), head,
                            bool(month_near or is_year)))
    return out


def _rounding(q: Quantity) -> float:
    """Relative half-step of the last written digit: "3" -> 0.5/3, "5.2" -> 0.05/5.2."""
    digits = re.sub(r"[^\d.]", "", q.text.split()[0] if q.text.split() else "")
    if not digits or not q.number:
        return 0.0
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    written = float(digits) if digits.replace(".", "", 1).isdigit() else q.number
    return 0.5 * 10 ** -decimals / max(abs(written), 1e-9)


def same_value(a: Quantity, b: Quantity, tolerance: float = 0.01) -> bool:
    """Equal figures: the same number, or (with different units of one dimension) equal
    after conversion within ``tolerance`` (rounding: "5.2 million km2" is "2 million sq mi")."""
    if a.dim and b.dim and a.factor != b.factor:
        if a.dim != b.dim:
            return False
        # a converted figure is rounded: "3 feet" for 1 metre is as close as one digit gets
        slack = max(tolerance, _rounding(a), _rounding(b))
        return abs(a.value - b.value) <= slack * max(abs(a.value), abs(b.value), 1e-9)
    return abs(a.number - b.number) <= 1e-9 * max(abs(a.number), 1.0)
