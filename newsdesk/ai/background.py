"""Background: the short context from earlier coverage that a newcomer to the newest
update needs.

The update is the newest document. Earlier sentences are scored by their TF-IDF similarity
to the update as a whole, boosted when they share its names and numbers (capitalised words,
figures). Sentences that merely repeat the update (cosine >= ``repeat_threshold`` with one
of its sentences) are left out, the rest are deduplicated by MMR and returned in time order.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from .model import Corpus, Doc, Result
from .summary import eligible, mmr
from .text import Embed, stem

_NAME = re.compile(r"\b[A-ZÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÇÑ][\w’'-]+|\b\d[\d.,]*\b")


def background(docs: Sequence[Doc], sentences: int = 4, repeat_threshold: float = 0.6,
               update: str | None = None, embed: Embed | None = None) -> Result:
    """Context for the update ``update`` (a doc id; default: the newest document)."""
    corpus = Corpus(docs, embed=embed)
    if len(corpus.docs) < 2:
        return Result("background", status="empty",
                      note="No earlier coverage: this is the first report of the story.")
    chosen = [d for d in corpus.docs if update is not None and str(d.id) == str(update)]
    update = chosen[0] if chosen else corpus.docs[-1]
    update_rows = corpus.by_doc[str(update.id)]
    earlier = eligible(corpus, [r for r in range(len(corpus.sents))
                                if corpus.sents[r].doc.id != update.id
                                and corpus.sents[r].doc.day <= update.day])
    meta = {"update": str(update.id), "update_title": update.title}
    if not earlier or not update_rows:
        return Result("background", status="empty", note="No earlier coverage to draw on.", meta=meta)
    space = corpus.space
    update_vec = space.vector([t for r in update_rows for t in corpus.sents[r].terms])
    relevance = (space.matrix[earlier] @ update_vec.T).toarray().ravel()
    repeats = space.sim(earlier, update_rows).max(axis=1)
    names = _names(update.title + " " + update.text, corpus.lang)
    boost = np.array([len(names & _names(corpus.sents[r].text, corpus.lang)) for r in earlier], dtype=float)
    score = relevance * (1.0 + 0.15 * np.minimum(boost, 4))
    keep = [i for i in range(len(earlier)) if repeats[i] < repeat_threshold and score[i] > 0.05]
    if not keep:
        return Result("background", status="empty", meta=meta,
                      note="Earlier coverage has nothing that explains this update.")
    rows = [earlier[i] for i in keep]
    picks = mmr(score[keep], space.sim(rows, rows), sentences, lam=0.7, max_sim=0.5)
    items = [corpus.item(rows[p], score[keep[p]]) for p in sorted(picks, key=lambda p: rows[p])]
    return Result("background", items=items, meta=meta)


def _names(text: str, lang: str) -> set[str]:
    return {stem(m.lower(), lang) for m in _NAME.findall(text) if len(m) > 1}
