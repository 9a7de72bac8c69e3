"""Where an article's text comes from: its own, a republication, or a rewrite.

    original       no earlier article shares much text (or only one from the same outlet)
    republication  a near-exact copy (overlap >= REPUBLICATION, default the dedup threshold)
                   of an earlier article from another outlet: a wire story carried again
    rewrite        substantial overlap (REWRITE <= overlap < REPUBLICATION) with an earlier
                   article: the same copy edited, cut or expanded

The earlier match comes from ``DuplicateIndex.query(text, min_overlap=REWRITE)`` (the
canonical earliest copy) or from ``dedup.overlap`` on two stored texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

REPUBLICATION = 0.8
REWRITE = 0.4

Kind = Literal["original", "republication", "rewrite"]


@dataclass(frozen=True)
class Record:
    """The little provenance needs to know about an article."""

    id: str
    outlet: str
    published: datetime | None = None


@dataclass(frozen=True)
class EarlierMatch:
    """An earlier article and the share of text the two have in common (0..1)."""

    article: Record
    overlap: float


@dataclass(frozen=True)
class Provenance:
    kind: Kind
    source_id: str | None = None
    overlap: float = 0.0

    def explain(self) -> str:
        if self.kind == "original":
            return "original reporting"
        share = f"{round(self.overlap * 100)}% of shingles shared"
        word = "republished from" if self.kind == "republication" else "rewritten from"
        return f"{word} {self.source_id} ({share})"


def classify(article: Record, earlier: EarlierMatch | None, *,
             republication: float = REPUBLICATION, rewrite: float = REWRITE) -> Provenance:
    """Provenance of ``article`` given its best-overlapping earlier article (or None)."""
    if earlier is None or earlier.article.id == article.id or earlier.overlap < rewrite:
        return Provenance("original")
    if (article.published and earlier.article.published
            and earlier.article.published > article.published):
        return Provenance("original")  # the other one is the copy
    if earlier.overlap >= republication:
        if earlier.article.outlet == article.outlet:
            return Provenance("original")  # an outlet updating its own story
        return Provenance("republication", earlier.article.id, earlier.overlap)
    return Provenance("rewrite", earlier.article.id, earlier.overlap)
