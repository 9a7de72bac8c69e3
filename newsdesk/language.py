"""Which language a text is written in: the one guess every part of newsdesk uses.

A declared language decides (a feed's or a page's ``en-GB``, read as ``en``). Otherwise
``py3langid`` reads the text: langid.py's Naive Bayes model over byte n-grams, 97
languages, in numpy, its model shipped inside the package (nothing is downloaded; it is
the detector trafilatura uses too). Its guess counts only when it is confident
(``MIN_CONFIDENCE``): a headline of two names ("Putin Biden") or a few lower-case keywords
say nothing about their language, and the answer is then None, "unknown", for the caller
to read as its own default.

Used by story clustering (``stories/embed.reads_english``: may the English-only sentence
model read this text?) and by the AI features (``ai/text.terms``: which Snowball stemmer).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Iterable

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
