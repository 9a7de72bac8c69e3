"""Tag pages: every article carrying a hashtag, newest first, and the stories tagged with
it. JSON twin and feeds (``/tags/{slug}.json|rss|atom|feed.json``)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.exceptions import HTTPException

from ..storage import reading
from .feeds_out import feed_links, feed_response
from .security import session_of
from .render import cursor_param, encode_cursor, json_response, page_link, split_ref, wants_json

router = APIRouter(tags=["pages"])


@router.get("/tags/{ref}", summary="Articles with a hashtag (.json, .rss, .atom, .feed.json)")
async def tag_page(request: Request, ref: str, cursor: str | None = Query(None, max_length=200)):
    state = request.app.state
    slug, fmt = split_ref(ref, ("json", "rss", "atom", "jsonfeed"))
    if len(slug) > 120:
        raise HTTPException(404, "no such tag (tags are at most 120 characters)")
    key = cursor_param(cursor, "ti")
    page = reading.tag_page(state.db, slug, cursor=key, limit=50 if fmt != "html" else 30)
    if fmt in ("rss", "atom", "jsonfeed"):
        return feed_response(request, fmt, f"#{page['display']}", f"/tags/{slug}", page["articles"])
    next_url = page_link(request, cursor=encode_cursor(*page["next"])) if page["next"] else None
    if wants_json(request, fmt):
        return json_response(dict(page, next_cursor=encode_cursor(*page["next"]) if page["next"]
                                  else None, next=next_url))
    personal = bool(session_of(request).get("reader"))   # a follow button with a CSRF token
    return state.renderer.page(request, "list.html", {
        "follow": ("tag", slug, "#" + page["display"]),
        "heading": f"#{page['display']}", "kicker": "Hashtag", "page": page,
        "items": page["articles"], "stories": page["stories"], "next_url": next_url,
        "feeds": feed_links(f"/tags/{slug}", f"#{page['display']}"),
        "json_url": f"/tags/{slug}.json"}, cache=0 if personal else 60)
