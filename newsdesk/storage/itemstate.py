"""Read and starred state of single articles for one reader: the one state the site, the
Google Reader API and the Fever API all read and write.

An article is read for a reader when, first match wins:

    item_state.is_read is 1 / 0        marked read / kept unread, one article at a time
    article id <= the reader's floor   "mark all as read" (read_floors, source 0)
    article id <= read_state.seen      the reader read its story (on the site: opening the
                                       story page; in an app: marking the story's item read)
    otherwise                          unread

Stars live in ``item_state.starred``. Marking a whole story read moves the story's
watermark (``read_state``) instead of writing a row per article; when single marks leave no
unread article in a story, they are folded into its watermark the same way, so the table
holds only what the watermarks cannot say.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import bindparam, text

from .db import Database
from .reading import _ts

# Joins and expressions over ``articles a`` for the reader :u with floor :floor.
JOINS = ("LEFT JOIN article_story x ON x.article_id = a.id "
         "LEFT JOIN item_state m ON m.user_id = :u AND m.article_id = a.id")
READ = ("(CASE WHEN m.is_read IS NOT NULL THEN m.is_read WHEN a.id <= :floor THEN 1 "
        "WHEN a.id <= coalesce((SELECT r.seen_article_id FROM read_state r "
        "WHERE r.user_id = :u AND r.story_id = x.story_id), 0) THEN 1 ELSE 0 END)")
STARRED = "coalesce(m.starred, 0)"
# the item standing for a story in "stories" mode: its newest article (or an article in none)
HEAD = ("(x.story_id IS NULL OR a.id = (SELECT max(y.article_id) FROM article_story y "
        "WHERE y.story_id = x.story_id))")


def _now(db: Database):
    return _ts(db, datetime.now(timezone.utc))


def _expanding(sql: str, *names: str):
    return text(sql).bindparams(*(bindparam(n, expanding=True) for n in names))


def floor_of(conn, user_id: int) -> int:
    return conn.execute(text("SELECT up_to_id FROM read_floors WHERE user_id = :u AND source_id = 0"),
                        {"u": user_id}).scalar() or 0


def existing(conn, ids: Iterable[int]) -> list[int]:
    ids = sorted(set(ids))
    if not ids:
        return []
    return [r[0] for r in conn.execute(_expanding("SELECT id FROM articles WHERE id IN :ids", "ids"),
                                       {"ids": ids})]


def _set(conn, db: Database, user_id: int, ids: list[int], column: str, value) -> None:
    if ids:
        conn.execute(text(f"INSERT INTO item_state (user_id, article_id, is_read, starred, changed_at) "
                          f"VALUES (:u, :a, :r, :s, :t) ON CONFLICT (user_id, article_id) "
                          f"DO UPDATE SET {column} = excluded.{column}, changed_at = excluded.changed_at"),
                     [{"u": user_id, "a": i, "r": value if column == "is_read" else None,
                       "s": value if column == "starred" else 0, "t": _now(db)} for i in ids])


def _prune(conn, user_id: int) -> None:
    conn.execute(text("DELETE FROM item_state WHERE user_id = :u AND is_read IS NULL AND starred = 0"),
                 {"u": user_id})


def _raise_watermarks(conn, db: Database, user_id: int, marks: dict[int, int]) -> None:
    """read_state.seen_article_id = max(itself, mark) for each story; explicit marks on its
    articles up to the mark are dropped (the watermark says it now)."""
    if not marks:
        return
    conn.execute(text(
        "INSERT INTO read_state (user_id, story_id, seen_article_id, opened_at) VALUES (:u, :s, :w, :t) "
        "ON CONFLICT (user_id, story_id) DO UPDATE SET seen_article_id = CASE WHEN "
        "excluded.seen_article_id > read_state.seen_article_id THEN excluded.seen_article_id "
        "ELSE read_state.seen_article_id END, opened_at = excluded.opened_at"),
        [{"u": user_id, "s": s, "w": w, "t": _now(db)} for s, w in marks.items()])
    conn.execute(text(
        "UPDATE item_state SET is_read = NULL WHERE user_id = :u AND is_read IS NOT NULL AND "
        "article_id IN (SELECT article_id FROM article_story WHERE story_id = :s AND article_id <= :w)"),
        [{"u": user_id, "s": s, "w": w} for s, w in marks.items()])
    _prune(conn, user_id)


def _stories_of(conn, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = conn.execute(_expanding("SELECT article_id, story_id FROM article_story "
                                   "WHERE article_id IN :ids", "ids"), {"ids": ids})
    return {a: s for a, s in rows}


def mark_read(db: Database, user_id: int, ids: Iterable[int], whole_story: bool) -> int:
    """Mark articles read. ``whole_story``: each is the item of its story ("stories" mode),
    so the story is read up to it. Returns how many known articles were marked."""
    with db.write() as conn:
        ids = existing(conn, ids)
        stories = _stories_of(conn, ids)
        if whole_story:
            marks: dict[int, int] = {}
            for article_id, story_id in stories.items():
                marks[story_id] = max(marks.get(story_id, 0), article_id)
            _raise_watermarks(conn, db, user_id, marks)
            _set(conn, db, user_id, [i for i in ids if i not in stories], "is_read", 1)
        else:
            _set(conn, db, user_id, ids, "is_read", 1)
            _fold_read_stories(conn, db, user_id, set(stories.values()))
    return len(ids)


def _fold_read_stories(conn, db: Database, user_id: int, story_ids: set[int]) -> None:
    """Stories with no unread article left get their watermark raised to their newest."""
    if not story_ids:
        return
    floor = floor_of(conn, user_id)
    rows = conn.execute(_expanding(
        f"SELECT x.story_id, max(a.id), sum(CASE WHEN {READ} = 0 THEN 1 ELSE 0 END) "
        f"FROM article_story x0 JOIN articles a ON a.id = x0.article_id {JOINS} "
        "WHERE x0.story_id IN :stories GROUP BY x.story_id", "stories"),
        {"u": user_id, "floor": floor, "stories": sorted(story_ids)}).all()
    _raise_watermarks(conn, db, user_id, {s: top for s, top, unread in rows if not unread})


def mark_unread(db: Database, user_id: int, ids: Iterable[int]) -> int:
    with db.write() as conn:
        ids = existing(conn, ids)
        _set(conn, db, user_id, ids, "is_read", 0)
    return len(ids)


def set_starred(db: Database, user_id: int, ids: Iterable[int], starred: bool) -> int:
    with db.write() as conn:
        ids = existing(conn, ids)
        _set(conn, db, user_id, ids, "starred", 1 if starred else 0)
        if not starred:
            _prune(conn, user_id)
    return len(ids)


def cutoff_id(db: Database, before: datetime | None) -> int:
    """The newest article id collected at or before ``before`` (every article if None)."""
    with db.read() as conn:
        if before is None:
            return conn.execute(text("SELECT coalesce(max(id), 0) FROM articles")).scalar()
        return conn.execute(text("SELECT coalesce(max(id), 0) FROM articles WHERE fetched_at <= :b"),
                            {"b": _ts(db, before)}).scalar()


def mark_all_read(db: Database, user_id: int, up_to: int, source_ids: list[int] | None = None) -> None:
    """"Mark all as read" up to an article id: for every source (``source_ids`` None) the
    reader's floor rises and "kept unread" marks below it go; for some sources each unread
    article of theirs gets a mark (bounded by what is unread)."""
    with db.write() as conn:
        if source_ids is None:
            conn.execute(text(
                "INSERT INTO read_floors (user_id, source_id, up_to_id) VALUES (:u, 0, :w) "
                "ON CONFLICT (user_id, source_id) DO UPDATE SET up_to_id = CASE WHEN "
                "excluded.up_to_id > read_floors.up_to_id THEN excluded.up_to_id "
                "ELSE read_floors.up_to_id END"), {"u": user_id, "w": up_to})
            conn.execute(text("UPDATE item_state SET is_read = NULL WHERE user_id = :u "
                              "AND is_read = 0 AND article_id <= :w"), {"u": user_id, "w": up_to})
            _prune(conn, user_id)
            return
        if not source_ids:
            return
        floor = floor_of(conn, user_id)
        unread = [r[0] for r in conn.execute(_expanding(
            f"SELECT a.id FROM articles a {JOINS} WHERE a.source_id IN :sources AND a.id > :floor "
            f"AND a.id <= :w AND {READ} = 0", "sources"),
            {"u": user_id, "floor": floor, "w": up_to, "sources": source_ids})]
        _set(conn, db, user_id, unread, "is_read", 1)
