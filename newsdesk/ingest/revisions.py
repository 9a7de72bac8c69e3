"""Article revisions: outlets change developing stories after publishing them; we notice,
keep every version and never lose one.

When an article is re-checked:

    a changed feed item      the next fetch of the feed sees its ``updated``, title, summary
                             or content differ from what we stored (a fingerprint), and
                             re-checks the article at once, whatever its age
    a young article          on a schedule: ``revision_first_check`` after publication, then
                             twice as long each time, until ``revision_window`` has passed

One check, top to bottom (``check``):

    conditional GET of the page (ETag / Last-Modified; robots.txt, size caps, SSRF guard
    and per-host slots of the shared fetcher)   -> 304: unchanged
    404 / 410                                   -> recorded as gone; nothing is erased
    extract, clean, sanitize (``build_article``, the same path as a new article)
    compare with the stored text, ignoring what is not a change of the report (``normalize``:
    typography, "5 minutes ago", lines that are only a time stamp such as "Updated 14:02 GMT")
    changed text or headline                    -> a new version (storage.versions)

Articles that came from the feed's own content (full text off, or the page failed) are
compared with the feed item only. A check that lands on another page (a redirect) with
little of the text left is recorded as ``moved``, not taken as a revision. Revised article
ids go to ``Ingest.on_revised_articles`` (the stories stage, then AI: the AI cache keys
hold each article's content hash, so new text means new results).
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable

from .. import metrics
from ..errors import FetchError, HTTPStatusError, RobotsDisallowed
from ..models import Source
from ..settings import Settings
from ..storage import sources as source_store
from ..storage import versions as store
from ..storage.sources import now
from ..words import runs
from .build import PAGE_TYPES, build_article
from .feeds import FeedEntry
from .identity import canonical_url, entry_hash

if TYPE_CHECKING:
    from .refresh import Ingest

log = logging.getLogger(__name__)

PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
GONE = {404, 410}
MOVED_OVERLAP = 0.3     # a redirect to a page sharing less of the words is another page


# ----------------------------------------------------------------- what counts as a change
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "«": '"',
                         "»": '"', "–": "-", "—": "-", "‐": "-", "−": "-", "…": "..."})
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_STAMP_TOKENS = re.compile(
    r"\b\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*\(?[A-Z]{2,5}\)?(?=\W|$))?"  # 14:02 GMT
    r"|\b\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?"                  # ISO dates
    r"|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b"                                             # 5.3.2024
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:\s+\d{{4}})?"                        # 5 March 2024
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"                      # March 5, 2024
    r"|\b\d+\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b"    # 5 minutes ago
    r"|\b(?:just now|yesterday|today)\b", re.I)
_AGO = re.compile(r"\b\d+\s+(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago\b", re.I)
_STAMP_WORDS = frozenset("""updated last update published posted modified edited first at on by
am pm gmt utc bst cet cest est edt pst pdt - , | · : ( )""".split())


def normalize(text: str) -> str:
    """The text as compared between versions: NFKC, plain quotes and dashes, one space;
    "N minutes ago" dropped wherever it is, and lines that are only a time stamp ("Updated
    14:02 GMT, 5 March 2024", "Last modified: 2024-03-05") dropped whole. A changed number
    or date inside a sentence is a change of the report and is kept."""
    out = []
    for line in unicodedata.normalize("NFKC", text or "").translate(_QUOTES).splitlines():
        line = _AGO.sub(" ", line)
        if _is_stamp_line(line):
            continue
        line = " ".join(line.split())
        if line:
            out.append(line)
    return "\n".join(out)


def _is_stamp_line(line: str) -> bool:
    if len(line) > 160 or not _STAMP_TOKENS.search(line):
        return False
    rest = [w for w in runs(_STAMP_TOKENS.sub(" ", line).lower()) if w not in _STAMP_WORDS]
    return len(rest) <= 3


def _title(value: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", value or "").translate(_QUOTES).split())


def overlap(a: str, b: str) -> float:
    """Share of the smaller text's distinct words found in the other."""
    wa, wb = set(runs(a.lower())), set(runs(b.lower()))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def fingerprint(entry: FeedEntry) -> str:
    """What a feed says about an item, hashed in two parts: its ``updated`` stamp, and its
    title, summary and content. Feeds that restamp every item on every build are told
    apart from real changes by the second part (see ``changed_items``)."""
    stamp = entry.updated.isoformat() if entry.updated else ""
    body = "\x1f".join((entry.title or "", entry.summary or "", entry.content_html or ""))
    return (hashlib.sha256(stamp.encode()).hexdigest()[:16] + ":"
            + hashlib.sha256(body.encode()).hexdigest()[:32])


# ----------------------------------------------------------------- the schedule
def next_check(settings: Settings, start: datetime | None, checks: int,
               at: datetime | None = None) -> datetime | None:
    """When to check an article again after ``checks`` checks: ``revision_first_check``
    doubled each time, never after ``start + revision_window`` (``start``: publication,
    or the first fetch when the date is unknown or in the future). None: no more checks."""
    at = at or now()
    if not settings.revision_window or start is None:
        return None
    start = min(start, at)
    end = start + timedelta(seconds=settings.revision_window)
    if at >= end:
        return None
    due = at + timedelta(seconds=settings.revision_first_check * (2 ** min(checks, 20)))
    return min(due, end)


def _start(published: datetime | None, fetched: datetime | None) -> datetime | None:
    return published or fetched


def watch_new(conn, settings: Settings, source: Source, new_ids: list[int],
              entries: Iterable[FeedEntry]) -> None:
    """Within the insert's transaction: a check row for each new article, with the feed
    item's fingerprint and its first scheduled re-check."""
    if not new_ids:
        return
    by_hash = {_key(e): e for e in entries}
    found = store.ids_by_hash(conn, source.id, list(by_hash))
    wanted = set(new_ids)
    stamp = now()
    rows = []
    for key, article_id in found.items():
        if article_id in wanted:
            entry = by_hash[key]
            scheduled = source.full_text and entry.url is not None
            rows.append({"article_id": article_id, "source_id": source.id,
                         "feed_fingerprint": fingerprint(entry),
                         "next_check_at": next_check(settings, _start(entry.published, stamp), 0,
                                                     stamp) if scheduled else None})
    store.watch(conn, rows)


def _key(entry: FeedEntry) -> str:
    return entry_hash(entry.guid, entry.url, entry.title, entry.content_html or entry.summary)


# ----------------------------------------------------------------- changed feed items
def changed_items(ingest: "Ingest", source: Source, entries: list[FeedEntry]
                  ) -> list[tuple[int, FeedEntry]]:
    """(article id, entry) for stored items whose feed fingerprint changed since the last
    fetch; every fingerprint seen is stored, so one change brings one re-check. When most
    items changed only their ``updated`` stamp, the feed restamps everything on each build:
    those stamps are ignored."""
    by_hash = {_key(e): e for e in entries}
    stored = store.fingerprints(ingest.db, source.id, by_hash)
    seen: dict[int, str] = {}
    changed, stamp_only = [], []
    for key, row in stored.items():
        entry = by_hash[key]
        new = fingerprint(entry)
        old = row["feed_fingerprint"]
        if old == new:
            continue
        seen[row["article_id"]] = new
        if old is None or row["gone_at"] is not None:
            continue
        (stamp_only if old.split(":")[1] == new.split(":")[1] else changed).append(
            (row["article_id"], entry))
    if len(stamp_only) < max(3, len(stored) // 2):
        changed += stamp_only
    store.set_fingerprints(ingest.db, source.id, seen)
    return changed


# ----------------------------------------------------------------- one check
@dataclass
class Outcome:
    article_id: int
    status: str                      # unchanged | not_modified | revised | gone | moved | unreadable | error
    version: int | None = None
    error: str | None = None
    values: dict[str, Any] = field(default_factory=dict)   # for the check row


def check(ingest: "Ingest", source: Source, row: dict[str, Any], entry: FeedEntry | None,
          reason: str) -> Outcome:
    """Re-check one article (``row`` from ``storage.versions.claim_due``) and store what
    it found. ``entry``: the changed feed item, when a feed change brought the check."""
    started = now()
    try:
        outcome = _compare(ingest, source, row, entry)
    except HTTPStatusError as exc:
        gone = exc.status in GONE
        outcome = Outcome(row["article_id"], "gone" if gone else "error", error=str(exc),
                          values={"http_status": exc.status})
        if gone:
            outcome.values["gone_at"] = row.get("gone_at") or started
    except RobotsDisallowed as exc:
        outcome = Outcome(row["article_id"], "error", error=str(exc), values={"next_check_at": None})
    except FetchError as exc:
        outcome = Outcome(row["article_id"], "error", error=str(exc))
    except Exception as exc:  # a hostile page must not stop the other checks
        log.exception("revision check failed", extra={"article_id": row["article_id"]})
        outcome = Outcome(row["article_id"], "error", error=f"internal error: {type(exc).__name__}")
    _store(ingest, row, outcome, entry, reason, started)
    metrics.count("revision_checks", outcome=outcome.status)
    return outcome


def _compare(ingest: "Ingest", source: Source, row: dict[str, Any],
             entry: FeedEntry | None) -> Outcome:
    article_id = row["article_id"]
    from_page = row["extraction"] == "page" and source.full_text and row.get("url")
    values: dict[str, Any] = {}
    if from_page:
        page = ingest.fetcher.get(row["url"], etag=row.get("page_etag"),
                                  last_modified=row.get("page_last_modified"),
                                  check_robots=True, accept=PAGE_ACCEPT)
        values.update(page_etag=page.etag, page_last_modified=page.last_modified,
                      http_status=page.status)
        if page.not_modified and entry is None:
            return Outcome(article_id, "not_modified", values=values)
        if page.not_modified:  # the page is the same; only the feed item changed
            new = {"title": entry.title or row["title"], "text": row["text"], "html": row["html"],
                   "summary": row["summary"], "extraction": "page"}
        else:
            if page.content_type and page.content_type not in PAGE_TYPES:
                return Outcome(article_id, "unreadable", error=f"page is {page.content_type}",
                               values=values)
            probe = entry or _stored_entry(row, title="")
            new = build_article(ingest.fetcher, ingest.extract, source, probe, row["entry_hash"],
                                page=page)
            if new is None or new["extraction"] != "page":
                return Outcome(article_id, "unreadable", values=values,
                               error=(new or {}).get("extraction_note") or "no article text found")
            moved = canonical_url(page.url) != canonical_url(row["url"])
            if moved and overlap(row["text"], new["text"]) < MOVED_OVERLAP:
                return Outcome(article_id, "moved", values=values,
                               error=f"the page now leads to {page.url[:200]}")
            if entry is None:  # a scheduled check compares page headlines with the last one seen
                values["page_title"] = new["title"]
                baseline = row.get("page_title")
                new["title"] = (new["title"] if baseline is not None
                                and _title(baseline) != _title(new["title"]) else row["title"])
    elif entry is not None:
        new = build_article(ingest.fetcher, ingest.extract, replace(source, full_text=False),
                            entry, row["entry_hash"])
        if new is None:
            return Outcome(article_id, "unreadable", error="the feed item has no text", values=values)
    else:
        return Outcome(article_id, "unchanged", values=values)
    if (_title(new["title"]) == _title(row["title"])
            and normalize(new["text"]) == normalize(row["text"])):
        return Outcome(article_id, "unchanged", values=values)
    if entry is not None and entry.updated:
        new["updated_at"] = entry.updated
    return Outcome(article_id, "revised", values=values | {"_new": new})


def _stored_entry(row: dict[str, Any], title: str | None = None) -> FeedEntry:
    return FeedEntry(guid=row.get("guid"), url=row.get("url"),
                     title=row["title"] if title is None else title, summary=row.get("summary"),
                     authors=list(row.get("authors") or []), published=row.get("published_at"),
                     updated=row.get("updated_at"), language=row.get("language"),
                     image=row.get("lead_image"))


def _store(ingest: "Ingest", row: dict[str, Any], outcome: Outcome, entry: FeedEntry | None,
           reason: str, started: datetime) -> None:
    values = dict(outcome.values)
    new = values.pop("_new", None)
    checks = int(row.get("checks") or 0) + 1
    if "next_check_at" not in values:
        values["next_check_at"] = (None if outcome.status == "gone" else next_check(
            ingest.settings, _start(row.get("published_at"), row.get("fetched_at")), checks, started))
        if outcome.status == "error" and reason == "feed" and values["next_check_at"] is None:
            # the feed said it changed but the page could not be read: try once more later
            values["next_check_at"] = started + timedelta(seconds=ingest.settings.revision_first_check)
    values.update(last_checked_at=started, last_status=outcome.status, last_error=outcome.error)
    with ingest.db.write() as conn:
        if new is not None:
            outcome.version = store.save_revision(conn, row["article_id"], new, reason, started)
        store.record_check(conn, row["article_id"], **values)
    if new is not None:
        log.info("article revised", extra={"article_id": row["article_id"],
                                           "version": outcome.version, "reason": reason})


# ----------------------------------------------------------------- driving
@dataclass
class CheckRound:
    checked: int = 0
    revised: list[int] = field(default_factory=list)
    gone: int = 0
    errors: int = 0


def recheck_changed(ingest: "Ingest", source: Source, entries: list[FeedEntry]) -> list[int]:
    """The refresh hook: re-check, now, the stored items whose feed entry changed (at most
    ``revision_checks_per_round``; the others are due at the next round). Returns the ids
    of the revised articles."""
    changed = changed_items(ingest, source, entries)
    if not changed:
        return []
    limit = ingest.settings.revision_checks_per_round
    now_ids, later = changed[:limit], changed[limit:]
    if later:
        with ingest.db.write() as conn:
            for article_id, _ in later:
                store.record_check(conn, article_id, next_check_at=now())
    entry_of = dict(now_ids)
    rows = store.claim_due(ingest.db, len(now_ids), ingest.settings.claim_ttl, ids=entry_of)
    jobs = [ingest.pages.submit(check, ingest, source, row, entry_of[row["article_id"]], "feed")
            for row in rows]
    return [o.article_id for o in (job.result() for job in jobs) if o.status == "revised"]


def run_due(ingest: "Ingest", limit: int | None = None) -> CheckRound:
    """One batch of scheduled re-checks (``revision_checks_per_round``), pages fetched on
    the page pool; revised ids go to ``on_revised_articles``."""
    settings = ingest.settings
    rows = store.claim_due(ingest.db, limit or settings.revision_checks_per_round, settings.claim_ttl)
    result = CheckRound()
    if not rows:
        return result
    sources: dict[int, Source] = {}
    for source_id in {r["source_id"] for r in rows}:
        sources[source_id] = source_store.get_source(ingest.db, source_id)
    jobs = [ingest.pages.submit(check, ingest, sources[r["source_id"]], r, None, "schedule")
            for r in rows]
    for outcome in (job.result() for job in jobs):
        result.checked += 1
        result.revised += [outcome.article_id] if outcome.status == "revised" else []
        result.gone += outcome.status == "gone"
        result.errors += outcome.status == "error"
    notify_revised(ingest, result.revised)
    return result


def notify_revised(ingest: "Ingest", ids: list[int]) -> None:
    """Hand revised article ids to the stages that want them (stories, then AI)."""
    for hook in ingest.on_revised_articles if ids else ():
        try:
            hook(ids)
        except Exception:  # the versions are stored; a later rebuild catches up
            log.exception("post-revision stage failed")
