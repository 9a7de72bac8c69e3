"""Related articles for one article, each with the reason it is shown.

A pure function over plain records. Three kinds of neighbours, in this order of rank:

    "same story"              other articles of the article's story; other outlets first,
                              then the most similar, then the most recent
    "earlier in this thread"  articles of earlier stories of the article's thread (for refs
                              without a thread: sharing at least ``min_shared`` tags)
    "shares #Ukraine #Ceasefire"  any other candidate sharing tags, most shared first

Copies of the article itself (the ids in ``duplicates``, or the same canonical id) and the
article are never listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Sequence

import numpy as np


@dataclass(frozen=True)
class ArticleRef:
    id: str
    story_id: str | None
    outlet: str
    published: datetime | None = None
    tags: tuple[str, ...] = ()           # slugs; display forms may be passed in tag_display
    vector: Sequence[float] | None = None
    canonical_id: str | None = None      # set when the article is a copy of another one
    thread_id: str | None = None


@dataclass(frozen=True)
class Related:
    id: str
    reason: str
    score: float
    kind: str = field(default="tags")    # "story", "thread" or "tags"


def _cosine(a: Sequence[float] | None, b: Sequence[float] | None) -> float:
    if a is None or b is None:
        return 0.0
    va, vb = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    denom = float(np.linalg.norm(va) * np.linalg.norm(vb))
    return float(va @ vb) / denom if denom else 0.0


def _same_thread(article: ArticleRef, cand: ArticleRef, shares_tags: bool) -> bool:
    if article.thread_id is None:
        return shares_tags
    return cand.thread_id == article.thread_id


def _time(ref: ArticleRef) -> float:
    return ref.published.timestamp() if ref.published else float("-inf")


def related(article: ArticleRef, candidates: Iterable[ArticleRef], *, limit: int = 10,
            duplicates: Iterable[str] = (), min_shared: int = 2,
            tag_display: dict[str, str] | None = None) -> list[Related]:
    """Ranked related articles with a human-readable reason each."""
    display = tag_display or {}
    skip = set(duplicates) | {article.id}
    own_canonical = article.canonical_id or article.id
    own_tags = set(article.tags)
    story, thread, tagged = [], [], []
    for cand in candidates:
        if cand.id in skip or (cand.canonical_id or cand.id) == own_canonical:
            continue
        shared = [t for t in article.tags if t in set(cand.tags)]
        similarity = _cosine(article.vector, cand.vector)
        overlap = len(shared) / max(1, len(own_tags | set(cand.tags)))
        if article.story_id is not None and cand.story_id == article.story_id:
            key = (cand.outlet == article.outlet, -similarity, -_time(cand), cand.id)
            story.append((key, cand.outlet, Related(cand.id, "same story", 1.0 + similarity,
                                                    "story")))
        elif (_same_thread(article, cand, len(shared) >= min_shared) and cand.story_id is not None
              and article.published and cand.published and cand.published < article.published):
            key = (-len(shared), -_time(cand), cand.id)
            thread.append((key, Related(cand.id, "earlier in this thread", 0.5 + 0.5 * overlap,
                                        "thread")))
        elif shared:
            names = " ".join(display.get(t, "#" + t) for t in shared[:3])
            key = (-len(shared), -similarity, -_time(cand), cand.id)
            tagged.append((key, Related(cand.id, f"shares {names}", 0.5 * overlap, "tags")))
    story.sort(key=lambda item: item[0])
    # same story: the best article of each other outlet first, then the rest
    first, rest, outlets = [], [], {article.outlet}
    for _, outlet, item in story:
        (rest if outlet in outlets else first).append(item)
        outlets.add(outlet)
    thread.sort(key=lambda item: item[0])
    tagged.sort(key=lambda item: item[0])
    ordered = first + rest + [r for _, r in thread] + [r for _, r in tagged]
    return ordered[:limit]
