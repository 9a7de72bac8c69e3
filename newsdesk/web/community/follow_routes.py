"""Follows, "My news" and the personal feed.

    POST /follow, /unfollow            kind (story|tag|outlet) and target
    GET  /my                           My news (``/my.json`` as JSON), with saved searches' new matches
    GET  /my/open/{story_id}           mark the story read for this reader, then open it
    POST /my/feed/rotate               a new secret feed token (the old URL stops working)
    GET  /my/feed/{token}.rss|.atom|.feed.json   the personal feed, no login needed
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse

from ...errors import NotFound
from ..feeds_out import feed_response
from ..render import json_response, parse_id, split_ref
from .base import (csrf_token, current_user, read_form, require_user, safe_next, save_session,
                   svc, threadpool, wants_json)

router = APIRouter(tags=["follows"])


@router.post("/follow", include_in_schema=False)
@router.post("/unfollow", include_in_schema=False)
async def follow(request: Request):
    data = await read_form(request, 4096)
    user = require_user(request)
    follows = svc(request).follows
    kind, target = data.get("kind", ""), data.get("target", "")
    if request.url.path == "/follow":
        await threadpool(follows.follow, user, kind, target)
    else:
        await threadpool(follows.unfollow, user, kind, target)
    if wants_json(request):
        return json_response({"kind": kind, "target": target,
                              "following": request.url.path == "/follow"})
    return RedirectResponse(safe_next(data.get("next"), "/my"), status_code=303)


@router.get("/my", summary="My news: followed stories, new coverage first")
@router.get("/my.json", include_in_schema=False)
async def my_news(request: Request):
    user = current_user(request)
    if user is None:
        require_user(request) if request.url.path.endswith(".json") else None
        return RedirectResponse("/login?next=/my", status_code=303)
    follows = svc(request).follows
    stories = await threadpool(follows.my_news, user)
    following = await threadpool(follows.following, user)
    searches = await threadpool(svc(request).saved.with_news, user)
    await threadpool(_what_changed, request, stories)
    if request.url.path.endswith(".json") or wants_json(request):
        return json_response({"stories": stories, "following": following, "searches": searches})
    base = str(request.base_url).rstrip("/")
    response = request.app.state.renderer.page(request, "community/my.html", {
        "stories": stories, "following": following, "searches": searches, "viewer": user,
        "csrf": csrf_token(request),
        "feed_base": f"{base}/my/feed/{user.feed_token}"})
    response.headers["Cache-Control"] = "private, no-store"
    return save_session(request, response)


MAX_TIMELINES = 10


def _what_changed(request: Request, stories: list[dict]) -> None:
    """For followed stories with new coverage: the AI timeline since the reader last opened
    them (cited, like everywhere), computed now for this reader (a few stories at most)."""
    service = getattr(request.app.state, "ai", None)
    if service is None:
        return
    from ..ai_panel import view
    for story in [s for s in stories if s.get("new_count") and s.get("opened_at")][:MAX_TIMELINES]:
        panel = service.story_panel(story["id"], since=story["opened_at"].date(), wait=True)
        outlets = {row[0]: row[2] for row in panel["coverage"]}
        story["changes"] = view(panel["timeline"], outlets)


@router.get("/my/open/{ref}", summary="Open a story from My news (marks it read)")
async def open_story(request: Request, ref: str):
    story_id = parse_id(ref, "story")
    user = current_user(request)
    if user is not None:
        await threadpool(svc(request).follows.mark_read, user, story_id)
    return RedirectResponse(f"/stories/{story_id}", status_code=303)


@router.post("/my/feed/rotate", include_in_schema=False)
async def rotate(request: Request):
    await read_form(request, 4096)
    user = require_user(request)
    await threadpool(svc(request).follows.rotate_feed_token, user)
    return RedirectResponse("/my", status_code=303)


@router.get("/my/feed/{ref}", summary="Your personal feed (secret link)")
async def personal_feed(request: Request, ref: str):
    token, fmt = split_ref(ref, ("rss", "atom", "jsonfeed"))
    if fmt == "html":
        raise NotFound("use the .rss, .atom or .feed.json address")
    follows = svc(request).follows
    user = await threadpool(follows.user_by_feed_token, token)
    if user is None:
        raise NotFound("no such feed (the link may have been replaced by a new one)")
    items = await threadpool(follows.feed_items, user)
    found = await threadpool(svc(request).saved.feed_items, user)     # saved searches' new matches
    seen = {i["id"] for i in items}
    items = sorted(items + [i for i in found if i["id"] not in seen], key=lambda i: i["id"],
                   reverse=True)[:50]
    response = feed_response(request, fmt, f"My news for {user.username}", "/my", items)
    response.headers["Cache-Control"] = "private, max-age=60"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
