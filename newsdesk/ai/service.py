"""The AI features over stored coverage: documents come from the database, results go
to the ``ai_results`` table keyed by a hash of (feature, parameters, coverage, provider), so
nothing is recomputed until the coverage changes.

Pages never wait: ``panel`` returns what is cached and queues the rest on a small
background pool (``precompute`` does the same at ingest). ``ask`` answers on request.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ..settings import Settings
from ..storage.articles import as_utc
from ..storage.db import Database
from ..storage.sources import now
from .cache import AICache, cache_key
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


def _docs(db: Database, where: str, params: dict, limit: int) -> list[Doc]:
    sql = text(f"""
        SELECT a.id, COALESCE(a.published_at, a.fetched_at), COALESCE(s.title, s.url), a.title, a.text,
               s.outlet_label
        FROM articles a JOIN sources s ON s.id = a.source_id
        LEFT JOIN article_story st ON st.article_id = a.id
        LEFT JOIN duplicates d ON d.article_id = a.id
        WHERE {where} AND d.article_id IS NULL
        ORDER BY COALESCE(a.published_at, a.fetched_at) DESC, a.id DESC LIMIT :limit""")
    with db.read() as conn:
        rows = conn.execute(sql, {**params, "limit": limit}).all()
    docs = [Doc(id=str(r[0]), date=as_utc(r[1]), outlet=r[2], title=r[3], text=r[4],
                outlet_label=None if not r[5] else f"{r[2]} · {r[5]}") for r in rows]
    return docs[::-1]


def story_docs(db: Database, story_id: int) -> list[Doc]:
    return _docs(db, "st.story_id = :s", {"s": story_id}, MAX_STORY_DOCS)


def article_docs(db: Database, article_id: int) -> list[Doc]:
    return _docs(db, "a.id = :a", {"a": article_id}, 1)


class AIService:
    def __init__(self, settings: Settings, db: Database, provider=None, workers: int = 1):
        self.settings, self.db = settings, db
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

    def cached(self, feature: str, docs: list[Doc], subject: str, **params) -> Result | None:
        key = cache_key(feature, params, docs, self.provider.identity)
        hit = DatabaseCache(self.db, subject).get(key)
        return Result.from_json(hit) if hit else None

    def compute(self, feature: str, docs: list[Doc], subject: str, **params) -> Result:
        from .cache import run_cached
        return run_cached(self.provider, feature, docs, DatabaseCache(self.db, subject), **params)

    def story_panel(self, story_id: int, since: date | None = None, wait: bool = False) -> dict[str, Any]:
        """Cached results for a story's features; missing ones are queued (or computed
        now when ``wait``). Values are Results, or None while being prepared."""
        docs = story_docs(self.db, story_id)
        subject = f"story:{story_id}"
        panel: dict[str, Any] = {"docs": len(docs), "outlets": len({d.outlet for d in docs})}
        for feature in STORY_FEATURES:
            params = self.params(feature, since if feature == "timeline" else None)
            result = (self.compute(feature, docs, subject, **params) if wait
                      else self.cached(feature, docs, subject, **params))
            if result is None:
                self._queue(feature, docs, subject, params)
            panel[feature] = result
        return panel

    def article_summary(self, article_id: int, wait: bool = False) -> Result | None:
        docs = article_docs(self.db, article_id)
        if not docs:
            return None
        subject, params = f"article:{article_id}", {"min_outlets": 1}
        if wait:
            return self.compute("summary", docs, subject, **params)
        result = self.cached("summary", docs, subject, **params)
        if result is None:
            self._queue("summary", docs, subject, params)
        return result

    def ask(self, docs: list[Doc], question: str, subject: str) -> Result:
        question = " ".join(question.split())[:500]
        return self.compute("ask", docs, subject, question=question)

    # ------------------------------------------------------------------ background
    def precompute_stories(self, story_ids: list[int]) -> None:
        for story_id in story_ids:
            self.story_panel(story_id, wait=True)

    def _queue(self, feature: str, docs: list[Doc], subject: str, params: dict) -> None:
        key = cache_key(feature, params, docs, self.provider.identity)
        with self._lock:
            if key in self._queued:
                return
            self._queued.add(key)

        def job() -> None:
            try:
                self.compute(feature, docs, subject, **params)
            except Exception:  # never let a background job take the service down
                log.exception("AI feature failed", extra={"feature": feature, "subject": subject})
            finally:
                with self._lock:
                    self._queued.discard(key)

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


def parse_since(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        return None
