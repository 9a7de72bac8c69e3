"""The SQL of follows, per-reader read state and "My news" (``community/follows.py``
keeps the rules: what may be followed, what counts as new). Each function runs over the
caller's connection.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from .db import as_utc, db_time

MY_NEWS = """
WITH followed AS (
    SELECT CAST(f.target AS INTEGER) AS story_id FROM follows f
     WHERE f.user_id = :u AND f.kind = 'story'
    UNION
    SELECT st.story_id FROM follows f JOIN story_tags st ON st.slug = f.target
      JOIN stories s2 ON s2.id = st.story_id
     WHERE f.user_id = :u AND f.kind = 'tag' AND s2.last_seen > :since
    UNION
    SELECT ast.story_id FROM follows f
      JOIN articles a ON CAST(a.source_id AS VARCHAR(20)) = f.target
      JOIN article_story ast ON ast.article_id = a.id
     WHERE f.user_id = :u AND f.kind = 'outlet' AND a.fetched_at > :since
)
SELECT s.id, s.title, s.last_seen, s.article_count, s.outlet_count,
       (CASE WHEN coalesce(r.seen_article_id, 0) > :floor THEN r.seen_article_id ELSE :floor END) AS seen, r.opened_at,
       (SELECT count(*) FROM article_story x WHERE x.story_id = s.id
         AND x.article_id > (CASE WHEN coalesce(r.seen_article_id, 0) > :floor THEN r.seen_article_id ELSE :floor END)) AS new_count
  FROM followed f JOIN stories s ON s.id = f.story_id
  LEFT JOIN read_state r ON r.user_id = :u AND r.story_id = s.id
 ORDER BY CASE WHEN (SELECT count(*) FROM article_story x WHERE x.story_id = s.id
                     AND x.article_id > (CASE WHEN coalesce(r.seen_article_id, 0) > :floor THEN r.seen_article_id ELSE :floor END)) > 0 THEN 0 ELSE 1 END,
          s.last_seen DESC, s.id DESC
 LIMIT :n
"""

NEW_ARTICLES = """
SELECT ast.story_id, a.id, a.title, a.url, a.published_at, a.fetched_at, a.source_id,
       coalesce(src.title, src.url) AS outlet, substr(a.text, 1, 300) AS lead
  FROM article_story ast JOIN articles a ON a.id = ast.article_id
  JOIN sources src ON src.id = a.source_id
 WHERE ast.story_id IN :ids AND a.id > :floor
 ORDER BY a.id DESC
"""


FOLLOWING = """
SELECT f.kind, f.target, CASE f.kind
 WHEN 'story' THEN (SELECT title FROM stories WHERE CAST(id AS VARCHAR(20)) = f.target)
 WHEN 'outlet' THEN (SELECT coalesce(title, url) FROM sources
                     WHERE CAST(id AS VARCHAR(20)) = f.target)
 ELSE (SELECT max(display) FROM story_tags WHERE slug = f.target) END AS label
