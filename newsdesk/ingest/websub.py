"""WebSub subscriber: feeds that declare a hub push their new entries to us.

Off unless ``public_url`` is set (a hub must be able to call us back there).

    discover    a fetched feed names its hub(s) and itself: HTTP ``Link`` headers first,
                then ``rel="hub"`` / ``rel="self"`` links in the document (``discovered``)
    subscribe   the worker POSTs hub.mode=subscribe with a callback
                ``<public_url>/websub/<source id>/<random token>``, a random secret and the
                lease we want (``maintain``), through the same SSRF guard as every fetch
    verify      the hub GETs the callback with a challenge; the web route echoes it only
                for the subscription we asked for (``web/websub.py``)
    distribute  the hub POSTs new content, signed ``X-Hub-Signature: sha256=<HMAC>``; the
                web route checks the HMAC over a bounded body and queues it; the worker
                stores it through the same parse path as polling (``pushes.py``)
    renew       before the lease ends, the worker asks again (``next_attempt_at``)
    fall back   polling never stops: with an active lease it runs every
                ``websub_poll_interval`` as a safety net, otherwise at the normal interval,
                so a hub that fails, refuses or goes quiet costs nothing but latency.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx

from .. import metrics
from ..errors import FetchError
from ..models import Source
from ..storage import websub as store
from ..storage.sources import now
from .fetch import read_body, status_error, translate
from .httpheaders import seconds_of
from .netguard import GuardedTransport

if TYPE_CHECKING:
    from .feeds import ParsedFeed
    from .refresh import Ingest

log = logging.getLogger(__name__)

SIGNATURES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
              "sha512": hashlib.sha512}
VERIFY_WAIT = timedelta(hours=1)   # ask again when the hub has not verified by then
RENEW_SHARE = 0.9                  # renew once this share of the lease has passed
MAX_QUEUED = 50                    # pushes waiting per source before hubs are asked to retry
_LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]+)*)')


def enabled(ingest: "Ingest") -> bool:
    return bool(ingest.settings.public_url)


def header_links(value: str | None) -> dict[str, list[str]]:
    """``Link: <https://hub>; rel="hub", <https://feed>; rel="self"`` -> {"hub": [...], ...}."""
    out: dict[str, list[str]] = {}
    for url, params in _LINK.findall(value or ""):
        for param in params.split(";"):
            key, _, rel = param.strip().partition("=")
            if key.strip().lower() == "rel":
                for name in rel.strip().strip('"').lower().split():
                    out.setdefault(name, []).append(url.strip())
    return out


def discovered(ingest: "Ingest", source: Source, feed: "ParsedFeed", link_header: str | None) -> None:
    """After a successful fetch: remember the feed's hub and topic (the worker subscribes)."""
    if not enabled(ingest):
        return
    links = header_links(link_header)
    hubs = [h for h in links.get("hub", []) + feed.hubs if h.startswith(("http://", "https://"))]
    if not hubs:
        return
    topic = (links.get("self") or [None])[0] or feed.self_url or source.url
    if store.want(ingest.db, source.id, hubs[0][:2000], topic[:2000], secrets.token_hex(32),
                  secrets.token_urlsafe(24)):
        log.info("websub hub found", extra={"source_id": source.id, "hub": hubs[0]})


def pushed_to_us(ingest: "Ingest", source: Source) -> bool:
    """Whether a hub holds a live subscription for this source (polling can slow down)."""
    return enabled(ingest) and store.is_active(ingest.db, source.id)


def callback_url(public_url: str, source_id: int, token: str) -> str:
    return f"{public_url.rstrip('/')}/websub/{source_id}/{token}"


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Check ``X-Hub-Signature: <method>=<hex HMAC of the body>`` in constant time."""
    method, _, given = (header or "").strip().partition("=")
    digest = SIGNATURES.get(method.strip().lower())
    if digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


# ----------------------------------------------------------------- the worker's side
def maintain(ingest: "Ingest") -> int:
    """Ask hubs for the subscriptions that are due (new, to retry, or to renew)."""
    if not enabled(ingest):
        return 0
    rows = store.due(ingest.db)
    if not rows:
        return 0
    settings = ingest.settings
    transport = GuardedTransport(ingest.fetcher.guard)
    with httpx.Client(transport=transport, follow_redirects=False, trust_env=False,
                      timeout=httpx.Timeout(settings.fetch_timeout),
                      headers={"User-Agent": settings.user_agent}) as client:
        for row in rows:
            _subscribe(ingest, client, transport, row)
    return len(rows)


def _subscribe(ingest: "Ingest", client: httpx.Client, transport: GuardedTransport, row: dict) -> None:
    settings, source_id = ingest.settings, row["source_id"]
    form = {"hub.mode": "subscribe", "hub.topic": row["topic"],
            "hub.callback": callback_url(settings.public_url, source_id, row["token"]),
            "hub.secret": row["secret"], "hub.lease_seconds": str(settings.websub_lease)}
    if row["state"] != "active":  # a renewal keeps the live lease until the hub re-verifies
        store.update(ingest.db, source_id, state="requested", requested_at=now())
    deadline = time.monotonic() + settings.fetch_deadline
    target = None
    try:
        target = httpx.URL(row["hub"])
        ingest.fetcher.guard.check_url(target)
        with transport.backend.deadline(deadline):
            with client.stream("POST", target, data=form) as response:
                read_body(response, 65536, deadline, settings.fetch_deadline, truncate=True)
                if response.status_code >= 300:
                    raise status_error(response)
        store.update(ingest.db, source_id, next_attempt_at=now() + VERIFY_WAIT, last_error=None)
        log.info("websub subscription requested", extra={"source_id": source_id, "hub": row["hub"]})
    except (FetchError, httpx.HTTPError) as exc:
        if isinstance(exc, httpx.HTTPError):
            exc = translate(exc, target, settings, deadline)
        failures = int(row["failures"] or 0) + 1
        delay = min(86400, 60 * 2 ** min(failures, 12))
        store.update(ingest.db, source_id, state="failed" if row["state"] != "active" else "active",
                     failures=failures, last_error=f"subscribing: {exc}"[:500],
                     next_attempt_at=now() + timedelta(seconds=delay))
        metrics.count("errors", kind="websub_subscribe")
        log.info("websub subscription failed", extra={"source_id": source_id, "error": str(exc)})


def lease_of(value: str, default: int) -> int:
    """The hub's ``hub.lease_seconds``, held to 1 s..a year (``seconds_of``: a 14-digit lease
    overflowed ``timedelta`` and a 5,000-digit one ``int()``, and the verification answered
    500); not a number: ``default``."""
    value = value.strip()
    return max(1, seconds_of(value)) if value.isdigit() else default


def renew_at(lease_seconds: int):
    return now() + timedelta(seconds=max(60, int(lease_seconds * RENEW_SHARE)))
