"""The front page: first the top stories, ranked by significance (outlets, articles, growth,
recency) and grouped under their thread; then every story, newest update first, each with
the outlets covering it (and what kind of source each is), when it last moved and the
first lines of the article whose headline it carries. Filters by category, language and
outlet; cursor pagination; JSON twin at ``/index.json`` (``top`` on the first page)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from ..storage import front as front_store
from ..storage import reading
from .feeds_out import feed_links
from .render import cursor_param, encode_cursor, filters_from, int_param, json_response, page_link

router = APIRouter(tags=["pages"])


def item_json(item: dict) -> dict:
    path = f"/stories/{item['id']}" if item["kind"] == "story" else f"/articles/{item['id']}"
    return dict(item, path=path)


@router.get("/", summary="Front page of stories (HTML, or JSON with Accept: application/json)")
@router.get("/index.json", summary="Front page of stories as JSON")
async def front_page(request: Request, category: str | None = Query(None, max_length=100),
                     language: str | None = Query(None, max_length=16),
                     outlet: str | None = Query(None, max_length=19),
                     cursor: str | None = Query(None, max_length=200),
                     limit: str | None = Query(None, max_length=3)):
    state = request.app.state
    filters = filters_from(category, language, outlet)
    key = cursor_param(cursor, "tsi")
    size = int_param(limit, "limit", 1, reading.MAX_LIMIT) or 30
    shared: dict = {}   # the two calls find the filters' stories once
    items, next_key = front_store.front_page(state.db, cursor=key, limit=size, shared=shared,
                                             **filters)
    top = [] if key else front_store.top_threads(state.db, shared=shared, **filters)
    _add_comment_counts(request, items)
    next_url = page_link(request, cursor=encode_cursor(*next_key)) if next_key else None
    if request.url.path.endswith(".json") or _json(request):
        return json_response({"top": [_group_json(g) for g in top],
                              "items": [item_json(i) for i in items], "filters": filters,
                              "next_cursor": encode_cursor(*next_key) if next_key else None,
                              "next": next_url})
    choices = reading.filter_choices(state.db)
    return state.renderer.page(request, "front.html", {
        "items": items, "top": top, "filters": filters, "choices": choices, "next_url": next_url,
        "first_url": page_link(request, cursor=None) if key else None,
        "feeds": feed_links("/", "Front page"), "json_url": "/index.json" + _query(request)},
        cache=30)


def _group_json(group: dict) -> dict:
    thread = group["thread"]
    return dict(group, thread=dict(thread, path=f"/threads/{thread['id']}") if thread else None,
                stories=[dict(s, path=f"/stories/{s['id']}") for s in group["stories"]])


def _add_comment_counts(request: Request, items: list[dict]) -> None:
    community = getattr(request.app.state, "community", None)
    if community is None:
        return
    from ..community.comments import comment_counts
    stories = comment_counts(request.app.state.db, [i["id"] for i in items if i["kind"] == "story"])
    articles = community.comments.counts("article", [i["id"] for i in items if i["kind"] != "story"])
    for item in items:
        item["comments"] = (stories if item["kind"] == "story" else articles).get(item["id"], 0)


def _json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _query(request: Request) -> str:
    return "?" + str(request.url.query) if request.url.query else ""
