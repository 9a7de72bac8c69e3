"""The WebSub callback: ``/websub/{source id}/{token}`` (see ``ingest/websub.py``).

GET   the hub verifies an intent: answered with the challenge only when the token, the
      topic and the mode match a subscription we asked for (else 404); ``denied`` is
      recorded. The lease the hub grants sets when the worker renews.
POST  content distribution: at most ``max_response_bytes`` (413 beyond), signed with the
      subscription's secret (``X-Hub-Signature``, sha1/256/384/512 HMAC of the body);
      a missing or wrong signature is refused with 403 and nothing is stored. A good push
      is queued for the ingest worker (202), which stores it through the same parse path
      as polling; 429 when too many wait (the hub retries).
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, Response

from .. import metrics
from ..ingest.websub import MAX_QUEUED, lease_of, renew_at, signature_ok
from ..storage import websub as store
from .render import parse_id
from .security import read_capped

router = APIRouter(tags=["operations"])


async def _subscription(request: Request, source_id: str, token: str) -> dict:
    if not request.app.state.settings.public_url:
        raise HTTPException(404, "WebSub is off on this site (no public_url)")
    row = await run_in_threadpool(store.get, request.app.state.db, parse_id(source_id, "subscription"))
    if row is None or not hmac.compare_digest(row["token"], token):
        raise HTTPException(404, "no such subscription")
    return row


@router.get("/websub/{source_id}/{token}", include_in_schema=False)
async def verify(request: Request, source_id: str, token: str):
    row = await _subscription(request, source_id, token)
    db, q = request.app.state.db, request.query_params
    mode, topic = q.get("hub.mode", ""), q.get("hub.topic", "")
    if mode == "denied" and topic == row["topic"]:
        await run_in_threadpool(store.update, db, row["source_id"], state="denied",
                                last_error=f"the hub denied the subscription: {q.get('hub.reason', '')}"[:500],
                                next_attempt_at=renew_at(86400 / 0.9))
        return PlainTextResponse("ok")
    challenge = q.get("hub.challenge", "")
    if (mode != "subscribe" or topic != row["topic"] or not challenge
            or row["state"] not in ("requested", "active")):
        raise HTTPException(404, "no such intent")
    seconds = lease_of(q.get("hub.lease_seconds", ""), request.app.state.settings.websub_lease)
    await run_in_threadpool(store.verified, db, row["source_id"], seconds, renew_at(seconds))
    return PlainTextResponse(challenge)


@router.post("/websub/{source_id}/{token}", include_in_schema=False)
async def distribute(request: Request, source_id: str, token: str):
    row = await _subscription(request, source_id, token)
    if row["state"] != "active":
        metrics.count("websub_pushes", outcome="unknown")
        raise HTTPException(410, "this subscription is not active")
    cap = request.app.state.settings.max_response_bytes

    def too_large() -> HTTPException:
        metrics.count("websub_pushes", outcome="too_large")
        return HTTPException(413, f"a push may carry at most {cap} bytes")

    body = await read_capped(request, cap, too_large)
    if not signature_ok(row["secret"], body, request.headers.get("x-hub-signature")):
        metrics.count("websub_pushes", outcome="bad_signature")
        metrics.count("errors", kind="websub_signature")
        raise HTTPException(403, "missing or wrong X-Hub-Signature")
    queued = await run_in_threadpool(store.queue_push, request.app.state.db, row["source_id"],
                                     body, request.headers.get("content-type"), MAX_QUEUED)
    if not queued:
        raise HTTPException(429, "too many pushes waiting; retry later")
    metrics.count("websub_pushes", outcome="accepted")
    return Response(status_code=202)
