"""Result cache: unchanged coverage is never recomputed.

A key is the SHA-256 of (feature, params, each doc's id + content hash, provider identity,
``ALGORITHM_VERSION``), so any edited document, parameter or model gives a new key.
``AICache`` is the interface; ``MemoryCache`` and ``DirectoryCache`` (one JSON file per key)
implement it, and a database-backed one can too. Fallback results (LLM down) are cached
with their note like any other, carrying ``meta.retry_at``: once that time has passed the
result is *stale* and the real answer is fetched again (``is_stale``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Sequence

from .model import Doc, Result

RETRY_AFTER = 300.0   # seconds before a cached fallback is tried again (run_cached)
ALGORITHM_VERSION = "4"  # 3: hard-wrapped lines joined (sentence numbers moved); 4: revisions in timelines


class AICache(ABC):
    @abstractmethod
    def get(self, key: str) -> dict | None: ...

    @abstractmethod
    def set(self, key: str, value: dict) -> None: ...


class MemoryCache(AICache):
    def __init__(self) -> None:
        self._data: dict[str, dict] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> dict | None:
        with self._lock:
            return self._data.get(key)

    def set(self, key: str, value: dict) -> None:
        with self._lock:
            self._data[key] = value

    def __len__(self) -> int:
        return len(self._data)


class DirectoryCache(AICache):
    """``<root>/<key[:2]>/<key>.json``, written atomically."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def set(self, key: str, value: dict) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh, ensure_ascii=False)
        os.replace(tmp, path)


def cache_key(feature: str, params: dict[str, Any], docs: Sequence[Doc], provider: str) -> str:
    payload = {
        "v": ALGORITHM_VERSION, "feature": feature, "provider": provider,
        "params": {k: params[k] for k in sorted(params) if k != "embed"},
        "docs": sorted([str(d.id), d.content_hash(), d.label] for d in docs),
    }
    blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def is_stale(data: dict, now: float | None = None) -> bool:
    """A cached fallback whose ``retry_at`` has passed: show it, and try the model again."""
    meta = data.get("meta") or {}
    return bool(meta.get("fallback")) and float(meta.get("retry_at") or 0) <= (now or time.time())


def run_cached(provider, feature: str, docs: Sequence[Doc], cache: AICache | None = None,
               retry_after: float = RETRY_AFTER, **params: Any) -> Result:
    """``provider.run(feature, docs, **params)``, through ``cache`` when given."""
    if cache is None:
        return provider.run(feature, docs, **params)
    key = cache_key(feature, params, docs, provider.identity)
    hit = cache.get(key)
    if hit is not None and not is_stale(hit):
        return Result.from_json(hit)
    result = provider.run(feature, docs, **params)
    if result.meta.get("fallback"):
        result.meta["retry_at"] = time.time() + retry_after
    cache.set(key, result.to_json())
    return result
