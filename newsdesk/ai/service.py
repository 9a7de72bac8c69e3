"""The AI features over stored coverage: documents come from the database, results go to
the ``ai_results`` table keyed by a hash of (feature, parameters, coverage, provider), so
nothing is computed twice for the same coverage.

Who computes what, and how long anyone waits:

- A page asks with a budget (``ai_page_wait`` seconds). Cached results are read with one
  light query; missing ones are computed *now* on a small pool, single-flight by key: two
  readers asking the same thing (the same story, the same "since") share one computation
  and its cached result. What finishes within the budget is shown; the rest is shown as in
  progress and the page fills itself in (``pending``). A result reaches the waiting page
  as soon as it is computed, before it is written: results are written by one thread of
  their own, because on SQLite a write waits for the one writer (often an ingest worker
  storing articles) and neither the page nor the next computation may wait with it; until
  its write is done, a result's flight answers other readers from memory. The offline features take tens of
  milliseconds, so in practice only a model endpoint is ever "in progress", and that for
  at most ``llm_timeout`` seconds in total.
- The ingest side starts the default views of changed stories without waiting
  (``AIStage``); the demo build waits for all of them.
- A fallback (the model endpoint down, slow or untraceable) is cached with its note like
  any result, so nothing stays "being prepared"; it is tried again in the background once
  ``llm_retry_after`` seconds have passed, and stays shown meanwhile.
- A computation that fails outright gives an ``error`` result (shown, not cached).

``since`` (a day or an instant) is made canonical against the coverage before it enters a
key: every instant between the same two articles of the same day gives the same timeline,
so readers whose last visits fall there share one result.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from .. import metrics
from ..settings import Settings
from ..storage import ai_results as store
from ..storage.db import Database
from .cache import ALGORITHM_VERSION, AICache, is_stale
from .model import Doc, Result
from .provider import TASKS, get_provider
from .timeline import revisions_from, since_instant

log = logging.getLogger(__name__)

STORY_FEATURES = ("summary", "timeline", "compare", "background")
MAX_STORY_DOCS = 40          # newest canonical articles of a story given to the features
MAX_STORIES_DOCS = 80        # ... of several stories read as one (a thread)


@dataclass(frozen=True)
class Subject:
    """What the features read: an article, a story, or several stories as one."""
    kind: str
    ids: tuple[int, ...]

    @classmethod
    def of(cls, kind: str, ident: int | Sequence[int]) -> "Subject":
        ids = (int(ident),) if isinstance(ident, int) else tuple(sorted({int(i) for i in ident}))
        return cls("stories" if kind == "story" and len(ids) > 1 else kind, ids)

    @property
    def name(self) -> str:
        name = f"{self.kind}:{','.join(map(str, self.ids))}"
        if len(name) > 64:
            name = f"{self.kind}:#" + hashlib.sha1(name.encode()).hexdigest()[:20]
        return name

    @property
    def limit(self) -> int:
        return {"article": 1, "story": MAX_STORY_DOCS}.get(self.kind, MAX_STORIES_DOCS)


class DatabaseCache(AICache):
    def __init__(self, db: Database, subject: str = ""):
        self.db, self.subject = db, subject

    def get(self, key: str) -> dict | None:
        value = store.get(self.db, key)
        return json.loads(value) if value else None

    def set(self, key: str, value: dict) -> None:
        store.put(self.db, key, value.get("feature", ""), self.subject,
                  json.dumps(value, ensure_ascii=False, default=str))


def _label(name: str, label: str | None) -> str | None:
    return f"{name} · {label}" if label else None


def subject_docs(db: Database, subject: Subject) -> tuple[list[Doc], list[list]]:
    """The subject's documents (the newest version of each text, with its revisions)."""
    rows = store.coverage_texts(db, subject.kind, subject.ids, subject.limit)
    versions = store.versions_of(db, [row[0] for row, _ in rows])
    docs = [Doc(id=row[0], date=datetime.fromisoformat(row[1]), outlet=row[2], title=row[3],
                text=body, outlet_label=_label(row[2], row[5] or None),
                revisions=revisions_from(versions.get(str(row[0]), []))) for row, body in rows]
    return docs, [row for row, _ in rows]


