"""Read XML sitemaps: ``<urlset>`` pages, ``<sitemapindex>`` lists of child sitemaps,
Google News sitemaps (``news:title``, ``news:publication_date``, ``news:language``),
image extensions, gzip-compressed bodies and plain-text sitemaps (one URL a line).

Elements are matched by local name, so sitemaps using an old or wrong namespace still
read. XML is parsed with entities unresolved and the network off (XXE-safe).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from newsdesk.errors import FeedError
from newsdesk.ingest.feedmodel import FeedEntry, gunzip_capped, parse_date
from newsdesk.ingest.identity import resolve_url


@dataclass
class SitemapResult:
    entries: list[FeedEntry]
    child_sitemaps: list[str]
    publication: str | None = None  # news:publication/news:name of a news sitemap
    language: str | None = None     # news:publication/news:language, when all agree
    lastmods: dict[str, datetime | None] = field(default_factory=dict)  # child sitemap -> lastmod


def safe_xml_parser() -> etree.XMLParser:
    """An lxml parser that never expands entities, loads DTDs or touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, remove_comments=True,
                           remove_pis=True)


def _local(el) -> str:
    tag = el.tag
    if not isinstance(tag, str):  # comments, PIs, unresolved entity references
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def _child(el, name: str):
    for child in el:
        if _local(child) == name:
            return child
    return None


def _children(el, name: str) -> list:
    return [child for child in el if _local(child) == name]


def _text(el, *path: str) -> str | None:
    for name in path:
        if el is None:
            return None
        el = _child(el, name)
    if el is None:
        return None
    text = "".join(el.itertext()).strip()
    return text or None


def _plain_text_sitemap(body: bytes, url: str) -> SitemapResult | None:
    try:
        lines = [line.strip() for line in body.decode("utf-8-sig").splitlines() if line.strip()]
    except UnicodeDecodeError:
        return None
    urls = [resolve_url(url, line) for line in lines]
    if not lines or any(u is None or u != line for u, line in zip(urls, lines)):
        return None
    return SitemapResult(entries=[FeedEntry(guid=None, url=u, title="") for u in urls],
                         child_sitemaps=[])


def _url_entry(node, base: str) -> FeedEntry | None:
    loc = resolve_url(base, _text(node, "loc"))
    if loc is None:
        return None
    news = _child(node, "news")
    images = [resolve_url(base, _text(img, "loc")) for img in _children(node, "image")]
    keywords = (_text(news, "keywords") or "") if news is not None else ""
    return FeedEntry(
        guid=None, url=loc,
        title=(_text(news, "title") or "") if news is not None else "",
        published=parse_date(_text(news, "publication_date")) if news is not None else None,
        updated=parse_date(_text(node, "lastmod")),
        categories=[k.strip() for k in keywords.split(",") if k.strip()],
        image=next((i for i in images if i), None),
        language=_text(news, "publication", "language") if news is not None else None,
    )


def parse_sitemap(body: bytes, url: str) -> SitemapResult:
    """Parse a sitemap body fetched from ``url``. Raises ``FeedError`` when it is empty,
    not XML (and not a plain-text URL list), or XML of another kind."""
    if not body or not body.strip():
        raise FeedError("empty response body: no sitemap to read")
    if body[:2] == b"\x1f\x8b":
        body = gunzip_capped(body)
    try:
        root = etree.fromstring(body, safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        plain = _plain_text_sitemap(body, url)
        if plain is not None:
            return plain
        raise FeedError(f"malformed sitemap XML: {' '.join(str(exc).split())[:200]}") from None
    if root is None:
        raise FeedError("empty sitemap document")
    kind = _local(root)
    if kind == "sitemapindex":
        children, lastmods = [], {}
        for node in _children(root, "sitemap"):
            loc = resolve_url(url, _text(node, "loc"))
            if loc and loc not in lastmods:
                children.append(loc)
                lastmods[loc] = parse_date(_text(node, "lastmod"))
        return SitemapResult(entries=[], child_sitemaps=children, lastmods=lastmods)
    if kind != "urlset":
        raise FeedError(f"not a sitemap: root element is <{kind or '?'}>, "
                        "expected <urlset> or <sitemapindex>")
    entries, seen, names, languages = [], set(), [], set()
    for node in _children(root, "url"):
        entry = _url_entry(node, url)
        if entry is None or entry.url in seen:
            continue
        seen.add(entry.url)
        entries.append(entry)
        news = _child(node, "news")
        if news is not None:
            names.append(_text(news, "publication", "name"))
            languages.add(entry.language)
    publication = next((n for n in names if n), None)
    language = languages.pop() if len(languages) == 1 else None
    return SitemapResult(entries=entries, child_sitemaps=[], publication=publication,
                         language=language)


__all__ = ["SitemapResult", "parse_sitemap", "safe_xml_parser"]
