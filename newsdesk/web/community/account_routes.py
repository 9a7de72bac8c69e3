"""Account pages: sign up, log in, log out, account settings (password, delete), and
password reset by a mailed single-use link. Hashing runs off the event loop."""

from __future__ import annotations

import asyncio
import logging
import secrets

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.responses import RedirectResponse

from ...community import AuthError, CommunityError
from ...community.mail import MailError
from ..render import json_response
from .base import (client_ip, current_user, form_page, read_form, require_user, safe_next,
                   svc, threadpool)

router = APIRouter(tags=["accounts"])
log = logging.getLogger(__name__)

NOTICES = {"password": "Your password was changed; other sessions were logged out.",
           "reset": "Your password was set; log in with it now.",
           "deleted": "Your account was deleted.", "out": "You are logged out.",
           "welcome": "Welcome! Your account is ready."}


def _page(request: Request, template: str, ctx: dict, status: int = 200):
    return form_page(request, template, ctx, status, NOTICES)


def _start_session(request: Request, user, next_path: str):
    token = svc(request).accounts.create_session(user, client_ip(request))
    response = RedirectResponse(next_path, status_code=303)
    request.app.state.sessions.save(request, response,
                                    {"csrf": secrets.token_urlsafe(24), "reader": token})
    return response


@router.get("/signup", summary="The sign-up form")
async def signup_form(request: Request):
    return _page(request, "signup.html", {"next": safe_next(request.query_params.get("next"), "/")})


@router.post("/signup", include_in_schema=False)
async def signup(request: Request):
    data = await read_form(request, 8192)
    nxt = safe_next(data.get("next"), "/")
    try:
        user = await threadpool(svc(request).accounts.signup, data.get("username", ""),
                                data.get("password", ""), data.get("email"), ip=client_ip(request))
    except CommunityError as exc:
        return _page(request, "signup.html", {"error": str(exc), "next": nxt,
                                              "username": data.get("username", "")[:40],
                                              "email": data.get("email", "")[:254]}, exc.status)
    return _start_session(request, user, nxt)


@router.get("/login", summary="The login form")
async def login_form(request: Request):
    return _page(request, "login.html", {"next": safe_next(request.query_params.get("next"), "/")})


@router.post("/login", include_in_schema=False)
async def login(request: Request):
    data = await read_form(request, 8192)
    nxt = safe_next(data.get("next"), "/")
    try:
        user = await threadpool(svc(request).accounts.authenticate, data.get("username", ""),
                                data.get("password", ""), client_ip(request))
    except CommunityError as exc:
        if isinstance(exc, AuthError):
            await asyncio.sleep(0.2)
        response = _page(request, "login.html", {"error": str(exc), "next": nxt,
                                                 "username": data.get("username", "")[:40]}, exc.status)
        if getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return _start_session(request, user, nxt)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request):
    await read_form(request, 4096)
    from ..security import session_of
    await threadpool(svc(request).accounts.end_session, session_of(request).get("reader"))
    response = RedirectResponse("/login?done=out", status_code=303)
    request.app.state.sessions.clear(response)
    return response


@router.get("/account", summary="Your account")
async def account(request: Request):
    user = current_user(request)
    if user is None:
        return RedirectResponse("/login?next=/account", status_code=303)
    if "application/json" in request.headers.get("accept", ""):
        return json_response({"id": user.id, "username": user.username, "role": user.role,
                              "email": user.email})
    from .app_routes import apps_context
    return _page(request, "account.html", dict(await threadpool(apps_context, request, user), user=user))


@router.post("/account/password", include_in_schema=False)
async def change_password(request: Request):
    data = await read_form(request, 8192)
    user = require_user(request)
    from ..security import session_of
    try:
        await threadpool(svc(request).accounts.change_password, user, data.get("old", ""),
                         data.get("new", ""), session_of(request).get("reader"))
    except CommunityError as exc:
        return _page(request, "account.html", {"user": user, "error": str(exc)}, exc.status)
    return RedirectResponse("/account?done=password", status_code=303)


@router.post("/account/delete", include_in_schema=False)
async def delete_account(request: Request):
    data = await read_form(request, 8192)
    user = require_user(request)
    try:
        await threadpool(svc(request).accounts.delete_account, user, data.get("password", ""),
                         data.get("comments", ""))
    except CommunityError as exc:
        return _page(request, "account.html", {"user": user, "error": str(exc)}, exc.status)
    response = RedirectResponse("/login?done=deleted", status_code=303)
    request.app.state.sessions.clear(response)
    return response


@router.get("/password/forgot", summary="Ask for a password-reset link")
async def forgot_form(request: Request):
    return _page(request, "forgot.html", {})


@router.post("/password/forgot", include_in_schema=False)
async def forgot(request: Request):
    """The same answer, in about the same time, whether or not the account exists: the
    mail goes out after the response, and the link is made from ``site_url`` (never the
    Host header, which whoever asks can forge)."""
    data = await read_form(request, 4096)
    community = svc(request)
    found = await threadpool(community.accounts.start_reset, data.get("who", ""), client_ip(request))
    sent_note = ("If an account with that name or address has an e-mail address, a reset "
                 "link is on its way. It works once, for an hour.")
    if community.mailer is None:
        sent_note += " (No mail is configured here: ask an admin to run `newsdesk reset-password`.)"
    response = _page(request, "forgot.html", {"sent": sent_note})
    if found and community.mailer is not None and found[0].email:
        user, token = found
        link = f"{request.app.state.settings.site_url}/password/reset?token={token}"
        response.background = BackgroundTask(
            _send_reset, community.mailer, user.email, user.username, link)
    return response


def _send_reset(mailer, email: str, username: str, link: str) -> None:
    try:
        mailer.send(email, "Your password reset link",
                    f"Hello {username},\n\nSet a new password here (valid for an hour, once):"
                    f"\n\n{link}\n\nIf you did not ask for this, ignore this mail.\n")
    except MailError as exc:  # after the response: the operator reads it in the log
        log.error("reset mail not sent", extra={"error": str(exc)})


@router.get("/password/reset", summary="Set a new password with a reset link")
async def reset_form(request: Request):
    return _page(request, "reset.html", {"token": request.query_params.get("token", "")[:100]})


@router.post("/password/reset", include_in_schema=False)
async def reset(request: Request):
    data = await read_form(request, 8192)
    try:
        await threadpool(svc(request).accounts.finish_reset, data.get("token", ""),
                         data.get("password", ""))
    except CommunityError as exc:
        return _page(request, "reset.html", {"token": data.get("token", "")[:100], "error": str(exc)},
                     exc.status)
    return RedirectResponse("/login?done=reset", status_code=303)
