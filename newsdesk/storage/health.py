"""Figures about the pipeline's state, read at scrape time for ``/metrics``: every query is
bounded (an index walk or a capped count), so a scrape every few seconds costs little."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text

from .articles import as_utc
from .db import Database
from .sources import now

COUNT_CAP = 100_000     # pending articles are counted up to this many


def pipeline_state(db: Database) -> dict[str, Any]:
    """The stories stage's backlog (articles not yet placed: how many, up to ``COUNT_CAP``,
    and when the longest waiting one was fetched), revision checks due, and sources by
    fetch health."""
    with db.read() as conn:
        floor = conn.execute(text("SELECT value FROM kv WHERE key = 'stories:floor'")).scalar()
        floor = int(bytes(floor)) if floor is not None else 0
        pending = """FROM articles a LEFT JOIN article_story s ON s.article_id = a.id
                     WHERE a.id > :f AND s.article_id IS NULL"""
        first = conn.execute(text(f"SELECT min(a.id) {pending}"), {"f": floor}).scalar()
        oldest: datetime | None = None
        count = 0
        if first is not None:
            # ids grow with insertion, so the first pending id is the longest waiting
            oldest = as_utc(conn.execute(text("SELECT fetched_at FROM articles WHERE id = :i"),
                                         {"i": first}).scalar())
            count = conn.execute(text(f"SELECT count(*) FROM (SELECT 1 {pending} LIMIT :cap) p"),
                                 {"f": first - 1, "cap": COUNT_CAP}).scalar() or 0
        due = conn.execute(text("SELECT count(*) FROM article_checks WHERE next_check_at <= :n"),
                           {"n": now()}).scalar() or 0
        sources = conn.execute(text("""
            SELECT sum(CASE WHEN enabled THEN 1 ELSE 0 END),
                   sum(CASE WHEN enabled AND error_count > 0 THEN 1 ELSE 0 END) FROM sources""")).one()
    return {"pending": int(count), "oldest_pending_fetched_at": oldest, "checks_due": int(due),
            "sources_enabled": int(sources[0] or 0), "sources_failing": int(sources[1] or 0)}
