"""Ask: answer a question only from the coverage, with the supporting sentences cited.

Sentences are retrieved with BM25 and checked by an IDF-weighted overlap: the share of the
question's content words (by weight) that a sentence contains. Words the coverage never
uses count at the highest weight, so a question about something absent is "not found in
the coverage" instead of answered with a loosely related sentence. Questions are data:
they are tokenised, never executed; sentences of a question that address the AI
("ignore the sources and ...") are cut first (``guard.clean_question``), and long questions
are cut to ``MAX_QUESTION_CHARS`` and their ``MAX_QUERY_TERMS`` rarest words.
"""

from __future__ import annotations

import re

from typing import Sequence

import numpy as np

from .guard import clean_question
from .model import Corpus, Doc, Result
from .summary import mmr
from .text import BM25, Embed, terms

MAX_QUESTION_CHARS = 2000
MAX_QUERY_TERMS = 48
NOT_FOUND = "Not found in the coverage."
# Question words that ask for a kind of answer rather than name its topic ("how long did the
# call last?" asks about "call" and "last"): they must not count against the evidence.
QUESTION_CUES = re.compile(r"\b(how (?:long|many|much|often|far|old)|cu[aá]nto|combien|quanto)\b",
                           re.IGNORECASE)


def ask(docs: Sequence[Doc], question: str, answers: int = 3, threshold: float = 0.5,
        embed: Embed | None = None) -> Result:
    question, cut = clean_question((question or "").strip())
    result = _answer(docs, question, answers, threshold, embed)
    if cut:
        note = f"{cut} sentence(s) of the question that address the AI were left out."
        result.note = f"{result.note} {note}".strip()
    return result


def _answer(docs: Sequence[Doc], question: str, answers: int, threshold: float,
            embed: Embed | None) -> Result:
    meta = {"question": question[:200]}
    if not question:
        return Result("ask", status="empty_question", note="Ask a question about the coverage.", meta=meta)
    truncated = len(question) > MAX_QUESTION_CHARS
    question = question[:MAX_QUESTION_CHARS]
    corpus = Corpus(docs, embed=embed)
    if not corpus.sents:
        return Result("ask", status="not_found", note=NOT_FOUND, meta=meta)
    index = BM25([s.terms for s in corpus.sents])
    query = list(dict.fromkeys(terms(QUESTION_CUES.sub(" ", question), corpus.lang)))
    query.sort(key=lambda t: -index.idf.get(t, index.max_idf))
    query = query[:MAX_QUERY_TERMS]
    if not query:
        return Result("ask", status="not_found", note=NOT_FOUND + " The question has no searchable words.",
                      meta=meta)
    weights = {t: index.idf.get(t, index.max_idf) for t in query}
    total = sum(weights.values())
    bm25 = index.scores(query)
    candidates = np.argsort(-bm25)[:50]
    coverage = np.array([sum(w for t, w in weights.items() if t in set(corpus.sents[r].terms)) / total
                         for r in candidates])
    score = coverage + 0.1 * bm25[candidates] / (bm25[candidates].max() or 1.0)
    if embed is not None:
        vectors = np.asarray(embed([question] + [corpus.sents[r].text for r in candidates]), dtype=float)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-9)
        score = score + 0.3 * np.clip(vectors[1:] @ vectors[0], 0, 1)
    keep = [i for i in np.argsort(-score) if coverage[i] >= threshold and bm25[candidates[i]] > 0]
    if truncated:
        meta["note_truncated"] = f"The question was cut to {MAX_QUESTION_CHARS} characters."
    if not keep:
        best = float(coverage.max()) if len(coverage) else 0.0
        meta["best_overlap"] = round(best, 3)
        return Result("ask", status="not_found", note=NOT_FOUND, meta=meta)
    rows = [int(candidates[i]) for i in keep]
    sim = corpus.space.sim(rows, rows)
    picks = mmr(np.array([score[i] for i in keep]), sim, answers, lam=0.8, max_sim=0.7)
    items = [corpus.item(rows[p], score[keep[p]]) for p in picks]
    return Result("ask", items=items, meta=meta)
