"""Tag pages: every article carrying a hashtag, newest first, and the stories tagged with
it. JSON twin and feeds (``/tags/{slug}.json|rss|atom|feed.json``)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.exceptions import HTTPException

from ..storage import reading
from .feeds_out import article_list
from .render import cursor_param, split_ref

router = APIRouter(tags=["pages"])


@router.get("/tags/{ref}", summary="Articles with a hashtag (.json, .rss, .atom, .feed.json)")
async def tag_page(request: Request, ref: str, cursor: str | None = Query(None, max_length=200)):
    state = request.app.state
    slug, fmt = split_ref(ref, ("json", "rss", "atom", "jsonfeed"))
    if len(slug) > 120:
        raise HTTPException(404, "no such tag (tags are at most 120 characters)")
    key = cursor_param(cursor, "ti")
    page = reading.tag_page(state.db, slug, cursor=key, limit=50 if fmt != "html" else 30)
    title = f"#{page['display']}"
    return article_list(request, fmt, page, title=title, path=f"/tags/{slug}",
                        follow=("tag", slug, title),
                        context={"kicker": "Hashtag", "stories": page["stories"]})