def story_docs(db: Database, story_id: int) -> list[Doc]:
    return subject_docs(db, Subject.of("story", story_id))[0]


def article_docs(db: Database, article_id: int) -> list[Doc]:
    return subject_docs(db, Subject.of("article", article_id))[0]


def coverage_key(feature: str, params: dict, coverage: list[list], provider: str) -> str:
    blob = json.dumps({"v": ALGORITHM_VERSION, "feature": feature, "params": params, "provider": provider,
                       "coverage": coverage}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def canonical_since(since: date | datetime | str | None, coverage: Sequence[Sequence]) -> str | None:
    """``since`` as it enters a key. A day stays a day. An instant moves back to the newest
    article at or before it, but never before its own day: the timeline after either is the
    same (no article lies between them, and the days shown are those from its day on)."""
    if since is None or since == "":
        return None
    if isinstance(since, str):
        since = datetime.fromisoformat(since) if len(since) > 10 else date.fromisoformat(since)
    if not isinstance(since, datetime):
        return since.isoformat()
    at, _ = since_instant(since)
    day_start = datetime(at.year, at.month, at.day)
    times = [datetime.fromisoformat(row[1]).astimezone(timezone.utc).replace(tzinfo=None)
             for row in coverage]
    cut = max((t for t in times if t <= at), default=day_start)
    return max(cut, day_start).replace(tzinfo=timezone.utc).isoformat()


def _error(feature: str, exc: Exception) -> Result:
    return Result(feature, status="error", note=f"This part could not be computed ({type(exc).__name__}); "
                  "it is tried again on the next visit.")


class AIService:
    def __init__(self, settings: Settings, db: Database, provider=None, workers: int = 2):
        self.settings, self.db = settings, db
        log_path = Path(settings.data_dir).expanduser() / "ai-log.jsonl"
        self.provider = provider or get_provider(settings, log_path=log_path)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ai")
        self._flights: dict[str, Future] = {}     # key -> the computation in progress
        self._lock = threading.Lock()
        self._writes: queue.SimpleQueue = queue.SimpleQueue()   # for _write_results
        self._writer = threading.Thread(target=self._write_results, name="ai-store", daemon=True)
        self._writer.start()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._writes.put(None)   # after the pool: its last results are written, then it ends
        self._writer.join()

    # ------------------------------------------------------------------ asking
    def params(self, feature: str, since: date | datetime | None = None) -> dict[str, Any]:
        if feature in ("summary", "compare"):
            return {"min_outlets": self.settings.ai_min_outlets}
        if feature == "timeline" and since is not None:
            return {"since": since}
        return {}

    def story_features(self, since: date | datetime | None = None) -> dict[str, dict]:
        return {f: self.params(f, since if f == "timeline" else None) for f in STORY_FEATURES}

    ARTICLE_FEATURES = {"summary": {"min_outlets": 1}}

    def results(self, kind: str, ident, features: dict[str, dict], wait: float | None = 0.0
                ) -> dict[str, Result | None]:
        return self.results_many([(kind, ident, features)], wait=wait)[0]

    def results_many(self, requests: Iterable[tuple[str, Any, dict[str, dict]]],
                     wait: float | None = 0.0, extra=None) -> list:
        """The result of each feature of each request, as a dict (None: still in progress),
        plus ``_coverage``. Cached results cost one light query per subject and one key
        lookup for all; missing ones are started and awaited for ``wait`` seconds (None:
        until done). ``extra(conn)``, if given, runs on the same connection; its value is
        appended to the list."""
        requests = [(Subject.of(kind, ident), features) for kind, ident, features in requests]
        looked = []
        with self.db.read() as conn:
            for subject, features in requests:
                coverage = store.coverage(conn, self.db, subject.kind, subject.ids, subject.limit)
                wanted = {f: self._canonical(f, p, coverage) for f, p in features.items()}
                keys = {f: coverage_key(f, p, coverage, self.provider.identity) for f, p in wanted.items()}
                looked.append((subject, coverage, wanted, keys))
            cached = store.stored(conn, self.db, [k for *_, keys in looked for k in keys.values()])
            extra_value = extra(conn) if extra is not None else None
        now = time.time()
        answers: list = []
        flights: list[tuple[dict, str, Future]] = []
        for subject, coverage, wanted, keys in looked:
            out: dict[str, Any] = {"_coverage": coverage}
            start = []
            for feature, key in keys.items():
                data = json.loads(cached[key]) if cached.get(key) else None
                out[feature] = Result.from_json(data) if data else None
                if data is None or is_stale(data, now):
                    start.append((feature, wanted[feature], key))
            if start and not coverage:   # nothing to read: an answer, not a wait
                out.update({f: Result(f, status="empty", note="No coverage to work from.") for f, *_ in start})
            elif start:
                started = self._start(subject, start)
                flights += [(out, feature, started[key]) for feature, _, key in start if out[feature] is None]
            answers.append(out)
        if flights and (wait is None or wait > 0):
            wait_for([f for *_, f in flights], timeout=wait)
            if wait is None:   # until done means stored too
                self.settle()
        for out, feature, future in flights:
            if future.done():
                out[feature] = future.result()
        if extra is not None:
            answers.append(extra_value)
        return answers

    def _canonical(self, feature: str, params: dict, coverage: list[list]) -> dict:
        if feature == "timeline" and params.get("since") is not None:
            return {**params, "since": canonical_since(params["since"], coverage)}
        return params

    # ------------------------------------------------------------------ computing
    def _start(self, subject: Subject, wanted: list[tuple[str, dict, str]]) -> dict[str, Future]:
        """A future per key: the computation already in flight for it, or a new job."""
        futures, todo = {}, []
        with self._lock:
            for feature, params, key in wanted:
                if key not in self._flights:
                    self._flights[key] = Future()
                    todo.append((feature, params, key))
                futures[key] = self._flights[key]
        if todo:   # what needs no model first: a slow endpoint must not hold up the rest
            todo.sort(key=lambda job: job[0] in TASKS)
            metrics.gauge_add("ai_queue_depth", len(todo))
            self._pool.submit(self._job, subject, todo)
        return futures

    def _job(self, subject: Subject, todo: list[tuple[str, dict, str]]) -> None:
        docs: list[Doc] = []
        try:
            docs, coverage = subject_docs(self.db, subject)
        except Exception as exc:  # noqa: BLE001 -- the database went away: say so, never hang
            log.exception("AI coverage could not be read", extra={"subject": subject.name})
            coverage, failure = [], exc
        else:
            failure = None
        for feature, params, key in todo:
            failed = True
            try:
                if failure is not None:
                    raise failure
                started = time.perf_counter()
                result = self.provider.run(feature, docs, **params)
                metrics.observe("ai_duration", time.perf_counter() - started, feature=feature)
                if result.meta.get("fallback"):
                    result.meta["retry_at"] = time.time() + self.settings.llm_retry_after
            except Exception as exc:  # noqa: BLE001 -- one failing feature must not hang the page
                log.exception("AI feature failed", extra={"subject": subject.name, "feature": feature})
                metrics.count("errors", kind="ai")
                result = _error(feature, exc)
            else:
                failed = False
            metrics.gauge_add("ai_queue_depth", -1)
            with self._lock:
                future = self._flights[key]
            # the coverage may have grown since the page looked: file under what was read
            stored_as = coverage_key(feature, params, coverage, self.provider.identity)
            self._writes.put((key, stored_as, subject.name, None if failed else result))
            future.set_result(result)   # the waiting page has it now, whenever it is written

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until every result computed so far is written (False: ``timeout`` passed
        first). The writes queued before are done when the writer reaches this event."""
        written = threading.Event()
        self._writes.put(written)
        return written.wait(timeout)

    def _write_results(self) -> None:
        """The one thread that writes results: it takes every result queued meanwhile and
        writes them in one transaction (an error result is never cached), then ends their
        flights. The computing threads never wait for the database's writer lock; until a
        result is written its flight answers readers from memory. An ``Event`` in the
        queue is set when the writes queued before it are done; None ends the thread."""
        while True:
            batch = [self._writes.get()]
            while batch[-1] is not None:
                try:
                    batch.append(self._writes.get_nowait())
                except queue.Empty:
                    break
            done = [item for item in batch if isinstance(item, tuple)]
            rows = [(stored_as, result.feature, subject,
                     json.dumps(result.to_json(), ensure_ascii=False, default=str))
                    for _, stored_as, subject, result in done if result is not None]
            try:
                store.put_many(self.db, rows)
            except Exception:  # noqa: BLE001 -- shown once; computed again on the next look
                log.exception("AI results not stored", extra={"results": len(rows)})
                metrics.count("errors", kind="ai")
            with self._lock:
                for flight, *_ in done:
                    self._flights.pop(flight, None)
            for item in batch:
                if isinstance(item, threading.Event):
                    item.set()
            if batch[-1] is None:
                return

    # ------------------------------------------------------------------ views
    @staticmethod
    def story_view(found: dict) -> dict[str, Any]:
        found = dict(found)
        coverage = found.pop("_coverage")
        return {"docs": len(coverage), "outlets": len({row[2] for row in coverage}),
                "coverage": coverage, **found}

    @staticmethod
    def article_view(found: dict) -> Result | None:
        if not found["_coverage"]:
            return Result("summary", status="empty",
                          note="This article is a copy of another outlet's: see the original for its summary.")
        return found["summary"]

    def story_panel(self, story_id: int | Sequence[int], since: date | datetime | None = None,
                    wait: float | None = 0.0) -> dict[str, Any]:
        """Every story feature of one story (or of several read as one)."""
        return self.story_view(self.results("story", story_id, self.story_features(since), wait=wait))

    def since_timeline(self, story_ids: int | Sequence[int], since: date | datetime | None,
                       wait: float | None = 0.0) -> tuple[Result | None, list[list]]:
        """(what changed since ``since`` across the given stories, their coverage): the one
        function behind every "since" choice, for a story page and a thread page alike."""
        found = self.results("story", story_ids, {"timeline": self.params("timeline", since)}, wait=wait)
        return found["timeline"], found["_coverage"]

    def article_summary(self, article_id: int, wait: float | None = 0.0) -> Result | None:
        return self.article_view(self.results("article", article_id, self.ARTICLE_FEATURES, wait=wait))

    def ask(self, docs: list[Doc], question: str, subject: str, offline: bool = False) -> Result:
        """Answered on request (it is fast); cached by question and coverage. ``offline``:
        the extractive answer even when a model endpoint is configured (the web layer's
        budget for readers who are not logged in)."""
        from .cache import run_cached
        from .provider import OfflineProvider
        question = " ".join(question.split())[:500]
        provider = self.provider
        if offline and provider.name != "offline":
            provider = getattr(provider, "offline", None) or OfflineProvider()
        return run_cached(provider, "ask", docs, DatabaseCache(self.db, subject), question=question)

    # ------------------------------------------------------------------ ingest side
    def precompute_stories(self, story_ids: list[int]) -> None:
        for story_id in story_ids:
            self.story_panel(story_id, wait=None)

    def precompute_articles(self, article_ids: list[int]) -> None:
        for article_id in article_ids:
            self.article_summary(article_id, wait=None)


class AIStage:
    """After the stories stage: start the AI results of the stories that got new articles
    (and of the new articles) in the background; the ingest thread does not wait."""

    def __init__(self, service: AIService):
        self.service = service

    def __call__(self, new_ids: list[int]) -> None:
        if not new_ids:
            return
        for story_id in store.stories_of_articles(self.service.db, new_ids):
            self.service.story_panel(story_id)
        for article_id in new_ids:
            self.service.article_summary(article_id)
