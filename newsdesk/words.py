"""Words of a text: the one word splitter of newsdesk, from ingest to the AI features.

A word is a run of letters and digits in any script, ``[^\\W_]+``; spaces, punctuation and
underscores end it. Two readings, for two needs:

- ``runs`` (``RUN``): every run apart. "l'armée" -> "l", "armée"; "U.S." -> "U", "S";
  "COVID-19" -> "COVID", "19". For comparing texts word by word (near-duplicates,
  revisions, claim checks, headline keys), where "don't" and "dont" must not differ more
  than they do.
- ``words`` (``WORD``): an apostrophe between two runs stays inside the word ("don't",
  "O'Brien", "l'armée"), written "'", and a possessive is cut ("Putin's" -> "Putin"). For
  terms that are read as words (clustering features, who-did-what in claims).

Kept apart on purpose, each saying why where it is defined: ``stories/entities.py``
tokenizes for names ("al-Assad", "AT&T" and "U.S." stay whole, with sentence positions),
and ``web/textdiff.py`` splits into words, punctuation and spaces to redraw a text.
"""

from __future__ import annotations

import re

RUN = re.compile(r"[^\W_]+")
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_POSSESSIVE = "'s"


def runs(text: str) -> list[str]:
    """Runs of letters and digits, in order, as written."""
    return RUN.findall(text or "")


def word(token: str) -> str:
    """One ``WORD`` match as a word: the apostrophe written "'", a possessive cut."""
    token = token.replace("’", "'")
    return token[:-2] if token.casefold().endswith(_POSSESSIVE) else token


def words(text: str) -> list[str]:
    """Words, in order, as written (see the module docstring): "Putin's don't" ->
    ["Putin", "don't"]."""
    return [w for w in map(word, WORD.findall(text or "")) if w]
