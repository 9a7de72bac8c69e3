"""The AI features over stored coverage: documents come from the database, results go
to the ``ai_results`` table keyed by a hash of (feature, parameters, coverage, provider), so
nothing is recomputed until the coverage changes.

Pages never wait: ``panel`` returns what is cached and queues the rest on a small
background pool (``precompute`` does the same at ingest). ``ask`` answers on request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from .. import metrics
from ..settings import Settings
from ..storage.articles import as_utc
from ..storage.db import Database
from ..storage.sources import now
from .cache import AICache
from .model import Doc, Result
from .provider import get_provider

log = logging.getLogger(__name__)

STORY_FEATURES = ("summary", "timeline", "compare", "background")
MAX_STORY_DOCS = 40          # newest canonical articles of a story given to the features


class DatabaseCache(AICache):
    def __init__(self, db: Database, subject: str = ""):
        self.db, self.subject = db, subject

    def get(self, key: str) -> dict | None:
        with self.db.read() as conn:
            value = conn.execute(text("SELECT result FROM ai_results WHERE key = :k"), {"k": key}).scalar()
        return json.loads(value) if value else None

    def set(self, key: str, value: dict) -> None:
        with self.db.write() as conn:
            conn.execute(text("DELETE FROM ai_results WHERE key = :k"), {"k": key})
            conn.execute(text("INSERT INTO ai_results (key, feature, subject, result, created_at) "
                              "VALUES (:k, :f, :s, :r, :t)"),
                         {"k": key, "f": value.get("feature", ""), "s": self.subject,
                          "r": json.dumps(value, ensure_ascii=False, default=str), "t": now()})


_SELECT = """
    FROM articles a JOIN sources s ON s.id = a.source_id
    LEFT JOIN article_story st ON st.article_id = a.id
    LEFT JOIN duplicates d ON d.article_id = a.id
    WHERE {where} AND d.article_id IS NULL
    ORDER BY COALESCE(a.published_at, a.fetched_at) DESC, a.id DESC LIMIT :limit"""
_LIGHT = ("a.id, COALESCE(a.published_at, a.fetched_at), COALESCE(s.title, s.url), a.title, "
          "a.content_hash, s.outlet_label")


def _label(name: str, label: str | None) -> str | None:
    return f"{name} · {label}" if label else None


def _coverage(conn, where: str, params: dict, limit: int, db: Database | None = None) -> list[list]:
    """What identifies the coverage a result was computed from, without loading texts:
    (id, date, outlet, title, content hash, label) of each canonical article, oldest first."""
    sql = f"SELECT {_LIGHT} " + _SELECT.format(where=where)
    rows = (db.fetch(conn, sql, {**params, "limit": limit}) if db is not None
            else conn.execute(text(sql), {**params, "limit": limit}).all())
    return [[str(r[0]), str(as_utc(r[1])), r[2], r[3], r[4], r[5] or ""] for r in rows][::-1]


def _docs(db: Database, where: str, params: dict, limit: int) -> tuple[list[Doc], list[list]]:
    with db.read() as conn:
        rows = conn.execute(text(f"SELECT {_LIGHT}, a.text " + _SELECT.format(where=where)),
                            {**params, "limit": limit}).all()
    rows = rows[::-1]
    docs = [Doc(id=str(r[0]), date=as_utc(r[1]), outlet=r[2], title=r[3], text=r[6],
                outlet_label=_label(r[2], r[5])) for r in rows]
    return docs, [[str(r[0]), str(as_utc(r[1])), r[2], r[3], r[4], r[5] or ""] for r in rows]


STORY = ("st.story_id = :s", MAX_STORY_DOCS)
ARTICLE = ("a.id = :a", 1)


def story_docs(db: Database, story_id: int) -> list[Doc]:
    return _docs(db, STORY[0], {"s": story_id}, STORY[1])[0]


def article_docs(db: Database, article_id: int) -> list[Doc]:
    return _docs(db, ARTICLE[0], {"a": article_id}, ARTICLE[1])[0]


def coverage_key(feature: str, params: dict, coverage: list[list], provider: str) -> str:
    blob = json.dumps({"v": 1, "feature": feature, "params": params, "provider": provider,
                       "coverage": coverage}, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class AIService:
    def __init__(self, settings: Settings, db: Database, provider=None, workers: int = 1,
                 queue: bool = True):
        """``queue``: compute missing results on a background thread. The web process
        passes False (it only reads: CPU-bound work there would stall every page); the
        ingest worker and the CLI pass True."""
        self.settings, self.db, self.queue = settings, db, queue
        log_path = Path(settings.data_dir).expanduser() / "ai-log.jsonl"
        self.provider = provider or get_provider(settings, log_path=log_path)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ai")
        self._queued: set[str] = set()
        self._lock = threading.Lock()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # ------------------------------------------------------------------ reading
    def params(self, feature: str, since: date | None = None) -> dict[str, Any]:
        if feature in ("summary", "compare"):
            return {"min_outlets": self.settings.ai_min_outlets}
        if feature == "timeline" and since is not None:
            return {"since": since.isoformat()}
        return {}

    def _subject(self, kind: str, ident: int) -> tuple[str, tuple[str, dict, int]]:
        where, limit = STORY if kind == "story" else ARTICLE
        return f"{kind}:{ident}", (where, {"s" if kind == "story" else "a": ident}, limit)

    def results(self, kind: str, ident: int, features: dict[str, dict], wait: bool = False
                ) -> dict[str, Result | None]:
        """The cached result of each feature (None: not computed yet). Reading costs one
        light query (no article texts) and one lookup per feature; ``wait`` computes what
        is missing now, otherwise it is queued when this service queues (ingest side)."""
        return self.results_many([(kind, ident, features)], wait=wait)[0]

    def results_many(self, requests: list[tuple[str, int, dict[str, dict]]], wait: bool = False,
                     extra=None) -> list:
        """``results`` for several subjects over one connection: one light coverage query
        per subject and a single key lookup for all of them (the page path is hot).
        ``extra(conn)``, if given, runs on the same connection; its value is appended."""
        looked = []
        with self.db.read() as conn:
            for kind, ident, features in requests:
                _, (where, params, limit) = self._subject(kind, ident)
                coverage = _coverage(conn, where, params, limit, self.db)
                looked.append((coverage, {f: coverage_key(f, p, coverage, self.provider.identity)
                                          for f, p in features.items()}))
            wanted = sorted({k for _, keys in looked for k in keys.values()})
            marks = ",".join(f":k{i}" for i in range(len(wanted)))
            rows = self.db.fetch(conn, f"SELECT key, result FROM ai_results WHERE key IN ({marks})",
                                 {f"k{i}": k for i, k in enumerate(wanted)}) if wanted else []
            extra_value = extra(conn) if extra is not None else None
        stored = {key: value for key, value in rows}
        answers: list = []
        for (kind, ident, features), (coverage, keys) in zip(requests, looked):
            out: dict[str, Result | None] = {
                f: Result.from_json(json.loads(stored[k])) if stored.get(k) else None
                for f, k in keys.items()}
            missing = [(f, p) for f, p in features.items() if out[f] is None]
            if missing and wait:
                out.update(self._compute(kind, ident, missing))
            elif missing and self.queue:
                self._queue(kind, ident, missing)
            out["_coverage"] = coverage  # type: ignore[assignment]
            answers.append(out)
        if extra is not None:
            answers.append(extra_value)
        return answers

    def _compute(self, kind: str, ident: int, features: list[tuple[str, dict]]) -> dict[str, Result]:
        subject, (where, params, limit) = self._subject(kind, ident)
        docs, coverage = _docs(self.db, where, params, limit)
        cache = DatabaseCache(self.db, subject)
        done = {}
        for feature, fparams in features:
            started = time.perf_counter()
            result = self.provider.run(feature, docs, **fparams)
            metrics.observe("ai_duration", time.perf_counter() - started, feature=feature)
            if not result.meta.get("fallback"):  # an LLM outage is not worth remembering
                cache.set(coverage_key(feature, fparams, coverage, self.provider.identity),
                          result.to_json())
            done[feature] = result
        return done

    def story_features(self, since: date | None = None) -> dict[str, dict]:
        return {f: self.params(f, since if f == "timeline" else None) for f in STORY_FEATURES}

    ARTICLE_FEATURES = {"summary": {"min_outlets": 1}}

    @staticmethod
    def story_view(found: dict) -> dict[str, Any]:
        found = dict(found)
        coverage = found.pop("_coverage")
        return {"docs": len(coverage), "outlets": len({row[2] for row in coverage}),
                "coverage": coverage, **found}

    @staticmethod
    def article_view(found: dict) -> Result | None:
        return found["summary"] if found["_coverage"] else None

    def story_panel(self, story_id: int, since: date | None = None, wait: bool = False) -> dict[str, Any]:
        return self.story_view(self.results("story", story_id, self.story_features(since), wait=wait))

    def article_summary(self, article_id: int, wait: bool = False) -> Result | None:
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

    # ------------------------------------------------------------------ background
    def precompute_stories(self, story_ids: list[int]) -> None:
        for story_id in story_ids:
            self.story_panel(story_id, wait=True)

    def precompute_articles(self, article_ids: list[int]) -> None:
        for article_id in article_ids:
            self.article_summary(article_id, wait=True)

    def _queue(self, kind: str, ident: int, features: list[tuple[str, dict]]) -> None:
        key = f"{kind}:{ident}:" + ",".join(sorted(f for f, _ in features))
        with self._lock:
            if key in self._queued:
                return
            self._queued.add(key)
        metrics.gauge_add("ai_queue_depth", 1)

        def job() -> None:
            try:
                self._compute(kind, ident, features)
            except Exception:  # never let a background job take the service down
                log.exception("AI feature failed", extra={"subject": key})
                metrics.count("errors", kind="ai")
            finally:
                with self._lock:
                    self._queued.discard(key)
                metrics.gauge_add("ai_queue_depth", -1)

        self._pool.submit(job)


class AIStage:
    """After the stories stage: refresh the AI results of the stories that got new
    articles, in the background (the ingest thread only queues the work)."""

    def __init__(self, service: AIService):
        self.service = service

    def __call__(self, new_ids: list[int]) -> None:
        if not new_ids:
            return
        marks = ",".join(str(int(i)) for i in new_ids)
        with self.service.db.read() as conn:
            story_ids = [r[0] for r in conn.execute(text(
                f"SELECT DISTINCT story_id FROM article_story WHERE article_id IN ({marks})"))]
        for story_id in story_ids:
            self.service.story_panel(story_id)  # queues whatever is not cached yet
        for article_id in new_ids:
            self.service.article_summary(article_id)
