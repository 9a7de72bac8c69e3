"""JSON Feed 1.0/1.1 (feedparser does not read it) into the one ``ParsedFeed`` model.

A JSON document is a stranger's tree: any field may hold any type, and the document may
be nested thousands of levels deep. Each item is read on its own; one that is not an
object, or whose fields cannot be read, is skipped with a note and the others are kept.
Nesting past what the JSON decoder can follow ends as ``FeedLimitError``, never as a
``RecursionError`` escaping to the caller.
"""

from __future__ import annotations

import json

from ..errors import FeedError, FeedLimitError
from .feedmodel import (FeedEntry, ParsedFeed, SkipEntry, parse_date, read_entries,
                        text_to_html, unique)
from .identity import resolve_url
from .normalize import Notes

MAX_ITEMS = 10_000  # more than any feed publishes; the rest is not read


def _str_or_none(value) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return (value.strip() or None) if isinstance(value, str) else None


def _authors(obj: dict) -> list[str]:
    authors = obj.get("authors")
    if not isinstance(authors, list):
        single = obj.get("author")  # JSON Feed 1.0
        authors = [single] if isinstance(single, dict) else []
    return unique(_str_or_none(a.get("name")) or _str_or_none(a.get("url"))
                  for a in authors if isinstance(a, dict))


def _entry(item, base: str, feed_authors: list[str], feed_language: str | None) -> FeedEntry:
    if not isinstance(item, dict):
        raise SkipEntry("not a JSON object")
    content = _str_or_none(item.get("content_html"))
    text = _str_or_none(item.get("content_text"))
    if content is None and text:
        content = text_to_html(text)
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    return FeedEntry(
        guid=_str_or_none(item.get("id")),
        url=resolve_url(base, _str_or_none(item.get("url"))
                        or _str_or_none(item.get("external_url"))),
        title=_str_or_none(item.get("title")) or "",
        summary=_str_or_none(item.get("summary")),
        content_html=content,
        authors=_authors(item) or feed_authors,
        published=parse_date(_str_or_none(item.get("date_published"))),
        updated=parse_date(_str_or_none(item.get("date_modified"))),
        categories=unique(t for t in tags if isinstance(t, str)),
        image=resolve_url(base, _str_or_none(item.get("image"))
                          or _str_or_none(item.get("banner_image"))),
        language=_str_or_none(item.get("language")) or feed_language,
    )


def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(body)
    except RecursionError:
        raise FeedLimitError("JSON nested too deeply to read (thousands of levels): "
                             "refusing it") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"invalid JSON: {' '.join(str(exc).split())[:200]}") from None
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise FeedError("this JSON document is not a JSON Feed (no \"items\" list)")
    notes = Notes()
    if len(items) > MAX_ITEMS:
        notes.add(f"only the first {MAX_ITEMS} of {len(items)} items read")
    feed_authors = _authors(doc)
    feed_language = _str_or_none(doc.get("language"))
    base = url  # not doc["feed_url"]: static-site generators often leave localhost there
    entries = read_entries(items[:MAX_ITEMS], "item", notes,
                           lambda item: _entry(item, base, feed_authors, feed_language))
    hubs = doc.get("hubs") if isinstance(doc.get("hubs"), list) else []
    return ParsedFeed(kind="jsonfeed", title=_str_or_none(doc.get("title")),
                      site_url=resolve_url(base, _str_or_none(doc.get("home_page_url"))),
                      language=feed_language, entries=entries, notes=notes,
                      hubs=unique(resolve_url(base, _str_or_none(h.get("url"))) for h in hubs
                                  if isinstance(h, dict) and str(h.get("type", "")).lower() == "websub"),
                      self_url=resolve_url(base, _str_or_none(doc.get("feed_url"))))
