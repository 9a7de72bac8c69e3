"""``/metrics`` for Prometheus, and the HTTP measurements behind it.

* ``HTTPMetrics`` (outermost ASGI middleware, so page-cache hits count too) times every
  request and counts it by route template (``/articles/{ref}``, never the raw path: the
  number of series stays fixed), method and status. A 5xx also counts as an error.
* ``/metrics`` answers the text exposition format: what every process of the installation
  on this machine counted (``newsdesk.metrics``: fetches, articles, duplicates, revision
  checks, AI queue and durations, HTTP, errors by kind, WebSub pushes), plus figures read
  from the database now (stories stage backlog and lag, revision checks due, sources
  failing, WebSub subscriptions and queued pushes).
* Who may read it: a client address in ``metrics_networks`` (loopback by default), or a
  request carrying ``Authorization: Bearer <metrics_token>``. Anyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections import OrderedDict

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import Response

from .. import metrics
from ..storage import health
from ..storage import websub as websub_store
from ..storage.db import Database
from ..storage.sources import now

router = APIRouter(tags=["operations"])


class HTTPMetrics:
    """Pure ASGI middleware: request count and latency by route template. A page-cache hit
    never reaches the router, so the template each path had when it was rendered is
    remembered (a hit is always of a path rendered before; the memory is bounded)."""

    REMEMBER = 20_000

    def __init__(self, app):
        self.app = app
        self._templates: OrderedDict[str, str] = OrderedDict()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = 500

        async def watch(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            template = self._template(scope)
            metrics.observe("http_duration", time.perf_counter() - started, route=template)
            metrics.count("http_requests", route=template, method=scope["method"], status=status)
            if status >= 500:
                metrics.count("errors", kind=f"http_{status}")

    def _template(self, scope) -> str:
        path = scope["path"]
        template = getattr(scope.get("route"), "path", None)
        if template is None:
            if path.startswith("/static/"):
                return "/static"
            return self._templates.get(path, "unmatched")
        if path not in self._templates:
            self._templates[path] = template
            if len(self._templates) > self.REMEMBER:
                self._templates.popitem(last=False)
        return template


def allowed(request: Request) -> bool:
    settings = request.app.state.settings
    token = settings.metrics_token
    given = request.headers.get("authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip(), token):
        return True
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False)
               for net in settings.metrics_network_list)


def database_figures(db: Database) -> bytes:
    """Gauges read from the database now, in the text format."""
    state = health.pipeline_state(db)
    subs = websub_store.counts(db)
    oldest = state["oldest_pending_fetched_at"]
    lag = max(0.0, (now() - oldest).total_seconds()) if oldest else 0.0
    lines: list[str] = []

    def gauge(name: str, help_text: str, values: list[tuple[str, float]]) -> None:
        lines.extend([f"# HELP newsdesk_{name} {help_text}", f"# TYPE newsdesk_{name} gauge"])
        lines.extend(f"newsdesk_{name}{labels} {float(value)!r}" for labels, value in values)

    gauge("stories_stage_lag_seconds", "Age of the oldest article the stories stage has not "
          "placed yet (0: none waiting).", [("", lag)])
    gauge("stories_pending_articles", "Articles waiting for the stories stage.",
          [("", state["pending"])])
    gauge("revision_checks_due", "Article re-checks due now.", [("", state["checks_due"])])
    gauge("sources", "Enabled sources, and those whose last fetch failed.",
          [('{state="enabled"}', state["sources_enabled"]),
           ('{state="failing"}', state["sources_failing"])])
    gauge("websub_subscriptions", "WebSub subscriptions by state.",
          [(f'{{state="{s}"}}', n) for s, n in sorted(subs["states"].items())])
    gauge("websub_queued_pushes", "Pushed feed bodies waiting for the ingest worker.",
          [("", subs["queued"])])
    return ("\n".join(lines) + "\n").encode()


@router.get("/metrics", summary="Prometheus metrics (token or allowed network)",
            include_in_schema=False)
async def metrics_page(request: Request):
    if not allowed(request):
        raise HTTPException(403, "metrics are open to the addresses in metrics_networks, or "
                                 "with the metrics_token as a Bearer token")
    body, content_type = await run_in_threadpool(metrics.exposition)
    body += await run_in_threadpool(database_figures, request.app.state.db)
    return Response(body, media_type=content_type,
                    headers={"Cache-Control": "no-store"})
