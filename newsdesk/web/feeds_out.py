"""Feeds out: RSS 2.0, Atom 1.0 and JSON Feed 1.1 for any list the site shows.

The front page (``/feed.rss``, ``/feed.atom``, ``/feed.json``), each story, tag and outlet
(``/tags/economy.rss`` ...) and each search (``/search.rss?q=...``) use the same three
writers. Entries link to this site's pages; the publisher's URL is given as the external
link. Text is escaped by the XML writer or the JSON encoder, never by hand.
"""

from __future__ import annotations

import html

from datetime import datetime, timezone
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Query, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ..storage import front as front_store
from .render import encode_cursor, filters_from, json_response, page_link, wants_json
from .security import session_of

router = APIRouter(tags=["feeds"])

MEDIA = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8",
         "jsonfeed": "application/feed+json"}
ATOM_NS = "http://www.w3.org/2005/Atom"


def entry(item: dict, base: str) -> dict:
    """A feed entry from a front-page item (story or article) or an article list item."""
    if item.get("kind") == "story":
        link = f"{base}/stories/{item['id']}"
        outlets = ", ".join(o["name"] for o in item.get("outlets", []))
        summary = item.get("summary", "")
        summary = f"{summary} ({item['article_count']} article{'s' if item['article_count'] != 1 else ''} from {outlets})" if outlets else summary
        return {"id": link, "link": link, "title": item["title"], "summary": summary,
                "when": item["updated"], "external": None, "author": outlets}
    link = f"{base}/articles/{item['id']}"
    return {"id": link, "link": link, "title": item["title"], "summary": item.get("summary", ""),
            "when": item.get("when") or item.get("updated"), "external": item.get("url"),
            "author": (item.get("outlet") or {}).get("name", "")
            or ", ".join(o["name"] for o in item.get("outlets", []))}


def feed_response(request: Request, fmt: str, title: str, page_path: str,
                  items: list[dict]) -> Response:
    base = request.app.state.settings.site_url   # never the request's Host header
    entries = [entry(i, base) for i in items]
    page = base + page_path
    self_url = base + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if fmt == "rss":
        body = rss(title, page, self_url, entries)
    elif fmt == "atom":
        body = atom(title, page, self_url, entries)
    elif fmt == "jsonfeed":
        return json_response(jsonfeed(title, page, self_url, entries), media_type=MEDIA[fmt],
                             headers={"Cache-Control": "public, max-age=60"})
    else:
        raise HTTPException(404, f"unknown feed format {fmt!r}: use rss, atom or feed.json")
    return Response(body, media_type=MEDIA[fmt], headers={"Cache-Control": "public, max-age=60"})


def _newest(entries: list[dict]) -> datetime:
    dates = [e["when"] for e in entries if e["when"]]
    return max(dates) if dates else datetime.now(timezone.utc)


def _xml(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                      xml_declaration=False)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = _clean(text)
    return el


def _clean(value: str) -> str:
    """XML 1.0 cannot hold most control characters: drop them."""
    return "".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 32)


