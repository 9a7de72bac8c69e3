"""The thread page: the ongoing topic, as a dated timeline of its stories (oldest first), each
with its outlets and the first lines of the article that presents it, under "what changed"
across the whole thread since the reader's choice (a date, the story before the newest, the
reader's last visit, the last 3 days). JSON twin at ``/threads/{id}.json`` (``?since=`` too);
the panel alone at ``/threads/{id}/ai`` for pages filling it in; a thread merged into
another redirects to it."""

from __future__ import annotations

import logging
from datetime import datetime

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from ..errors import NotFound
from ..storage import reading
from ..storage import threads as thread_store
from ..storage import visits
from .ai_panel import AIPanel, fragment, no_store_if_pending
from .asking import carried_visit, parse_since, reader
from .community.base import save_session
from .render import json_response, parse_id, split_ref, wants_json

log = logging.getLogger(__name__)
router = APIRouter(tags=["pages"])


def previous_story_end(stories: list[dict]) -> datetime | None:
    """When the stories before the thread's newest one last had coverage (the instant, not
    the day: the newest story often begins the day the one before it ended, and "since
    that day" then showed nothing), as a story page's "since the previous story in this
    thread" is for that story: "what the newest story brought"."""
    dated = [s for s in stories if s.get("first_seen")]
    if len(dated) < 2:
        return None
    newest = max(dated, key=lambda s: (s["first_seen"], s["id"]))
    ends = [s["last_seen"] for s in dated if s is not newest and s.get("last_seen")
            and s["last_seen"] < newest["first_seen"]]
    return max(ends) if ends else None


def thread_panel(request: Request, thread: dict, record: bool = False) -> dict | None:
    """The thread's AI panel for this request (run in the thread pool). The reader's last
    visit is read before this one is recorded (``record``: a page opened afresh, not on a
    "since" choice, which belongs to the visit it came from)."""
    state = request.app.state
    if not isinstance(state.ai_panel, AIPanel):
        return None
    user, last_visit = reader(request), None
    if user is not None:
        last_visit = carried_visit(request) or visits.last_thread_visit(state.db, user.id, thread["id"])
        if record:
            visits.record_thread_visit(state.db, user.id, thread["id"])
    try:
        return state.ai_panel.thread(thread["id"], [s["id"] for s in thread["stories"]],
                                     since=parse_since(request), previous=previous_story_end(thread["stories"]),
                                     last_visit=last_visit, articles=thread.get("article_count"))
    except Exception:  # noqa: BLE001 -- the page is worth more than the panel
        log.exception("thread ai panel failed", extra={"thread": thread["id"]})
        return None


def _thread(request: Request, thread_id: int) -> dict:
    return thread_store.thread_detail(request.app.state.db, thread_id)


@router.get("/threads/{ref}", summary="One thread: its stories in date order, and what changed "
            "since a date or instant (?since=) (.json)")
async def thread_page(request: Request, ref: str):
    state = request.app.state
    stem, fmt = split_ref(ref)
    thread_id = parse_id(stem, "thread")
    parse_since(request)   # a bad "since" is a 400 before anything is computed
    try:
        thread = _thread(request, thread_id)
    except NotFound:
        merged = thread_store.merged_thread(state.db, thread_id)
        if merged is None:
            raise
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/threads/{merged}{'.json' if fmt == 'json' else ''}{query}",
                                status_code=301)
    for story in thread["stories"]:
        story["summary"] = reading.summary_line(story.pop("lead"))
    as_json = wants_json(request, fmt)
    fresh_visit = not as_json and not {"since", "last"} & set(request.query_params)
    panel = await run_in_threadpool(thread_panel, request, thread, fresh_visit)
    personal = reader(request) is not None
    if as_json:
        return no_store_if_pending(json_response(
            dict(thread, ai=panel, stories=[dict(s, path=f"/stories/{s['id']}") for s in thread["stories"]]),
            headers={"Cache-Control": "private, no-cache" if personal else "public, max-age=60"}), panel)
    days: list[dict] = []   # the timeline: stories under the day they began
    for story in thread["stories"]:
        day = story["first_seen"].date() if story["first_seen"] else None
        if not days or days[-1]["day"] != day:
            days.append({"day": day, "stories": []})
        days[-1]["stories"].append(story)
    response = state.renderer.page(request, "thread.html", {
        "thread": thread, "days": days, "ai": panel, "json_url": f"/threads/{thread_id}.json"},
        cache=0 if personal else 30)
    return save_session(request, no_store_if_pending(response, panel))


@router.get("/threads/{thread_id}/ai", summary="A thread's 'what changed' panel alone (HTML), "
            "for pages filling it in")
async def thread_ai(request: Request, thread_id: str):
    parse_since(request)
    thread = _thread(request, parse_id(thread_id, "thread"))
    panel = await run_in_threadpool(thread_panel, request, thread)
    return fragment(request, panel, "thread", thread["id"])
