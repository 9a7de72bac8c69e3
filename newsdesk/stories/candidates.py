"""Where related-article candidates come from: bounded pools, never the archive.

For a story's new article (and the story's newest other members, whose lists it refreshes)
the candidates are the newest ``RELATED_POOL`` members of the story and the newest
``THREAD_MEMBERS`` members of each of these stories: the ``THREAD_STORIES`` newest other
stories of its thread, and the ``THREAD_STORIES`` other stories sharing most tags with it,
looked for among the ``THREAD_LOOKBACK`` newest stories of each tag. A republished copy stands for its original. The cost per article is so
bounded by these numbers, whatever the archive's size (``bench/stories_bench.py``). The
queries are ``storage/candidates.py``.
"""

from __future__ import annotations

from collections import Counter

from ..storage import articles as article_store
from ..storage import candidates as store
from .related import ArticleRef

__all__ = ["candidates"]

RELATED_POOL = 200                  # newest members of the story read as related candidates
THREAD_STORIES = 20                 # earlier stories of the thread read as candidates...
THREAD_MEMBERS = 20                 # ...with this many of their newest members each
THREAD_LOOKBACK = 200               # newest stories of each tag searched for the thread


def _thread(conn, story_id: int) -> list[int]:
    """The newest other stories of the story's thread (index stories (thread_id,
    first_seen)), then the stories sharing most of its tags."""
    same = store.thread_stories(conn, story_id, THREAD_STORIES)
    return same + [sid for sid in _tag_neighbours(conn, story_id) if sid not in set(same)]


def _tag_neighbours(conn, story_id: int) -> list[int]:
    """Other stories sharing at least two of the story's tags, most shared first, looked
    for among the ``THREAD_LOOKBACK`` newest stories of each tag (index story_tags
    (slug, story_id)): a popular tag such as #Ukraine is on thousands of stories, and
    counting them all made every article cost O(archive)."""
    shared: Counter = Counter()
    for slug in store.story_slugs(conn, story_id):
        shared.update(store.tag_stories(conn, slug, story_id, THREAD_LOOKBACK))
    ranked = sorted((-n, -sid) for sid, n in shared.items() if n >= 2)
    return [-sid for _, sid in ranked[:THREAD_STORIES]]


def candidates(conn, story_id: int, targets: list[int]) -> tuple[dict[int, ArticleRef], dict]:
    """The targets, the newest members of their story and of its thread's stories (a copy
    stands for its original), as refs by id; and the display form of their tags."""
    pools = [(story_id, RELATED_POOL)] + [(sid, THREAD_MEMBERS) for sid in _thread(conn, story_id)]
    ids = store.pool_members(conn, pools) | set(targets)
    rows = [r for r in store.article_rows(conn, ids) if r[4] is None or r[0] in targets]
    rows.sort(key=lambda r: (r[0] not in targets, -_stamp(r[3])))
    rows = rows[:RELATED_POOL + len(targets)]
    tags: dict[int, list[str]] = {}
    displays: dict[str, str] = {}
    for aid, slug, display in store.article_tags(conn, [r[0] for r in rows]):
        tags.setdefault(aid, []).append(slug)
        displays.setdefault(slug, "#" + display.lstrip("#"))
    refs = {aid: ArticleRef(id=str(aid), story_id=str(sid), outlet=str(source_id),
                            published=article_store.as_utc(published),
                            tags=tuple(tags.get(aid, ())),
                            canonical_id=str(canonical) if canonical else None,
                            thread_id=str(thread) if thread is not None else None)
            for aid, sid, source_id, published, canonical, thread in rows}
    return refs, displays


def _stamp(value) -> float:
    when = article_store.as_utc(value)
    return when.timestamp() if when else float("-inf")
