"""Google Reader API: logging in, tokens, and the plumbing every call shares.

    POST|GET /accounts/ClientLogin     Email (username or e-mail), Passwd -> SID/LSID/Auth lines
                                       (JSON with output=json)
    GET  /reader/api/0/token           the action token T for POSTs
    GET  /reader/api/0/user-info       who is logged in

Every path also answers under FreshRSS's ``/api/greader.php`` prefix. Calls carry
``Authorization: GoogleLogin auth=<token>``; a POST without that header may carry the
token as ``T`` (as Miniflux accepts). With the header, ``T`` is accepted as clients send
it: the token from ``/token`` (a trailing newline is fine), empty (FeedMe), ``x``
(Reeder), or missing (Fluent Reader) -- cookies are never read here, so cross-site request
forgery has nothing to ride on; a ``T`` that is none of these is refused. A wrong or
revoked token gets 401 with ``Google-Bad-Token: true``. Tokens are not logged, and
never read from the query string.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, Response

from ...community import AuthError, CommunityError, RateLimited
from ...community.apps import Device
from ...errors import NewsdeskError, NotFound
from ..community.base import client_ip, threadpool
from ..render import json_response
from ..security import read_capped

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

BODY_LIMIT = 1 << 20          # a form of 10,000 long item ids fits
# Web-based readers call from other origins; the API authenticates by header, never by
# cookie, so any origin may call it (as Miniflux answers).
NO_STORE = {"Cache-Control": "private, no-store", "Access-Control-Allow-Origin": "*"}


class APIError(Exception):
    """Answered as plain text with this status (the form clients expect)."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.headers = status, headers or {}


def text(body: str, status: int = 200, headers: dict | None = None) -> Response:
    return PlainTextResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def out(data) -> Response:
    return json_response(data, headers=NO_STORE)


def unauthorized(message: str = "Unauthorized!") -> APIError:
    return APIError(401, message, {"Google-Bad-Token": "true"})


async def api_error(request: Request, exc: APIError) -> Response:
    return text(str(exc), exc.status, exc.headers)


async def params(request: Request) -> list[tuple[str, str]]:
    """The call's parameters: the query string, then the urlencoded body (repeated keys
    kept in order; ``i`` and ``s`` are lists)."""
    if "_api_params" in request.state._state:
        return request.state._api_params
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    if request.method == "POST":
        body = await read_capped(request, BODY_LIMIT,
                                 lambda: APIError(413, "the request body is over 1 MB"))
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if body and kind in ("", "application/x-www-form-urlencoded", "text/plain"):
            try:
                pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                                   max_num_fields=20_000)
            except (UnicodeError, ValueError):
                raise APIError(400, "the body must be a UTF-8 urlencoded form") from None
        elif body:
            raise APIError(415, "send parameters as application/x-www-form-urlencoded")
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        # PostgreSQL refuses NUL in text: a NUL label was a 500 there (SQLite stored it)
        raise APIError(400, "parameters may not contain NUL characters")
    request.state._api_params = pairs
    return pairs


def one(pairs: list[tuple[str, str]], name: str, default: str = "") -> str:
    for key, value in pairs:
        if key == name:
            return value
    return default


def many(pairs: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in pairs if key == name]


INT64 = 2**63
LATEST_TIME = 253402300799    # 9999-12-31T23:59:59Z, the last second a datetime can hold


def integer(value: str, name: str) -> int:
    """A signed 64-bit integer parameter (what the databases store), else a 400."""
    value = (value or "").strip()
    if not value.lstrip("-").isdigit() or len(value) > 20 or not -INT64 <= int(value) < INT64:
        raise APIError(400, f"{name} must be a number")
    return int(value)


def unix_time(seconds: float, name: str) -> datetime:
    """Unix seconds as an aware datetime; a time past year 9999 is a 400, not a crash."""
    if not 0 <= seconds <= LATEST_TIME:
        raise APIError(400, f"{name} must be a Unix time between 1970 and 9999")
    return datetime.fromtimestamp(seconds, timezone.utc)


