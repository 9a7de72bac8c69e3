"""A microcache for anonymous readers: the same page rendered once, served from memory to
everyone without a session for a few seconds.

News is read far more than it changes, and anonymous readers all see the same page (no
session, no CSRF token, no "since your last visit"). So a GET from a visitor without the
session cookie is answered from memory when the same URL (scheme, host, path, query,
``Accept``) was rendered less than ``page_cache_seconds`` ago **and** the database has not
changed since: on SQLite, ``Database.data_version()`` moves with every commit from any
process, so a new comment or article is never hidden behind the cache. On PostgreSQL the
time limit alone bounds staleness, and any POST handled by this process empties the
cache.

Only complete 200 responses are kept, and only when they set no cookie and do not say
``private`` or ``no-store``; ``/admin`` and ``/static`` (served from disk with their own
validators) pass straight through. Entries are evicted oldest-first beyond
``page_cache_mb``. Hits carry ``Age`` and ``X-Cache: hit``.

Misses are coalesced (per process): when several readers ask for the same page at the same
data version and it is not in memory (never rendered, expired, or ended by a commit), the
first renders it and the others wait for that render and are answered from memory
(``X-Cache: shared``), so an expired front page or search runs once, not once per waiting
reader. A waiter gives up after ``wait`` seconds (a render that is stuck never hangs the
others) and renders the page itself, as it does when the first render was not cacheable
(an error, a page that says ``no-store``).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Callable

from .security import COOKIE

BYPASS_PREFIXES = ("/admin", "/static")
MAX_ENTRY = 1 << 20


class PageCache:
    """Pure ASGI middleware; ``version()`` returns the data version (or None)."""

    def __init__(self, app, *, seconds: float, max_bytes: int,
                 version: Callable[[], int | None] = lambda: None, wait: float = 10.0):
        self.app = app
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.version = version
        self.wait = wait
        self.entries: OrderedDict[tuple, tuple] = OrderedDict()  # key -> (time, version, start, body)
        self.size = 0
        self.renders: dict[tuple, asyncio.Event] = {}   # (key, version) -> set when rendered

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.seconds <= 0:
            return await self.app(scope, receive, send)
        if scope["method"] not in ("GET", "HEAD"):
            try:
                return await self.app(scope, receive, send)
            finally:
                self.clear()  # something may have changed through this process
        key = self._key(scope)
        if key is None:
            return await self.app(scope, receive, send)
        now, version = time.monotonic(), self.version()
        entry = self._fresh(key, now, version)
        if entry is not None:
            return await self._replay(entry, now, send)
        flight = (key, version)
        rendering = self.renders.get(flight)
        if rendering is not None:   # another reader is rendering this page: wait for it
            try:
                await asyncio.wait_for(rendering.wait(), self.wait)
            except asyncio.TimeoutError:
                pass
            now = time.monotonic()
            entry = self._fresh(key, now, version)
            if entry is not None:
                return await self._replay(entry, now, send, b"shared")
            return await self._render_and_keep(scope, receive, send, key, now, version)
        done = self.renders[flight] = asyncio.Event()
        try:
            await self._render_and_keep(scope, receive, send, key, now, version)
        finally:
            if self.renders.get(flight) is done:
                del self.renders[flight]
            done.set()

    def _fresh(self, key: tuple, now: float, version) -> tuple | None:
        entry = self.entries.get(key)
        if entry is not None and now - entry[0] < self.seconds and entry[1] == version:
            self.entries.move_to_end(key)
            return entry
        return None

    def _key(self, scope) -> tuple | None:
        if scope["method"] != "GET" or scope["path"].startswith(BYPASS_PREFIXES):
            return None
        accept = host = b""
        for name, value in scope["headers"]:
            if name == b"cookie" and COOKIE.encode() in value:
                return None
            if name == b"authorization":
                return None
            if name == b"accept":
                accept = value[:200]
            elif name == b"host":
                host = value[:200]
        return (scope.get("scheme"), host, scope["path"], scope.get("query_string", b""), accept)

    async def _replay(self, entry, now: float, send, how: bytes = b"hit") -> None:
        stored_at, _, start, body = entry
        headers = list(start["headers"]) + [(b"age", str(int(now - stored_at)).encode()),
                                            (b"x-cache", how)]
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _render_and_keep(self, scope, receive, send, key, now, version) -> None:
        start: dict | None = None
        body = bytearray()
        keep = True

        async def capture(message):
            nonlocal start, keep
            if message["type"] == "http.response.start":
                start = message
                keep = _cacheable(message)
            elif message["type"] == "http.response.body" and keep:
                body.extend(message.get("body", b""))
                if len(body) > MAX_ENTRY:
                    keep = False
                    body.clear()
                elif not message.get("more_body", False):
                    self._keep(key, (now, version, start, bytes(body)))
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, key: tuple, entry: tuple) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old[3])
        self.entries[key] = entry
        self.size += len(entry[3])
        while self.size > self.max_bytes and self.entries:
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped[3])

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0


def _cacheable(start: dict) -> bool:
    if start["status"] != 200:
        return False
    for name, value in start.get("headers", ()):
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and (b"private" in value or b"no-store" in value):
            return False
    return True
