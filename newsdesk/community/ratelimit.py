"""Rate limits as sliding windows kept in the database (table ``rate_events``).

A *bucket* names who does what (``login-fail:user:alice``, ``post:ip:127.0.0.1``); a limit
is "at most ``limit`` events in the last ``window`` seconds". ``hit`` counts the events in
the window and refuses with ``RateLimited`` (saying when to retry: when the oldest event
in the window leaves it) or records one more. Kept in the database rather than in
process memory so every web worker -- and every machine on PostgreSQL -- shares the same
counts, and a restart does not reset them. Old events are pruned now and then.

``hit`` is atomic: call it inside a write transaction, before the action it guards. On
SQLite writes are serialised (BEGIN IMMEDIATE), on PostgreSQL ``hit`` first takes a
transaction-level advisory lock on the bucket, so of N concurrent requests exactly the
free slots pass, never one more. An action that turns out not to count (a successful
login) gives its slot back with ``release``.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection

from . import RateLimited
from .common import from_db, to_db, utcnow

KEEP = 2 * 86400          # events older than this are pruned (longest window we use: 1 day)
PRUNE_EVERY = 300.0       # seconds between prunes in one process


class RateLimiter:
    def __init__(self, dialect: str):
        self.dialect = dialect
        self._last_prune = 0.0

    def count(self, conn: Connection, bucket: str, window: float) -> tuple[int, object]:
        now = utcnow()
        row = conn.execute(text("SELECT count(*), min(at) FROM rate_events "
                                "WHERE bucket = :b AND at > :since"),
                           {"b": bucket, "since": to_db(self.dialect, now - timedelta(seconds=window))}).one()
        return int(row[0]), from_db(row[1])

    def check(self, conn: Connection, bucket: str, limit: int, window: float, what: str) -> None:
        count, oldest = self.count(conn, bucket, window)
        if count >= limit:
            wait = window - (utcnow() - oldest).total_seconds() if oldest else window
            raise RateLimited(f"{what}: try again in {_human(wait)}", int(wait) + 1)

    def record(self, conn: Connection, bucket: str) -> None:
        conn.execute(text("INSERT INTO rate_events (bucket, at) VALUES (:b, :at)"),
                     {"b": bucket, "at": to_db(self.dialect, utcnow())})
        if time.monotonic() - self._last_prune > PRUNE_EVERY:
            self._last_prune = time.monotonic()
            conn.execute(text("DELETE FROM rate_events WHERE at < :old"),
                         {"old": to_db(self.dialect, utcnow() - timedelta(seconds=KEEP))})

    def hit(self, conn: Connection, bucket: str, limit: int, window: float, what: str) -> None:
        """Take one slot of the window, or raise ``RateLimited`` (atomic; see the module)."""
        if self.dialect == "postgresql":  # concurrent hits on one bucket queue up here
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:b, 0))"), {"b": bucket})
        self.check(conn, bucket, limit, window, what)
        self.record(conn, bucket)

    def release(self, conn: Connection, bucket: str) -> None:
        """Give back the newest slot taken in this bucket."""
        conn.execute(text("DELETE FROM rate_events WHERE id = (SELECT max(id) FROM rate_events "
                          "WHERE bucket = :b)"), {"b": bucket})

    def clear(self, conn: Connection, bucket: str) -> None:
        conn.execute(text("DELETE FROM rate_events WHERE bucket = :b"), {"b": bucket})


def _human(seconds: float) -> str:
    seconds = max(1, int(seconds) + 1)
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{seconds // 60} minutes"
    return f"{seconds // 3600} hours"
