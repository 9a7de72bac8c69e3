"""Comment pages and actions. Every action is an ordinary form POST that answers with a
redirect back to the page (works without JavaScript); sent with ``Accept:
application/json`` (as ``comments.js`` does) it answers JSON with the rendered comment.

    GET  /discussion/{article|story}/{id}   the subject's comments (a page of its own)
    POST /comments                          post (subject_type, subject_id, parent_id, body, idem)
    GET  /comments/{id}/replies             deeper replies ("more replies")
    GET  /comments/{id}/edit, POST .../edit edit within the time window
    POST /comments/{id}/delete              delete by the author
    POST /comments/{id}/report              report with a reason
"""

from __future__ import annotations

from functools import partial

import anyio
from anyio.lowlevel import RunVar
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse

from ...community import CommunityError
from ...community.comments import SUBJECTS
from ...errors import NotFound
from ...storage import comments as comment_store
from ..render import json_response, parse_id
from . import account_routes, app_routes, follow_routes, moderation_routes, saved_routes
from .base import (block_context, client_ip, csrf_token, current_user, page, parse_int, read_form,
                   require_user, safe_next, svc, threadpool, wants_json)

router = APIRouter(tags=["comments"])
router.include_router(account_routes.router)
router.include_router(moderation_routes.router)
router.include_router(follow_routes.router)
router.include_router(app_routes.router)
router.include_router(saved_routes.router)


def _subject_path(subject_type: str, subject_id: int) -> str:
    return f"/discussion/{subject_type}/{subject_id}"


def _render_comment(request: Request, comment, viewer, next_path: str) -> str:
    env = request.app.state.renderer.env
    macro = env.get_template("community/_comments.html").module.comment
    return str(macro(comment, viewer, csrf_token(request), next_path,
                     svc(request).comments.edit_window))


@router.get("/discussion/{subject_type}/{ref}", summary="Comments on an article or a story")
async def discussion(request: Request, subject_type: str, ref: str):
    if subject_type not in SUBJECTS:
        raise NotFound(f"comments are on articles or stories, not {subject_type[:20]!r}")
    subject_id = parse_id(ref.removesuffix(".json"), subject_type)
    community = svc(request)
    with community.db.read() as conn:
        row = comment_store.subject_title(conn, subject_type, subject_id)
    if row is None:
        raise NotFound(f"no {subject_type} {subject_id}")
    after, limit = request.query_params.get("after", ""), request.query_params.get("limit", "")
    ctx = await threadpool(block_context, request, subject_type, subject_id,
                           int(after) if after.isdigit() and len(after) < 18 else 0,
                           min(int(limit), 100) if limit.isdigit() and len(limit) < 4 else 30)
    if ref.endswith(".json") or wants_json(request):
        return json_response({"subject": f"{subject_type}:{subject_id}", "title": row.title,
                              "comments": [c.to_dict() for c in ctx["comments"]],
                              "more_after": ctx["more_after"]})
    return page(request, "discussion.html", dict(ctx, title=row.title,
                                                  subject_url=f"/{SUBJECTS[subject_type]}/{subject_id}"))


@router.post("/comments", include_in_schema=False)
async def post_comment(request: Request):
    data = await read_form(request)
    # The session lookup, the transaction and the answer's rendering are all blocking work:
    # one trip to the threadpool keeps the event loop free for the other requests.
    return await anyio.to_thread.run_sync(partial(_post_comment, request, data),
                                          limiter=_posters())


# Posting is serialized by the write lock anyway: a few worker threads at a time (the rest
# of the queue waits on the event loop, in order) instead of twenty contending for the GIL
# with the one that holds the lock. One limiter per event loop (tests run several).
_POSTERS: RunVar[anyio.CapacityLimiter] = RunVar("newsdesk_comment_posters")


def _posters() -> anyio.CapacityLimiter:
    try:
        return _POSTERS.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(4)
        _POSTERS.set(limiter)
        return limiter


