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
The SQL is ``storage/follows.py``.
"""

from __future__ import annotations

from datetime import timedelta

from ..errors import NotFound
from ..storage import accounts as account_store
from ..storage import follows as store
from ..storage.db import Database
from ..storage.itemstate import floor_of
from . import CommunityError
from .accounts import User, user_from_row
from .common import from_db, new_token, utcnow

KINDS = ("story", "tag", "outlet")

class Follows:
    def __init__(self, db: Database):
        self.db = db

    # ----------------------------------------------------------------- following
    def follow(self, user: User, kind: str, target: str) -> None:
        kind, target = self._target(kind, target)
        with self.db.write() as conn:
            store.add(conn, user.id, kind, target, utcnow())
        if kind == "story":   # following what you are reading: what is there now counts as seen
            self.mark_read(user, int(target), only_if_unread=True)

    def unfollow(self, user: User, kind: str, target: str) -> None:
        with self.db.write() as conn:
            store.remove(conn, user.id, kind, (target or "")[:120])

    def following(self, user: User) -> list[dict]:
        with self.db.read() as conn:
            return store.following(conn, user.id)

    def is_following(self, user: User, kind: str, target: str) -> bool:
        with self.db.read() as conn:
            return store.is_following(conn, user.id, kind, str(target))

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
        else:
            target = target.lower()
        with self.db.read() as conn:
            if not store.target_exists(conn, kind, target):
                raise NotFound(f"no {kind} {target[:40]!r}")
        return kind, target

    # ----------------------------------------------------------------- read state
    def mark_read(self, user: User, story_id: int, only_if_unread: bool = False) -> None:
        """Record that this reader has seen the story as it is now."""
        with self.db.write() as conn:
            seen = store.newest_member(conn, story_id)
            if not store.story_exists(conn, story_id):
                raise NotFound(f"no story {story_id}")
            store.set_seen(conn, user.id, story_id, seen, utcnow(), only_if_unread=only_if_unread)

    def read_state(self, user: User, story_id: int) -> dict | None:
        with self.db.read() as conn:
            return store.read_state(conn, user.id, story_id)

    # ----------------------------------------------------------------- my news
    def my_news(self, user: User, limit: int = 30, per_story: int = 5, days: int = 30) -> list[dict]:
        since = utcnow() - timedelta(days=days)
        with self.db.read() as conn:
            floor = floor_of(conn, user.id)      # "mark all as read" in an app
            stories = store.my_news(conn, user.id, since, floor, limit)
            fresh = [s for s in stories if s["new_count"]]
            if fresh:
                by_id = {s["id"]: s for s in fresh}
                arts = store.new_articles(conn, list(by_id), min(s["seen"] for s in fresh))
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
            row = account_store.active_user_by_feed_token(conn, token)
        return user_from_row(row) if row else None

    def rotate_feed_token(self, user: User) -> str:
        token = new_token(24)
        with self.db.write() as conn:
            account_store.set_feed_token(conn, user.id, token)
        return token
