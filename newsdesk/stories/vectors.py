"""Sparse TF-IDF vectors with online document frequencies, and an inverted index over the
centroids of *active* stories.

Vectors are plain ``dict[str, float]`` of unit length. The IDF of a term is taken from the
document frequencies seen *so far* (``Vectorizer.learn`` then ``Vectorizer.vector``), so a
stream never needs a second pass; the frequency table is part of the saved state
(``to_dict``/``from_dict``).

``CentroidIndex`` maps term -> {story id: centroid weight} for the stories that can still
receive articles. Scoring a new article touches only the postings of its own terms, and each
story indexes only its ``max_terms`` heaviest centroid terms, so the cost of one lookup is
bounded by (terms in the article) x (active stories sharing them), whatever the archive size.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Iterable, Mapping

Vector = dict[str, float]


def normalise(weights: Mapping[str, float]) -> Vector:
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {t: w / norm for t, w in weights.items()} if norm else {}


def dot(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


class Vectorizer:
    """Online TF-IDF: ``w(t) = (1 + log tf) * log((N + P) / (df + 0.5))``, L2-normalised.

    ``P`` (``prior_docs``) pretends the archive starts with that many documents lacking every
    term, so a fresh install does not treat a word seen in 3 of its first 5 articles as
    worthless; its weight fades as real documents arrive.
    """

    def __init__(self, df: Mapping[str, int] | None = None, n_docs: int = 0,
                 prior_docs: int = 1000):
        self.df: Counter = Counter(df or {})
        self.n_docs = n_docs
        self.prior_docs = prior_docs

    def learn(self, terms: Iterable[str]) -> None:
        """Count one document's distinct terms in the document frequencies."""
        self.n_docs += 1
        self.df.update(set(terms))

    def idf(self, term: str) -> float:
        return math.log((self.n_docs + self.prior_docs) / (self.df.get(term, 0) + 0.5))

    def vector(self, counts: Mapping[str, float]) -> Vector:
        return normalise({t: (1.0 + math.log(c)) * self.idf(t)
                          for t, c in counts.items() if c > 0})

    def to_dict(self) -> dict:
        return {"n_docs": self.n_docs, "df": dict(self.df)}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Vectorizer":
        return cls(data["df"], data["n_docs"])


class Centroid:
    """Sum of member vectors, with its norm kept up to date in O(terms of the member)."""

    __slots__ = ("weights", "sq_norm")

    def __init__(self, weights: Mapping[str, float] | None = None):
        self.weights: Vector = dict(weights or {})
        self.sq_norm = sum(w * w for w in self.weights.values())

    def add(self, vec: Mapping[str, float], scale: float = 1.0) -> None:
        weights = self.weights
        for t, w in vec.items():
            old = weights.get(t, 0.0)
            new = old + scale * w
            weights[t] = new
            self.sq_norm += new * new - old * old

    @property
    def norm(self) -> float:
        return math.sqrt(max(self.sq_norm, 0.0))

    def unit(self) -> Vector:
        n = self.norm
        return {t: w / n for t, w in self.weights.items()} if n else {}

    def top_terms(self, k: int) -> list[str]:
        items = self.weights.items()
        if len(self.weights) > k:
            items = sorted(items, key=lambda kv: kv[1], reverse=True)[:k]
        return [t for t, _ in items]


class CentroidIndex:
    """Inverted index term -> {story id: weight} over active stories' heaviest terms."""

    def __init__(self, max_terms: int = 60):
        self.max_terms = max_terms
        self.postings: defaultdict[str, dict] = defaultdict(dict)
        self._terms: dict = {}  # story id -> terms currently indexed

    def __len__(self) -> int:
        return len(self._terms)

    def __contains__(self, story_id) -> bool:
        return story_id in self._terms

    def update(self, story_id, centroid: Centroid, changed: Iterable[str]) -> None:
        """Refresh the weights of already-indexed ``changed`` terms (cheap, every add)."""
        for t in changed:
            plist = self.postings.get(t)
            if plist is not None and story_id in plist:
                plist[story_id] = centroid.weights[t]

    def put(self, story_id, centroid: Centroid, terms: Iterable[str] | None = None) -> None:
        """(Re)index one story's heaviest centroid terms (unnormalised; divide by the norm),
        or exactly ``terms`` (a resumed stream: the terms it had indexed)."""
        terms = (centroid.top_terms(self.max_terms) if terms is None
                 else [t for t in terms if t in centroid.weights])
        old = self._terms.get(story_id, ())
        keep = set(terms)
        for t in old:
            if t not in keep:
                self._drop(t, story_id)
        for t in terms:
            self.postings[t][story_id] = centroid.weights[t]
        self._terms[story_id] = terms

    def terms(self, story_id) -> list[str]:
        """The terms indexed for a story now."""
        return list(self._terms.get(story_id, ()))

    def remove(self, story_id) -> None:
        for t in self._terms.pop(story_id, ()):
            self._drop(t, story_id)

    def _drop(self, term: str, story_id) -> None:
        plist = self.postings.get(term)
        if plist is not None:
            plist.pop(story_id, None)
            if not plist:
                del self.postings[term]

    def dots(self, vec: Mapping[str, float]) -> dict:
        """story id -> dot(vec, indexed centroid weights), for stories sharing a term."""
        acc: dict = defaultdict(float)
        postings = self.postings
        for t, w in vec.items():
            plist = postings.get(t)
            if plist:
                for sid, cw in plist.items():
                    acc[sid] += w * cw
        return acc
