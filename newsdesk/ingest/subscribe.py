"""Adding sources: by feed URL, by site or article URL (feed discovery), by sitemap, or
from an OPML list. Fetches go through the same guarded fetcher as everything else."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..errors import FeedError, FetchError, FetchTimeout, HTTPStatusError
from ..models import Source
from ..storage import sources as source_store
from ..storage.db import Database
from .feeds import looks_like_feed, parse_feed
from .fetch import Fetcher
from .normalize import MAX_NAME, clean_url, plain_text
from .opml import parse_opml
from .refresh import RefreshResult, advertised_feed, record_error, store_outcome


@dataclass
class Subscription:
    source: Source
    discovered_from: str | None = None   # the page URL the feed was found on
    first_error: str | None = None       # the server was down: added anyway, retried later

    @property
    def retry_at(self) -> datetime | None:
        return self.source.next_check_at if self.first_error else None


def is_temporary(exc: FetchError) -> bool:
    """A server that is down for now (429, 5xx, no answer in time) rather than a wrong
    address: such a source is kept and retried."""
    if isinstance(exc, HTTPStatusError):
        return exc.status == 429 or exc.status >= 500
    return isinstance(exc, FetchTimeout)


def subscribe(db: Database, fetcher: Fetcher, url: str, **options: Any) -> Subscription:
    """Add ``url`` as a source. A page URL is resolved to its first advertised feed. When
    the server is down for now (``is_temporary``), the URL is added as a feed with that
    first failure recorded (error count, Retry-After, next check) instead of refused."""
    started, clock = source_store.now(), time.monotonic()
    try:
        fetched = fetcher.get(url)
    except FetchError as exc:
        if not is_temporary(exc):
            raise
        return _add_failing(db, fetcher, url, options, exc, started, clock)
    if looks_like_feed(fetched.body, fetched.content_type):
        feed = parse_feed(fetched.body, fetched.url, fetched.content_type)
        kind = "sitemap" if feed.kind == "sitemap" else "feed"
        defaults = {"title": feed.title, "site_url": feed.site_url, "language": feed.language,
                    "kind": kind}
        return Subscription(_add(db, fetched.url, defaults, options))
    found = advertised_feed(fetched)
    if found is None:
        raise FeedError(f"no feed found at {url}: the page advertises no RSS, Atom or JSON feed")
    try:
        feed_fetch = fetcher.get(found.url)
    except FetchError as exc:   # the site answers, its feed is down for now: keep the feed
        if not is_temporary(exc):
            raise
        options = {"title": found.title, "site_url": fetched.url, **_clean(options)}
        sub = _add_failing(db, fetcher, found.url, options, exc, started, clock)
        sub.discovered_from = fetched.url
        return sub
    feed = parse_feed(feed_fetch.body, feed_fetch.url, feed_fetch.content_type)
    defaults = {"title": feed.title or found.title, "site_url": feed.site_url or fetched.url,
                "language": feed.language, "kind": "feed"}
    return Subscription(_add(db, feed_fetch.url, defaults, options), discovered_from=fetched.url)


def import_opml(db: Database, data: bytes, **options: Any) -> tuple[list[Source], list[str]]:
    """Add every outline of an OPML file; returns (added, skipped-with-reason). An outline
    whose URL is not an absolute http(s) URL of sane length (``javascript:``, ``file:``,
    relative, 3 MB long) is skipped; titles and categories are plain text, capped, as a
    feed's are (they were stored as given: a 3 MB title, a bidi override)."""
    rows, skipped = [], []
    for outline in parse_opml(data):
        url = clean_url(outline.url)
        if url is None or not _host(url):
            skipped.append(f"{plain_text(outline.url, 200)}: not an absolute http(s) URL")
            continue
        values = {"title": plain_text(outline.title) or None,
                  "site_url": clean_url(outline.site_url),
                  "category": plain_text(outline.category, MAX_NAME) or None, **options}
        rows.append((url, _clean(values)))
    added, refused = source_store.add_sources(db, rows)
    return added, skipped + [f"{url}: {why}" for url, why in refused]


def _host(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:           # "http://[::1": an unclosed IPv6 bracket
        return None


def _add_failing(db: Database, fetcher: Fetcher, url: str, options: dict, exc: FetchError,
                 started: datetime, clock: float) -> Subscription:
    source = _add(db, url, {"kind": "feed"}, options)
    result = RefreshResult(source_id=source.id, status="error",
                           duration_ms=int((time.monotonic() - clock) * 1000))
    outcome: dict = {"last_checked_at": started}
    record_error(result, outcome, fetcher.settings, source, exc)
    store_outcome(db, source, "add", started, result, outcome)
    return Subscription(source_store.get_source(db, source.id), first_error=result.error)


def _add(db: Database, url: str, defaults: dict, options: dict) -> Source:
    values = {**_clean(defaults), **_clean(options)}
    return source_store.add_source(db, url, **values)


def _clean(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}
