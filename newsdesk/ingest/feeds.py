"""Parse what sources publish into one model.

RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom go through feedparser here; JSON Feed 1.0/1.1 is
read by ``jsonfeed.py`` (feedparser does not know it), sitemaps and Google News sitemaps
by ``sitemaps.py``. Whatever the format, ``parse_feed`` returns one ``ParsedFeed`` of
``FeedEntry`` objects (``feedmodel.py``, importable from here too), like miniflux's
parsers all return one ``model.Feed``.

Entry HTML (``summary``, ``content_html``) is *not* sanitized here: sanitizing is the last
step of processing. Relative links are resolved against the feed URL (and ``xml:base``).
Every failure to read a body raises ``FeedError`` with a one-line message fit to show on
the source's row (``FeedLimitError`` when the body is past a parser limit). One entry that
cannot be read is skipped with a note in ``ParsedFeed.notes``; the others are kept. Every
entry leaves through ``normalize.normalize_entry`` (strings the databases accept, dates
in a believable range), once, here.
"""

from __future__ import annotations

import html
import io
import re
import zlib
from datetime import datetime, timezone

import feedparser

from newsdesk.errors import FeedError, FeedLimitError
from newsdesk.ingest.feedlimits import bounded
from newsdesk.ingest.encoding import wide_xml_as_utf8
from newsdesk.ingest.feedmodel import (MAX_UNCOMPRESSED, FeedEntry, ParsedFeed, gunzip_capped,
                                       keep_entry, parse_date, read_entries, text_to_html,
                                       unique)
from newsdesk.ingest.identity import resolve_url
from newsdesk.ingest.jsonfeed import parse_json_feed
from newsdesk.ingest.normalize import Notes, clean_language, clean_url, normalize_entry, plain_text
from newsdesk.ingest.sitemaps import parse_sitemap

__all__ = ["FeedEntry", "ParsedFeed", "looks_like_feed", "parse_date", "parse_feed", "sniff_root"]

# ------------------------------------------------------------------------ sniffing
_PROLOG = re.compile(
    rb"\A(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE\s+([\w:.-]+)(?:[^\[>]*\[.*?\])?[^>]*>)*",
    re.S | re.I)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_HTML_ROOTS = {b"html", b"head", b"body", b"div", b"p", b"meta", b"title", b"script",
               b"link", b"table", b"span", b"a", b"br", b"style"}


def _ascii_view(body: bytes) -> bytes:
    """The first few KB as ASCII-compatible bytes (UTF-16/32 bodies are transcoded, with
    or without a byte-order mark)."""
    head = body[:8192]
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                       (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(codec, "ignore").encode("utf-8", "ignore")
    return wide_xml_as_utf8(head.removeprefix(b"\xef\xbb\xbf"))


def sniff_root(body: bytes) -> tuple[str | None, str | None]:
    """(doctype name, local name of the root element), lower-cased, from the body's start."""
    head = _ascii_view(body)
    prolog = _PROLOG.match(head)
    doctype = prolog.group(1) if prolog else None
    root = _ROOT.search(head, prolog.end() if prolog else 0)
    return ((doctype.decode("ascii", "ignore").lower() if doctype else None),
            (root.group(2).decode("ascii", "ignore").lower() if root else None))


def _is_json(body: bytes, content_type: str | None) -> bool:
    first = _ascii_view(body).lstrip()[:1]
    ct = (content_type or "").split(";")[0].strip().lower()
    return first == b"{" or (ct.endswith("json") and first != b"<")


def _is_html(doctype: str | None, root: str | None) -> bool:
    return doctype == "html" or (root is not None and root.encode() in _HTML_ROOTS)


def looks_like_feed(body: bytes, content_type: str | None) -> bool:
    """Cheap guess, without parsing the whole body: is this RSS, Atom, RDF, JSON Feed or a
    sitemap (as opposed to an HTML page or something else)?"""
    if not body or not body.strip():
        return False
    if body[:2] == b"\x1f\x8b":
        try:
            body = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body, 8192)
        except zlib.error:
            return False
    if _is_json(body, content_type):
        head = _ascii_view(body)
        return b"jsonfeed.org/version" in head or b'"items"' in head
    doctype, root = sniff_root(body)
    return root in {"rss", "feed", "rdf", "channel", "urlset", "sitemapindex"} and doctype != "html"


