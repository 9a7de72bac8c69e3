"""Refresh one source, top to bottom. The scheduler, the CLI and the admin page all call
``refresh_source``; nothing else fetches feeds.

    fetch the feed (conditional GET)          -> not modified? record and stop
    parse entries (RSS/Atom/JSON Feed/sitemap)
    drop entries already stored, tombstoned or filtered (identity: guid > canonical URL > title+content)
    for each new entry: fetch the page (robots.txt, size caps), extract, clean, sanitize;
                        fall back to the feed's own content and record why
    apply the source's keep/block filters (filters.py); what they drop is recorded, not stored
    store the new articles and the source's outcome in one transaction
    hand the new article ids to the next stages (stories, AI)

Every failure ends as a recorded error on the source row (``last_error``,
``error_count``) with exponential backoff and jitter; the other sources keep going and
nothing already stored changes.
"""

from __future__ import annotations

import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from ..errors import HTTPStatusError, NewsdeskError
from ..models import Source
from ..settings import Settings
from ..storage import articles as article_store
from ..storage import sources as source_store
from ..storage.db import Database
from ..storage.sources import now
from . import filters
from .build import build_article
from .discover import DiscoveredFeed, discover_feeds
from .encoding import decode_html
from .extractors import Extractor
from .feeds import FeedEntry, looks_like_feed, parse_feed
from .fetch import Fetcher, FetchResult
from .identity import entry_hash

log = logging.getLogger(__name__)

NewArticlesHook = Callable[[list[int]], None]


@dataclass
class Ingest:
    """What a refresh needs: settings, the database, one shared fetcher, where extraction
    runs, a pool of page workers, and the stages that receive new article ids."""

    settings: Settings
    db: Database
    fetcher: Fetcher
    extract: Extractor
    pages: ThreadPoolExecutor
    on_new_articles: list[NewArticlesHook] = field(default_factory=list)

    @classmethod
    def open(cls, settings: Settings, db: Database | None = None) -> "Ingest":
        return cls(settings=settings, db=db or Database.open(settings), fetcher=Fetcher(settings),
                   extract=Extractor(settings.extract_processes),
                   pages=ThreadPoolExecutor(max_workers=settings.fetch_workers,
                                            thread_name_prefix="page"))

    def close(self) -> None:
        self.pages.shutdown(wait=True)
        self.extract.close()
        self.fetcher.close()

    def __enter__(self) -> "Ingest":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class RefreshResult:
    source_id: int
    status: str                    # ok | not_modified | error
    new_ids: list[int] = field(default_factory=list)
    entries: int = 0
    fallbacks: int = 0             # articles stored from feed content instead of the page
    error: str | None = None
    http_status: int | None = None
    duration_ms: int = 0


def refresh_source(ingest: Ingest, source: Source, worker: str = "cli") -> RefreshResult:
    """Fetch, parse, extract and store one source; record the outcome on its row."""
    settings, db = ingest.settings, ingest.db
    started, clock = now(), time.monotonic()
    result = RefreshResult(source_id=source.id, status="ok")
    outcome: dict = {"last_checked_at": started}
    try:
        fetched = ingest.fetcher.get(source.url, etag=source.etag,
                                     last_modified=source.last_modified)
        result.http_status = fetched.status
        if fetched.not_modified:
            result.status = "not_modified"
        else:
            if source.last_success_at is None and not looks_like_feed(fetched.body,
                                                                      fetched.content_type):
                fetched = _feed_of_site(ingest, source, fetched)
            feed = parse_feed(fetched.body, fetched.url, fetched.content_type)
            entries = (feed.entries + _child_sitemap_entries(ingest, feed.child_sitemaps))
            entries = entries[: settings.max_entries_per_fetch]
            result.entries = len(entries)
            rows = filters.screen(db, settings, source, _new_rows(ingest, source, entries))
            result.fallbacks = sum(1 for r in rows if r["extraction"] == "feed")
            outcome.update(etag=fetched.etag, last_modified=fetched.last_modified)
            with db.write() as conn:
                result.new_ids = article_store.insert_articles(conn, rows, db.dialect)
        outcome.update(last_success_at=now(), error_count=0, last_error=None, retry_after=None,
                       next_check_at=_next_check(settings, source, fetched.fresh_until))
    except NewsdeskError as exc:  # FetchError, FeedError, StorageError...: stored on the row
        record_error(result, outcome, settings, source, exc)
    except Exception as exc:  # a bug must not stop the other sources; keep the traceback
        log.exception("refresh failed", extra={"source_id": source.id, "feed_url": source.url})
        record_error(result, outcome, settings, source,
                     NewsdeskError(f"internal error: {type(exc).__name__}: {exc}"))
    result.duration_ms = int((time.monotonic() - clock) * 1000)
    store_outcome(db, source, worker, started, result, outcome)
    log.info("refreshed", extra={"source_id": source.id, "feed_url": source.url,
                                 "status": result.status, "new": len(result.new_ids)})
    if result.new_ids:
        for hook in ingest.on_new_articles:
            try:
                hook(result.new_ids)
            except Exception:  # the articles are stored; a later rebuild catches up
                log.exception("post-ingest stage failed", extra={"source_id": source.id})
    return result


