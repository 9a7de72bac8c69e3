"""The app factory: ``create_app(settings, db)`` returns the FastAPI application that
serves the site (HTML), its JSON twin, feeds out and the admin pages.

    /                     front page of stories      (/index.json, /feed.rss|atom|feed.json)
    /articles/{id}        one article                (/articles/{id}.json)
    /articles/{id}/versions/{n}  a version and what changed since the one before (.json)
    /stories/{id}         one story and its coverage (.json .rss .atom .feed.json)
    /tags/{slug}          a hashtag                  (same formats)
    /outlets, /about      the sources we read; /outlets/{id} one of them (same formats)
    /search?q=            full-text search           (/search.json|rss|atom|feed.json?q=)
    /admin                sources and fetch health, behind the admin login
    /reader/api/0/..., /fever/   the Google Reader and Fever APIs for apps (``apps/``)
    /metrics              Prometheus metrics (allowed networks, or a Bearer token)
    /websub/{source}/{token}  WebSub callback: hub verification (GET), signed pushes (POST)
    /openapi.json         the API description

Each page family lives in its own module with its own router; this module only wires
them together with the shared state (settings, database, templates, sessions) and the
middlewares: HTTP metrics outermost, then security headers, then the anonymous-reader
page cache.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Callable

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ..settings import Settings
from ..storage.db import Database
from . import (admin, admin_filters, articles, errors, feeds_out, front, outlets, search, stories,
               tags, threads, versions, websub)
from ..ai.service import AIService
from ..community.ratelimit import RateLimiter
from .ai_panel import AIPanel
from .community import current_user
from .community.base import follow_state
from .community import install as install_community
from .apps import install as install_apps
from .metrics import HTTPMetrics
from . import metrics
from .pagecache import PageCache
from .render import HERE, Renderer
from .security import DropNul, KnownHosts, SecurityHeaders, Sessions, secret_key, session_of


def create_app(settings: Settings, db: Database, *,
               ai_panel: Callable[[dict], dict | None] | None = None,
               remote_images: bool = True, refresher: Callable | None = None) -> FastAPI:
    """``ai_panel`` fills the AI features panel (see ``ai_panel.py``); ``remote_images``
    allows article images from their publishers (https) in the CSP; ``refresher(source_id)``
    replaces the admin refresh job (tests)."""
    app = FastAPI(title="newsdesk", version="0.1.0",
                  description="Stories, articles, tags, outlets and search of a newsdesk site. "
                              "Every page has a JSON twin (append .json, or send "
                              "Accept: application/json). Lists page with an opaque `cursor`. "
                              "Errors: {\"error\": {\"status\", \"code\", \"message\"}}.",
                  docs_url=None, redoc_url=None,   # the docs UIs load third-party scripts
                  lifespan=_lifespan)
    app.state.settings = settings
    app.state.db = db
    app.state.renderer = Renderer()
    app.state.ai = AIService(settings, db)  # computes what a page asks for, within ai_page_wait
    app.state.ai_panel = ai_panel or AIPanel(app.state.ai)
    app.state.sessions = Sessions(secret_key(settings))
    app.state.admin = admin.AdminJobs(settings, db, refresher)
    errors.install(app)
    for module in (front, articles, versions, stories, threads, tags, outlets, search, feeds_out,
                   admin, admin_filters, websub, metrics):
        app.include_router(module.router)
    install_community(app, settings, db)
    install_apps(app)
    app.state.renderer.env.globals["viewer_of"] = current_user
    app.state.renderer.env.globals["follow_state"] = follow_state
    app.state.renderer.env.globals["session_csrf"] = lambda request: session_of(request).get("csrf")
    app.state.limiter = RateLimiter()
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(PageCache, seconds=settings.page_cache_seconds,
                       max_bytes=settings.page_cache_mb << 20, version=db.data_version,
                       wait=settings.page_cache_wait)
    app.add_middleware(SecurityHeaders, sessions=app.state.sessions, remote_images=remote_images)
    app.add_middleware(HTTPMetrics)
    if settings.public_url:   # outermost but one: a forged Host never reaches a page or the cache
        app.add_middleware(KnownHosts, public_url=settings.public_url)
    app.add_middleware(DropNul)   # before the cache and every route: no NUL reaches a query
    # the client address (rate limits) from X-Forwarded-For only when a trusted proxy sent it
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI):
    yield
    app.state.admin.close()
    app.state.ai.close()