FROM follows f WHERE f.user_id = :u ORDER BY f.kind, f.created_at
"""


# ----------------------------------------------------------------- following
def add(conn: Connection, user_id: int, kind: str, target: str, now: datetime) -> None:
    """Follow (nothing happens when already followed)."""
    conn.execute(text("INSERT INTO follows (user_id, kind, target, created_at) "
                      "VALUES (:u, :k, :t, :now) ON CONFLICT (user_id, kind, target) DO NOTHING"),
                 {"u": user_id, "k": kind, "t": target, "now": db_time(conn.dialect.name, now)})


def remove(conn: Connection, user_id: int, kind: str, target: str) -> None:
    conn.execute(text("DELETE FROM follows WHERE user_id = :u AND kind = :k AND target = :t"),
                 {"u": user_id, "k": kind, "t": target})


def following(conn: Connection, user_id: int) -> list[dict]:
    """What the reader follows, by kind then age, each with the label of its target."""
    rows = conn.execute(text(FOLLOWING), {"u": user_id}).all()
    return [{"kind": r.kind, "target": r.target, "label": r.label or r.target} for r in rows]


def is_following(conn: Connection, user_id: int, kind: str, target: str) -> bool:
    return conn.execute(text("SELECT 1 FROM follows WHERE user_id = :u AND kind = :k "
                             "AND target = :t"), {"u": user_id, "k": kind, "t": target}
                        ).first() is not None


def target_exists(conn: Connection, kind: str, target: str) -> bool:
    """Whether the story or outlet with this id (digits), or a story or article tagged
    with this slug, exists."""
    if kind in ("story", "outlet"):
        table = "stories" if kind == "story" else "sources"
        sql, params = f"SELECT 1 FROM {table} WHERE id = :t", {"t": int(target)}
    else:
        sql = ("SELECT 1 FROM story_tags WHERE slug = :t UNION ALL "
               "SELECT 1 FROM article_tags WHERE slug = :t")
        params = {"t": target}
    return conn.execute(text(sql), params).first() is not None


# ----------------------------------------------------------------- read state
def newest_member(conn: Connection, story_id: int) -> int:
    """The story's newest article id (0 for none)."""
    return conn.execute(text("SELECT coalesce(max(article_id), 0) FROM article_story "
                             "WHERE story_id = :s"), {"s": story_id}).scalar()


def story_exists(conn: Connection, story_id: int) -> bool:
    return conn.execute(text("SELECT 1 FROM stories WHERE id = :s"), {"s": story_id}).first() is not None


def set_seen(conn: Connection, user_id: int, story_id: int, seen: int, now: datetime, *,
             only_if_unread: bool) -> None:
    """Record the newest article the reader has seen of the story (kept as it was when
    ``only_if_unread`` and the reader has opened the story before)."""
    update = "DO NOTHING" if only_if_unread else (
        "DO UPDATE SET seen_article_id = excluded.seen_article_id, opened_at = excluded.opened_at")
    conn.execute(text("INSERT INTO read_state (user_id, story_id, seen_article_id, opened_at) "
                      f"VALUES (:u, :s, :seen, :now) ON CONFLICT (user_id, story_id) {update}"),
                 {"u": user_id, "s": story_id, "seen": seen, "now": db_time(conn.dialect.name, now)})


def read_state(conn: Connection, user_id: int, story_id: int) -> dict | None:
    row = conn.execute(text("SELECT seen_article_id, opened_at FROM read_state "
                            "WHERE user_id = :u AND story_id = :s"),
                       {"u": user_id, "s": story_id}).first()
    return {"seen_article_id": row[0], "opened_at": as_utc(row[1])} if row else None


# ----------------------------------------------------------------- my news
def my_news(conn: Connection, user_id: int, since: datetime, floor: int, limit: int) -> list[dict]:
    """The followed stories (directly; through a tag or an outlet since ``since``), those
    with articles above the reader's mark first (``seen``: the story's mark, at least
    ``floor``; ``new_count``: the articles above it), then newest."""
    rows = conn.execute(text(MY_NEWS), {"u": user_id, "since": db_time(conn.dialect.name, since),
                                        "n": limit, "floor": floor}).all()
    return [{"id": r.id, "title": r.title, "last_seen": as_utc(r.last_seen),
             "article_count": r.article_count, "outlet_count": r.outlet_count,
             "seen": r.seen, "opened_at": as_utc(r.opened_at), "new_count": r.new_count,
             "new_articles": []} for r in rows]


def new_articles(conn: Connection, story_ids: list[int], floor: int) -> list:
    """The articles of these stories above ``floor``, newest first, with their outlet."""
    return conn.execute(text(NEW_ARTICLES).bindparams(bindparam("ids", expanding=True)),
                        {"ids": list(story_ids), "floor": floor}).all()