def body_value(request: Request, pairs: list[tuple[str, str]], name: str) -> str | None:
    """A parameter from the body only (secrets are never taken from the URL)."""
    query = dict(parse_qsl(request.url.query, keep_blank_values=True))
    values = [v for k, v in pairs if k == name]
    if name in query:
        values = values[1:]          # the query's value came first in ``pairs``
    return values[0] if values else None


def _header_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "googlelogin":
        return None
    key, _, token = rest.strip().partition("=")
    return token.strip() if key.strip().lower() == "auth" and token.strip() else None


def action_token(device: Device) -> str:
    """T: derived from the login token (57 characters, like Google's), so it needs no row."""
    return hashlib.sha256(b"newsdesk-greader-T:" + (device.token_hash or "").encode()).hexdigest()[:57]


async def device(request: Request) -> Device:
    """The caller, from the Authorization header (or, for a POST without it, ``T``), with
    ``T`` checked on POSTs. Raises 401 otherwise."""
    if "_api_device" in request.state._state:
        return request.state._api_device
    pairs = await params(request)
    token = _header_token(request)
    given_t = body_value(request, pairs, "T") if request.method == "POST" else None
    if token is None and given_t:
        token = given_t.strip()
        given_t = None
    if token is None:
        raise unauthorized("Unauthorized! Send Authorization: GoogleLogin auth=<token>")
    access = request.app.state.community.apps
    found = await threadpool(access.device_for_token, token)
    if found is None:
        raise unauthorized()
    if given_t is not None:
        given = given_t.strip()
        if given not in ("", "x") and not (hmac.compare_digest(given, action_token(found))
                                          or hmac.compare_digest(given, token)):
            raise unauthorized("Unauthorized! Wrong T: get a new one from /reader/api/0/token")
    request.state._api_device = found
    return found


# ----------------------------------------------------------------- the calls
@router.options("/accounts/ClientLogin")
@router.options("/reader/api/0/{path:path}")
async def preflight(request: Request, path: str = ""):
    return text("", headers={"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                             "Access-Control-Allow-Headers": "Authorization, Content-Type",
                             "Access-Control-Max-Age": "3600"})



@router.api_route("/accounts/ClientLogin", methods=["GET", "POST"])
async def client_login(request: Request):
    pairs = await params(request)
    login = body_value(request, pairs, "Email")
    password = body_value(request, pairs, "Passwd")
    if request.method == "GET":     # a GET login puts the password in the URL: refused
        raise APIError(405, "Error=BadAuthentication\nUse POST with Email and Passwd in the body")
    if not login or not password:
        raise APIError(401, "Error=BadAuthentication")
    access = request.app.state.community.apps
    agent = request.headers.get("user-agent", "")
    try:
        token = await threadpool(access.client_login, login, password, client_ip(request),
                                 one(pairs, "client") or agent)
    except RateLimited as exc:
        raise APIError(429, f"Error=BadAuthentication\n{exc}",
                       {"Retry-After": str(exc.retry_after)}) from None
    except (AuthError, CommunityError):
        log.info("app login failed", extra={"ip": client_ip(request)})
        raise APIError(401, "Error=BadAuthentication") from None
    if one(pairs, "output") == "json":
        return out({"SID": token, "LSID": token, "Auth": token})
    return text(f"SID={token}\nLSID={token}\nAuth={token}\n")


@router.get("/reader/api/0/token")
async def token(request: Request):
    return text(action_token(await device(request)))


@router.get("/reader/api/0/user-info")
async def user_info(request: Request):
    user = (await device(request)).user
    created = int(user.created_at.timestamp()) if user.created_at else 0
    return out({"userId": str(user.id), "userName": user.username, "userProfileId": str(user.id),
                "userEmail": user.email or user.username, "isBloggerUser": False,
                "signupTimeSec": created, "isMultiLoginEnabled": False})


def translate(exc: Exception) -> APIError:
    """Library errors inside a call, as the plain-text status apps understand."""
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, NotFound):
        return APIError(404, str(exc) or "not found")
    if isinstance(exc, CommunityError):
        return APIError(exc.status, str(exc))
    if isinstance(exc, NewsdeskError):
        return APIError(400, str(exc)[:300])
    raise exc
