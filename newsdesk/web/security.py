"""Security at the edge: response headers on everything, signed session cookies, CSRF.

* Every response carries a strict Content-Security-Policy (scripts and styles only from
  this server, no inline script, no plugins, no framing), ``X-Content-Type-Options:
  nosniff`` and a ``Referrer-Policy``. Images may come from https: (article images stay at
  their publisher) unless ``remote_images`` is off.
* The session is a cookie signed with itsdangerous (tamper-proof, not secret): HttpOnly,
  SameSite=Lax, Secure when the request came over https, expiring after a week.
* Every form that changes something carries the session's CSRF token; ``check_csrf``
  compares it in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..settings import Settings

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


class Sessions:
    def __init__(self, secret: str):
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


def new_session(admin: bool = False) -> dict:
    return {"csrf": secrets.token_urlsafe(24), "admin": admin}


def check_csrf(request: Request, token: str | None) -> None:
    expected = session_of(request).get("csrf")
    if not expected or not token or not hmac.compare_digest(str(expected), str(token)):
        raise HTTPException(403, "the form expired or did not come from this site; "
                                 "reload the page and try again")


def check_password(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def secret_key(settings: Settings) -> str:
    """The signing key: the setting, else a key kept in data_dir (made once), else, when
    data_dir does not exist, a random key for this process (sessions end on restart)."""
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
            key = secrets.token_urlsafe(32)
            path.write_text(key, encoding="utf-8")
            path.chmod(0o600)
            return key
    except OSError:
        pass
    return secrets.token_urlsafe(32)
