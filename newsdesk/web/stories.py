"""The story page: every article covering one story, newest first, with a timeline of
coverage by day and outlet drawn as inline SVG (no script). Also a JSON twin and feeds."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from ..errors import NotFound
from ..storage import reading
from ..storage import stories as story_store
from .ai_panel import AIPanel, fragment, no_store_if_pending, safe_panel
from .asking import ask, ask_form, comments_json, mark_read, since_options
from .community import comments_block
from .community.base import save_session
from .feeds_out import feed_links, feed_response
from .render import json_response, parse_id, split_ref, wants_json
from .versions import story_updates

router = APIRouter(tags=["pages"])

DAY_W, ROW_H, LABEL_W, PAD = 22, 26, 150, 6


def timeline_svg(timeline: dict) -> dict | None:
    """Geometry for the timeline: one row per outlet, one column per day, a dot sized by
    the number of articles that day. The template draws it; numbers only, no markup."""
    days, rows = timeline["days"], timeline["outlets"]
    if not days:
        return None
    biggest = max((c for r in rows for c in r["counts"]), default=1) or 1
    day_w = max(DAY_W, min(60, 480 // len(days)))
    every = max(1, -(-50 // day_w))          # a date label at least every 50 px
    dots, labels = [], []
    for y, row in enumerate(rows):
        cy = PAD + y * ROW_H + ROW_H // 2
        labels.append({"y": cy + 4, "text": row["name"][:22]})
        for x, count in enumerate(row["counts"]):
            if count:
                dots.append({"cx": LABEL_W + x * day_w + day_w // 2, "cy": cy,
                             "r": 3 + round(6 * count / biggest), "count": count,
                             "day": days[x].isoformat(), "outlet": row["name"]})
    width = LABEL_W + len(days) * day_w + PAD
    height = PAD * 2 + len(rows) * ROW_H + 18
    ticks = [{"x": LABEL_W + x * day_w + day_w // 2, "text": d.strftime("%d %b")}
             for x, d in enumerate(days) if x % every == 0]
    return {"width": width, "height": height, "dots": dots, "labels": labels, "ticks": ticks,
            "axis_y": height - 4, "first": days[0], "last": days[-1]}


@router.get("/stories/{ref}", summary="One story: all coverage newest first "
            "(.json, .rss, .atom, .feed.json)")
async def story_page(request: Request, ref: str):
    state = request.app.state
    stem, fmt = split_ref(ref, ("json", "rss", "atom", "jsonfeed"))
    story_id = parse_id(stem, "story")
    try:
        story = reading.story_detail(state.db, story_id)
    except NotFound:
        merged = story_store.merged_into(state.db, story_id)
        if merged is None:
            raise
        suffix = "" if fmt == "html" else "." + ("feed.json" if fmt == "jsonfeed" else fmt)
        return RedirectResponse(f"/stories/{merged}{suffix}", status_code=301)
    if fmt in ("rss", "atom", "jsonfeed"):
        return feed_response(request, fmt, f"Story: {story['title']}", f"/stories/{story_id}",
                             story["articles"][:50])
    story["updates"] = story_updates(state.db, story_id)
    panel = await run_in_threadpool(safe_panel, state.ai_panel, dict(story, kind="story"),
                                    **since_options(request, story, isinstance(state.ai_panel, AIPanel)))
    if wants_json(request, fmt):
        return no_store_if_pending(json_response(
            dict(story, ai=panel, comments=comments_json(request, "story", story_id)),
            headers={"Cache-Control": "public, max-age=60"}), panel)
    if not {"since", "last"} & set(request.query_params):   # a "since" choice: the same visit
        mark_read(request, story_id)
    outlets = sorted({a["outlet"]["name"] for a in story["articles"]})
    response = state.renderer.page(request, "story.html", {
        "story": story, "svg": timeline_svg(story["timeline"]), "ai": panel, "outlets": outlets,
        "comments": comments_block(request, "story", story_id),
        "feeds": feed_links(f"/stories/{story_id}", f"Story: {story['title']}"),
        "json_url": f"/stories/{story_id}.json"})
    return save_session(request, no_store_if_pending(response, panel))


@router.get("/stories/{story_id}/ai", summary="A story's AI panel alone (HTML), for pages filling it in")
async def story_ai(request: Request, story_id: str):
    state = request.app.state
    story = reading.story_detail(state.db, parse_id(story_id, "story"))
    panel = await run_in_threadpool(safe_panel, state.ai_panel, dict(story, kind="story"),
                                    **since_options(request, story, isinstance(state.ai_panel, AIPanel)))
    return fragment(request, panel, "story", story["id"])


@router.get("/stories/{story_id}/ask", summary="The form to ask about a story's coverage")
async def ask_story_form(request: Request, story_id: str, q: str = Query("", max_length=2000)):
    story = reading.story_detail(request.app.state.db, parse_id(story_id, "story"))
    return ask_form(request, q, story["title"], f"/stories/{story['id']}", f"/stories/{story['id']}/ask")


@router.post("/stories/{story_id}/ask", summary="Ask a question about a story's coverage "
             "(form fields q and csrf)")
async def ask_story(request: Request, story_id: str):
    from ..ai.service import story_docs
    state = request.app.state
    story = reading.story_detail(state.db, parse_id(story_id, "story"))
    return await ask(request, lambda: story_docs(state.db, story["id"]), story["title"],
                     f"/stories/{story['id']}", f"story:{story['id']}", f"/stories/{story['id']}/ask")
