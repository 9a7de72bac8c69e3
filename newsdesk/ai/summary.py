"""Extractive summary and key points of one article or of a whole story.

Sentences are scored by LexRank-style centrality (PageRank over the TF-IDF cosine graph,
edges from different documents count more, so what several outlets say rises), times a
position prior (leads matter in news), and picked by MMR so the summary does not repeat
itself. Every picked sentence is returned verbatim with its citation.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .model import Corpus, Doc, Result, coverage_gate
from .text import Embed

MIN_TERMS = 4       # sentences with fewer content words are captions, datelines, fragments
MAX_CHARS = 400     # very long "sentences" are usually unsplit lists


def centrality(sim: np.ndarray, weights: np.ndarray | None = None, damping: float = 0.85,
               threshold: float = 0.08, iterations: int = 50) -> np.ndarray:
    """PageRank scores over a similarity matrix (LexRank, continuous variant)."""
    n = sim.shape[0]
    if n == 0:
        return np.zeros(0)
    graph = np.where(sim >= threshold, sim, 0.0)
    np.fill_diagonal(graph, 0.0)
    if weights is not None:
        graph = graph * weights
    rowsum = graph.sum(axis=1, keepdims=True)
    dangling = (rowsum == 0).ravel()
    rowsum[rowsum == 0] = 1.0
    transition = graph / rowsum
    transition[dangling] = 1.0 / n
    scores = np.full(n, 1.0 / n)
    for _ in range(iterations):
        new = (1 - damping) / n + damping * transition.T @ scores
        if np.abs(new - scores).sum() < 1e-6:
            scores = new
            break
        scores = new
    return scores / (scores.max() or 1.0)


def eligible(corpus: Corpus, rows: Sequence[int]) -> list[int]:
    """Rows that may be picked as a point: long enough to state a fact, short enough to be
    one sentence, and not a sentence addressing an AI, a slogan, a sign-off or an opener
    that only points back ("This was stated by ...": ``guard.sentence_flag``)."""
    return [r for r in rows if len(corpus.sents[r].terms) >= MIN_TERMS
            and len(corpus.sents[r].text) <= MAX_CHARS and not corpus.sents[r].flag]


def position_prior(corpus: Corpus, rows: Sequence[int], strength: float = 0.15) -> np.ndarray:
    return np.array([1.0 / (1.0 + strength * corpus.sents[r].index) ** 0.5 for r in rows])


def mmr(scores: np.ndarray, sim: np.ndarray, k: int, lam: float = 0.7,
        max_sim: float = 0.6) -> list[int]:
    """Maximal marginal relevance: indices (into ``scores``) of up to ``k`` picks."""
    picked: list[int] = []
    candidates = set(range(len(scores)))
    while candidates and len(picked) < k:
        best, best_value = None, -np.inf
        for i in candidates:
            redundancy = max((sim[i, j] for j in picked), default=0.0)
            if redundancy >= max_sim:
                continue
            value = lam * scores[i] - (1 - lam) * redundancy
            if value > best_value:
                best, best_value = i, value
        if best is None:
            break
        picked.append(best)
        candidates.discard(best)
    return picked


def rank_sentences(corpus: Corpus, rows: Sequence[int]) -> tuple[list[int], np.ndarray, np.ndarray]:
    """(eligible rows, their scores, their similarity matrix)."""
    rows = eligible(corpus, rows) or [r for r in rows if not corpus.sents[r].flag]
    sim = corpus.space.sim(rows, rows)
    docs = np.array([hash(corpus.sents[r].doc.id) for r in rows])
    cross = np.where(docs[:, None] != docs[None, :], 1.5, 1.0)
    scores = centrality(sim, cross) * position_prior(corpus, rows)
    return rows, scores, sim


def summarize(docs: Sequence[Doc], sentences: int = 4, key_points: int = 5,
              min_outlets: int = 2, embed: Embed | None = None) -> Result:
    """Summary (``sentences`` picks, in reading order) and key points (more diverse picks,
    most important first). One document gives an article summary; several documents are a
    story and need ``min_outlets`` distinct outlets."""
    corpus = Corpus(docs, embed=embed)
    mode = "article" if len(corpus.docs) == 1 else "story"
    if mode == "story":
        gate = coverage_gate("summary", corpus, min_outlets)
        if gate:
            return gate
    if not corpus.sents:
        return Result("summary", status="empty", note="The documents have no text to summarise.",
                      meta={"mode": mode})
    rows, scores, sim = rank_sentences(corpus, range(len(corpus.sents)))
    if not rows:
        return Result("summary", status="empty", note="The documents have no sentence to summarise.",
                      meta={"mode": mode})
    picks = mmr(scores, sim, sentences, lam=0.75)
    ordered = sorted(picks, key=lambda i: rows[i])
    summary = [corpus.item(rows[i], scores[i], _reporting_outlets(corpus, rows, sim, i)) for i in ordered]
    points = mmr(scores, sim, key_points, lam=0.5, max_sim=0.4)
    key = [corpus.item(rows[i], scores[i], _reporting_outlets(corpus, rows, sim, i)) for i in points]
    return Result("summary", items=summary, sections={"key_points": key},
                  meta={"mode": mode, "outlets": corpus.outlets, "documents": len(corpus.docs)})


def _reporting_outlets(corpus: Corpus, rows: Sequence[int], sim: np.ndarray, i: int,
                       threshold: float = 0.45) -> list[str]:
    """The picked sentence's outlet, then other outlets with a close sentence."""
    outlets = [corpus.sents[rows[i]].doc.label]
    for j in np.nonzero(sim[i] >= threshold)[0]:
        label = corpus.sents[rows[j]].doc.label
        if label not in outlets:
            outlets.append(label)
    return outlets
