"""What an app reads: streams of item ids, unread counts and item contents for one reader.

A *scope* is one reader's view: which sources (all but the hidden ones, or one feed, or one
label's feeds) and which items ("articles": every article; "stories": one item per story,
its newest article, so ten copies of a wire story are one item that comes back as new
when new coverage arrives). Streams are read newest first (or oldest first) by article id,
the order of collection, with the last id as the continuation, so paging is stable while
articles arrive and each page costs the same however deep it is. Read and starred state
come from ``itemstate`` (the same state the site uses).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text

from .articles import as_utc
from .db import Database
from .itemstate import HEAD, JOINS, READ, STARRED, floor_of
from .reading import _ts

MAX_ITEMS = 10_000          # ids per request (apps ask for 1,000 to 10,000)
UNREAD_WINDOW = 10_000      # unread counts look at the newest this many articles ("max")
COVERAGE = 10               # other articles listed under a story's item


@dataclass
class Scope:
    user_id: int
    mode: str = "stories"                   # stories | articles
    hidden: list[int] = field(default_factory=list)
    only: list[int] | None = None           # source ids of a feed or label; None: all
    floor: int = 0

    @classmethod
    def load(cls, db: Database, user_id: int, mode: str, hidden: list[int],
             only: list[int] | None = None) -> "Scope":
        with db.read() as conn:
            return cls(user_id, mode, hidden, only, floor_of(conn, user_id))

    def where(self, params: dict, expanding: list[str], *, heads: bool = True) -> str:
        parts = []
        if self.only is not None:
            parts.append("a.source_id IN :only")
            params["only"] = self.only or [-1]
            expanding.append("only")
        if self.hidden:
            parts.append("a.source_id NOT IN :hidden")
            params["hidden"] = self.hidden
            expanding.append("hidden")
        if heads and self.mode == "stories":
            parts.append(HEAD)
        params.update(u=self.user_id, floor=self.floor)
        return "".join(" AND " + p for p in parts)


def _sql(statement: str, expanding: list[str]):
    return text(statement).bindparams(*(bindparam(n, expanding=True) for n in expanding))


def _time_bounds(conn, db: Database, since: datetime | None, until: datetime | None) -> tuple[int, int]:
    """Article-id bounds equivalent to "collected at or after ``since``" and "before
    ``until``" (the lowest/highest id in the range), so the id walk stops at them."""
    low, high = 0, 2**62
    if since is not None:
        low = conn.execute(text("SELECT min(id) FROM articles WHERE fetched_at >= :t"),
                           {"t": _ts(db, since)}).scalar() or 2**62
    if until is not None:
        high = conn.execute(text("SELECT max(id) FROM articles WHERE fetched_at < :t"),
                            {"t": _ts(db, until)}).scalar() or 0
    return low, high


def item_ids(db: Database, scope: Scope, *, state: str | None = None, exclude: str | None = None,
             n: int = 20, after: int | None = None, oldest_first: bool = False,
             since: datetime | None = None, until: datetime | None = None) -> tuple[list[int], int | None]:
    """Ids of the scope's items, newest first (``oldest_first``: the reverse), at most
    ``n``; ``state`` keeps only "read", "unread" or "starred" items, ``exclude`` drops
    "read" or "starred" ones; ``after`` is the continuation (the last id of the previous
    page). Returns (ids, continuation or None)."""
    n = max(1, min(n, MAX_ITEMS))
    params: dict[str, Any] = {"n": n + 1}
    expanding: list[str] = []
    starred_only = state == "starred"
    where = scope.where(params, expanding, heads=not starred_only)
    conds = []
    if state == "read" or exclude == "unread":
        conds.append(f"{READ} = 1")
    if state == "unread" or exclude == "read":
        conds.append(f"{READ} = 0")
    if exclude == "starred":
        conds.append(f"{STARRED} = 0")
    with db.read() as conn:
        low, high = _time_bounds(conn, db, since, until)
        if state == "unread" or exclude == "read":
            low = max(low, _lowest_unread(conn, scope))
        if after is not None:
            low, high = (max(low, after + 1), high) if oldest_first else (low, min(high, after - 1))
        params.update(low=low, high=high)
        order = "ASC" if oldest_first else "DESC"
        if starred_only:
            statement = (f"SELECT a.id FROM item_state m JOIN articles a ON a.id = m.article_id "
                         f"LEFT JOIN article_story x ON x.article_id = a.id WHERE m.user_id = :u "
                         f"AND m.starred = 1 AND a.id BETWEEN :low AND :high{where}"
                         f"{''.join(' AND ' + c for c in conds)} ORDER BY m.article_id {order} LIMIT :n")
        else:
            statement = (f"SELECT a.id FROM articles a {JOINS} WHERE a.id BETWEEN :low AND :high"
                         f"{where}{''.join(' AND ' + c for c in conds)} ORDER BY a.id {order} LIMIT :n")
        ids = [r[0] for r in conn.execute(_sql(statement, expanding), params)]
    more = len(ids) > n
    ids = ids[:n]
    return ids, (ids[-1] if more else None)


def _lowest_unread(conn, scope: Scope) -> int:
    """Below the floor only articles marked "kept unread" can be unread."""
    if not scope.floor:
        return 0
    kept = conn.execute(text("SELECT min(article_id) FROM item_state WHERE user_id = :u AND is_read = 0"),
                        {"u": scope.user_id}).scalar()
    return min(scope.floor + 1, kept) if kept else scope.floor + 1


