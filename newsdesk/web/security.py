"""Security at the edge: response headers on everything, signed session cookies, CSRF.

* Every response carries a strict Content-Security-Policy (scripts and styles only from
  this server, no inline script, no plugins, no framing), ``X-Content-Type-Options:
  nosniff`` and a ``Referrer-Policy``. Images may come from https: (article images stay at
  their publisher) unless ``remote_images`` is off.
* The session is a cookie signed with itsdangerous (tamper-proof, not secret): HttpOnly,
  SameSite=Lax, Secure when the request came over https, expiring after a week.
* Every form that changes something carries the session's CSRF token; ``check_csrf``
  compares it in constant time.
* Absolute links (mail, feeds) come from ``settings.site_url``, never from the request's
  Host header; with ``public_url`` set, ``KnownHosts`` refuses requests naming any other
  host (400), so a forged Host cannot reach a page or the page cache at all.
* The client address is the peer's, or the X-Forwarded-For of a ``trusted_proxies`` peer
  (uvicorn's ``ProxyHeadersMiddleware``, installed by ``create_app``).
* A request body read by our own code (forms, reader-app calls, WebSub pushes) goes
  through ``read_capped``: refused past its cap, never held whole before the check, and
  answered 408 when it has not all arrived within ``request_body_timeout``.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..settings import Settings
from ..storage import admin_sessions

COOKIE = "newsdesk_session"
SESSION_AGE = 7 * 24 * 3600


def csp(remote_images: bool = True) -> str:
    images = "'self' data: https:" if remote_images else "'self' data:"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src {images}; font-src 'self'; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task or body buffering) that adds the headers
    and puts the verified session, if any, into ``scope["newsdesk.session"]``."""

    def __init__(self, app, sessions: "Sessions", remote_images: bool = True):
        self.app = app
        self.sessions = sessions
        self.headers = [
            (b"content-security-policy", csp(remote_images).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
        ]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"cookie" and COOKIE.encode() in value:
                scope["newsdesk.session"] = self.sessions.load(value.decode("latin-1"))
                break

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class KnownHosts:
    """Pure ASGI middleware: answer 400 to a request whose Host header names neither the
    ``public_url`` host nor this machine (local health checks keep working)."""

    def __init__(self, app, public_url: str):
        self.app = app
        self.allowed = LOCAL_HOSTS | {urlsplit(public_url).hostname or ""}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            host = next((v for k, v in scope.get("headers", ()) if k == b"host"), b"")
            if _hostname(host.decode("latin-1")) not in self.allowed:
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
                await send({"type": "http.response.body",
                            "body": b"unknown host: this site answers to its public_url only\n"})
                return
        await self.app(scope, receive, send)


class DropNul:
    """Pure ASGI middleware: NUL characters leave the path and the query string (raw or
    ``%00``) before any route reads them. No address means a NUL, and PostgreSQL refuses
    one in a text parameter: ``/?category=%00`` and ``/tags/a%00b`` were 500s there."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path, query = scope.get("path", ""), scope.get("query_string", b"")
            if "\x00" in path or b"\x00" in query or b"%00" in query:
                scope = dict(scope, path=path.replace("\x00", ""),
                             query_string=re.sub(rb"%00|\x00", b"", query))
        await self.app(scope, receive, send)


def _hostname(host: str) -> str:
    try:
        return (urlsplit("//" + host.strip()).hostname or "").lower()
    except ValueError:
        return ""


class Sessions:
    def __init__(self, secret: str):
        self.key = secret
        self.serializer = URLSafeTimedSerializer(secret, salt="newsdesk.session")

    def load(self, cookie_header: str) -> dict | None:
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and value:
                try:
                    data = self.serializer.loads(value, max_age=SESSION_AGE)
                except BadSignature:
                    return None
                return data if isinstance(data, dict) else None
        return None

    def save(self, request: Request, response: Response, data: dict) -> None:
        response.set_cookie(COOKIE, self.serializer.dumps(data), max_age=SESSION_AGE,
                            path="/", httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/")


def session_of(request: Request) -> dict:
    return request.scope.get("newsdesk.session") or {}


def new_session(admin: str | None = None) -> dict:
    """``admin``: the token of a server-side admin session (``storage/admin_sessions.py``)."""
    return {"csrf": secrets.token_urlsafe(24), "admin": admin}


def admin_password_tag(request: Request) -> str:
    state = request.app.state
    return admin_sessions.password_tag(state.settings.admin_password, state.sessions.key)


def admin_session_ok(request: Request) -> bool:
    """Whether this request carries a valid server-side admin session: opened with the
    current ``admin_password``, not logged out, not expired (``storage/admin_sessions.py``)."""
    token = session_of(request).get("admin")
    return (bool(token) and isinstance(token, str)
            and bool(request.app.state.settings.admin_password)
            and admin_sessions.valid(request.app.state.db, token, admin_password_tag(request)))


def check_csrf(request: Request, token: str | None) -> None:
    expected = session_of(request).get("csrf")
    if not expected or not token or not hmac.compare_digest(str(expected), str(token)):
        raise HTTPException(403, "the form expired or did not come from this site; "
                                 "reload the page and try again")


def check_password(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def secret_key(settings: Settings) -> str:
    """The signing key: the setting, else a key kept in data_dir (made once), else, when
    data_dir does not exist, a random key for this process (sessions end on restart).

    Web workers start together and may all find no key file: each writes its own candidate
    to a private temporary file and links it into place, which succeeds for one of them
    only (``os.link`` fails on an existing name); the others read the winner's key. A
    reader never sees a half-written file, and the file is 0600 from its first byte."""
    if settings.secret_key:
        return settings.secret_key
    folder = Path(settings.data_dir).expanduser()
    path = folder / "secret_key"
    try:
        if path.is_file():
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
        if folder.is_dir():
            return _create_key_file(path)
    except OSError:
        pass
    return secrets.token_urlsafe(32)


def _create_key_file(path: Path) -> str:
    key = secrets.token_urlsafe(32)
    fd, tmp = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
            return key
        except FileExistsError:   # another worker won the race: use its key
            return path.read_text(encoding="utf-8").strip() or key
    finally:
        os.unlink(tmp)


async def read_capped(request: Request, cap: int, too_large: Callable[[], Exception]) -> bytes:
    """The request body, at most ``cap`` bytes: a declared Content-Length over the cap (or
    not a number) is refused before reading, and a body that runs past it while streaming
    is refused there, so a missing or lying length costs at most ``cap`` bytes of memory.
    ``too_large()`` makes the error to raise (each caller has its own status envelope)."""
    length = request.headers.get("content-length", "")
    if length and (not length.isdigit() or len(length) > 18 or int(length) > cap):
        raise too_large()
    body = bytearray()
    seconds = request.app.state.settings.request_body_timeout
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                body += chunk
                if len(body) > cap:
                    raise too_large()
    except TimeoutError:
        raise HTTPException(408, f"the request body did not arrive within {seconds:g} s") from None
    return bytes(body)
