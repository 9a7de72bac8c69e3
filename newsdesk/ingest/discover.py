"""Find the feeds a web page advertises.

Strong evidence first: ``<link rel="alternate" type="application/rss+xml|atom+xml|
feed+json">`` in the page. Weaker fallback: ``<a href>`` links whose URL looks like a feed
(``/feed/``, ``/rss.xml``, ``atom.xml``, ``feed.json``, ``?feed=rss2``, ``feeds.*`` hosts).
Comment feeds come last, whatever their source. URLs are made absolute (honouring
``<base href>``) and deduplicated on their canonical form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

from newsdesk.ingest.identity import canonical_url, resolve_url

FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/rdf+xml": "rdf",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/x.atom+xml": "atom",
    "application/x-atom+xml": "atom",
    "application/x-rss+xml": "rss",
}
# Generic types that are only a feed when the URL says so (WordPress advertises its REST API
# as rel=alternate application/json, which is not a feed).
GENERIC_TYPES = {"application/json", "application/xml", "text/xml", "application/rss", ""}

_FEED_PATH = re.compile(
    r"(?:^|/)(?:feeds?|rss|atom|rss2)(?:/|$)"         # /feed/, /rss, /category/x/feed/
    r"|\.(?:rss|atom|rdf)$"                            # news.rss, blog.atom
    r"|(?:^|/)(?:rss|atom|feed|index|rss2)\.xml$"      # /rss.xml, /atom.xml, /index.xml
    r"|(?:^|/)feed\.json$"                             # /feed.json
    r"|(?:^|/)feeds/posts/default$",                   # Blogger
    re.I)
_FEED_QUERY = re.compile(r"(?:^|&)(?:feed|format|type)=(?:rss2?|atom|rdf|json)(?:&|$)", re.I)

TIER_LINK, TIER_ANCHOR, TIER_LINK_COMMENTS, TIER_ANCHOR_COMMENTS = range(4)


@dataclass
class DiscoveredFeed:
    url: str
    title: str | None
    type: str  # "rss", "atom", "rdf" or "json"


def _looks_like_feed_url(url: str) -> bool:
    parts = urlsplit(url)
    return bool(_FEED_PATH.search(parts.path) or _FEED_QUERY.search(parts.query)
                or parts.hostname and parts.hostname.startswith("feeds."))


def _guess_type(url: str) -> str:
    path = urlsplit(url).path.lower()
    if "atom" in path:
        return "atom"
    if path.endswith(".json") or "json" in path:
        return "json"
    if path.endswith(".rdf"):
        return "rdf"
    return "rss"


def _is_comments(url: str, title: str | None) -> bool:
    return "comment" in urlsplit(url).path.lower() or "comment" in (title or "").lower()


def _parse(page: str | bytes):
    if isinstance(page, str):
        # lxml refuses str input that carries an XML encoding declaration (XHTML pages).
        page = re.sub(r"^\s*<\?xml[^>]*\?>", "", page, count=1)
    if not page or not page.strip():
        return None
    try:
        return lxml_html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return None


def _clean_title(text: str | None) -> str | None:
    text = " ".join((text or "").split())
    return text or None


def discover_feeds(html: str | bytes, page_url: str) -> list[DiscoveredFeed]:
    """Feeds advertised by the page at ``page_url``, best first."""
    doc = _parse(html)
    if doc is None:
        return []
    base = page_url
    for node in doc.iter("base"):
        if node.get("href"):
            base = resolve_url(page_url, node.get("href")) or page_url
            break
    found: list[tuple[int, int, DiscoveredFeed]] = []

    for node in doc.iter("link"):
        rel = set((node.get("rel") or "").lower().split())
        if not rel & {"alternate", "feed"}:
            continue
        url = resolve_url(base, node.get("href"))
        if url is None:
            continue
        mime = (node.get("type") or "").split(";")[0].strip().lower()
        kind = FEED_TYPES.get(mime)
        if kind is None:
            if mime not in GENERIC_TYPES or not _looks_like_feed_url(url):
                continue
            if mime == "" and "feed" not in rel:  # hreflang/alternate-language links
                continue
            kind = _guess_type(url)
        title = _clean_title(node.get("title"))
        tier = TIER_LINK_COMMENTS if _is_comments(url, title) else TIER_LINK
        found.append((tier, len(found), DiscoveredFeed(url=url, title=title, type=kind)))

    for node in doc.iter("a"):
        url = resolve_url(base, node.get("href"))
        if url is None or not _looks_like_feed_url(url):
            continue
        title = _clean_title(node.text_content()) or _clean_title(node.get("title"))
        tier = TIER_ANCHOR_COMMENTS if _is_comments(url, title) else TIER_ANCHOR
        feed = DiscoveredFeed(url=url, title=title, type=_guess_type(url))
        found.append((tier, len(found), feed))

    feeds, seen = [], set()
    for _, _, feed in sorted(found, key=lambda item: (item[0], item[1])):
        key = canonical_url(feed.url)
        if key not in seen:
            seen.add(key)
            feeds.append(feed)
    return feeds
