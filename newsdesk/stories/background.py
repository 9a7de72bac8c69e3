"""What the language at large, and this installation's archive, say about words: how many
documents use each word stem (for idf), and which words are written in lower case (so a
capital in one article is house style, "our Allies", "the Nation", not a name).

Two sources, added up:

- **General English** (``data/wordfreq-en.tsv``): how often each word stem occurs in the
  `wordfreq` package's English data (Wikipedia, subtitles, news, books, web text; CC BY-SA
  4.0), written by ``bench/hashtag_eval.py --write-background``. A stem with frequency p per
  word is used by a DOC_WORDS-word article with chance 1 - exp(-p * DOC_WORDS) (words as a
  Poisson stream), and the table counts as PRIOR_DOCS such articles. Nothing in it comes
  from news of one period or one outlet, so "war" or "security" is as common as English
  makes it, not as common as one archive did.
- **The installation's own archive**, learned online: the stories stage calls ``learn`` on
  every article it tags (after tagging it) and saves the counts with its state
  (``to_dict``/``from_dict``). As the archive grows it outweighs the prior: an archive of
  sports news learns that "match" says little there.

Which words are written in lower case comes from the archive alone (general word lists are
case-folded): a word is common, not a name, when at least LOWER_SHARE of the archive
documents that use it inside a sentence write it in lower case (and at least LOWER_MIN_DOCS).
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache
from typing import Iterable, Mapping

from ..words import runs
from .entities import DATA, stopwords, tokenize
from .text import _stemmer

LOWER_SHARE = 0.25  # written lower case in this share of the documents using it mid-sentence
LOWER_MIN_DOCS = 2
DOC_WORDS = 400     # words of a typical news article, for word frequency -> document share
PRIOR_DOCS = 20_000  # the general table weighs as this many archive articles
MAX_TERMS = 300_000  # per archive table; the rarest are forgotten past it (bounded memory)
_stem_en = _stemmer("en")  # clustering's English Snowball stemmer, memoised: hot on ingest


def stem(word: str) -> str:
    return _stem_en(word.casefold())


def stem_phrase(phrase: str) -> str:
    return " ".join(stem(w) for w in runs(phrase))


class Background:
    """Document frequencies of word stems (a general prior plus counted documents) and the
    words the counted documents write in lower case.

    ``prior``: stem -> share of documents using it, weighing ``prior_docs`` documents;
    ``learn`` counts one more document."""

    def __init__(self, prior: Mapping[str, float] | None = None, prior_docs: int = 0):
        self.prior, self.prior_docs = prior or {}, prior_docs  # shared, never written
        self.n_docs = 0
        self.counts: Counter[str] = Counter()   # stem -> documents using it
        self.lower_docs: Counter[str] = Counter()  # word -> documents writing it lower case
        self.mid_docs: Counter[str] = Counter()    # word -> documents using it mid-sentence

    # -------------------------------------------------------------- reading
    def df(self, key: str) -> float:
        return self.prior.get(key, 0.0) * self.prior_docs + self.counts.get(key, 0)

    @property
    def total(self) -> int:
        return self.prior_docs + self.n_docs

    def idf(self, key: str) -> float:
        return math.log((self.total + 1) / (self.df(key) + 0.5))

    def share(self, key: str) -> float:
        """Share of documents using this stem."""
        return self.df(key) / max(self.total, 1)

    def is_lower(self, word: str) -> bool:
        """Whether the counted documents write this (lower-case) word in lower case."""
        k = self.lower_docs.get(word, 0)
        return k >= LOWER_MIN_DOCS and k >= LOWER_SHARE * self.mid_docs.get(word, 0)

    # -------------------------------------------------------------- learning
    def learn(self, text: str) -> None:
        self.learn_words(*words_to_learn(text))

    def learn_words(self, stems: Iterable[str], lower: Iterable[str], mid: Iterable[str]) -> None:
        """``learn`` from what ``words_to_learn`` found in one document (computed ahead, by
        the worker that stored it)."""
        self.n_docs += 1
        self.counts.update(stems)
        self.lower_docs.update(lower)
        self.mid_docs.update(mid)

    @classmethod
    def from_texts(cls, texts: Iterable[str], prior: Background | None = None) -> "Background":
        """The ``prior``'s general table (none by default) plus these documents counted."""
        background = cls(prior.prior, prior.prior_docs) if prior else cls()
        for text in texts:
            background.learn(text)
        return background

    def prune(self, max_terms: int = MAX_TERMS) -> None:
        """Forget the rarest entries of any archive table past ``max_terms`` (memory stays
        bounded on an archive of millions; what is forgotten was used by few documents)."""
        for table in (self.counts, self.lower_docs, self.mid_docs):
            if len(table) > max_terms:
                keep = table.most_common(max_terms)
                table.clear()
                table.update(dict(keep))

    def to_dict(self) -> dict:
        """The archive part (the prior ships with the code)."""
        return {"n_docs": self.n_docs, "df": dict(self.counts), "lower": dict(self.lower_docs),
                "mid": dict(self.mid_docs)}

    def load(self, data: Mapping) -> "Background":
        self.n_docs = int(data.get("n_docs", 0))
        self.counts = Counter(data.get("df", {}))
        self.lower_docs = Counter(data.get("lower", {}))
        self.mid_docs = Counter(data.get("mid", {}))
        return self


def words_to_learn(text: str) -> tuple[list[str], list[str], list[str]]:
    """What one document teaches a ``Background``, independent of every other document: its
    distinct stems, the words it writes in lower case, the words it uses mid-sentence."""
    tokens = tokenize(text)
    stop = stopwords()
    return (sorted({stem(t.text) for t in tokens}),
            sorted({t.lower for t in tokens if not t.capitalised and t.lower.isalpha()
                    and t.lower not in stop}),
            sorted({t.lower for t in tokens if not t.first and t.lower.isalpha()
                    and t.lower not in stop}))


def write_table(word_freqs: Iterable[tuple[str, float]], header: str) -> str:
    """``data/wordfreq-en.tsv`` from (word, frequency per word) pairs: "#" comment lines,
    then stem TAB frequency per word, a stem's words added up ("war", "wars", "warring")."""
    per_stem: Counter[str] = Counter()
    for word, freq in word_freqs:
        if stem(word):
            per_stem[stem(word)] += freq
    rows = sorted(per_stem.items(), key=lambda kv: (-kv[1], kv[0]))
    return header + "".join(f"{k}\t{f:.4g}\n" for k, f in rows)


def read_table(text: str) -> dict[str, float]:
    """Stem -> share of DOC_WORDS-word documents using it, from ``write_table``'s text."""
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return {k: 1.0 - math.exp(-float(f) * DOC_WORDS) for k, f in rows}


@lru_cache(maxsize=1)
def general_prior() -> dict[str, float]:
    path = DATA / "wordfreq-en.tsv"
    return read_table(path.read_text("utf-8")) if path.exists() else {}


def default_background() -> Background:
    """General English alone: what an installation starts from. A new object each call
    (it is cheap: the table is shared), so callers may ``learn`` on it."""
    return Background(general_prior(), PRIOR_DOCS)
