"""Turning a title and a text into the terms that story clustering compares.

``features(title, text, language)`` returns a term -> count mapping made of

- stemmed words of the title, counted ``TITLE_WEIGHT`` times (headlines say what the story is);
- pairs of adjacent title words (``"black_friday"``, ``"kanye_west"``), counted ``PAIR_WEIGHT``
  times: a shared word says "maybe", a shared phrase says "same thing" (Black Friday vs
  Black Nativity);
- stemmed words of the lead of the text (its first ``LEAD_WORDS`` words);
- named things: runs of two or more capitalised words in the original text
  ("Malaysia Airlines", "Paris Saint Germain"), as one term prefixed with ``"@"``.

Stop words are dropped; numbers shorter than 4 digits are dropped (years stay).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from functools import lru_cache

import snowballstemmer

from ..words import WORD, word

TITLE_WEIGHT = 2
PAIR_WEIGHT = 1
LEAD_WORDS = 200

_NAME = re.compile(r"\b(?:[A-Z][\w'’-]*[a-z][\w'’-]*|[A-Z]{2,})(?:\s+(?:[A-Z][\w'’-]*[a-z][\w'’-]*|[A-Z]{2,}))+")

_STOP = frozenset("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own said same says she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
new news one two year years day days week weeks time first last get got make may might must
report reports say told us mr mrs ms
le la les de des du un une et en est au aux pour par sur dans der die das und den dem ein eine
ist im el los las del y con por para al
""".split())

_LANGS = {"en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian",
          "pt": "portuguese", "nl": "dutch", "sv": "swedish", "da": "danish", "no": "norwegian",
          "fi": "finnish", "ru": "russian", "tr": "turkish", "ro": "romanian", "hu": "hungarian"}


@lru_cache(maxsize=32)
def _stemmer(language: str | None):
    """A memoised stemming function, safe in any thread: a snowballstemmer object keeps the
    word being stemmed in itself, so two threads sharing one corrupt each other's stems
    (and crash now and then); each thread gets its own."""
    name = _LANGS.get((language or "en").lower()[:2], "english")
    mine = threading.local()

    def stem_word(word: str) -> str:
        stemmer = getattr(mine, "stemmer", None)
        if stemmer is None:
            stemmer = mine.stemmer = snowballstemmer.stemmer(name)
        return stemmer.stemWord(word)
    return lru_cache(maxsize=200_000)(stem_word)


def words(text: str, language: str | None = None) -> list[str]:
    """Lower-cased, stemmed content words, in order."""
    stemmer = _stemmer(language)
    out = []
    for match in WORD.finditer(text.lower()):
        w = word(match.group())
        if w in _STOP or (w.isdigit() and len(w) < 4) or len(w) < 2:
            continue
        out.append(stemmer(w))
    return out


def names(text: str) -> list[str]:
    """Multi-word capitalised phrases, normalised to one ``@``-term each."""
    out = []
    for match in _NAME.finditer(text):
        parts = [p for p in match.group().split() if p.lower() not in _STOP]
        if len(parts) >= 2:
            out.append("@" + "_".join(p.lower().replace("’", "'") for p in parts))
    return out


def features(title: str, text: str = "", language: str | None = None) -> Counter:
    """Term counts describing one article (see the module docstring)."""
    counts: Counter = Counter()
    head = words(title, language)
    for w in head:
        counts[w] += TITLE_WEIGHT
    for a, b in zip(head, head[1:]):
        counts[a + "_" + b] += PAIR_WEIGHT
    if text:
        lead = " ".join(text.split()[:LEAD_WORDS])
        counts.update(words(lead, language))
        counts.update(names(lead))
    counts.update(names(title))
    return counts


_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”]\s+|\n\s*)([^\W\d_][\w'’-]*)")


def name_stems(text: str, language: str | None = None) -> set[str]:
    """Stems of the words written with a capital inside a sentence ("met with Prime Minister
    Fumio Kishida" -> prime, minist, fumio, kishida): names of people, places, bodies.
    A sentence's first word is left out (its capital says nothing), and so is a text
    without lower-case letters (all-caps or lower-cased data has no names to tell)."""
    if not any(c.islower() for c in text):
        return set()
    starts = {m.start(1) for m in _SENTENCE_START.finditer(text)}
    stemmer = _stemmer(language)
    out = set()
    for match in WORD.finditer(text):
        w = match.group()
        if match.start() in starts or not w[0].isupper():
            continue
        w = word(w.lower())
        if w not in _STOP and len(w) > 1:
            out.add(stemmer(w))
    return out