def unread_counts(db: Database, scope: Scope) -> dict[int, tuple[int, datetime | None]]:
    """Per source: unread items among the newest ``UNREAD_WINDOW`` articles, and the
    collection time of the newest of them."""
    params: dict[str, Any] = {}
    expanding: list[str] = []
    where = scope.where(params, expanding)
    with db.read() as conn:
        top = conn.execute(text("SELECT coalesce(max(id), 0) FROM articles")).scalar()
        params["low"] = max(top - UNREAD_WINDOW, _lowest_unread(conn, scope) - 1)
        rows = conn.execute(_sql(f"SELECT a.source_id, count(*), max(a.fetched_at) FROM articles a "
                                 f"{JOINS} WHERE a.id > :low{where} AND {READ} = 0 "
                                 "GROUP BY a.source_id", expanding), params).all()
    return {r[0]: (r[1], as_utc(r[2])) for r in rows}


def count_items(db: Database, scope: Scope) -> int:
    params: dict[str, Any] = {}
    expanding: list[str] = []
    where = scope.where(params, expanding)
    with db.read() as conn:
        return conn.execute(_sql(f"SELECT count(*) FROM articles a {JOINS} WHERE 1 = 1{where}",
                                 expanding), params).scalar() or 0


def contents(db: Database, scope: Scope, ids: list[int], oldest_first: bool = False) -> list[dict]:
    """The items with these ids that the reader may see (hidden sources left out), with
    their outlet, read and starred state, and in "stories" mode their story's coverage.
    (The hot call of a sync: up to 1,000 items, so rows are read through ``db.fetch``, and
    the ids, plain integers, are written into the statement.)"""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return []
    listed = ",".join(map(str, ids))
    hidden = "".join(f" AND a.source_id <> {int(h)}" for h in scope.hidden)
    params = {"u": scope.user_id, "floor": scope.floor}
    with db.read() as conn:
        rows = db.fetch(conn, (
            "SELECT a.id, a.source_id, a.title, a.url, a.html, "
            "CASE WHEN a.html IS NULL OR a.html = '' THEN a.text END, a.authors, "
            "a.published_at, a.fetched_at, a.lead_image, coalesce(s.title, s.url), s.site_url, "
            f"x.story_id, {READ}, {STARRED} FROM articles a "
            f"JOIN sources s ON s.id = a.source_id {JOINS} WHERE a.id IN ({listed}){hidden}"), params)
        items = [_item(r) for r in rows]
        stories = sorted({i["story_id"] for i in items if i["story_id"]})
        if scope.mode == "stories" and stories:
            _add_coverage(db, conn, items, stories)
    items.sort(key=lambda i: i["id"], reverse=not oldest_first)
    return items


def _item(r) -> dict[str, Any]:
    authors = r[6]
    return {"id": r[0], "source_id": r[1], "title": r[2], "url": r[3] or "", "html": r[4] or "",
            "text": r[5] or "",
            "authors": json.loads(authors) if isinstance(authors, str) and len(authors) > 2 else [],
            "published_at": as_utc(r[7]), "fetched_at": as_utc(r[8]), "lead_image": r[9],
            "outlet": r[10], "site_url": r[11] or "", "story_id": r[12], "read": bool(r[13]),
            "starred": bool(r[14]), "story": None}


def _add_coverage(db: Database, conn, items: list[dict], stories: list[int]) -> None:
    """Each item's story: title, counts and its other articles (newest first, capped)."""
    listed = ",".join(map(str, stories))
    meta = {r[0]: r for r in db.fetch(conn, "SELECT id, title, article_count, outlet_count "
                                            f"FROM stories WHERE id IN ({listed})")}
    # which articles to list: from the index alone (newest first, capped per story), then
    # only those rows are read (a story of 200 articles costs 10 row reads, not 200)
    heads = {i["id"] for i in items}
    chosen: dict[int, list[int]] = {s: [] for s in stories}
    for story_id, article_id in db.fetch(conn, "SELECT story_id, article_id FROM article_story "
                                               f"WHERE story_id IN ({listed}) ORDER BY story_id, article_id DESC"):
        if article_id not in heads and len(chosen[story_id]) < COVERAGE:
            chosen[story_id].append(article_id)
    wanted = [a for ids in chosen.values() for a in ids]
    rows = {r[0]: r for r in db.fetch(conn, (
        "SELECT a.id, a.title, a.url, coalesce(s.title, s.url) FROM articles a "
        f"JOIN sources s ON s.id = a.source_id WHERE a.id IN ({','.join(map(str, wanted))})"))} if wanted else {}
    coverage = {s: [{"id": a, "title": rows[a][1], "url": rows[a][2] or "", "outlet": rows[a][3]}
                    for a in ids if a in rows] for s, ids in chosen.items()}
    for item in items:
        story = meta.get(item["story_id"])
        if story is None:
            continue
        others = [c for c in coverage[story[0]] if c["id"] != item["id"]][:COVERAGE]
        item["story"] = {"id": story[0], "title": story[1], "article_count": story[2],
                         "outlet_count": story[3], "others": others}
