"""Outlets: the list of sources we read (also the About page), and one outlet's page of
articles, newest first, with its label and attribution. JSON twins and feeds."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from ..storage import reading
from .feeds_out import feed_links, feed_response
from .security import session_of
from .render import (cursor_param, encode_cursor, json_response, page_link, parse_id, split_ref,
                     wants_json)

router = APIRouter(tags=["pages"])


@router.get("/outlets", summary="Every outlet we read, with its label")
@router.get("/outlets.json", summary="Every outlet we read, as JSON")
@router.get("/about", summary="About this site, and the outlets it reads")
async def outlet_list(request: Request):
    state = request.app.state
    rows = reading.outlets(state.db)
    if request.url.path.endswith(".json") or wants_json(request):
        return json_response({"outlets": rows})
    return state.renderer.page(request, "outlets.html", {
        "outlets": rows, "about": request.url.path == "/about", "json_url": "/outlets.json"},
        cache=60)


@router.get("/outlets/{ref}", summary="One outlet's articles (.json, .rss, .atom, .feed.json)")
async def outlet_page(request: Request, ref: str, cursor: str | None = Query(None, max_length=200)):
    state = request.app.state
    stem, fmt = split_ref(ref, ("json", "rss", "atom", "jsonfeed"))
    source_id = parse_id(stem, "outlet")
    key = cursor_param(cursor, "ti")
    page = reading.outlet_page(state.db, source_id, cursor=key, limit=50 if fmt != "html" else 30)
    name = page["outlet"]["name"]
    if fmt in ("rss", "atom", "jsonfeed"):
        return feed_response(request, fmt, name, f"/outlets/{source_id}", page["articles"])
    next_url = page_link(request, cursor=encode_cursor(*page["next"])) if page["next"] else None
    if wants_json(request, fmt):
        return json_response(dict(page, next_cursor=encode_cursor(*page["next"]) if page["next"]
                                  else None, next=next_url))
    personal = bool(session_of(request).get("reader"))   # a follow button with a CSRF token
    return state.renderer.page(request, "list.html", {
        "follow": ("outlet", source_id, name),
        "heading": name, "kicker": page["outlet"]["outlet_label"] or "Outlet", "page": page,
        "outlet": page["outlet"], "items": page["articles"], "next_url": next_url,
        "feeds": feed_links(f"/outlets/{source_id}", name),
        "json_url": f"/outlets/{source_id}.json"}, cache=0 if personal else 60)
