"""AI features over plain documents, offline-first and always cited.

    from newsdesk.ai import Doc, run
    result = run("summary", docs)              # OfflineProvider, no cache
    result.to_json()                           # items, each with citations

Features: summary (+ key points), timeline (``since``), compare, ask (``question``),
background. See ``provider.py`` for the LLM path and ``cache.py`` for caching.
"""

from __future__ import annotations

from typing import Any, Sequence

from .cache import AICache, DirectoryCache, MemoryCache, cache_key, run_cached
from .model import Citation, Corpus, Doc, Item, Result
from .provider import FEATURES, LLMError, OfflineProvider, OpenAICompatibleProvider, get_provider
from ..sentences import split_sentences

__all__ = ["AICache", "Citation", "Corpus", "DirectoryCache", "Doc", "FEATURES", "Item", "LLMError",
           "MemoryCache", "OfflineProvider", "OpenAICompatibleProvider", "Result", "cache_key",
           "get_provider", "run", "run_cached", "split_sentences"]


def run(feature: str, docs: Sequence[Doc], provider=None, cache: AICache | None = None,
        **params: Any) -> Result:
    """Run one feature on ``docs`` with ``provider`` (offline by default), cached when asked."""
    return run_cached(provider or OfflineProvider(), feature, docs, cache, **params)
