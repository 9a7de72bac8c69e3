"""Refresh one source, top to bottom. The scheduler, the CLI and the admin page all call
``refresh_source``; nothing else fetches feeds.

    fetch the feed (conditional GET)          -> not modified? record and stop
    parse entries (RSS/Atom/JSON Feed/sitemap)
    drop entries already stored, tombstoned or filtered (identity: guid > canonical URL > title+content)
    for each new entry: fetch the page (robots.txt, size caps), extract, clean, sanitize;
                        fall back to the feed's own content and record why
    apply the source's keep/block filters (filters.py); what they drop is recorded, not stored
    store the new articles and the source's outcome in one transaction
    re-check stored items whose feed entry changed (revisions.py)
    hand the new and revised article ids to the next stages (stories, AI)

A body pushed by a WebSub hub goes through the same steps from "parse" on (``store_feed``).

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
from typing import Any, Callable

from .. import metrics
from ..errors import HTTPStatusError, NewsdeskError
from ..models import Source
from ..settings import Settings
from ..storage import articles as article_store
from ..storage import sources as source_store
from ..storage.db import Database
from ..storage.sources import now
from . import filters, revisions, websub
from .build import build_article
from .discover import DiscoveredFeed, discover_feeds
from .encoding import decode_html
from .extractors import Extractor
from .feeds import FeedEntry, looks_like_feed, parse_feed
from .fetch import Fetcher, FetchResult
from .identity import entry_hash
from .normalize import Notes, header_value

log = logging.getLogger(__name__)

NewArticlesHook = Callable[[list[int]], None]
# per-article work of the next stages done by the storing worker (stories/features.py):
# given the rows about to be stored, returns what writes its results in the insert's
# transaction, so an article is never visible without them
EnrichHook = Callable[[int, list[dict]], Callable[[Any, list[int]], None]]


@dataclass
class Ingest:
    """What a refresh needs: settings, the database, one shared fetcher, where extraction
    runs, a pool of page workers, the stages that receive new (and revised) article ids,
    and what they want done when the worker is idle."""

    settings: Settings
    db: Database
    fetcher: Fetcher
    extract: Extractor
    pages: ThreadPoolExecutor
    on_new_articles: list[NewArticlesHook] = field(default_factory=list)
    on_revised_articles: list[NewArticlesHook] = field(default_factory=list)
    # what an idle worker does before it sleeps: stages finding work left pending (articles
    # without a story after a crash); each returns how much it did
    on_idle: list[Callable[[], int]] = field(default_factory=list)
    enrich: EnrichHook | None = None

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
    revised_ids: list[int] = field(default_factory=list)  # stored articles with a new version
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # entries skipped, values repaired
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
            feed = store_feed(ingest, source, fetched.body, fetched.url, fetched.content_type,
                              result, started)
            outcome.update(etag=header_value(fetched.etag),
                           last_modified=header_value(fetched.last_modified),
                           fetch_notes=feed.notes.text())
            websub.discovered(ingest, source, feed, fetched.links)
        outcome.update(last_success_at=now(), error_count=0, last_error=None, retry_after=None,
                       next_check_at=_next_check(settings, source, fetched.fresh_until,
                                                 websub.pushed_to_us(ingest, source)))
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
    metrics.count("fetches", outcome=result.status)
    metrics.observe("fetch_duration", result.duration_ms / 1000)
    hand_on(ingest, source, result)
    return result


def store_feed(ingest: Ingest, source: Source, body: bytes, url: str, content_type: str | None,
               result: RefreshResult, fetched_at: datetime | None = None):
    """Parse a feed body, store its new entries (and start watching them for revisions in
    the same transaction), re-check stored entries that changed; fills ``result``, returns
    the parsed feed, whose ``notes`` say what was skipped or repaired."""
    feed = parse_feed(body, url, content_type, fetched_at or now())
    entries = (feed.entries + _child_sitemap_entries(ingest, feed.child_sitemaps))
    entries = entries[: ingest.settings.max_entries_per_fetch]
    result.entries = len(entries)
    rows = filters.screen(ingest.db, ingest.settings, source,
                          _new_rows(ingest, source, entries, feed.notes))
    result.fallbacks = sum(1 for r in rows if r["extraction"] == "feed")

    enriched = ingest.enrich(source.id, rows) if ingest.enrich and rows else None

    def watch(conn, ids: list[int]) -> None:
        revisions.watch_new(conn, ingest.settings, source, ids, entries)
        if enriched is not None:
            enriched(conn, ids)

    result.new_ids, refused = article_store.store_articles(ingest.db, rows, after=watch)
    for row, reason in refused:
        feed.notes.add(f"entry not stored: the database refused it ({reason})", row.get("title"))
    result.notes = feed.notes.lines()
    metrics.count("articles_stored", len(result.new_ids))
    result.revised_ids = revisions.recheck_changed(ingest, source, entries)
    return feed


def hand_on(ingest: Ingest, source: Source, result: RefreshResult) -> None:
    """Give the new article ids, then the revised ones, to the next stages."""
    if result.new_ids:
        for hook in ingest.on_new_articles:
            try:
                hook(result.new_ids)
            except Exception:  # the articles are stored; a later rebuild catches up
                log.exception("post-ingest stage failed", extra={"source_id": source.id})
                metrics.count("errors", kind="stage")
    revisions.notify_revised(ingest, result.revised_ids)


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


def _new_rows(ingest: Ingest, source: Source, entries: list[FeedEntry],
              notes: Notes) -> list[dict]:
    """Rows for the entries not yet stored or tombstoned, pages fetched in parallel. An
    entry whose row cannot be built is skipped with a note; the others are kept."""
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
    rows = []
    for job, (_key, entry) in zip(jobs, fresh):
        try:
            row = job.result()
        except Exception as exc:  # a bug on one hostile entry must not cost the others
            log.exception("entry skipped", extra={"source_id": source.id, "url": entry.url})
            notes.add(f"entry skipped: {type(exc).__name__} while building it", entry.title)
            continue
        if row is not None:
            rows.append(row)
    return rows


def _next_check(settings: Settings, source: Source, fresh_until: datetime | None,
                pushed: bool = False) -> datetime:
    interval = max(source.poll_interval or settings.poll_interval, settings.min_poll_interval)
    if pushed:  # a WebSub hub pushes new entries: polling is only a safety net
        interval = max(interval, settings.websub_poll_interval)
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
    metrics.count("errors", kind=type(exc).__name__)
    outcome.update(error_count=errors, last_error=result.error, next_check_at=due,
                   retry_after=retry_after)


def store_outcome(db: Database, source: Source, worker: str, started: datetime,
                  result: RefreshResult, outcome: dict) -> None:
    """Write a check's outcome on the source row (dropping the claim) and in fetch_log,
    in one transaction."""
    source_store.record_check(db, source.id, worker, dict(
        started_at=started, duration_ms=result.duration_ms, status=result.status,
        http_status=result.http_status, new_articles=len(result.new_ids), error=result.error),
        **outcome)
