"""What a reference collection says about words: how many documents use each word stem
(for idf), and which words it writes in lower case (so a capital in one article is house
style, "our Allies", "the Nation", not a name).

The default collection is the bundled demo corpus (``data/background-en.tsv`` and
``data/lower-case-en.txt``, rebuilt by ``bench/hashtag_eval.py --write-background``); a
caller can build one from its own archive with ``Background.from_texts``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from .entities import DATA, stopwords, tokenize, word_list
from .text import _stemmer

LOWER_SHARE = 0.25  # written lower case in this share of the documents using it mid-sentence
LOWER_MIN_DOCS = 2
_stem_en = _stemmer("en")  # clustering's English Snowball stemmer, memoised: hot on ingest


def stem(word: str) -> str:
    return _stem_en(word.casefold())


def stem_phrase(phrase: str) -> str:
    return " ".join(stem(w) for w in re.findall(r"[^\W_]+", phrase))


@dataclass(frozen=True)
class Background:
    """Document frequencies of word stems in some reference collection, and the words it
    writes in lower case (in at least LOWER_SHARE of the documents that use them
    mid-sentence, and at least LOWER_MIN_DOCS): "allies", "nation", not "congress"."""

    n_docs: int
    df: dict[str, int]
    lower: frozenset[str] = field(default=frozenset())

    def idf(self, key: str) -> float:
        return math.log((self.n_docs + 1) / (self.df.get(key, 0) + 0.5))

    @classmethod
    def from_texts(cls, texts: Iterable[str], min_df: int = 2) -> "Background":
        df: Counter[str] = Counter()
        lower: Counter[str] = Counter()
        mid: Counter[str] = Counter()  # documents using the word inside a sentence
        n = 0
        for n, text in enumerate(texts, 1):
            tokens = tokenize(text)
            df.update({stem(t.text) for t in tokens})
            lower.update({t.lower for t in tokens if not t.capitalised})
            mid.update({t.lower for t in tokens if not t.first})
        common = frozenset(w for w, k in lower.items() if k >= LOWER_MIN_DOCS and w.isalpha()
                           and k >= LOWER_SHARE * mid[w] and w not in stopwords())
        return cls(n, {k: v for k, v in df.items() if v >= min_df}, common)

    def to_tsv(self) -> str:
        rows = sorted(self.df.items(), key=lambda kv: (-kv[1], kv[0]))
        return f"#docs\t{self.n_docs}\n" + "".join(f"{k}\t{v}\n" for k, v in rows)

    @classmethod
    def from_tsv(cls, text: str, lower: Iterable[str] = ()) -> "Background":
        rows = [line.split("\t") for line in text.splitlines() if "\t" in line]
        return cls(int(rows[0][1]), {k: int(v) for k, v in rows[1:] if k}, frozenset(lower))


@lru_cache(maxsize=1)
def default_background() -> Background:
    path = DATA / "background-en.tsv"
    if not path.exists():
        return Background(1, {})
    lower = word_list("lower-case-en.txt") if (DATA / "lower-case-en.txt").exists() else ()
    return Background.from_tsv(path.read_text("utf-8"), lower)
