"""What is never a hashtag, judged by the word or phrase itself.

``tags._topical`` decides by how a candidate is used in the article (a name, a verb, a
title); the rules here look only at its written form and catch what no score should
rescue: fragments (#De, #Bin), clock and calendar noise (#PM, #FY2022, #XXI, #Tue), names with
a repeated word, page furniture and transcript markers (#Applause, #USC,
``data/boilerplate.txt``), tags too long to read (> MAX_TAG_CHARS), and adjectives used
only before a noun (#Bilateral in "bilateral cooperation", "bilateral trade").
"""

from __future__ import annotations

import re
from functools import lru_cache

from .background import stem_phrase
from .entities import CONNECTORS, word_list

MAX_TAG_CHARS = 30  # without the "#"
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)|^fy\d+$", re.IGNORECASE)
_ROMAN = re.compile(r"(?=[IVX]{2,}$)X{0,3}(?:IX|IV|V?I{0,3})")
# days and months as listings and datelines abbreviate them ("Tue 8pm", "Sat", "Sept 3");
# not "Sun" (a newspaper, a star) nor "Jun" (a name), and never in capitals ("SAT")
_CALENDAR = frozenset("mon tue tues wed thu thur thurs fri sat jan feb mar apr jul aug sep sept "
                      "oct nov dec".split())
_ADJECTIVE = ("al", "ic", "ary", "ous", "ive", "ible", "able", "ful", "less", "an", "ent", "ant")


@lru_cache(maxsize=1)
def _boilerplate() -> tuple[frozenset[str], frozenset[str]]:
    words = word_list("boilerplate.txt")
    return frozenset(w.replace(".", "") for w in words), frozenset(map(stem_phrase, words))


def is_boilerplate(form: str, key: str) -> bool:
    """Page furniture or a transcript marker: "(Applause.)", "U.S.C.", "Read more"."""
    raw, stems = _boilerplate()
    return (form.casefold().replace(".", "") in raw or key in stems
            or any(part in stems for part in key.split()))


def never_a_tag(form: str, key: str, display: str) -> bool:
    """Whether a candidate (surface form, stemmed key, "#Display") is junk by its form."""
    words = form.split()
    bare = display[1:]
    return (len(bare) > MAX_TAG_CHARS
            or (len(bare) <= 2 and not bare.isupper())       # "#De", "#Es"
            or (len(words) == 1 and form.casefold() in CONNECTORS)  # "#Bin", "#Al"
            or bool(_YEAR.search(bare)) or bool(_ROMAN.fullmatch(bare))
            or (form.casefold().rstrip(".") in _CALENDAR and not bare.isupper())
            or len({w.casefold() for w in words}) < len(words)  # "Shoigu Sergei Shoigu"
            or is_boilerplate(form, key))


def adjective_only(form: str, count: int, modifier_uses: int) -> bool:
    """A word with an adjective's ending, every use right before another content word:
    "bilateral cooperation", "humanitarian corridors" (the phrase may be a tag, the
    adjective alone is not)."""
    return (" " not in form and count > 0 and modifier_uses >= count
            and form.casefold().endswith(_ADJECTIVE))
