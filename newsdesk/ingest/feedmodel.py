"""The one model every parser returns, and the helpers the parsers share.

``feeds.py`` (RSS, Atom, RDF through feedparser), ``jsonfeed.py`` and ``sitemaps.py`` each
turn a body into ``FeedEntry`` records inside one ``ParsedFeed``, as miniflux's parsers all
return one ``model.Feed``. This module imports none of them, so each parser imports it and
``feeds.parse_feed`` imports the parsers: no parser imports another.
"""

from __future__ import annotations

import html
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable

from newsdesk.errors import FeedError
from newsdesk.ingest.normalize import Notes

MAX_UNCOMPRESSED = 50 * 1024 * 1024  # the sitemap protocol's own cap; plenty for feeds


@dataclass
class FeedEntry:
    guid: str | None
    url: str | None
    title: str
    summary: str | None = None        # plain text or HTML, as the feed gives it
    content_html: str | None = None   # full content when the feed carries it
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None  # UTC-aware
    updated: datetime | None = None    # UTC-aware
    categories: list[str] = field(default_factory=list)
    image: str | None = None
    language: str | None = None


@dataclass
class ParsedFeed:
    kind: str  # "rss", "atom", "rdf", "jsonfeed", "sitemap"
    title: str | None
    site_url: str | None
    language: str | None
    entries: list[FeedEntry]
    child_sitemaps: list[str] = field(default_factory=list)  # only for a sitemap index
    hubs: list[str] = field(default_factory=list)  # WebSub hubs the feed declares (rel="hub")
    self_url: str | None = None                    # the feed's own URL (rel="self"), the topic
    notes: Notes = field(default_factory=Notes)  # entries skipped, values repaired


# ----------------------------------------------------------------------------- helpers
def gunzip_capped(body: bytes, limit: int = MAX_UNCOMPRESSED) -> bytes:
    """Decompress a gzip body (all members), refusing more than ``limit`` bytes of output
    (decompression bombs) and truncated or corrupt streams."""
    out, data = bytearray(), body
    while data:
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += decomp.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise FeedError(f"corrupt gzip body: {exc}") from None
        if len(out) > limit:
            raise FeedError(f"gzip body expands past {limit // (1024 * 1024)} MB; refusing it")
        if not decomp.eof:
            raise FeedError("corrupt gzip body: truncated stream")
        data = decomp.unused_data.lstrip(b"\x00")
    return bytes(out)


def parse_date(value: str | None) -> datetime | None:
    """W3C/ISO 8601 (JSON Feed, sitemaps) or RFC 822 date -> UTC-aware datetime; None for
    anything else, including dates that exist on paper only (year 0, 31 February) and
    ones a time zone pushes past year 1 or 9999. Whether a date is *believable* is decided
    later (``normalize``), against the fetch time."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > 100:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if when is None:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    try:
        return when.astimezone(timezone.utc)
    except OverflowError:
        return None


def unique(items) -> list[str]:
    seen, out = set(), []
    for item in items:
        item = item.strip() if isinstance(item, str) else ""
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return out


def keep_entry(entry: FeedEntry) -> bool:
    return bool(entry.url or entry.guid or entry.title)


class SkipEntry(Exception):
    """Raised by an entry builder for an entry that is not one; the message is the note."""


def read_entries(raws, label: str, notes: Notes,
                 build: Callable[[Any], FeedEntry]) -> list[FeedEntry]:
    """``build`` each raw entry on its own: one that raises, or has no link, id or title,
    is skipped with a note (``label`` and its position say which) and costs no other."""
    entries = []
    for number, raw in enumerate(raws, start=1):
        try:
            entry = build(raw)
        except SkipEntry as exc:
            notes.add(f"entry skipped: {exc}", f"{label} {number}")
            continue
        except Exception as exc:  # one unreadable entry must not cost the others
            notes.add(f"entry skipped: unreadable ({type(exc).__name__})", f"{label} {number}")
            continue
        if keep_entry(entry):
            entries.append(entry)
        else:
            notes.add("entry skipped: no link, id or title", f"{label} {number}")
    return entries


def text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
