"""The moderation queue (moderators and admins): approve, hide, ban -- each with a reason
that goes into the audit log shown under the queue."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse

from ...community import Forbidden
from ..render import json_response, parse_id
from .base import csrf_token, read_form, require_user, save_session, svc, threadpool, wants_json

router = APIRouter(prefix="/moderation", tags=["moderation"])


@router.get("", summary="The moderation queue (moderators)")
async def queue(request: Request):
    user = require_user(request)
    if not user.is_moderator:
        raise Forbidden("only moderators may see the moderation queue")
    community = svc(request)
    items = await threadpool(community.moderation.queue, user)
    log = await threadpool(community.moderation.log, user, 50)
    if wants_json(request):
        return json_response({"queue": items, "log": log})
    response = request.app.state.renderer.page(request, "community/moderation.html", {
        "items": items, "log": log, "viewer": user, "csrf": csrf_token(request),
        "done": request.query_params.get("done", "")[:20]})
    response.headers["Cache-Control"] = "private, no-store"
    return save_session(request, response)


@router.post("/comments/{ref}/{action}", include_in_schema=False)
async def comment_action(request: Request, ref: str, action: str):
    moderation = svc(request).moderation
    return await _moderate(request, "comment", ref, action,
                           {"approve": moderation.approve, "hide": moderation.hide})


@router.post("/users/{ref}/{action}", include_in_schema=False)
async def user_action(request: Request, ref: str, action: str):
    moderation = svc(request).moderation
    return await _moderate(request, "user", ref, action,
                           {"ban": moderation.ban, "unban": moderation.unban})


async def _moderate(request: Request, kind: str, ref: str, action: str, actions: dict):
    """One moderation action (with its reason, kept in the audit log) on a comment or user."""
    data = await read_form(request, 8192)
    user = require_user(request)
    if action not in actions:
        raise Forbidden(f"unknown action {action[:20]!r}: {' or '.join(actions)}")
    target = parse_id(ref, kind)
    await threadpool(actions[action], user, target, data.get("reason", ""))
    if wants_json(request):
        return json_response({kind: target, "done": action})
    return RedirectResponse(f"/moderation?done={action}", status_code=303)
