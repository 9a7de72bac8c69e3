"""One spelling per name, so "Kiev" and "Kyiv" are one tag, #Kyiv.

Two ways a spelling is folded into another:

1. **The table** ``data/name-variants.tsv``: preferred spelling <- variants ("Kyiv" <-
   "Kiev"), after the outlets' style guides (AP: Kyiv, Zelenskyy, Odesa, Kharkiv). The
   table wins even when only the variant appears.
2. **The transliteration rule**, for names not in the table: within one article or one
   story, capitalised words that differ only in how the same Cyrillic letters were
   romanised are one name. Two differences are covered: the adjectival ending -ий/-ій,
   written -iy, -yy, -yi, -ii, -y or -i ("Khmelnytsky"/"Khmelnytskyi"), and я/ю/є after a
   consonant, written ya/yu/ye or ia/iu/ie ("Podolyak"/"Podoliak", "Izyum"/"Izium"). The
   most used spelling wins (a table spelling first). Both spellings must be present, so
   the rule never invents one, and "Germany" never meets "German" (only words that both
   end in -y/-i fold by the ending).

Plurals and possessives are not spellings: possessives are cut by the tokenizer and
plurals fold by stem in ``tags``.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence, TypeVar

DATA = Path(__file__).with_name("data")

_ENDING = re.compile(r"(?:iy|yy|yi|ii|y|i)$")
_IOTATED = re.compile(r"(?<=[bcdfghklmnprstvzž])y(?=[aeu])")
_MIN_STEM = 5  # letters left after the ending: "Zelensk", not "Sk" of "Sky"/"Ski"

T = TypeVar("T")


@lru_cache(maxsize=1)
def table() -> dict[str, str]:
    """Lower-case variant (and preferred) spelling -> preferred spelling."""
    out: dict[str, str] = {}
    for line in (DATA / "name-variants.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        preferred, _, variants = line.partition("\t")
        preferred = preferred.strip()
        for variant in [preferred, *variants.split(",")]:
            if variant.strip():
                out[variant.strip().casefold()] = preferred
    return out


def preferred(name: str) -> str | None:
    """The table's spelling of a word or whole name ("Kiev" -> "Kyiv"), else None."""
    return table().get(name.casefold())


def transliteration_key(word: str) -> str | None:
    """What two romanisations of one Cyrillic name share ("Zelenskiy", "Zelensky" ->
    "zelensk"); None for words the rule leaves alone (short, not capitalised)."""
    if len(word) < _MIN_STEM or not word[:1].isupper() or not word.isalpha():
        return None
    key = _IOTATED.sub("i", word.casefold())
    stem = _ENDING.sub("", key)
    if stem != key and len(stem) >= _MIN_STEM:
        return stem + "·"  # ended in -y/-i: only meets other words that did
    return key


def spellings(counts: Counter[str]) -> dict[str, str]:
    """Each capitalised word -> its one spelling, given how often each was used (in an
    article or a story): the table's, else the most used of the rule's group."""
    groups: dict[str, list[str]] = {}
    out: dict[str, str] = {}
    for word in counts:
        table_form = preferred(word)
        if table_form and table_form != word and " " not in table_form:
            out[word] = table_form
            word = table_form
        key = transliteration_key(word)
        if key:
            groups.setdefault(key, []).append(word)
    weight: Counter[str] = Counter()
    for original, n in counts.items():
        weight[out.get(original, original)] += n
    for members in groups.values():
        if len(set(members)) < 2:
            continue
        best = min(set(members), key=lambda w: (preferred(w) != w, -weight[w], -len(w), w))
        for original in counts:
            if out.get(original, original) in members:
                out[original] = best
    return {w: s for w, s in out.items() if w != s}


def respell(tokens: Sequence[T]) -> list[T]:
    """Tokens (``entities.Token``) with each capitalised word in its one spelling."""
    counts = Counter(t.text for t in tokens if t.text[:1].isupper())
    fixed = spellings(counts)
    return [dataclasses.replace(t, text=fixed[t.text], lower=fixed[t.text].casefold())
            if t.text in fixed else t for t in tokens]


def respell_words(words: Iterable[str], fixed: dict[str, str]) -> str:
    """Join words, each in its spelling from ``spellings``."""
    return "".join(fixed.get(w, w) for w in words)
