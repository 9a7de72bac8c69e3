"""Admin pages behind the built-in login: sources with their fetch health (last success,
errors, next check, a chart of every check of the week from ``fetch_log``, articles per
day), add a source (by feed, sitemap or site URL: ``ingest.subscribe``, as ``newsdesk
add`` does), enable/disable it, refresh it now.

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
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Callable
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from ..errors import NewsdeskError, NotFound, StorageError
from ..settings import Settings
from ..community import RateLimited
from ..storage import admin_sessions, searching
from ..storage import sources as source_store
from ..storage.db import Database
from . import admin_filters
from .admin_guard import admin_form, require_admin
from .community.base import client_ip
from .health import DAYS, health_chart
from .render import json_response, parse_id, wants_json
from .security import admin_password_tag, check_password, new_session, session_of

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin", tags=["admin"])

NOTICES = {"refreshing": "Refresh started in the background; reload in a moment.",
           "busy": "That source is being refreshed already, is disabled, or its server asked "
                   "us to wait (Retry-After: see its next check).",
           "enabled": "Source enabled.", "disabled": "Source disabled.",
           "exists": "A source with this URL exists already.", "out": "Logged out."}


class AdminJobs:
    """Background refreshes for the admin button (two at a time at most)."""

    def __init__(self, settings: Settings, db: Database, refresher: Callable | None = None):
        self.settings, self.db = settings, db
        self.refresher = refresher
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="admin-refresh")
        self._ingest = None
        self._fetcher = None
        self._lock = threading.Lock()

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

    def subscribe(self, url: str, **values):
        """Add a source as ``newsdesk add`` does: feed discovery on a site URL, a server
        that is down for now kept with its first failure. Blocking: call off the loop."""
        from ..ingest.fetch import Fetcher
        from ..ingest.subscribe import subscribe
        with self._lock:
            if self._fetcher is None:
                self._fetcher = Fetcher(self.settings)
        return subscribe(self.db, self._fetcher, url, **values)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self._ingest is not None:
            self._ingest.close()
        if self._fetcher is not None:
            self._fetcher.close()


ADMIN_LOGIN_PER_IP = (5, 900)   # attempts per address per 15 minutes
ADMIN_LOGIN_ALL = (30, 900)     # attempts from all addresses together
ADMIN_SESSION_AGE = 12 * 3600


def _back(notice: str) -> RedirectResponse:
    return RedirectResponse(f"/admin?done={notice}", status_code=303)


@router.get("", summary="Sources and their fetch health (admin)")
async def dashboard(request: Request):
    state = request.app.state
    try:
        require_admin(request)
    except HTTPException as exc:
        if exc.status_code == 401 and not wants_json(request):
            return RedirectResponse("/admin/login", status_code=303)
        raise
    if wants_json(request):
        rows = await run_in_threadpool(_rows, state.db)
        extra = await run_in_threadpool(admin_filters.context, state.db)
        return json_response({"sources": [dict(r["source"].to_dict(), articles=r["articles"],
                                               per_day=r["per_day"], checks=r["checks"],
                                               filters=extra["filters"].get(r["source"].id, []),
                                               filtered=extra["filtered"].get(r["source"].id,
                                                                              {"dropped": 0, "recent": []}))
                                          for r in rows]})
    added = request.query_params.get("added", "")
    notice = (await run_in_threadpool(_added, state.db, added[:19]) if added
              else NOTICES.get(request.query_params.get("done", ""))
              or admin_filters.notice(request.query_params))
    error = (request.query_params.get("error", "")[:300] or None
             if request.query_params.get("done") == "filter-error" else None)
    return await _dashboard(request, notice, error)


async def _dashboard(request: Request, notice: str | None = None, error: str | None = None,
                     status: int = 200, form: dict | None = None) -> Response:
    state = request.app.state
    rows = await run_in_threadpool(_rows, state.db)
    for r in rows:
        r["chart"] = health_chart(r["checks"])
    extra = await run_in_threadpool(admin_filters.context, state.db)
    return state.renderer.page(request, "admin.html", {"rows": rows, "notice": notice,
                                                       "error": error, "form": form or {}, **extra},
                               status=status)


def _rows(db: Database) -> list[dict]:
    sources = source_store.list_sources(db)
    counts = source_store.article_counts(db)
    per_day = searching.articles_per_day(db, 30)
    checks = source_store.fetch_health(db, source_store.now() - timedelta(days=DAYS))
    return [{"source": s, "articles": counts.get(s.id, 0), "per_day": per_day.get(s.id, [0] * 30),
             "checks": checks.get(s.id, [])} for s in sources]


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
    data = await admin_form(request)
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
    token = await run_in_threadpool(admin_sessions.start, state.db, admin_password_tag(request),
                                    ADMIN_SESSION_AGE)
    await run_in_threadpool(_give_back_slots, state, ip)
    response = RedirectResponse("/admin", status_code=303)
    # a fresh CSRF token on login. With the community pages installed, the admin is also
    # signed in as the built-in admin account, so /moderation and the site's header know
    # them (that account counts only beside a valid admin session: ``admin_session_ok``);
    # otherwise a reader logged in on the same browser stays logged in.
    session = {**session_of(request), **new_session(admin=token)}
    community = getattr(state, "community", None)
    if community is not None:
        user = await run_in_threadpool(community.accounts.builtin_admin)
        session["reader"] = await run_in_threadpool(community.accounts.create_session, user,
                                                    request.client.host if request.client else None)
    state.sessions.save(request, response, session)
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
    await admin_form(request)
    await run_in_threadpool(admin_sessions.end, request.app.state.db, session_of(request).get("admin"))
    community = getattr(request.app.state, "community", None)
    if community is not None and session_of(request).get("reader"):
        await run_in_threadpool(community.accounts.end_session, session_of(request)["reader"])
    response = RedirectResponse("/?", status_code=303)
    request.app.state.sessions.clear(response)
    return response


@router.post("/sources", include_in_schema=False)
async def add(request: Request):
    require_admin(request)
    data = await admin_form(request)
    url = data.get("url", "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000:
        raise HTTPException(400, "the feed URL must be an http(s) URL of at most 2000 characters")
    values = {k: data[k][:200] for k in ("title", "category", "language", "outlet_label",
                                         "attribution") if data.get(k)}
    try:
        sub = await run_in_threadpool(request.app.state.admin.subscribe, url, **values)
    except StorageError:
        return _back("exists")
    except NewsdeskError as exc:  # no feed there, refused address, 404...: say so, keep the form
        return await _dashboard(request, error=f"Not added: {exc}", status=400,
                                form={"url": url, **values})
    return RedirectResponse(f"/admin?added={sub.source.id}#source-{sub.source.id}", status_code=303)


def _added(db: Database, ref: str) -> str | None:
    """The notice after adding source ``ref``: what was stored, and, when its server was
    down, the failure and the time of the retry."""
    try:
        source = source_store.get_source(db, int(ref)) if ref.isdigit() else None
    except NotFound:
        source = None
    if source is None:
        return None
    text = f"Source {source.id} added: {source.name} <{source.url}>"
    if source.site_url and source.site_url.rstrip("/") != source.url.rstrip("/"):
        text += f", the feed of {source.site_url}"
    if source.error_count and source.next_check_at:
        return (f"{text}. Its first fetch failed ({source.last_error}); it will be retried at "
                f"{source.next_check_at.strftime('%d %B, %H:%M UTC')}.")
    return text + ". It will be fetched at the next scheduler round."


@router.post("/sources/{ref}/enabled", include_in_schema=False)
async def toggle(request: Request, ref: str):
    require_admin(request)
    data = await admin_form(request)
    enable = data.get("enabled") == "1"
    source_store.update_source(request.app.state.db, parse_id(ref, "source"), enabled=enable)
    return _back("enabled" if enable else "disabled")


@router.post("/sources/{ref}/refresh", include_in_schema=False)
async def refresh(request: Request, ref: str):
    require_admin(request)
    await admin_form(request)
    source_id = parse_id(ref, "source")
    source_store.get_source(request.app.state.db, source_id)   # 404 if unknown
    started = request.app.state.admin.refresh(source_id)
    return _back("refreshing" if started else "busy")