# ------------------------------------------------------------------- RSS/Atom/RDF
def _struct_to_dt(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


def _kind(version: str, root: str | None) -> str:
    if version in ("rss090", "rss10") or (not version and root == "rdf"):
        return "rdf"
    if version.startswith("atom") or (not version and root == "feed"):
        return "atom"
    return "rss"


def _xml_content_type(content_type: str | None, body: bytes) -> str:
    """feedparser applies RFC 3023 (text/xml without charset = us-ascii), which real
    servers ignore. Pass on an HTTP charset only when the body is not valid UTF-8 (servers
    often label UTF-8 feeds ISO-8859-1); otherwise the XML declaration decides."""
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type or "", re.I)
    if match:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return f"application/xml; charset={match.group(1)}"
    return "application/xml"


def _fp_authors(obj) -> list[str]:
    names = [a.get("name") or a.get("email") for a in obj.get("authors") or [] if a]
    if not names and obj.get("author"):
        names = [obj.get("author")]
    return unique(names)


def _fp_image(e, base: str) -> str | None:
    candidates = [t.get("url") for t in e.get("media_thumbnail") or []]
    candidates += [m.get("url") for m in e.get("media_content") or []
                   if m.get("medium") == "image" or (m.get("type") or "").startswith("image/")]
    candidates += [x.get("href") for x in e.get("enclosures") or []
                   if (x.get("type") or "").startswith("image/")]
    candidates.append((e.get("image") or {}).get("href"))
    for candidate in candidates:
        found = resolve_url(base, candidate)
        if found:
            return found
    return None


def _fp_content(e) -> str | None:
    contents = e.get("content") or []
    for part in contents:
        if part.get("type") in ("text/html", "application/xhtml+xml") and part.get("value"):
            return part["value"]
    for part in contents:
        if part.get("value"):
            return text_to_html(part["value"])
    return None


def _detail_language(e, *keys) -> str | None:
    for key in keys:
        detail = e.get(key)
        if isinstance(detail, list):
            detail = detail[0] if detail else None
        if detail and detail.get("language"):
            return detail["language"]
    return None


_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _plain_title(obj) -> str:
    """Titles are stored as plain text; HTML titles (RSS, Atom type="html") lose their tags."""
    title = (obj.get("title") or "").strip()
    kind = (obj.get("title_detail") or {}).get("type") or ""
    if "html" in kind and ("<" in title or "&" in title):
        title = html.unescape(_TAG.sub("", title))
    return re.sub(r"[ \t\r\n]+", " ", title)  # keeps no-break spaces (French typography)


def _fp_entry(e, base: str, feed_authors: list[str], feed_language: str | None) -> FeedEntry:
    guid = (e.get("id") or "").strip() or None
    link = resolve_url(base, e.get("link"))
    if link is None and guid and e.get("guidislink"):
        link = resolve_url(base, guid)
    # feedparser copies Atom <content> into summary when there is no <summary>: undo that.
    summary = e.get("summary") if "summary_detail" in e else None
    # dict.get: skip FeedParserDict's fallback of "updated" to "published".
    updated = _struct_to_dt(dict.get(e, "updated_parsed"))
    return FeedEntry(
        guid=guid, url=link, title=_plain_title(e), summary=summary,
        content_html=_fp_content(e),
        authors=_fp_authors(e) or feed_authors,
        published=_struct_to_dt(dict.get(e, "published_parsed")) or updated,
        updated=updated,
        categories=unique(t.get("term") or t.get("label") for t in e.get("tags") or []),
        image=_fp_image(e, base),
        language=_detail_language(e, "content", "summary_detail", "title_detail") or feed_language,
    )