def rss(title: str, page: str, self_url: str, entries: list[dict]) -> bytes:
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = _sub(root, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", page)
    _sub(channel, "description", f"{title} on newsdesk")
    _sub(channel, "atom:link", href=self_url, rel="self", type="application/rss+xml")
    _sub(channel, "lastBuildDate", format_datetime(_newest(entries)))
    for e in entries:
        item = _sub(channel, "item")
        _sub(item, "title", e["title"])
        _sub(item, "link", e["link"])
        _sub(item, "guid", e["id"], isPermaLink="true")
        # RSS readers render <description> as HTML: the plain-text summary is escaped
        # once for HTML here (the XML writer escapes it again), so a summary that *says*
        # "<script>" never becomes one
        _sub(item, "description", html.escape(e["summary"] or "", quote=False))
        if e["when"]:
            _sub(item, "pubDate", format_datetime(e["when"]))
        if e["author"]:
            _sub(item, "category", e["author"])
    return _xml(root)


def atom(title: str, page: str, self_url: str, entries: list[dict]) -> bytes:
    root = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(root, "title", title)
    _sub(root, "id", page)
    _sub(root, "link", href=page, rel="alternate", type="text/html")
    _sub(root, "link", href=self_url, rel="self", type="application/atom+xml")
    _sub(root, "updated", _newest(entries).isoformat())
    _sub(_sub(root, "author"), "name", "newsdesk")
    for e in entries:
        el = _sub(root, "entry")
        _sub(el, "title", e["title"])
        _sub(el, "id", e["id"])
        _sub(el, "link", href=e["link"], rel="alternate", type="text/html")
        if e["external"]:
            _sub(el, "link", href=e["external"], rel="related")
        _sub(el, "updated", (e["when"] or _newest(entries)).isoformat())
        _sub(el, "summary", e["summary"], type="text")
        if e["author"]:
            _sub(_sub(el, "author"), "name", e["author"])
    return _xml(root)


def jsonfeed(title: str, page: str, self_url: str, entries: list[dict]) -> dict:
    items = []
    for e in entries:
        item = {"id": e["id"], "url": e["link"], "title": e["title"], "content_text": e["summary"]
                or e["title"], "summary": e["summary"]}
        if e["external"]:
            item["external_url"] = e["external"]
        if e["when"]:
            item["date_published"] = e["when"].isoformat()
        if e["author"]:
            item["authors"] = [{"name": e["author"]}]
        items.append(item)
    return {"version": "https://jsonfeed.org/version/1.1", "title": title, "home_page_url": page,
            "feed_url": self_url, "items": items}


@router.get("/feed.{fmt}", summary="The front page as a feed: rss, atom or json (JSON Feed 1.1)")
async def front_feed(request: Request, fmt: str, category: str | None = Query(None),
                     language: str | None = Query(None), outlet: str | None = Query(None)):
    kinds = {"rss": "rss", "atom": "atom", "json": "jsonfeed"}
    if fmt not in kinds:
        raise HTTPException(404, f"unknown feed format {fmt[:12]!r}: use /feed.rss, /feed.atom "
                                 "or /feed.json")
    filters = filters_from(category, language, outlet)
    items, _ = front_store.front_page(request.app.state.db, limit=50, **filters)
    return feed_response(request, kinds[fmt], "newsdesk: front page", "/", items)


def feed_links(path: str, title: str, query: str = "") -> list[dict]:
    """<link rel=alternate> entries for a page's feeds."""
    if path == "/":
        return [{"type": "application/rss+xml", "title": f"{title} (RSS)", "href": "/feed.rss"},
                {"type": "application/atom+xml", "title": f"{title} (Atom)", "href": "/feed.atom"},
                {"type": "application/feed+json", "title": f"{title} (JSON Feed)",
                 "href": "/feed.json"}]
    return [{"type": "application/rss+xml", "title": f"{title} (RSS)", "href": f"{path}.rss{query}"},
            {"type": "application/atom+xml", "title": f"{title} (Atom)", "href": f"{path}.atom{query}"},
            {"type": "application/feed+json", "title": f"{title} (JSON Feed)",
             "href": f"{path}.feed.json{query}"}]



def article_list(request: Request, fmt: str, page: dict, *, title: str, path: str,
                 follow: tuple, context: dict):
    """One list of articles (a tag's, an outlet's) in the format asked for: a feed, the
    JSON twin with its ``next`` link, or ``list.html`` with ``context`` added. Cached
    publicly for a minute unless the page carries a reader's follow button (a CSRF token)."""
    if fmt in ("rss", "atom", "jsonfeed"):
        return feed_response(request, fmt, title, path, page["articles"])
    cursor = encode_cursor(*page["next"]) if page["next"] else None
    next_url = page_link(request, cursor=cursor) if cursor else None
    if wants_json(request, fmt):
        return json_response(dict(page, next_cursor=cursor, next=next_url))
    personal = bool(session_of(request).get("reader"))
    return request.app.state.renderer.page(request, "list.html", dict(
        context, follow=follow, heading=title, page=page, items=page["articles"],
        next_url=next_url, feeds=feed_links(path, title), json_url=f"{path}.json"),
        cache=0 if personal else 60)
