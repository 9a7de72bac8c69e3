"""Search: full-text over titles and text, best match or newest first, filtered by
category, language or outlet, with highlighted snippets. ``/search.json`` is the JSON
twin; ``/search.rss|atom|feed.json?q=`` follow a query as a feed. Queries are capped in
length and paging in depth, and a search looks at no more than the newest
``searching.CANDIDATES`` matches (the page says so when there are more), so no request can
ask the database for unbounded work. The cursor holds the offset and the newest matching id
of the first page, so later pages stay put while new articles arrive."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ..storage import reading, searching
from .feeds_out import feed_links, feed_response
from .render import (cursor_param, encode_cursor, filters_from, highlight, json_response, page_link,
                     wants_json)

router = APIRouter(tags=["search"])

MAX_QUERY = 300
MAX_OFFSET = 1000
PAGE = 20
FORMATS = {"": "html", ".json": "json", ".rss": "rss", ".atom": "atom", ".feed.json": "jsonfeed"}


@router.get("/search", summary="Full-text search (HTML, or JSON with Accept: application/json)")
@router.get("/search{suffix}", summary="Search as .json, or a feed: .rss, .atom, .feed.json")
async def search_page(request: Request, suffix: str = "",
                      q: str | None = Query(None, max_length=2000),
                      sort: str = Query("relevance", max_length=20),
                      category: str | None = Query(None, max_length=100),
                      language: str | None = Query(None, max_length=16),
                      outlet: str | None = Query(None, max_length=19),
                      cursor: str | None = Query(None, max_length=200)):
    state = request.app.state
    if suffix not in FORMATS:
        raise HTTPException(404, f"unknown format {suffix[:16]!r}: use /search, /search.json, "
                                 "/search.rss, /search.atom or /search.feed.json")
    fmt = FORMATS[suffix]
    query = "".join(ch if ch.isprintable() else " " for ch in (q or "")).strip()
    if len(query) > MAX_QUERY:
        raise HTTPException(400, f"the search is too long: at most {MAX_QUERY} characters")
    if sort not in ("relevance", "date"):
        raise HTTPException(400, "sort must be 'relevance' or 'date'")
    filters = filters_from(category, language, outlet)
    offset, top = cursor_param(cursor, "ii") if cursor else (0, None)
    if offset > MAX_OFFSET:
        raise HTTPException(400, f"results stop after {MAX_OFFSET}: refine the search instead")
    found = searching.Found(results=[], more=False, matches=0, complete=True,
                            bound=searching.CANDIDATES, top=None)
    if query:
        feed = fmt in ("rss", "atom", "jsonfeed")
        found = await run_in_threadpool(
            searching.search, state.db, query, sort="date" if feed else sort, offset=offset,
            limit=PAGE, top=top, **filters)
    elif fmt != "html":
        raise HTTPException(400, "missing search: add ?q=words")
    results = found.results
    for r in results:
        r["snippet_html"] = highlight(r["snippet"])
        r["summary"] = r["snippet"].replace("\x02", "").replace("\x03", "")
    if fmt in ("rss", "atom", "jsonfeed"):
        return feed_response(request, fmt, f"Search: {query}", "/search?" + str(request.url.query),
                             results)
    next_cursor = (encode_cursor(offset + PAGE, found.top)
                   if found.more and offset + PAGE <= MAX_OFFSET else None)
    scope = scope_note(found, sort)
    next_url = page_link(request, cursor=next_cursor) if next_cursor else None
    if wants_json(request, fmt):
        for r in results:
            r["snippet"] = str(r.pop("snippet_html"))
            r.pop("summary")
        return json_response({"query": query, "sort": sort, "filters": filters,
                              "total": {"value": found.matches,
                                        "relation": "eq" if found.complete else "gte"},
                              "scope": scope, "results": results, "next_cursor": next_cursor,
                              "next": next_url})
    from urllib.parse import urlencode
    feed_query = "?" + urlencode({"q": query}) if query else ""
    return state.renderer.page(request, "search.html", {
        "q": query, "sort": sort, "filters": filters, "results": results, "next_url": next_url,
        "found": found, "scope": scope,
        "offset": offset, "choices": reading.filter_choices(state.db),
        "feeds": feed_links("/search", f"Search: {query}", feed_query) if query else [],
        "json_url": "/search.json" + ("?" + str(request.url.query) if request.url.query else "")})


def scope_note(found: searching.Found, sort: str) -> str | None:
    """What was searched, when it was not every match: said on the page and in the JSON."""
    if found.complete:
        return None
    if found.scanned:
        return (f"Only the {found.scanned:,} most recently collected articles with these words "
                f"were checked against the filters ({found.matches:,} pass). Add words to reach "
                "older ones.")
    newest = f"the {found.bound:,} most recently collected"
    what = f"{newest}, newest first" if sort == "date" else f"the best matches among {newest}"
    return (f"More than {found.bound:,} articles match: these results are {what}. "
            "Add words or a filter to reach older ones.")
