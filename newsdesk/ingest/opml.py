"""Import and export subscription lists as OPML.

``parse_opml`` reads any outline carrying an ``xmlUrl`` (attribute names matched
case-insensitively, as exporters disagree); an outline nested in a folder outline gets that
folder's title as its category. ``build_opml`` writes OPML 2.0 grouped by category, and
what it writes reads back identically. XML is parsed XXE-safe (no entities, no network).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from lxml import etree

from newsdesk.errors import FeedError
from newsdesk.ingest.sitemaps import safe_xml_parser


@dataclass
class OpmlOutline:
    url: str
    title: str | None
    site_url: str | None
    category: str | None


def _attr(node, name: str) -> str | None:
    """Attribute ``name`` matched case-insensitively, stripped; None when empty."""
    name = name.lower()
    for key, value in node.attrib.items():
        if isinstance(key, str) and key.lower() == name:
            return value.strip() or None
    return None


def _label(node) -> str | None:
    return _attr(node, "title") or _attr(node, "text")


def _name(node) -> str:
    """Lower-cased local name of an element ("" for comments and entity references)."""
    return node.tag.rsplit("}", 1)[-1].lower() if isinstance(node.tag, str) else ""


def _outlines(node):
    return [child for child in node if _name(child) == "outline"]


def _category_attr(node) -> str | None:
    """The OPML 2.0 ``category`` attribute ("/Tech/Linux,/Weekly") -> first path's last part."""
    raw = _attr(node, "category")
    if not raw:
        return None
    first = raw.split(",")[0].strip().strip("/")
    return first.rsplit("/", 1)[-1].strip() or None


def parse_opml(data: bytes) -> list[OpmlOutline]:
    """Feeds listed in an OPML document, in document order, each URL once. Raises
    ``FeedError`` for an empty body, invalid XML or a document that is not OPML."""
    if not data or not data.strip():
        raise FeedError("empty OPML file")
    try:
        root = etree.fromstring(data, safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        reason = " ".join(str(exc).split())[:200]
        raise FeedError(f"invalid OPML (not well-formed XML): {reason}") from None
    if root is None or _name(root) != "opml":
        raise FeedError("not an OPML file: the root element is not <opml>")
    body = next((child for child in root if _name(child) == "body"), None)
    if body is None:
        raise FeedError("invalid OPML: no <body> element")
    found: list[OpmlOutline] = []
    seen: set[str] = set()

    def walk(node, folder: str | None) -> None:
        for child in _outlines(node):
            url = _attr(child, "xmlUrl")
            if url:
                if url not in seen:
                    seen.add(url)
                    found.append(OpmlOutline(url=url, title=_label(child),
                                             site_url=_attr(child, "htmlUrl"),
                                             category=folder or _category_attr(child)))
                walk(child, folder)  # some exporters nest feeds inside feeds
            else:
                walk(child, _label(child) or folder)

    walk(body, None)
    return found


def _get(source: Any, key: str) -> str | None:
    value = source.get(key) if hasattr(source, "get") else getattr(source, key, None)
    return (str(value).strip() or None) if value is not None else None


def build_opml(sources: Iterable[Any], title: str = "newsdesk sources") -> bytes:
    """OPML 2.0 bytes for ``sources`` (mappings or objects with url, title, site_url,
    category); feeds without a category sit at the top level, the others inside one folder
    outline per category, in first-seen order."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    folders: dict[str, Any] = {}
    for source in sources:
        url = _get(source, "url")
        if not url:
            continue
        category = _get(source, "category")
        parent = body
        if category:
            if category not in folders:
                folders[category] = etree.SubElement(body, "outline", text=category,
                                                     title=category)
            parent = folders[category]
        label = _get(source, "title") or url
        outline = etree.SubElement(parent, "outline", type="rss", text=label, title=label,
                                   xmlUrl=url)
        site_url = _get(source, "site_url")
        if site_url:
            outline.set("htmlUrl", site_url)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
