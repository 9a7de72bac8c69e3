"""The scheduler: the database is the queue.

Each round claims a batch of due sources (``storage.sources.claim_due``: row locks with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the writer lock on SQLite) and refreshes them on
a thread pool; the fetcher's per-host semaphores keep us polite to any one host. Several
``newsdesk run`` processes on several machines can share one PostgreSQL database: no
source is fetched twice at once, and a crashed worker's claims expire after ``claim_ttl``.
While a refresh runs, its claim is renewed (``Heartbeat``, every third of ``claim_ttl``),
so a slow refresh is never taken over by another worker: only a dead worker's claims
expire. Between rounds the worker does its other chores (``run_chores``): bodies WebSub
hubs pushed, due hub subscriptions, due revision checks of young articles, and on
PostgreSQL a full-text index range when the newest one is full; with
nothing due, the stages' idle work (``Ingest.on_idle``: articles still without a story).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Callable, Iterable

from ..storage import pgranges
from ..storage import sources as source_store
from . import pushes, revisions, websub
from .refresh import Ingest, RefreshResult, refresh_source

log = logging.getLogger(__name__)

Progress = Callable[[RefreshResult], None]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Heartbeat:
    """Renews ``worker``'s claims on the sources it is refreshing, every ``ttl / 3``
    seconds, from its own thread, until each is done (its outcome releases the claim)."""

    def __init__(self, db, worker: str, ttl: int):
        self.db, self.worker, self.ttl = db, worker, ttl
        self._ids: set[int] = set()
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="claim-heartbeat", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def add(self, ids: Iterable[int]) -> None:
        with self._guard:
            self._ids.update(ids)

    def done(self, source_id: int) -> None:
        with self._guard:
            self._ids.discard(source_id)

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            with self._guard:
                ids = sorted(self._ids)
            try:
                source_store.renew_claims(self.db, self.worker, ids, self.ttl)
            except Exception:  # the database is away: the claim may lapse, the refresh goes on
                log.exception("could not renew claims")


def run_round(ingest: Ingest, worker: str, *, only: Iterable[int] | None = None,
              force: bool = False, progress: Progress | None = None,
              stop: threading.Event | None = None) -> list[RefreshResult]:
    """Claim and refresh due sources in batches until none is left (one pass).

    ``force`` refreshes the chosen sources even when not due (``newsdesk fetch``); each
    source is claimed once per pass (those checked since the pass began are left alone),
    and a claim this pass does not use is released at once, never left to expire.
    """
    settings = ingest.settings
    results: list[RefreshResult] = []
    seen: set[int] = set()
    started = source_store.now()
    only = list(only) if only is not None else None
    with ThreadPoolExecutor(max_workers=settings.fetch_workers,
                            thread_name_prefix="source") as pool, \
            Heartbeat(ingest.db, worker, settings.claim_ttl) as heartbeat:
        while not (stop and stop.is_set()):
            pending = None if only is None else [i for i in only if i not in seen]
            if pending == []:
                break
            claimed = source_store.claim_due(ingest.db, worker, settings.batch_size,
                                             settings.claim_ttl, only=pending, force=force,
                                             checked_before=started if force else None)
            batch = [s for s in claimed if s.id not in seen]
            for source in claimed:
                if source.id in seen:  # refreshed earlier in this pass: not again
                    source_store.release(ingest.db, source.id, worker)
            if not batch:
                break
            seen.update(s.id for s in batch)
            heartbeat.add(s.id for s in batch)
            futures = [pool.submit(refresh_source, ingest, source, worker) for source in batch]
            for future in as_completed(futures):
                result = future.result()
                heartbeat.done(result.source_id)
                results.append(result)
                if progress:
                    progress(result)
    return results


def run_forever(ingest: Ingest, worker: str, stop: threading.Event, *,
                idle_seconds: float = 10.0, progress: Progress | None = None) -> int:
    """Poll due sources until ``stop`` is set. In-flight refreshes finish before it
    returns (SIGTERM sets ``stop``). Returns the number of refreshes done."""
    done = 0
    while not stop.is_set():
        results = run_round(ingest, worker, progress=progress, stop=stop)
        chores = 0 if stop.is_set() else run_chores(ingest)
        done += len(results)
        if not results and not chores and not run_idle(ingest):
            stop.wait(idle_seconds)
    return done


def run_idle(ingest: Ingest) -> int:
    """The stages' idle work (``Ingest.on_idle``); how much they did."""
    done = 0
    for hook in ingest.on_idle:
        try:
            done += hook() or 0
        except Exception:  # logged; the worker keeps polling
            log.exception("idle work failed")
    return done


def run_chores(ingest: Ingest) -> int:
    """What the worker does besides polling: store pushed WebSub bodies, ask hubs for due
    subscriptions, one batch of due revision checks, and on PostgreSQL close the
    full-text index's tail when it is full (``pgranges.roll``). Returns how much it did."""
    done = pushes.process_pushes(ingest) + websub.maintain(ingest)
    try:
        rolled = pgranges.roll(ingest.db)
    except Exception:  # logged; search still answers from the tail, only slower
        log.exception("closing the full-text index's tail failed")
        rolled = []
    if rolled:
        log.info("full-text index ranges built: %s", ", ".join(r.name for r in rolled))
    return done + len(rolled) + revisions.run_due(ingest).checked