def _parse_with_feedparser(body: bytes, url: str, content_type: str | None,
                           root: str | None) -> ParsedFeed:
    headers = {"content-type": _xml_content_type(content_type, body)}
    if url:
        headers["content-location"] = url
    body, limit_notes = bounded(body)
    # A BytesIO, never raw bytes: feedparser would try bytes as a local file path first.
    try:
        result = feedparser.parse(io.BytesIO(body), response_headers=headers,
                                  sanitize_html=False, resolve_relative_uris=True)
    except Exception as exc:  # feedparser has edge-case bugs (e.g. backslashes in a DTD)
        raise FeedError(f"unreadable feed: {type(exc).__name__}: {str(exc)[:150]}") from None
    version = result.get("version") or ""
    info = result.get("feed") or {}
    feed_language = (info.get("language") or _detail_language(info, "title_detail") or None)
    feed_authors = _fp_authors(info) if version.startswith("atom") else []
    notes = Notes()
    for note in limit_notes:
        notes.add(note)
    entries = read_entries(result.get("entries") or [], "entry", notes,
                           lambda raw: _fp_entry(raw, url, feed_authors, feed_language))
    if not entries:  # an empty but well-formed feed is fine; a broken or unknown one is not
        if result.get("bozo"):
            reason = " ".join(str(result.get("bozo_exception")).split())[:200]
            raise FeedError(f"malformed feed with no entries: {reason}")
        if not version:
            label = f"<{root}>" if root else "no XML root element"
            raise FeedError(f"not a feed: unrecognised document ({label})")
    links = [(str(link.get("rel", "")).lower(), resolve_url(url, link.get("href")))
             for link in info.get("links") or [] if isinstance(link, dict)]
    return ParsedFeed(kind=_kind(version, root), title=_plain_title(info) or None,
                      site_url=resolve_url(url, info.get("link")), language=feed_language,
                      entries=entries, hubs=unique(href for rel, href in links if rel == "hub"),
                      self_url=next((href for rel, href in links if rel == "self" and href), None),
                      notes=notes)


# --------------------------------------------------------------------------- entry
def parse_feed(body: bytes, url: str, content_type: str | None = None,
               fetched_at: datetime | None = None) -> ParsedFeed:
    """Parse a fetched body (RSS, RDF, Atom, JSON Feed, sitemap; gzip allowed) into a
    ``ParsedFeed`` of normalised entries (dates judged against ``fetched_at``, default
    now). Raises ``FeedError`` when the body is empty, an HTML page, not a feed, or
    malformed beyond recovery (a malformed feed that still yields entries is kept), and
    ``FeedLimitError`` when it is past a parser limit."""
    if not body or not body.strip():
        raise FeedError("empty response body: no feed to read")
    if body[:2] == b"\x1f\x8b":
        body = gunzip_capped(body)
        if not body.strip():
            raise FeedError("empty response body: no feed to read")
    if len(body) > MAX_UNCOMPRESSED:
        raise FeedLimitError(f"feed body is over {MAX_UNCOMPRESSED // (1024 * 1024)} MB; "
                             "refusing it")
    body = wide_xml_as_utf8(body)
    return _normalized(_parse(body, url, content_type), fetched_at or datetime.now(timezone.utc))


def _parse(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    if _is_json(body, content_type):
        return parse_json_feed(body, url)
    doctype, root = sniff_root(body)
    if root in ("urlset", "sitemapindex"):
        found = parse_sitemap(body, url)
        return ParsedFeed(kind="sitemap", title=found.publication, site_url=None,
                          language=found.language, entries=found.entries,
                          child_sitemaps=found.child_sitemaps)
    if _is_html(doctype, root):
        raise FeedError("this is an HTML page, not a feed: try adding it by site URL for discovery")
    if root is None:
        raise FeedError("not a feed: the body is neither XML nor JSON")
    return _parse_with_feedparser(body, url, content_type, root)


def _normalized(feed: ParsedFeed, fetched_at: datetime) -> ParsedFeed:
    """Every entry through ``normalize_entry``; an entry left with no link, id or title
    (its only ones were unusable) is skipped with a note."""
    entries = []
    for entry in feed.entries:
        entry = normalize_entry(entry, fetched_at, feed.notes)
        if keep_entry(entry):
            entries.append(entry)
        else:
            feed.notes.add("entry skipped: no usable link, id or title")
    feed.entries = entries
    feed.title = plain_text(feed.title, tags=False) or None
    feed.site_url = clean_url(feed.site_url)
    feed.language = clean_language(feed.language)
    feed.child_sitemaps = [u for u in map(clean_url, feed.child_sitemaps) if u]
    return feed
