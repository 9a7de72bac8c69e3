"""Named-thing spotting without a model: capitalised word sequences in running text.

A capitalised run ("South Dakota National Guard", "Vladimir Putin") counts as a name when
it is not just a sentence-initial capital: a lone word at the start of a sentence is kept
only if it is also written with a capital in the middle of some sentence.
Honorifics and job titles in front of a name ("President", "Gen.", "Mr") are dropped,
possessives are cut ("Putin's" -> "Putin"), and a person already seen with a full name is
folded to the surname ("Vladimir Putin" + "Putin" -> "Putin").

Works on any script: scripts without case (CJK, Arabic...) simply yield no names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("data")

_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])|\n+|[。！？]")
_ABBREVIATION = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Col|Lt|Sen|Rep|Gov|Prof|Maj|"
                           r"Brig|Capt|Sgt|Adm|No|vs|Inc|Co|Corp|U\.S|a\.m|p\.m))\.$")
_TOKEN = re.compile(r"[^\W_](?:[\w’'\-.&]*[^\W_])?")
_POSSESSIVE = re.compile(r"[’']s?$", re.IGNORECASE)
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{3,}")
# Words that may sit inside a name without breaking it: "Bank of England", "Ludwig van Beethoven".
_CONNECTORS = {"of", "de", "del", "della", "der", "van", "von", "al", "bin", "la", "le", "du", "da"}
# Titles dropped from the front of a name.
_TITLES = {
    "mr", "mrs", "ms", "dr", "prof", "sir", "dame", "lord", "lady", "president", "vice",
    "prime", "minister", "chancellor", "secretary", "senator", "sen", "rep", "representative",
    "gov", "governor", "mayor", "gen", "col", "colonel", "maj", "lt", "capt", "captain",
    "sgt", "brig", "adm", "admiral", "judge", "king", "queen", "prince", "princess", "pope",
    "rev", "chairman", "ceo", "coach", "commissioner", "ambassador", "spokesman",
    "spokeswoman", "former", "acting", "deputy", "assistant", "attorney", "press",
}
# Last words of organisation and place names: never folded to a "surname".
_NOT_SURNAMES = {
    "house", "state", "states", "street", "union", "council", "court", "party", "bank",
    "department", "ministry", "office", "army", "force", "forces", "guard", "republic",
    "kingdom", "city", "county", "island", "islands", "river", "sea", "ocean", "airlines",
    "airport", "university", "college", "school", "committee", "commission", "league",
    "cup", "club", "group", "company", "corporation", "inc", "ltd", "agency", "service",
    "news", "times", "post", "association", "institute", "center", "centre", "hospital",
    "church", "square", "park", "valley", "mountains", "lake", "bay", "coast", "east",
    "west", "north", "south", "america", "africa", "asia", "europe", "games", "day",
    "war", "nations", "assembly", "parliament", "congress", "senate", "fund", "exchange",
}


def is_title(word: str) -> bool:
    """A job title or honorific ("president", "Mr"): part of a name, never a tag alone."""
    return word.casefold() in _TITLES


@lru_cache(maxsize=None)
def stopwords() -> frozenset[str]:
    lines = (DATA / "stopwords-en.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@dataclass
class Token:
    text: str          # surface form, possessive cut
    lower: str
    sentence: int      # index of the sentence in the document
    first: bool        # first word of its sentence

    @property
    def capitalised(self) -> bool:
        c = self.text[0]
        return c.isupper() or (c.isdigit() and any(ch.isupper() for ch in self.text))


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
        first = True
        for match in _TOKEN.finditer(sentence):
            word = _POSSESSIVE.sub("", match.group().rstrip("."))
            pieces = [word]
            if _CJK_RUN.fullmatch(word):
                pieces = [word[i:i + 2] for i in range(len(word) - 1)]
            for piece in pieces:
                if piece:
                    tokens.append(Token(piece, piece.casefold(), s_index, first))
                    first = False
    return tokens


@dataclass(frozen=True)
class Name:
    words: tuple[str, ...]     # surface words, titles dropped
    count: int
    first_sentence: int

    @property
    def key(self) -> str:
        return " ".join(w.casefold() for w in self.words)


def _runs(tokens: list[Token]) -> list[list[Token]]:
    """Maximal runs of capitalised tokens in one sentence, allowing lower-case connectors."""
    runs, current = [], []
    for i, tok in enumerate(tokens):
        same_sentence = current and current[-1].sentence == tok.sentence
        if tok.capitalised:
            if not same_sentence:
                if current:
                    runs.append(current)
                current = []
            current.append(tok)
        elif (tok.lower in _CONNECTORS and same_sentence and i + 1 < len(tokens)
              and tokens[i + 1].capitalised and tokens[i + 1].sentence == tok.sentence):
            current.append(tok)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def find_names(tokens: list[Token]) -> list[Name]:
    """Named things in the text, most mentioned first, persons folded to surnames."""
    stop = stopwords()
    lower_seen = {t.lower for t in tokens if not t.capitalised}
    capital_mid = {t.lower for t in tokens if t.capitalised and not t.first}
    counts: dict[tuple[str, ...], list[int]] = {}
    for run in _runs(tokens):
        # drop sentence-initial capitals that are ordinary words, then stop words and titles
        while run and (run[0].lower in stop or run[0].lower in _CONNECTORS or (
                run[0].first and run[0].lower in lower_seen)):
            run = run[1:]
        last_title = max((i for i, t in enumerate(run[:-1]) if t.lower in _TITLES), default=-1)
        run = run[last_title + 1:]  # "Russian President Vladimir Putin" -> "Vladimir Putin"
        while run and (run[-1].lower in _CONNECTORS or run[-1].lower in stop):
            run = run[:-1]
        if not run or (len(run) == 1 and (run[0].lower in _TITLES or (
                run[0].first and run[0].lower not in capital_mid))):
            continue
        if len(run) > 5 or any(len(t.text) > 30 for t in run):
            continue  # headlines in Title Case and noise, not names
        words = tuple(t.text for t in run)
        entry = counts.setdefault(words, [0, run[0].sentence])
        entry[0] += 1
    names = [Name(w, c, s) for w, (c, s) in counts.items()]
    return fold_surnames(names)


def surname_of(name_words: tuple[str, ...], singles: set[str]) -> str | None:
    """The surname a full name folds to, when that surname is also used alone."""
    if len(name_words) not in (2, 3, 4):
        return None
    last = name_words[-1].casefold()
    if last in _NOT_SURNAMES or last not in singles:
        return None
    if any(w.casefold() in _CONNECTORS or w.isupper() for w in name_words):
        return None
    return last


def fold_surnames(names: list[Name]) -> list[Name]:
    """Merge "Vladimir Putin" into "Putin" when both occur; keep the rest as they are."""
    singles = {n.key for n in names if len(n.words) == 1}
    merged: dict[str, Name] = {}
    for name in sorted(names, key=lambda n: len(n.words)):
        target = surname_of(name.words, singles) or name.key
        old = merged.get(target)
        if old is None:
            merged[target] = name
        else:
            merged[target] = Name(old.words, old.count + name.count,
                                  min(old.first_sentence, name.first_sentence))
    return sorted(merged.values(), key=lambda n: (-n.count, n.first_sentence, n.key))
