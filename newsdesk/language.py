"""Which language a text is written in: the one guess every part of newsdesk uses.

A declared language decides (a feed's or a page's ``en-GB``, read as ``en``). Otherwise
``py3langid`` reads the text: langid.py's Naive Bayes model over byte n-grams, 97
languages, in numpy, its model shipped inside the package (nothing is downloaded; it is
the detector trafilatura uses too). Its guess counts only when it is confident
(``MIN_CONFIDENCE``): a headline of two names ("Putin Biden") or a few lower-case keywords
say nothing about their language, and the answer is then None, "unknown", for the caller
to read as its own default.

Used by story clustering (``stories/embed.reads_english``: may the English-only sentence
model read this text?), by the AI features (``ai/text.terms``: which Snowball stemmer) and
by the hashtags (``foreign_segments``: words of a quoted passage in another language are no
tags of the article).
"""

from __future__ import annotations

import threading
from collections import Counter
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

MIN_CONFIDENCE = 0.7  # langid's normalised probability below which a guess is "unknown":
# lower, one lower-case keyword headline in 100 comes out as Pidgin or Bikol
MAX_CHARS = 4000      # the first characters read: enough for any language, bounded time
_LOCK = threading.Lock()


def declared(value: str | None) -> str | None:
    """A declared language as its two- or three-letter primary code: "en-GB" -> "en"."""
    code = (value or "").strip().replace("_", "-").split("-")[0].casefold()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


@lru_cache(maxsize=1)
def _identifier():
    """The model, loaded once per process on first use (about a second: it is
    decompressed from the package)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def guess(text: str) -> tuple[str | None, float]:
    """(language code, confidence) of ``text`` read alone; (None, 0.0) without letters."""
    text = (text or "")[:MAX_CHARS]
    if not any(c.isalpha() for c in text):
        return None, 0.0
    with _LOCK:  # the first call loads the model; one load, whichever thread asks first
        identifier = _identifier()
    code, confidence = identifier.classify(text)
    return str(code), float(confidence)


def detect(text: str, language: str | None = None) -> str | None:
    """The language of ``text``: the declared ``language`` if there is one, else the
    detector's guess when it is confident, else None."""
    if declared(language):
        return declared(language)
    code, confidence = guess(text)
    return code if confidence >= MIN_CONFIDENCE else None


def detect_many(texts: Iterable[str], default: str = "en") -> str:
    """The language of a set of texts (an event's coverage), read together up to
    MAX_CHARS; ``default`` when unknown."""
    joined, size = [], 0
    for text in texts:
        joined.append(text or "")
        size += len(text or "")
        if size >= MAX_CHARS:
            break
    return detect("\n".join(joined)) or default


MIN_SEGMENT_WORDS = 4  # shorter segments ("Que vergonha...", a name) are too short to read alone


def foreign_segments(segments: Sequence[str], main: str | None,
                     known: Mapping[int, str] | None = None, quotes: Sequence[str] = ()) -> set[int]:
    """Indices of the ``segments`` (sentences of one text, in order) confidently written in
    another language than ``main``, the text's own: the quoted Portuguese of an English
    report. ``known``: the language of segments the caller has already read by cheaper
    means (the detector is not asked about them). With ``main`` None, or when over half of
    the text's words are confidently in one other language and under a quarter in ``main``
    (a feed declaring English for an article in French), the text's language is the one
    most of its words are in (none: nothing is foreign). A segment
    of fewer than MIN_SEGMENT_WORDS words is too short to be read alone and goes with a
    foreign neighbour (a quoted passage is a run of sentences: "Que vergonha..." before a
    Portuguese sentence) unless ``known`` puts it in ``main`` ("He wrote:"). ``quotes``:
    spans quoted inside the segments ("«Ich bin ein Berliner»"), judged alone when long
    enough; a foreign one is numbered ``len(segments) + its index``."""
    short, read = set(), dict(known or {})
    for i, segment in enumerate(segments):
        if len(segment.split()) < MIN_SEGMENT_WORDS:
            short.add(i)
        elif i not in read and (code := _confident(segment)):
            read[i] = code
    words: Counter[str] = Counter()
    for i, code in read.items():
        words[code] += len(segments[i].split()) if i not in short else 0
    top, total = words.most_common(1)[0] if words else None, sum(len(s.split()) for s in segments)
    if top and (main is None or (2 * top[1] > total and 4 * words[main] < total)):
        main = top[0]  # a feed declaring English for an article in French: the text decides
    out = {i for i, code in read.items() if code != main and i not in short}
    quoted = {len(segments) + j for j, quote in enumerate(quotes)
              if main and len(quote.split()) >= MIN_SEGMENT_WORDS
              and _confident(quote) not in (None, main)}
    beside = {i for i in short if (i - 1 in out or i + 1 in out) and read.get(i) != main}
    return out | quoted | beside


def _confident(segment: str) -> str | None:
    """The language of a segment when the detector is confident of it (capitals read as
    lower case: "VOCÊS QUE SÃO" is Portuguese shouted)."""
    letters = [c for c in segment if c.isalpha()]
    shouted = sum(c.isupper() for c in letters) > len(letters) / 2
    code, confidence = guess(segment.lower() if shouted else segment)
    return code if confidence >= MIN_CONFIDENCE else None