def advertised_feed(page: FetchResult) -> DiscoveredFeed | None:
    """The first feed an HTML page advertises; None when it advertises none."""
    found = discover_feeds(decode_html(page.body, page.charset), page.url)
    return found[0] if found else None


def _feed_of_site(ingest: Ingest, source: Source, page: FetchResult) -> FetchResult:
    """A source added while its server was down may be a site's address, not its feed: at
    its first answer the feed the page advertises becomes the source's URL (as ``add``
    would have done). A page without one goes on to ``parse_feed``, which says what it is."""
    advertised = advertised_feed(page)
    if advertised is None:
        return page
    feed = ingest.fetcher.get(advertised.url)
    source_store.move_source(ingest.db, source.id, feed.url, site_url=page.url)
    log.info("site resolved to its feed", extra={"source_id": source.id, "feed_url": feed.url})
    return feed


MAX_CHILD_SITEMAPS = 5


def _child_sitemap_entries(ingest: Ingest, urls: list[str]) -> list[FeedEntry]:
    """Entries of a sitemap index's children (the last ones listed: usually the newest).
    A failing child is skipped; the index itself was fine."""
    entries: list[FeedEntry] = []
    for url in urls[-MAX_CHILD_SITEMAPS:][::-1]:
        try:
            child = ingest.fetcher.get(url)
            entries.extend(parse_feed(child.body, child.url, child.content_type).entries)
        except NewsdeskError as exc:
            log.info("child sitemap skipped", extra={"url": url, "error": str(exc)})
    return entries


def _new_rows(ingest: Ingest, source: Source, entries: list[FeedEntry]) -> list[dict]:
    """Rows for the entries not yet stored or tombstoned, pages fetched in parallel."""
    hashed: dict[str, FeedEntry] = {}
    for entry in entries:
        key = entry_hash(entry.guid, entry.url, entry.title, entry.content_html or entry.summary)
        hashed.setdefault(key, entry)
    known = article_store.known_hashes(ingest.db, source.id, hashed)
    fresh = [(key, entry) for key, entry in hashed.items() if key not in known]
    if not fresh:
        return []
    jobs = [ingest.pages.submit(build_article, ingest.fetcher, ingest.extract, source, entry, key)
            for key, entry in fresh]
    rows = [job.result() for job in jobs]
    return [row for row in rows if row is not None]


def _next_check(settings: Settings, source: Source, fresh_until: datetime | None) -> datetime:
    interval = max(source.poll_interval or settings.poll_interval, settings.min_poll_interval)
    due = now() + timedelta(seconds=interval)
    if fresh_until is not None and fresh_until > due:  # the server says: not before then
        due = min(fresh_until, now() + timedelta(seconds=settings.max_backoff))
    return due


def backoff_delay(settings: Settings, source: Source, errors: int) -> float:
    """Seconds to wait after ``errors`` consecutive failures: exponential with full
    jitter around the base interval, capped by ``max_backoff``."""
    base = max(source.poll_interval or settings.poll_interval, settings.min_poll_interval)
    ceiling = min(settings.max_backoff, base * (2 ** min(errors, 16)))
    return random.uniform(max(base, ceiling / 2), ceiling)


def record_error(result: RefreshResult, outcome: dict, settings: Settings, source: Source,
                 exc: NewsdeskError) -> None:
    """A failed check: the error on the result, and on the row's outcome the error count,
    the message and the next check (backoff with jitter, never before the server's
    Retry-After, which even a manual refresh then waits for)."""
    errors = source.error_count + 1
    delay = backoff_delay(settings, source, errors)
    due = now() + timedelta(seconds=delay)
    retry_after = None
    if isinstance(exc, HTTPStatusError):
        result.http_status = exc.status
        if exc.retry_after is not None and exc.retry_after > now():
            retry_after = min(exc.retry_after, now() + timedelta(seconds=settings.max_backoff))
            due = max(due, retry_after)
    result.status, result.error = "error", str(exc) or type(exc).__name__
    outcome.update(error_count=errors, last_error=result.error, next_check_at=due,
                   retry_after=retry_after)


def store_outcome(db: Database, source: Source, worker: str, started: datetime,
                  result: RefreshResult, outcome: dict) -> None:
    """Write a check's outcome on the source row (dropping the claim) and in fetch_log."""
    source_store.release(db, source.id, worker, **outcome)
    source_store.log_fetch(db, source.id, started, result.duration_ms, result.status,
                           result.http_status, len(result.new_ids), result.error)
