"""Mount the community pages on the app: the services on ``app.state.community``, the
routes, the comment filters of the templates and the error mapping."""

from __future__ import annotations

import secrets
from functools import lru_cache

from fastapi import FastAPI
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from ...community import CommunityError, RateLimited
from ...community.markdown import sanitize
from ...settings import Settings
from ...storage.db import Database
from ..errors import error_response
from ..render import when_label
from .base import Community, build
from .routes import router


def install(app: FastAPI, settings: Settings, db: Database, **services) -> Community:
    """Mount the community pages on the app; ``services`` override the defaults (tests)."""
    community = build(settings, db, **services)
    app.state.community = community
    env = app.state.renderer.env
    env.filters["comment_html"] = _resanitize
    env.globals["comment_time"] = comment_time
    env.globals["new_idem"] = lambda: secrets.token_urlsafe(12)
    app.include_router(router)
    app.add_exception_handler(CommunityError, _community_error)
    return community


@lru_cache(maxsize=4096)
def _resanitize(html: str | None) -> Markup:
    """Stored comment HTML went through the sanitizer when written; it goes through it
    again on the way out (cached), so a row written by anything else is still safe."""
    return Markup(sanitize(html or ""))


def comment_time(when) -> Markup:
    """``<time>`` for a comment: relative within a week, else the day (``when_label``, as
    every page's times), exact in the tooltip (cheaper than time_tag)."""
    return Markup('<time datetime="%s" title="%s">%s</time>' % (
        when.isoformat(), when.strftime("%d %B %Y, %H:%M UTC"), when_label(when)))


async def _community_error(request: Request, exc: CommunityError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    return error_response(request, exc.status, str(exc), headers=headers)
