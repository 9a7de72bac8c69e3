"""Outlets: the list of sources we read (also the About page), and one outlet's page of
articles, newest first, with its label and attribution. JSON twins and feeds."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from ..storage import reading
from .feeds_out import article_list
from .render import cursor_param, json_response, parse_id, split_ref, wants_json

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
    return article_list(request, fmt, page, title=name, path=f"/outlets/{source_id}",
                        follow=("outlet", source_id, name),
                        context={"kicker": page["outlet"]["outlet_label"] or "Outlet",
                                 "outlet": page["outlet"]})
