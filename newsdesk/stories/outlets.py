"""Per-outlet document frequencies: which words are an outlet's own routine.

The event clusterer (``events.py``) damps, for two releases of one outlet, the words that
outlet uses in many of its own unrelated items ("Telephone conversation with", "FACT
SHEET"): a genre word is not an event.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Iterable

__all__ = ["OutletTerms"]


class OutletTerms:
    """Document frequencies per outlet, learned online: how much of an outlet's own output
    uses a word. ``weight(outlet, term)`` is that word's IDF within the outlet, scaled to
    (0, 1]: 1 for a word the outlet never used, near 0 for one in every item.

    ``prior`` pretends each outlet starts with that many items lacking every word, so the
    first few items of a new outlet are not judged templates of each other. Each outlet
    keeps at most ``max_terms`` words: past that, words it used once are forgotten (their
    weight is ~1 either way), so memory stays bounded by outlets x ``max_terms``.
    """

    def __init__(self, prior: int = 20, max_terms: int = 20_000):
        self.prior, self.max_terms = prior, max_terms
        self.df: dict[str, Counter] = defaultdict(Counter)
        self.n: Counter = Counter()

    def learn(self, outlet: str, terms: Iterable[str]) -> None:
        df = self.df[outlet]
        self.n[outlet] += 1
        df.update(set(terms))
        if len(df) > self.max_terms:
            for term in [t for t, c in df.items() if c <= 1]:
                del df[term]

    def weight(self, outlet: str, term: str, prior: float | None = None) -> float:
        """``prior``: this use's own (the thread level reads the event level's counts)."""
        n = self.n.get(outlet, 0) + (self.prior if prior is None else prior)
        df = self.df[outlet].get(term, 0) if outlet in self.df else 0
        return math.log(n / (df + 0.5)) / math.log(n / 0.5)

    def to_dict(self) -> dict:
        return {"prior": self.prior, "n": dict(self.n), "df": {o: dict(d) for o, d in self.df.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> "OutletTerms":
        terms = cls(data.get("prior", 20))
        terms.n.update(data["n"])
        for outlet, df in data["df"].items():
            terms.df[outlet].update(df)
        return terms
