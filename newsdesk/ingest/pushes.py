"""Store what WebSub hubs pushed to us, through the same steps as a polled feed.

The web process checks each push's signature and queues its body (``web/websub.py``,
``storage/websub.py``); the worker takes the queue here and hands each body to
``refresh.store_feed``, the parse-and-store path of polling, so a pushed entry and a
polled one are the same row. The subscriber protocol itself is ``websub.py``.
"""

from __future__ import annotations

import logging

from .. import metrics
from ..errors import NewsdeskError
from ..storage import sources as source_store
from ..storage import websub as store
from .refresh import Ingest, RefreshResult, hand_on, store_feed

log = logging.getLogger(__name__)


def process_pushes(ingest: Ingest, limit: int = 20) -> int:
    """Store what hubs pushed (queued by the web process), through the same parse and
    store steps as a polled feed; returns how many pushes were handled."""
    pushes = store.take_pushes(ingest.db, limit)
    for push in pushes:
        try:
            source = source_store.get_source(ingest.db, push["source_id"])
        except NewsdeskError:
            continue
        result = RefreshResult(source_id=source.id, status="ok")
        try:
            store_feed(ingest, source, push["body"], source.url, push["content_type"], result)
        except NewsdeskError as exc:  # a bad body: polling still brings the entries
            metrics.count("errors", kind=type(exc).__name__)
            log.info("websub push unreadable", extra={"source_id": source.id, "error": str(exc)})
            continue
        metrics.count("websub_pushes", outcome="stored")
        hand_on(ingest, source, result)
    return len(pushes)