def _post_comment(request: Request, data: dict):
    user = require_user(request)   # the author is the session's reader, never a form field
    subject_type = data.get("subject_type", "")
    if subject_type not in SUBJECTS:
        raise CommunityError("comments are on articles or stories")
    subject_id = parse_int(data.get("subject_id"), "subject_id")
    parent = data.get("parent_id") or None
    parent_id = parse_int(parent, "parent_id") if parent else None
    comment, created = svc(request).comments.post(
        user, subject_type, subject_id, data.get("body"),
        parent_id=parent_id, ip=client_ip(request), idempotency_key=data.get("idem"))
    nxt = safe_next(data.get("next"), _subject_path(subject_type, subject_id))
    notice = ("Your comment is waiting for a moderator." if comment.status == "pending"
              else "Posted." if created else "You had posted this already.")
    if wants_json(request):
        return json_response({"comment": comment.to_dict(), "created": created, "notice": notice,
                              "html": _render_comment(request, comment, user, nxt)},
                             status=201 if created else 200)
    return RedirectResponse(f"{nxt}#c{comment.id}", status_code=303)


@router.get("/comments/{ref}/replies", summary="Deeper replies to a comment")
async def replies(request: Request, ref: str):
    comment_id = parse_id(ref, "comment")
    viewer = current_user(request)
    top = await threadpool(svc(request).comments.replies, comment_id, viewer)
    if wants_json(request):
        return json_response({"comment": top.to_dict(), "html": _render_comment(request, top, viewer,
                                                         _subject_path(top.subject_type, top.subject_id))})
    return page(request, "replies.html", {"top": top, "viewer": viewer, "csrf": csrf_token(request),
                                           "edit_window": svc(request).comments.edit_window,
                                           "back": _subject_path(top.subject_type, top.subject_id)})


@router.get("/comments/{ref}/edit", summary="Edit your comment")
async def edit_form(request: Request, ref: str):
    user = require_user(request)
    comment = svc(request).comments.get(parse_id(ref, "comment"))
    if comment.user_id != user.id:
        raise NotFound(f"no comment {comment.id} of yours")
    return page(request, "edit.html", {"comment": comment, "csrf": csrf_token(request),
                                        "back": _subject_path(comment.subject_type, comment.subject_id)})


@router.post("/comments/{ref}/edit", include_in_schema=False)
async def edit(request: Request, ref: str):
    data = await read_form(request)
    user = require_user(request)
    comment = await threadpool(svc(request).comments.edit, user, parse_id(ref, "comment"),
                               data.get("body"))
    if wants_json(request):
        return json_response({"comment": comment.to_dict(),
                              "html": _render_comment(request, comment, user,
                                                         _subject_path(comment.subject_type, comment.subject_id))})
    return RedirectResponse(f"{_subject_path(comment.subject_type, comment.subject_id)}#c{comment.id}",
                            status_code=303)


@router.post("/comments/{ref}/delete", include_in_schema=False)
async def delete(request: Request, ref: str):
    data = await read_form(request, 4096)
    user = require_user(request)
    comment_id = parse_id(ref, "comment")
    comments = svc(request).comments
    await threadpool(comments.delete, user, comment_id)
    comment = comments.get(comment_id)
    if wants_json(request):
        return json_response({"deleted": comment_id})
    nxt = safe_next(data.get("next"), _subject_path(comment.subject_type, comment.subject_id))
    return RedirectResponse(nxt, status_code=303)


@router.post("/comments/{ref}/report", include_in_schema=False)
async def report(request: Request, ref: str):
    data = await read_form(request, 8192)
    user = require_user(request)
    comment_id = parse_id(ref, "comment")
    comments = svc(request).comments
    new = await threadpool(comments.report, user, comment_id, data.get("reason", ""))
    message = ("Thank you: a moderator will look at it." if new
               else "You reported this comment already.")
    if wants_json(request):
        return json_response({"reported": comment_id, "notice": message})
    comment = comments.get(comment_id)
    return page(request, "notice.html", {"message": message, "title": "Reported",
                                          "back": _subject_path(comment.subject_type, comment.subject_id)})
