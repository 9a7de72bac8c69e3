"""Words of running text without a model: tokens, sentences, word lists and places.

``tokenize`` splits text into word tokens with their sentence positions (sentences are not
cut after initials and abbreviations: "Joseph R. Biden", "Mr. Putin"), possessives cut
("Putin's" -> "Putin"). Demonyms fold to their place ("Ukrainians" -> "Ukraine",
``data/demonyms.tsv``), and other names of a country to the one the variants table prefers
(``place_of``). Named things and persons are found from these tokens in ``names.py``.

Works on any script: scripts without case (CJK, Arabic...) simply yield no names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .variants import preferred

DATA = Path(__file__).with_name("data")

_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])|\n+|[。！？]")
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Col|Lt|Sen|Rep|Gov|Prof|Maj|"
                           r"Brig|Capt|Sgt|Adm|No|vs|Inc|Co|Corp|U\.S|a\.m|p\.m))\.$")
# Not newsdesk.words: names need "al-Assad", "AT&T" and "U.S." whole (and sentence positions).
_TOKEN = re.compile(r"[^\W_](?:[\w’'\-.&]*[^\W_])?")
_POSSESSIVE = re.compile(r"[’']s?$", re.IGNORECASE)
_BREAK = re.compile(r"[,;:()\[\]\"“”«»„‘’'–—|/!?-]")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{3,}")
# Particles of family names: "Ursula von der Leyen", "Charles de Gaulle", "Mohammed bin Salman".
PARTICLES = frozenset({"de", "del", "della", "der", "den", "di", "da", "dos", "du", "van", "von",
                       "al", "bin", "ibn", "la", "le", "ter"})
# Words that may sit inside a name without breaking it: "Bank of England", "Ludwig van Beethoven".
CONNECTORS = PARTICLES | {"of"}  # never a name, nor a tag, alone


_TITLE_AFFIXES = frozenset({"elect", "designate", "ex"})  # "President-Elect", "Ex-Minister"


def title_parts(phrase: str) -> list[str]:
    """The words of a possible title, hyphens split and affixes dropped: "President-Elect"
    -> ["president"]."""
    words = re.split(r"[\s\-]+", phrase.casefold().strip())
    kept = [w for w in words if w and w not in _TITLE_AFFIXES]
    return kept if kept else [w for w in words if w]


def is_title(word: str) -> bool:
    """A job title or honorific ("President", "Prime Minister", "President-elect"): never
    a tag alone."""
    words, hard = title_parts(word), word_list("titles.txt")
    return bool(words) and (words[-1] in hard or words[-1] in word_list("name-suffixes.txt")
                            or all(w in hard or w in word_list("titles-soft.txt") for w in words))


def _lines(name: str) -> list[str]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [w.strip() for w in lines if w.strip() and not w.startswith("#")]


@lru_cache(maxsize=None)
def word_list(name: str) -> frozenset[str]:
    """A lower-case word list from ``data/``, one word a line, "#" comments."""
    return frozenset(w.casefold() for w in _lines(name))


def stopwords() -> frozenset[str]:
    return word_list("stopwords-en.txt")


def given_names() -> frozenset[str]:
    return word_list("given-names.txt")


@lru_cache(maxsize=None)
def demonyms() -> dict[str, str]:
    """Lower-case demonym (singular and plural) -> place ("ukrainians" -> "Ukraine")."""
    table = {}
    for line in _lines("demonyms.tsv"):
        word, _, place = line.partition("\t")
        word = word.casefold()
        table[word] = place
        if not word.endswith(("s", "sh", "ch", "ese")) and word.isalpha() and len(word) > 3:
            table[word + "s"] = place
    return table


@lru_cache(maxsize=None)
def _places() -> dict[str, str]:
    return {p.casefold(): p for p in demonyms().values()}


_STATE_WORDS = {"republic", "federal", "kingdom", "islamic", "democratic", "people", "of",
                "the", "state", "federation", "arab", "socialist"}


@lru_cache(maxsize=65536)
def place_of(word: str) -> str | None:
    """The country a demonym, a country or a state's formal name stands for: "Russians",
    "Russian Federation", "Republic of Azerbaijan" -> "Russia", "Azerbaijan"; else None.
    Other names of a country fold as ``data/name-variants.tsv`` says ("Britain" ->
    "United Kingdom")."""
    place = _country(preferred(word) or word)
    return (preferred(place) or place) if place else None


def _country(word: str) -> str | None:
    if len(word.replace(".", "")) <= 3 and not word.isupper():
        return None  # "US" and "UK" are places, "us" and "Us" are not
    word = word.casefold()
    if word in demonyms() or word in _places():
        return demonyms().get(word) or _places()[word]
    words = [_POSSESSIVE.sub("", w) for w in word.split()]
    for core in (words[0], words[-1]):
        if len(words) > 1 and (core in demonyms() or core in _places()) and all(
                w in _STATE_WORDS for w in words if w is not core) and word not in _places():
            return demonyms().get(core) or _places()[core]
    return None


def places_in(token: "Token", alone: bool = True) -> list[str]:
    """Places a capitalised demonym or place stands for: "Ukrainians" -> [Ukraine],
    "Russian-Ukrainian" -> [Russia, Ukraine]; [] for other words. A word that is a place only
    by the variants table counts only ``alone``, as the table says: "America" is the United
    States, the "America" of "Latin America" or "Bank of America" is not."""
    if not token.capitalised:
        return []
    parts = [place_of(p) if alone or _country(p) else None for p in token.text.split("-")]
    return parts if all(parts) else []


def in_longer_name(tokens: list["Token"]) -> list[bool]:
    """For each token, whether it is one word of a longer capitalised name: "America" in
    "Latin America", "Bank of America", "America First"; not in "In America" or "rural America"."""
    def joined(a: Token, b: Token) -> bool:
        return a.sentence == b.sentence and not b.gap

    def name_word(t: Token) -> bool:
        return t.capitalised and t.lower not in stopwords()

    out = []
    for i, tok in enumerate(tokens):
        before = tokens[i - 1] if i else None
        if before and before.lower == "of" and i > 1 and joined(tokens[i - 2], before):
            before = tokens[i - 2]  # "Bank of America"
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        out.append(bool(before and joined(tokens[i - 1], tok) and name_word(before))
                   or bool(after and joined(tok, after) and name_word(after)))
    return out


@dataclass
class Token:
    text: str          # surface form, possessive cut
    lower: str
    sentence: int      # index of the sentence in the document
    first: bool        # first word of its sentence
    gap: bool = False  # punctuation between this token and the one before

    @property
    def capitalised(self) -> bool:
        """Starts with a capital, or is a capitalised name with an Arabic article ("al-Assad")."""
        c = self.text[0]
        return c.isupper() or (c.isdigit() and any(ch.isupper() for ch in self.text)) or (
            self.text[:3] in ("al-", "el-") and self.text[3:4].isupper())


def sentences(text: str) -> list[str]:
    """Sentences, not cut after initials and abbreviations ("Joseph R. Biden", "Mr. Putin")."""
    pieces = _SENTENCE.split(text)
    out: list[str] = []
    for piece in pieces:
        if out and _ABBREVIATION.search(out[-1]) and piece[:1].isupper():
            out[-1] = out[-1] + " " + piece
        else:
            out.append(piece)
    return out


def tokenize(text: str) -> list[Token]:
    """Word tokens with sentence positions. Trailing dots of words are dropped.

    Runs of CJK characters (written without spaces) become overlapping character pairs.
    """
    text = unicodedata.normalize("NFKC", text or "")
    tokens: list[Token] = []
    for s_index, sentence in enumerate(sentences(text)):
        first, end = True, 0
        for match in _TOKEN.finditer(sentence):
            gap = bool(_BREAK.search(sentence, end, match.start()))
            end = match.end()
            word = _POSSESSIVE.sub("", match.group().rstrip("."))
            pieces = [word]
            if _CJK_RUN.fullmatch(word):
                pieces = [word[i:i + 2] for i in range(len(word) - 1)]
            for piece in pieces:
                if piece:
                    tokens.append(Token(piece, piece.casefold(), s_index, first, gap))
                    first = gap = False
    return tokens
