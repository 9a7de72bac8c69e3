"""Follows, per-reader read state, "My news" and the personal feed.

A reader follows stories, tags (by slug) and outlets (by source id). Opening a story
records, for that reader only, the newest article of the story they have seen
(``read_state.seen_article_id``; article ids only grow, so "new" needs no clock; an app's
"mark all as read" raises the reader's floor below which nothing is new, see
``storage/itemstate.py``).
"My news" lists the followed stories -- followed directly, or through a followed tag or
outlet within the last ``days`` -- those with new coverage first, each with the articles
that arrived since the reader last opened it. The same list, as new articles, is the
reader's personal RSS/JSON feed, reached by a secret token (rotate it to revoke).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, text

from ..errors import NotFound
from ..storage.db import Database
from ..storage.itemstate import floor_of
from . import CommunityError
from .accounts import USER_COLS, User, user_from_row
from .common import from_db, new_token, to_db, utcnow

KINDS = ("story", "tag", "outlet")

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


class Follows:
    def __init__(self, db: Database):
        self.db = db

    def _ts(self, when):
        return to_db(self.db.dialect, when)

    # ----------------------------------------------------------------- following
    def follow(self, user: User, kind: str, target: str) -> None:
        kind, target = self._target(kind, target)
        with self.db.write() as conn:
            conn.execute(text("INSERT INTO follows (user_id, kind, target, created_at) "
                              "VALUES (:u, :k, :t, :now) ON CONFLICT (user_id, kind, target) DO NOTHING"),
                         {"u": user.id, "k": kind, "t": target, "now": self._ts(utcnow())})
        if kind == "story":   # following what you are reading: what is there now counts as seen
            self.mark_read(user, int(target), only_if_unread=True)

    def unfollow(self, user: User, kind: str, target: str) -> None:
        with self.db.write() as conn:
            conn.execute(text("DELETE FROM follows WHERE user_id = :u AND kind = :k AND target = :t"),
                         {"u": user.id, "k": kind, "t": (target or "")[:120]})

    def following(self, user: User) -> list[dict]:
        with self.db.read() as conn:
            rows = conn.execute(text(
                "SELECT f.kind, f.target, CASE f.kind "
                " WHEN 'story' THEN (SELECT title FROM stories WHERE CAST(id AS VARCHAR(20)) = f.target)"
                " WHEN 'outlet' THEN (SELECT coalesce(title, url) FROM sources "
                "                     WHERE CAST(id AS VARCHAR(20)) = f.target)"
                " ELSE (SELECT max(display) FROM story_tags WHERE slug = f.target) END AS label "
                "FROM follows f WHERE f.user_id = :u ORDER BY f.kind, f.created_at"),
                {"u": user.id}).all()
        return [{"kind": r.kind, "target": r.target, "label": r.label or r.target} for r in rows]

    def is_following(self, user: User, kind: str, target: str) -> bool:
        with self.db.read() as conn:
            return conn.execute(text("SELECT 1 FROM follows WHERE user_id = :u AND kind = :k "
                                     "AND target = :t"), {"u": user.id, "k": kind, "t": str(target)}
                                ).first() is not None

    def _target(self, kind: str, target: str) -> tuple[str, str]:
        target = (target or "").strip()
        if kind not in KINDS:
            raise CommunityError(f"you can follow {', '.join(KINDS)}")
        if not target or len(target) > 120:
            raise CommunityError(f"which {kind}?")
        if kind in ("story", "outlet"):
            if not target.isdigit() or len(target) > 18:
                raise NotFound(f"no {kind} {target[:40]!r}")
            target = str(int(target))
            table = "stories" if kind == "story" else "sources"
            sql, params = f"SELECT 1 FROM {table} WHERE id = :t", {"t": int(target)}
        else:
            target = target.lower()
            sql = ("SELECT 1 FROM story_tags WHERE slug = :t UNION ALL "
                   "SELECT 1 FROM article_tags WHERE slug = :t")
            params = {"t": target}
        with self.db.read() as conn:
            if conn.execute(text(sql), params).first() is None:
                raise NotFound(f"no {kind} {target[:40]!r}")
        return kind, target

    # ----------------------------------------------------------------- read state
    def mark_read(self, user: User, story_id: int, only_if_unread: bool = False) -> None:
        """Record that this reader has seen the story as it is now."""
        update = "DO NOTHING" if only_if_unread else (
            "DO UPDATE SET seen_article_id = excluded.seen_article_id, opened_at = excluded.opened_at")
        with self.db.write() as conn:
            seen = conn.execute(text("SELECT coalesce(max(article_id), 0) FROM article_story "
                                     "WHERE story_id = :s"), {"s": story_id}).scalar()
            if conn.execute(text("SELECT 1 FROM stories WHERE id = :s"), {"s": story_id}).first() is None:
                raise NotFound(f"no story {story_id}")
            conn.execute(text("INSERT INTO read_state (user_id, story_id, seen_article_id, opened_at) "
                              f"VALUES (:u, :s, :seen, :now) ON CONFLICT (user_id, story_id) {update}"),
                         {"u": user.id, "s": story_id, "seen": seen, "now": self._ts(utcnow())})

    def read_state(self, user: User, story_id: int) -> dict | None:
        with self.db.read() as conn:
            row = conn.execute(text("SELECT seen_article_id, opened_at FROM read_state "
                                    "WHERE user_id = :u AND story_id = :s"),
                               {"u": user.id, "s": story_id}).first()
        return {"seen_article_id": row[0], "opened_at": from_db(row[1])} if row else None

    # ----------------------------------------------------------------- my news
    def my_news(self, user: User, limit: int = 30, per_story: int = 5, days: int = 30) -> list[dict]:
        since = self._ts(utcnow() - timedelta(days=days))
        with self.db.read() as conn:
            floor = floor_of(conn, user.id)      # "mark all as read" in an app
            rows = conn.execute(text(MY_NEWS), {"u": user.id, "since": since, "n": limit,
                                                "floor": floor}).all()
            stories = [{"id": r.id, "title": r.title, "last_seen": from_db(r.last_seen),
                        "article_count": r.article_count, "outlet_count": r.outlet_count,
                        "seen": r.seen, "opened_at": from_db(r.opened_at), "new_count": r.new_count,
                        "new_articles": []} for r in rows]
            fresh = [s for s in stories if s["new_count"]]
            if fresh:
                by_id = {s["id"]: s for s in fresh}
                arts = conn.execute(text(NEW_ARTICLES).bindparams(bindparam("ids", expanding=True)),
                                    {"ids": list(by_id), "floor": min(s["seen"] for s in fresh)}).all()
                for a in arts:
                    story = by_id[a.story_id]
                    if a.id > story["seen"] and len(story["new_articles"]) < per_story:
                        published, fetched = from_db(a.published_at), from_db(a.fetched_at)
                        story["new_articles"].append({
                            "id": a.id, "title": a.title, "url": a.url, "when": published or fetched,
                            "summary": (a.lead or "").split("\n", 1)[0][:240],
                            "outlet": {"id": a.source_id, "name": a.outlet}})
        return stories

    def feed_items(self, user: User, limit: int = 50) -> list[dict]:
        items = [dict(a, story_id=s["id"]) for s in self.my_news(user, per_story=10)
                 for a in s["new_articles"]]
        return sorted(items, key=lambda a: a["id"], reverse=True)[:limit]

    # ----------------------------------------------------------------- feed token
    def user_by_feed_token(self, token: str) -> User | None:
        if not token or len(token) > 64:
            return None
        with self.db.read() as conn:
            row = conn.execute(text(f"SELECT {USER_COLS} FROM users WHERE feed_token = :t "
                                    "AND status = 'active'"), {"t": token}).first()
        return user_from_row(row) if row else None

    def rotate_feed_token(self, user: User) -> str:
        token = new_token(24)
        with self.db.write() as conn:
            conn.execute(text("UPDATE users SET feed_token = :t WHERE id = :u"), {"t": token, "u": user.id})
        return token
