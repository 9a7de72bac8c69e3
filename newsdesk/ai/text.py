"""Words, weights and similarity: the lexical machinery every AI feature shares.

- ``words``: lower-cased word tokens (Unicode letters/digits).
- ``terms``: content words (stopwords of en/es/fr/it removed), Snowball-stemmed in the
  language detected for the corpus.
- ``TfidfSpace``: sentence vectors (sublinear TF-IDF, L2-normalised, sparse) with cosine
  similarity; an optional ``embed(texts) -> np.ndarray`` blends in dense similarity.
- ``BM25``: sentence retrieval for questions.
- ``support``: how much of a generated sentence its cited sources contain (used to check
  LLM output and in the citation bench).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np
import snowballstemmer
from scipy import sparse

from ..words import runs

Embed = Callable[[list[str]], np.ndarray]

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("""a about above after again against all also am an and any are as at be been
        before being below between both but by can could did do does doing down during each few for
        from further had has have having he her here hers herself him himself his how i if in into is
        it its itself just me more most my myself no nor not of off on once only or other our ours out
        over own same she should so some such than that the their theirs them then there these they
        this those through to too under until up very was we were what when where which while who whom
        why will with would you your yours said says say told according mr mrs ms also would one two
        year years today yesterday week new last first may might must shall us via per""".split()),
    "es": frozenset("""a al algo algunas algunos ante antes como con contra cual cuando de del desde
        donde durante e el ella ellas ellos en entre era eran es esa esas ese eso esos esta estaba estado
        estan están estar este esto estos fue fueron ha había han hasta hay la las le les lo los más mas
        me mi muy nada ni no nos o otra otras otro otros para pero poco por porque que qué quien quién se
        sea según ser si sí sido sin sobre son su sus también tanto te tiene tienen todo todos tras tu un
        una uno unos y ya este esta dijo según cuál cuándo dónde cómo ha han sido""".split()),
    "fr": frozenset("""a à au aux avec ce ces cette dans de des du elle elles en est et été être eu il
        ils je la le les leur leurs lui mais me même mes moi mon ne ni nos notre nous on ont ou où par
        pas plus pour qu que qui quoi sa sans se ses son sont sur ta te tes toi ton tous tout très tu un
        une vous y c d l n s j m qu’ était ainsi avait après aussi comme depuis donc entre lors selon
        quel quelle quels quelles comment pourquoi quand""".split()),
    "it": frozenset("""a ad al alla alle allo agli ai anche avere che chi ci come con contro cui da dal
        dalla dalle dai degli dei del della delle dello di e è ed era erano essere fa gli ha hanno i il
        in la le lei li lo loro lui ma mi ne negli nei nel nella nelle nello noi non o per perché più
        quale quali quando quanto quella quelle quello questa queste questo se si sia siamo sono su sua
        sue sui sul sulla suo suoi tra tu un una uno vi voi l dell all nell sull dov cosa dove""".split()),
}
QUESTION_WORDS = frozenset("""many much whose happened happen happens cuánto cuántos cuántas cuánta
    cuál cuáles pasó ocurrió combien lequel laquelle quoi quanti quante quanto quanta successo""".split())
ALL_STOPWORDS = frozenset().union(*STOPWORDS.values(), QUESTION_WORDS)
_STEMMER_NAMES = {"en": "english", "es": "spanish", "fr": "french", "it": "italian"}


def words(text: str) -> list[str]:
    """Lower-cased words, each run apart (``newsdesk.words.runs``: "l'armée" -> "l", "armée")."""
    return runs((text or "").lower())


_local = threading.local()  # a snowball stemmer keeps its word in itself: one per thread


def _stemmer(lang: str):
    mine = getattr(_local, "stemmers", None)
    if mine is None:
        mine = _local.stemmers = {}
    if lang not in mine:
        mine[lang] = snowballstemmer.stemmer(_STEMMER_NAMES.get(lang, "english"))
    return mine[lang]


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str = "en") -> str:
    return _stemmer(lang).stemWord(word)


def terms(text: str, lang: str = "en", keep_numbers: bool = True) -> list[str]:
    """Stemmed content words of ``text``."""
    out = []
    for word in words(text):
        if word in ALL_STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        if word.isdigit() and not keep_numbers:
            continue
        out.append(word if word.isdigit() else stem(word, lang))
    return out


class TfidfSpace:
    """Sublinear TF-IDF vectors of a list of token lists; rows are L2-normalised."""

    def __init__(self, token_lists: Sequence[Sequence[str]], texts: Sequence[str] | None = None,
                 embed: Embed | None = None, embed_weight: float = 0.5):
        vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        df: Counter[str] = Counter()
        for tokens in token_lists:
            df.update(set(tokens))
        n = max(len(token_lists), 1)
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
        for i, tokens in enumerate(token_lists):
            for t, c in Counter(tokens).items():
                j = vocab.setdefault(t, len(vocab))
                rows.append(i)
                cols.append(j)
                vals.append((1.0 + math.log(c)) * self.idf[t])
        self.vocab = vocab
        matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(token_lists), max(len(vocab), 1)))
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self.matrix = sparse.diags(1.0 / norms) @ matrix
        self.dense = None
        self.embed_weight = embed_weight
        if embed is not None and texts is not None and len(texts):
            vectors = np.asarray(embed(list(texts)), dtype=np.float32)
            lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
            lengths[lengths == 0] = 1.0
            self.dense = vectors / lengths

    def vector(self, tokens: Sequence[str]) -> sparse.csr_matrix:
        """A query vector in this space (unknown words are ignored)."""
        cols, vals = [], []
        for t, c in Counter(tokens).items():
            if t in self.vocab:
                cols.append(self.vocab[t])
                vals.append((1.0 + math.log(c)) * self.idf[t])
        vec = sparse.csr_matrix((vals, ([0] * len(cols), cols)), shape=(1, self.matrix.shape[1]))
        norm = math.sqrt(sum(v * v for v in vals)) or 1.0
        return vec / norm

    def sim(self, rows_a: Sequence[int] | None = None, rows_b: Sequence[int] | None = None) -> np.ndarray:
        """Dense cosine-similarity matrix between two sets of rows (all rows when None)."""
        a = self.matrix if rows_a is None else self.matrix[list(rows_a)]
        b = self.matrix if rows_b is None else self.matrix[list(rows_b)]
        result = (a @ b.T).toarray()
        if self.dense is not None:
            da = self.dense if rows_a is None else self.dense[list(rows_a)]
            db = self.dense if rows_b is None else self.dense[list(rows_b)]
            result = (1 - self.embed_weight) * result + self.embed_weight * np.clip(da @ db.T, 0, 1)
        return result


class BM25:
    """Okapi BM25 over token lists, with an inverted index."""

    def __init__(self, token_lists: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.lengths = np.array([len(tokens) for tokens in token_lists], dtype=float)
        avg = float(self.lengths.mean()) if len(self.lengths) else 0.0
        self.norms = k1 * (1 - b + b * self.lengths / (avg or 1.0))
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, tokens in enumerate(token_lists):
            for t, f in Counter(tokens).items():
                self.postings.setdefault(t, []).append((i, f))
        n = self.n = len(token_lists)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5) if n else 1.0

    def scores(self, query: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.n)
        for term in set(query):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i, f in self.postings[term]:
                out[i] += idf * f * (self.k1 + 1) / (f + self.norms[i])
        return out


def support(claim: str, sources: Sequence[str], lang: str = "en") -> float:
    """Share of the claim's content words (stemmed) found in the union of its sources.

    1.0 means every content word of the claim appears in a cited source; an empty claim
    scores 0. Numbers must match exactly, so a changed figure lowers the score.
    """
    claim_terms = set(terms(claim, lang))
    if not claim_terms:
        return 0.0
    source_terms: set[str] = set()
    for text in sources:
        source_terms.update(terms(text, lang))
    return len(claim_terms & source_terms) / len(claim_terms)


def normalize(text: str) -> str:
    """Case- and punctuation-insensitive form used to compare output with stored text."""
    return " ".join(words(text))
