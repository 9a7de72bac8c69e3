"""The front page: on top, the most significant recent stories grouped under their thread
(``top_threads``); below, every story newest update first (``front_page``), with articles
not (yet) in any story as one-article stories, so the site works before the stories stage
has run.


A story's significance, over the stories active in the last ``HOURS`` before the newest
story (the archive's own "now", so a replayed archive ranks as it did when it was live)::

    2 x outlets  +  log2(1 + articles)  +  log2(1 + articles of the last 24 hours)
                 -  age of its last article in days

Outlets count most: a story several outlets report is news to more readers than one
outlet's release, however long. Articles count with diminishing returns, growth (the last
24 hours) separately, and a story loses a point a day. A thread ranks by its best story;
each thread shows its ``PER_THREAD`` best stories and says how many more it holds.
Three queries, whatever the archive's size (the stories' last-seen index bounds the first).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from .db import Database, as_utc
from .reading import (MAX_LIMIT, _after, _filters, _rows, _streams, _ts, story_outlets,
                      summary_line)

HOURS = 48
THREADS = 8
PER_THREAD = 3
POOL = 300   # most recently updated stories considered


def significance(outlets: int, articles: int, recent: int, age_days: float) -> float:
    return 2 * outlets + math.log2(1 + articles) + math.log2(1 + recent) - age_days


def _stories_from(first: str, condition: str, limit: str, joins: str = "") -> str:
    """FROM ... the stories ``st`` meeting ``condition``, newest first, at most ``limit``,
    with their lead article ``la`` (and ``joins``). When the matching stories are listed
    first (``first``), the page is chosen before the lead texts are joined, so only the
    shown stories' texts are read (PostgreSQL would otherwise read one per matching story
    before sorting)."""
    order = "ORDER BY st.last_seen DESC, st.id DESC"
    lead = "LEFT JOIN articles la ON la.id = st.lead_article_id"
    if first:
        return (f"FROM (SELECT st.id, st.title, st.thread_id, st.last_seen, st.article_count, "
                f"st.outlet_count, st.lead_article_id FROM stories st WHERE {condition} "
                f"{order} LIMIT {limit}) st {lead}{joins} {order}")
    return f"FROM stories st {lead}{joins} WHERE {condition} {order} LIMIT {limit}"


def _with_articles_matching(db: Database, conn, where: str, params: dict, wanted: int,
                            shared: dict | None = None) -> tuple[str, str, dict]:
    """(a WITH clause, SQL keeping the stories ``st`` that have an article matching the
    filters, the parameters they add). On PostgreSQL, when few articles match, their
    stories are listed first (``few_match``); otherwise each story, newest first, is looked
    into. ``shared``: a dict the calls of one page share (``top_threads`` and
    ``front_page``, same filters), so the planner's estimate is asked and the stories are
    listed once per page, not once per call (a listing: ~20 ms for an outlet of 3,000
    articles at 1M); the list goes back to the database as an array."""
    if not where:
        return "", "", {}
    shared = {} if shared is None else shared
    if not db.is_sqlite and few_match(conn, where, params, wanted, shared):
        if "matching" not in shared:
            # (OFFSET 0 keeps the story look-up per article: a join would read all of
            # article_story to hash it)
            shared["matching"] = [r[0] for r in _rows(
                conn, "SELECT DISTINCT x.story_id FROM articles a JOIN sources s ON "
                "s.id = a.source_id CROSS JOIN LATERAL (SELECT x.story_id FROM article_story "
                f"x WHERE x.article_id = a.id OFFSET 0) x WHERE TRUE{where}", params)]
        return ("WITH matching AS MATERIALIZED (SELECT unnest(CAST(:matching AS bigint[])) "
                "AS story_id) ", " AND st.id IN (SELECT story_id FROM matching)",
                {"matching": shared["matching"]})
    return "", (" AND EXISTS (SELECT 1 FROM article_story x JOIN articles a ON a.id = x.article_id"
                f" JOIN sources s ON s.id = a.source_id WHERE x.story_id = st.id{where})"), {}


def few_match(conn, where: str, params: dict, wanted: int, shared: dict | None = None) -> bool:
    """PostgreSQL: whether listing the stories of the articles passing the filters is
    cheaper than looking into stories newest first until ``wanted`` have such an article.
    The first costs a look-up per matching article (M); the second about ``wanted`` x
    archive / M (a small outlet, 3,000 of 1M articles: thousands of stories to look into,
    0.3-0.7 s on a loaded machine). So: M^2 < wanted x archive, by the planner's estimates
    (kept in ``shared`` for the page's other call)."""
    shared = {} if shared is None else shared
    if "estimates" not in shared:
        rows = _rows(conn, "SELECT reltuples AS n FROM pg_class "
                     "WHERE oid = 'articles'::regclass")[0].n   # -1: never analyzed
        plan = _rows(conn, "EXPLAIN (FORMAT JSON) SELECT 1 FROM articles a JOIN sources s ON "
                     f"s.id = a.source_id WHERE TRUE{where}", params)[0][0]
        shared["estimates"] = plan[0]["Plan"]["Plan Rows"], rows
    matching, rows = shared["estimates"]
    return matching ** 2 < wanted * rows


def _serial(db: Database, conn) -> None:
    """PostgreSQL: no parallel workers for this transaction. Starting one costs more than it
    saves in the front page's queries (the last day's count over the 300 candidate stories,
    at 1M articles: median 9.6 ms in one process against 12.9 with a worker, 10 runs each)."""
    if not db.is_sqlite:
        conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def top_threads(db: Database, *, category: str | None = None, language: str | None = None,
                outlet: int | None = None, threads: int = THREADS,
                per_thread: int = PER_THREAD, shared: dict | None = None) -> list[dict[str, Any]]:
    """[{thread: {id, title, story_count}, stories: [...best first], more: n}], best first.
    ``shared``: the same dict for the page's ``front_page`` call (see
    ``_with_articles_matching``)."""
    where, params = _filters(category, language, outlet)
    with db.read() as conn:
        _serial(db, conn)
        newest = as_utc(_rows(conn, "SELECT max(last_seen) AS m FROM stories")[0].m)
        if newest is None:
            return []
        since, day = newest - timedelta(hours=HOURS), newest - timedelta(hours=24)
        first, exists, more = _with_articles_matching(db, conn, where, params, POOL, shared)
        rows = _rows(conn, f"""{first}
            SELECT st.id, st.title, st.thread_id, st.last_seen, st.article_count, st.outlet_count,
                   st.lead_article_id, substr(la.text, 1, 600) AS lead,
                   coalesce(t.name, t.title) AS thread_title,
                   t.story_count AS thread_stories
            {_stories_from(first, f"st.last_seen >= :since{exists}", ":pool",
                           " LEFT JOIN threads t ON t.id = st.thread_id")}""",
                     dict(params, **more, since=_ts(db, since), pool=POOL))
        recent: dict[int, int] = {}
        if rows:
            recent = {r.story_id: r.n for r in _rows(conn, """
                SELECT x.story_id, count(*) AS n FROM article_story x
                JOIN articles a ON a.id = x.article_id
                WHERE x.story_id IN :ids AND coalesce(a.published_at, a.fetched_at) >= :day
                GROUP BY x.story_id""", {"ids": [r.id for r in rows], "day": _ts(db, day)}, "ids")}
    groups: dict[Any, dict] = {}
    for r in rows:
        age = (newest - as_utc(r.last_seen)).total_seconds() / 86400
        story = {"id": r.id, "title": r.title, "updated": as_utc(r.last_seen),
                 "article_count": r.article_count, "outlet_count": r.outlet_count,
                 "lead_article_id": r.lead_article_id, "summary": summary_line(r.lead),
                 "score": round(significance(r.outlet_count, r.article_count,
                                             recent.get(r.id, 0), age), 3)}
        key = r.thread_id if r.thread_id is not None else ("story", r.id)
        group = groups.setdefault(key, {
            "thread": {"id": r.thread_id, "title": r.thread_title, "story_count": r.thread_stories}
            if r.thread_id is not None else None, "stories": []})
        group["stories"].append(story)
    ranked = []
    for group in groups.values():
        group["stories"].sort(key=lambda s: (-s["score"], -s["id"]))
        total = group["thread"]["story_count"] if group["thread"] else 1
        group["more"] = max(0, (total or 0) - min(per_thread, len(group["stories"])))
        group["stories"] = group["stories"][:per_thread]
        group["score"] = group["stories"][0]["score"]
        ranked.append(group)
    ranked.sort(key=lambda g: (-g["score"], -g["stories"][0]["id"]))
    ranked = ranked[:threads]
    with db.read() as conn:
        outlets = story_outlets(conn, [s["id"] for g in ranked for s in g["stories"]])
    for group in ranked:
        for story in group["stories"]:
            story["outlets"] = outlets[story["id"]]
    return ranked


def front_page(db: Database, *, category: str | None = None, language: str | None = None,
               outlet: int | None = None, cursor: tuple | None = None,
               limit: int = 30, shared: dict | None = None) -> tuple[list[dict], tuple | None]:
    """Stories newest update first, plus articles not (yet) in any story as one-article
    stories. ``cursor`` is the (time, kind, id) key of the last item already shown;
    ``shared`` as for ``top_threads``.
    Returns (items, key for the next page or None)."""
    limit = max(1, min(limit, MAX_LIMIT))
    where, params = _filters(category, language, outlet)
    with db.read() as conn:
        _serial(db, conn)
        first, exists, listed = _with_articles_matching(db, conn, where, params, limit + 1,
                                                        shared)
        after, extra = _after(db, "st.last_seen", "st.id", cursor, "s")
        stories = _rows(conn, f"""{first}
            SELECT st.id, st.title, st.lead_article_id, st.last_seen, st.article_count,
                   st.outlet_count, substr(la.text, 1, 600) AS lead
            {_stories_from(first, f"st.last_seen IS NOT NULL{after}{exists}", ":limit")}""",
                        dict(params, **extra, **listed, limit=limit + 1))
        items = [{"kind": "story", "id": r.id, "title": r.title, "updated": as_utc(r.last_seen),
                  "article_count": r.article_count, "outlet_count": r.outlet_count,
                  "lead_article_id": r.lead_article_id, "summary": summary_line(r.lead),
                  "outlets": []} for r in stories]
        # articles outside stories only matter if newer than the last story we could show
        floor = items[limit]["updated"] if len(items) > limit else None
        alone = (" AND NOT EXISTS (SELECT 1 FROM article_story x WHERE x.article_id = a.id)"
                 " AND NOT EXISTS (SELECT 1 FROM duplicates d WHERE d.article_id = a.id)")
        lone = _streams(db, conn, where, params, cursor, limit, floor, kind="a", by_id=alone)
        items += [{"kind": "article", "id": a["id"], "title": a["title"], "updated": a["when"],
                   "article_count": 1, "outlet_count": 1, "lead_article_id": a["id"],
                   "summary": a["summary"], "outlets": [dict(a["outlet"], count=1)]} for a in lone]
        items.sort(key=lambda i: (i["updated"], i["kind"] == "story", i["id"]), reverse=True)
        more, items = len(items) > limit, items[:limit]
        outlets = story_outlets(conn, [i["id"] for i in items if i["kind"] == "story"])
    for item in items:
        if item["kind"] == "story":
            item["outlets"] = outlets[item["id"]]
    last = items[-1] if more and items else None
    return items, ((last["updated"], "s" if last["kind"] == "story" else "a", last["id"])
                   if last else None)
