"""The thread page: the ongoing topic, as a dated timeline of its stories (oldest first), each
with its outlets and the first lines of the article that presents it. JSON twin at
``/threads/{id}.json``; a thread merged into another redirects to it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse

from ..errors import NotFound
from ..storage import reading
from ..storage import threads as thread_store
from .render import json_response, parse_id, split_ref, wants_json

router = APIRouter(tags=["pages"])


@router.get("/threads/{ref}", summary="One thread: its stories in date order (.json)")
async def thread_page(request: Request, ref: str):
    state = request.app.state
    stem, fmt = split_ref(ref)
    thread_id = parse_id(stem, "thread")
    try:
        thread = thread_store.thread_detail(state.db, thread_id)
    except NotFound:
        merged = thread_store.merged_thread(state.db, thread_id)
        if merged is None:
            raise
        return RedirectResponse(f"/threads/{merged}{'.json' if fmt == 'json' else ''}",
                                status_code=301)
    for story in thread["stories"]:
        story["summary"] = reading.summary_line(story.pop("lead"))
    if wants_json(request, fmt):
        return json_response(dict(thread, stories=[dict(s, path=f"/stories/{s['id']}")
                                                   for s in thread["stories"]]),
                             headers={"Cache-Control": "public, max-age=60"})
    days: list[dict] = []   # the timeline: stories under the day they began
    for story in thread["stories"]:
        day = story["first_seen"].date() if story["first_seen"] else None
        if not days or days[-1]["day"] != day:
            days.append({"day": day, "stories": []})
        days[-1]["stories"].append(story)
    return state.renderer.page(request, "thread.html", {
        "thread": thread, "days": days, "json_url": f"/threads/{thread_id}.json"}, cache=30)
