"""Admin pages behind the built-in login: sources with their fetch health (last success,
errors, next check, articles per day), add a source, enable/disable it, refresh it now.

The password is ``settings.admin_password``; while it is empty the admin is disabled and
says so. A login is a server-side session (``storage/admin_sessions.py``): the cookie
carries a token, logging out deletes it, and a changed password ends every old session.
Attempts are rate limited per address (ADMIN_LOGIN_PER_IP) and over all addresses
(ADMIN_LOGIN_ALL, one password guessed from many places); over either, the login is
refused even with the right password until the window moves on; a success gives its slots
back. A refresh runs ``ingest.refresh.refresh_source`` -- the same function the
scheduler and the CLI call -- on a background thread after claiming the source, so the
request returns at once and never races the scheduler for the same source.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Callable
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from ..errors import StorageError
from ..settings import Settings
from ..community import RateLimited
from ..storage import admin_sessions, searching
from ..storage import sources as source_store
from ..storage.db import Database
from .community.base import client_ip
from .render import json_response, parse_id, wants_json
from .security import check_csrf, check_password, new_session, session_of

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin", tags=["admin"])

NOTICES = {"added": "Source added; it will be fetched at the next scheduler round.",
           "refreshing": "Refresh started in the background; reload in a moment.",
           "busy": "That source is being refreshed already (or is disabled).",
           "enabled": "Source enabled.", "disabled": "Source disabled.",
           "exists": "A source with this URL exists already.", "out": "Logged out."}


class AdminJobs:
    """Background refreshes for the admin button (two at a time at most)."""

    def __init__(self, settings: Settings, db: Database, refresher: Callable | None = None):
        self.settings, self.db = settings, db
        self.refresher = refresher
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="admin-refresh")
        self._ingest = None

    def refresh(self, source_id: int) -> bool:
        claimed = source_store.claim_due(self.db, "admin", 1, self.settings.claim_ttl,
                                         only=[source_id], force=True)
        if not claimed:
            return False
        self.pool.submit(self._run, claimed[0])
        return True

    def _run(self, source) -> None:
        try:
            if self.refresher is not None:
                self.refresher(source)
                return
            from ..ingest.refresh import Ingest, refresh_source  # heavy: only when used
            if self._ingest is None:
                self._ingest = Ingest.open(self.settings, self.db)
            refresh_source(self._ingest, source, worker="admin")
        except Exception:  # refresh_source records its own errors; this is a bug
            log.exception("admin refresh failed", extra={"source_id": source.id})
            source_store.release(self.db, source.id, "admin")

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self._ingest is not None:
            self._ingest.close()


ADMIN_LOGIN_PER_IP = (5, 900)   # attempts per address per 15 minutes
ADMIN_LOGIN_ALL = (30, 900)     # attempts from all addresses together
ADMIN_SESSION_AGE = 12 * 3600


def _password_tag(request: Request) -> str:
    state = request.app.state
    return admin_sessions.password_tag(state.settings.admin_password, state.sessions.key)


def _require_admin(request: Request) -> None:
    """The built-in admin login (admin_password), or a reader account with the admin role
    (made by ``newsdesk create-admin``)."""
    if hasattr(request.app.state, "community"):
        from .community import current_user
        user = current_user(request)
        if user is not None and user.is_admin:
            return
    if not request.app.state.settings.admin_password:
        raise HTTPException(403, "The admin is disabled: set admin_password "
                                 "(NEWSDESK_ADMIN_PASSWORD) and restart the server.")
    token = session_of(request).get("admin")
    if not token or not admin_sessions.valid(request.app.state.db, token, _password_tag(request)):
        raise HTTPException(401, "log in at /admin/login first")


async def _form(request: Request) -> dict:
    form = await request.form(max_files=0, max_fields=20, max_part_size=64 * 1024)
    data = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, data.get("csrf"))
    return data


def _back(notice: str) -> RedirectResponse:
    return RedirectResponse(f"/admin?done={notice}", status_code=303)


@router.get("", summary="Sources and their fetch health (admin)")
async def dashboard(request: Request):
    state = request.app.state
    try:
        _require_admin(request)
    except HTTPException as exc:
        if exc.status_code == 401 and not wants_json(request):
            return RedirectResponse("/admin/login", status_code=303)
        raise
    sources = source_store.list_sources(state.db)
    counts = source_store.article_counts(state.db)
    per_day = searching.articles_per_day(state.db, 30)
    rows = [{"source": s, "articles": counts.get(s.id, 0), "per_day": per_day.get(s.id, [0] * 30)}
            for s in sources]
    if wants_json(request):
        return json_response({"sources": [dict(r["source"].to_dict(), articles=r["articles"],
                                               per_day=r["per_day"]) for r in rows]})
    notice = NOTICES.get(request.query_params.get("done", ""))
    return state.renderer.page(request, "admin.html", {"rows": rows, "notice": notice})


@router.get("/login", summary="The admin login form")
async def login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    state = request.app.state
    disabled = not state.settings.admin_password
    session = session_of(request)
    if not session.get("csrf"):
        session = new_session()
        request.scope["newsdesk.session"] = session
    response = state.renderer.page(request, "login.html", {"disabled": disabled, "error": error,
                                                           "csrf": session["csrf"]},
                                   status=403 if disabled else status)
    state.sessions.save(request, response, session)
    return response


@router.post("/login", summary="Log in as admin", include_in_schema=False)
async def login(request: Request):
    state = request.app.state
    if not state.settings.admin_password:
        raise HTTPException(403, "The admin is disabled: set admin_password first.")
    data = await _form(request)
    ip = client_ip(request)
    try:
        await run_in_threadpool(_take_login_slots, state, ip)
    except RateLimited as exc:
        response = await login_form(request, error=f"{exc}.", status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if not check_password(data.get("password", ""), state.settings.admin_password):
        await asyncio.sleep(0.3)   # slow down guessing
        return await login_form(request, error="Wrong password.", status=401)
    token = await run_in_threadpool(admin_sessions.start, state.db, _password_tag(request),
                                    ADMIN_SESSION_AGE)
    await run_in_threadpool(_give_back_slots, state, ip)
    response = RedirectResponse("/admin", status_code=303)
    # a fresh CSRF token on login; a reader logged in on the same browser stays logged in
    state.sessions.save(request, response, {**session_of(request), **new_session(admin=token)})
    return response


def _take_login_slots(state, ip: str) -> None:
    with state.db.write() as conn:
        state.limiter.hit(conn, f"admin-login:ip:{ip}", *ADMIN_LOGIN_PER_IP,
                          what="too many admin login attempts from your address")
        state.limiter.hit(conn, "admin-login:all", *ADMIN_LOGIN_ALL,
                          what="too many admin login attempts")


def _give_back_slots(state, ip: str) -> None:
    with state.db.write() as conn:
        state.limiter.clear(conn, f"admin-login:ip:{ip}")
        state.limiter.release(conn, "admin-login:all")


@router.post("/logout", include_in_schema=False)
async def logout(request: Request):
    await _form(request)
    await run_in_threadpool(admin_sessions.end, request.app.state.db, session_of(request).get("admin"))
    response = RedirectResponse("/?", status_code=303)
    request.app.state.sessions.clear(response)
    return response


@router.post("/sources", include_in_schema=False)
async def add(request: Request):
    _require_admin(request)
    data = await _form(request)
    url = data.get("url", "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise HTTPException(400, "the feed URL must be an http(s) URL of at most 2000 characters")
    values = {k: data[k][:200] for k in ("title", "category", "language", "outlet_label",
                                         "attribution") if data.get(k)}
    try:
        source_store.add_source(request.app.state.db, url, **values)
    except StorageError:
        return _back("exists")
    return _back("added")


@router.post("/sources/{ref}/enabled", include_in_schema=False)
async def toggle(request: Request, ref: str):
    _require_admin(request)
    data = await _form(request)
    enable = data.get("enabled") == "1"
    source_store.update_source(request.app.state.db, parse_id(ref, "source"), enabled=enable)
    return _back("enabled" if enable else "disabled")


@router.post("/sources/{ref}/refresh", include_in_schema=False)
async def refresh(request: Request, ref: str):
    _require_admin(request)
    await _form(request)
    source_id = parse_id(ref, "source")
    source_store.get_source(request.app.state.db, source_id)   # 404 if unknown
    started = request.app.state.admin.refresh(source_id)
    return _back("refreshing" if started else "busy")
