"""One error envelope for every error the site answers with:

    {"error": {"status": 404, "code": "not_found", "message": "no article 12"}}

API clients (a ``.json``/feed URL, or ``Accept: application/json``) get exactly that;
browsers get the same status, code and message as an HTML page. Library exceptions are
translated here and only here; an unexpected exception is logged with its traceback and
answered with a plain 500 that shows none of it.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ..errors import ConfigError, NewsdeskError, NotFound, StorageError
from .render import json_response

log = logging.getLogger(__name__)

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 406: "not_acceptable", 408: "request_timeout", 409: "conflict", 413: "too_large",
         414: "uri_too_long", 422: "invalid_parameter", 429: "too_many_requests",
         500: "internal_error", 503: "unavailable"}
TITLES = {400: "Bad request", 401: "Log in first", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 500: "Something broke", 503: "Unavailable"}


def envelope(status: int, message: str, code: str | None = None) -> dict:
    return {"error": {"status": status, "code": code or CODES.get(status, "error"),
                      "message": message}}


def _wants_json(request: Request) -> bool:
    path = request.url.path
    if path.endswith((".json", ".rss", ".atom")) or path == "/openapi.json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(request: Request, status: int, message: str, code: str | None = None,
                   headers: dict | None = None) -> Response:
    body = envelope(status, message, code)
    headers = dict(headers or {}, **{"Cache-Control": "no-store"})
    if _wants_json(request):
        return json_response(body, status=status, headers=headers)
    renderer = getattr(request.app.state, "renderer", None)
    if renderer is None:
        return json_response(body, status=status, headers=headers)
    response = renderer.page(request, "error.html",
                             {"error": body["error"], "title": TITLES.get(status, "Error")},
                             status=status)
    response.headers.update(headers)
    return response


async def _http(request: Request, exc: HTTPException) -> Response:
    message = exc.detail if isinstance(exc.detail, str) else CODES.get(exc.status_code, "error")
    if exc.status_code == 404 and message == "Not Found":
        message = f"nothing here: {request.url.path[:200]}"
    if exc.status_code == 405 and message == "Method Not Allowed":
        message = f"{request.method} is not allowed here"
    return error_response(request, exc.status_code, message, headers=getattr(exc, "headers", None))


async def _validation(request: Request, exc: RequestValidationError) -> Response:
    problems = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path", "body"))
        problems.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    return error_response(request, 400, "invalid parameters: " + "; ".join(problems),
                          code="invalid_parameter")


async def _library(request: Request, exc: NewsdeskError) -> Response:
    if isinstance(exc, NotFound):
        return error_response(request, 404, str(exc) or "not found")
    if isinstance(exc, StorageError):
        log.error("storage error", extra={"path": request.url.path, "error": str(exc)})
        return error_response(request, 503, "the database is unavailable; try again shortly")
    if isinstance(exc, ConfigError):
        return error_response(request, 500, "the server is misconfigured", code="config_error")
    return error_response(request, 400, str(exc)[:300])


async def _gone(request: Request, exc: ClientDisconnect) -> Response:
    """The client hung up before its request body had arrived: nobody reads the answer,
    and it is not a server error to log with a traceback."""
    log.info("client disconnected mid-request", extra={"path": request.url.path})
    return Response(status_code=400)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"path": request.url.path})
    return error_response(request, 500, "internal error; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(NewsdeskError, _library)
    app.add_exception_handler(ClientDisconnect, _gone)
    app.add_exception_handler(Exception, _unexpected)
