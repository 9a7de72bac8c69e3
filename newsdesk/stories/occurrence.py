"""Which occurrence a release reports: its actors and its day.

Two releases can share their counterpart and their genre and still report two
occurrences: the White House's readout of Biden's call with Yoon Suk-yeol and the
Kremlin's greetings from Putin to Yoon Suk-yeol; the notices continuing the national
emergencies with respect to Ukraine, to Zimbabwe and to Iran; Putin's call with Bennett
on Saturday and on Monday. What tells them apart is *who acts* and *when*, so
``events.py`` reads two more things of each release from its headline and lede:

- **Actors** (``actors``): the people the headline names (job titles are not names), or
  the places it names when it names no one, and the *subject* of the lede, the name its first sentence opens with
  ("Vladimir Putin had a telephone conversation with ...", "President Joseph R. Biden,
  Jr. spoke today with ..."). Each is kept as a key: its stem, or its country for a
  demonym or a state's formal name ("Russian" -> russia).
- **Context** (``context``): the keys of every word of the headline and the lede; a
  release that reports an occurrence names its actors somewhere there.

``conflict(a, b)`` is true when *each* release has an actor the other never names: two
accounts of one call name both parties (the White House naming Putin, the Kremlin naming
Biden), two accounts of one ceremony name its host, while Biden's statement and Harris's
statement on one death, or two notices about two countries, each name someone the other
does not. One side alone is not enough: a fact sheet need not name the speaker of the
remarks it accompanies.

**The day** (``announced_day``): a release that announces an occurrence ("On February
22, Vladimir Putin will hold talks with ...") reports the day it names, not the day it is
published; ``gap_hours`` measures two releases apart on those days, so the announcement
and the talks are together while two calls a day apart are not.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

from .entities import given_names, is_title, place_of, stopwords, word_list
from .text import words

__all__ = ["actors", "announced_day", "conflict", "context", "day_end", "gap_hours"]

_WORD = re.compile(r"[^\W\d_][\w'’.]*[^\W_]|[^\W\d_]")
_SENTENCE_END = re.compile(r"(?<=[a-z]{2}[.!?])\s+(?=[A-Z\"“])")
_MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), 1)}
_DATE = re.compile(r"\b(?:[Oo]n\s+)(" + "|".join(m.title() for m in _MONTHS)
                   + r")\s+(\d{1,2})\b(?:,?\s+(\d{4}))?")
_NOT_NAMES = set(_MONTHS) | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                             "sunday", "today", "tonight", "yesterday", "jr", "sr"}
SUBJECT_WORDS = 8       # the subject must open the lede: a name within its first words
ANNOUNCE_DAYS = 7       # a date at most this far ahead is the day an announcement names


@lru_cache(maxsize=65536)
def _key(word: str, language: str | None) -> str:
    word = word.replace("’", "'").removesuffix("'s").removesuffix("'").rstrip(".")
    place = place_of(word)
    if place:
        return place.casefold()
    stems = words(word, language)
    return stems[0] if len(stems) == 1 else word.casefold()


def context(title: str, lede: str, language: str | None = None) -> set[str]:
    """Keys of every word of the headline and the lede."""
    return {_key(w, language) for w in _WORD.findall(f"{title} {lede}")
            if w.casefold() not in stopwords()}


def actors(title: str, lede: str, language: str | None = None) -> set[str]:
    """Keys of the people the headline names (or, when it names none, of its places: the
    country a notice is about) and of the lede's subject (see the module docstring). Other
    names (NATO, Nord Stream, the Security Council) say what a release is about, and one
    meeting's releases are about several things."""
    head = _WORD.findall(title)
    found = _people_places(head, language, places=False) or _people_places(head, language)
    return found | _people_places(_opening(lede), language, places=False)


def _opening(lede: str) -> list[str]:
    """The capitalised words the lede opens with, before its first lower-case word
    ("Vladimir Putin had ...", "Today, President Biden will ..."); none when the opening
    is long or holds figures (a dateline, a clock)."""
    opening: list[str] = []
    for w in lede.split()[:SUBJECT_WORDS]:
        if w[:1].islower():
            return opening
        if any(c.isdigit() for c in w):
            return []
        opening.extend(_WORD.findall(w))
    return []


def _people_places(words: list[str], language: str | None = None, places: bool = True) -> set[str]:
    """Keys of the people among ``words`` (a given name, a capitalised word after a job
    title, a given name or an initial: "President Biden", "Olaf Scholz", "Joseph R.
    Biden") and, with ``places``, of the places (countries, demonyms)."""
    found, after = set(), False
    for w in words:
        bare = w.rstrip(".")
        capital = bare[:1].isupper() and bare.casefold() not in _NOT_NAMES
        given = capital and bare.casefold() in given_names()
        person = (given or after) and not is_title(bare) and bare.casefold() not in stopwords()
        if capital and len(bare) > 1 and (person or (places and place_of(bare))):
            found.add(_key(bare, language))
        after = capital and (bare.casefold() in word_list("titles.txt") or given or len(bare) == 1)
    return found


def conflict(actors_a: set[str], context_a: set[str], actors_b: set[str], context_b: set[str]) -> bool:
    """True when each release has an actor the other never names (module docstring)."""
    return bool(actors_a - context_b) and bool(actors_b - context_a)


def announced_day(title: str, lede: str, published: datetime | None) -> date | None:
    """The day a release announces ("On March 11, Vladimir Putin will meet ..."): a date
    named in the headline or the lede's first sentence, 1 to ``ANNOUNCE_DAYS`` days after
    publication; else None (the release reports what happened when it was published)."""
    if published is None:
        return None
    first = _SENTENCE_END.split(lede.strip(), maxsplit=1)[0] if lede else ""
    for text in (title, first):
        for month, day, year in _DATE.findall(text):
            if year and int(year) != published.year:
                continue   # "On March 6, 2014, by Executive Order 13660, ...": history
            try:
                named = date(published.year, _MONTHS[month.casefold()], int(day))
            except ValueError:
                continue
            if 1 <= (named - published.date()).days <= ANNOUNCE_DAYS:
                return named
    return None


def day_end(day: date | None, when: datetime | None) -> datetime | None:
    """When the day an announcement names is over, read broadly (publishers' clocks run in
    their own time zones): 6 h past its midnight, in ``when``'s time zone."""
    if day is None or when is None:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=when.tzinfo) + timedelta(hours=30)


def gap_hours(a_when: datetime | None, a_day: date | None, b_when: datetime | None,
              b_day: date | None) -> float:
    """Hours between the occurrences two releases report: between their publication times,
    or, for an announcement, between the other's publication and the day announced (0 within
    it; the day is read broadly, as publishers' clocks run in their own time zones)."""
    if a_when is None or b_when is None:
        return 0.0
    for day, when in ((a_day, b_when), (b_day, a_when)):
        if day is not None:
            end = day_end(day, when)
            start = end - timedelta(hours=36)
            if start <= when <= end:
                return 0.0
            return min(abs((when - start).total_seconds()), abs((when - end).total_seconds())) / 3600
    return abs((a_when - b_when).total_seconds()) / 3600
