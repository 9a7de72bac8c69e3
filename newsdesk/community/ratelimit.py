"""Rate limits as sliding windows kept in the database (table ``rate_events``).

A *bucket* names who does what (``login-fail:user:alice``, ``post:ip:127.0.0.1``); a limit
is "at most ``limit`` events in the last ``window`` seconds". ``hit`` counts the events in
the window and refuses with ``RateLimited`` (saying when to retry: when the oldest event
in the window leaves it) or records one more. Kept in the database rather than in
process memory so every web worker -- and every machine on PostgreSQL -- shares the same
counts, and a restart does not reset them. Old events are pruned now and then. The SQL is
``storage/ratelimit.py``; ``conn`` is always the caller's write transaction.

``hit`` is atomic: call it inside a write transaction, before the action it guards. On
SQLite writes are serialised (BEGIN IMMEDIATE), on PostgreSQL ``hit`` first takes a
transaction-level advisory lock on the bucket, so of N concurrent requests exactly the
free slots pass, never one more. An action that turns out not to count (a successful
login) gives its slot back with ``release``.
"""

from __future__ import annotations

import time
from datetime import timedelta

from ..storage import ratelimit as store
from . import RateLimited
from .common import utcnow

KEEP = 2 * 86400          # events older than this are pruned (longest window we use: 1 day)
PRUNE_EVERY = 300.0       # seconds between prunes in one process


class RateLimiter:
    def __init__(self):
        self._last_prune = 0.0

    def count(self, conn, bucket: str, window: float) -> tuple[int, object]:
        return store.window(conn, bucket, utcnow() - timedelta(seconds=window))

    def check(self, conn, bucket: str, limit: int, window: float, what: str) -> None:
        count, oldest = self.count(conn, bucket, window)
        if count >= limit:
            wait = window - (utcnow() - oldest).total_seconds() if oldest else window
            raise RateLimited(f"{what}: try again in {_human(wait)}", int(wait) + 1)

    def record(self, conn, bucket: str) -> None:
        store.record(conn, bucket, utcnow())
        if time.monotonic() - self._last_prune > PRUNE_EVERY:
            self._last_prune = time.monotonic()
            store.prune(conn, utcnow() - timedelta(seconds=KEEP))

    def hit(self, conn, bucket: str, limit: int, window: float, what: str) -> None:
        """Take one slot of the window, or raise ``RateLimited`` (atomic; see the module)."""
        store.lock_bucket(conn, bucket)   # PostgreSQL: concurrent hits on one bucket queue up here
        self.check(conn, bucket, limit, window, what)
        self.record(conn, bucket)

    def release(self, conn, bucket: str) -> None:
        """Give back the newest slot taken in this bucket."""
        store.release(conn, bucket)

    def clear(self, conn, bucket: str) -> None:
        store.clear(conn, bucket)


def _human(seconds: float) -> str:
    seconds = max(1, int(seconds) + 1)
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 7200:
        return f"{seconds // 60} minutes"
    return f"{seconds // 3600} hours"
