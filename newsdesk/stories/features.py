"""Per-article features: everything the stories stage needs from one article that does not
depend on any other article, computed by the worker that stores it.

    signature    MinHash of the text's shingles (dedup.py)
    terms        text.features of title + text (the thread clusterer's TF-IDF counts),
                 of the title alone (its body check), of title + lede and the lede's
                 names (the event clusterer)
    background   the stems and words the article teaches the hashtags' background
    embedding    MiniLM of headline + lede (float32), when the model is on and reads it

Several ``newsdesk run`` workers fetch and store in parallel, but one elected process
places articles in stories, in order. Computing these there made it the bottleneck
(issue 16: 3 workers fetched 3x faster, but end to end only 1.1-1.6x), so the storing
worker computes them before its insert (``Enricher``, an ``Ingest`` hook) and they are
stored in the insert's transaction (``storage/features.py``): an article is never visible
without the features its worker made for it. The stage reads them (``for_articles``) and
computes, with the same function, those of articles stored without (older rows, a worker
with ``worker_features`` off, the demo, a revised text: the row keeps a key of the text
it was made from). Either way the stage sees the same values, so the stories are the same
(``tests/test_features.py``). A rebuild (``newsdesk recluster``) reads them too, and
encodes nothing again.

An embedding is computed one text at a time, exactly as the clusterer would, so the
numbers do not depend on which texts happened to be batched together.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from ..models import Article
from ..settings import Settings
from ..storage import features as store
from ..storage.db import Database
from .background import words_to_learn
from .dedup import make_signature
from .embed import reads_english, shared_embedder
from .events import EVENT_DEFAULTS
from .story import Doc, embed_text
from .text import features, name_stems

log = logging.getLogger(__name__)

VERSION = 1  # bump when any computation below changes: older rows are then recomputed
LEDE_WORDS = EVENT_DEFAULTS["lede_words"]
_loading = threading.Lock()


@dataclass
class Features:
    signature: bytes
    terms: dict[str, int]
    title_terms: dict[str, int]
    lede_terms: dict[str, int]
    lede_names: frozenset[str]
    learn: tuple[list[str], list[str], list[str]]   # background.words_to_learn
    embedded: bool                  # the model was asked (embedding None: it cannot read it)
    embedding: np.ndarray | None    # unit float32 vector of embed_text

    def doc(self, article: Article, embeddings: str) -> Doc:
        return Doc(id=article.id, title=article.title, text=article.text,
                   published=article.published_at, language=article.language,
                   embeddings=embeddings, terms=self.terms, title_terms=self.title_terms,
                   lede_terms=self.lede_terms, lede_names=self.lede_names, lede_words=LEDE_WORDS)

    def given_embedding(self, embeddings: str) -> np.ndarray | None:
        """The embedding to hand the clusterer: None lets it decide as it always did (off,
        or no model asked: it encodes an English text itself when it has the model)."""
        return self.embedding if embeddings == "auto" and self.embedded else None


def content_key(title: str, text: str, language: str | None) -> str:
    data = "\x00".join((title or "", text or "", language or "")).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def compute(title: str, text: str, language: str | None, embeddings: str = "off") -> Features:
    """The features of one article (``embeddings``: the app's setting, "auto" or "off")."""
    title, text = title or "", text or ""
    lede = " ".join(text.split()[:LEDE_WORDS]) if text else ""
    embedder = None
    if embeddings == "auto":
        with _loading:  # several fetch threads at once would each load the weights
            embedder = shared_embedder()
    vector = None
    if embedder is not None:
        embed = embed_text(Doc(id=None, title=title, text=text))
        if reads_english(embed, language):
            vector = embedder.encode([embed])[0].astype(np.float32)
    return Features(
        signature=make_signature(text, title).to_bytes(),
        terms=dict(features(title, text, language)),
        title_terms=dict(features(title, "", language)),
        lede_terms=dict(features(title, lede, language)),
        lede_names=frozenset(name_stems(lede, language)),
        learn=words_to_learn(f"{title}\n{text}"),
        embedded=embedder is not None, embedding=vector)


# ------------------------------------------------------------------ stored form
def encode(feats: Features, key: str) -> dict[str, Any]:
    """The ``article_features`` row (without the article id)."""
    terms = {"terms": feats.terms, "title": feats.title_terms, "lede": feats.lede_terms,
             "names": sorted(feats.lede_names), "learn": list(feats.learn),
             "embedded": feats.embedded}
    return {"version": VERSION, "content_key": key, "minhash": feats.signature,
            "embedding": None if feats.embedding is None
            else np.asarray(feats.embedding, dtype="<f4").tobytes(),
            "terms": json.dumps(terms, ensure_ascii=False, separators=(",", ":"))}


def decode(row: Mapping[str, Any]) -> Features:
    terms = json.loads(row["terms"])
    emb = row["embedding"]
    return Features(
        signature=bytes(row["minhash"]), terms=terms["terms"], title_terms=terms["title"],
        lede_terms=terms["lede"], lede_names=frozenset(terms["names"]),
        learn=tuple(terms["learn"]), embedded=bool(terms["embedded"]),
        embedding=None if emb is None else np.frombuffer(bytes(emb), dtype="<f4").copy())


# ------------------------------------------------------------------ the worker's side
class Enricher:
    """The ``Ingest.enrich`` hook: called by the storing worker with the rows it is about to
    insert; computes their features there (in parallel with every other worker) and returns
    the writer that stores them in the insert's transaction. An article whose features fail
    is stored without them (the stage computes them) and the failure is logged."""

    def __init__(self, settings: Settings):
        self.embeddings = settings.embeddings

    def __call__(self, source_id: int, rows: list[dict]) -> Callable[[Any, list[int]], None]:
        by_hash: dict[str, dict] = {}
        for row in rows:
            try:
                title, text, lang = row.get("title") or "", row.get("text") or "", row.get("language")
                by_hash[row["entry_hash"]] = encode(compute(title, text, lang, self.embeddings),
                                                    content_key(title, text, lang))
            except Exception:  # a bug on one hostile text must not cost the article
                log.exception("article features failed", extra={"source_id": source_id,
                                                                "url": row.get("url")})

        def write(conn, new_ids: list[int]) -> None:
            store.save_for_entries(conn, source_id, by_hash, new_ids)
        return write


# ------------------------------------------------------------------ the stage's side
def for_articles(db: Database, articles: Iterable[Article], embeddings: str
                 ) -> dict[int, Features]:
    """Features of each article: the stored ones when they were made from its current text
    by this version of the code, else computed now and stored for the next rebuild."""
    articles = list(articles)
    stored = store.load(db, [a.id for a in articles])
    out: dict[int, Features] = {}
    fresh: list[dict] = []
    for article in articles:
        key = content_key(article.title, article.text, article.language)
        row = stored.get(article.id)
        if row is not None and row["version"] == VERSION and row["content_key"] == key:
            try:
                out[article.id] = decode(row)
                continue
            except (ValueError, KeyError, TypeError):
                log.warning("stored article features unreadable; recomputed",
                            extra={"article_id": article.id})
        feats = compute(article.title, article.text, article.language, embeddings)
        out[article.id] = feats
        fresh.append({"article_id": article.id, **encode(feats, key)})
    if fresh:
        try:
            with db.write() as conn:
                store.save(conn, fresh)
        except Exception:  # a cache for the next rebuild: the stage goes on without it
            log.warning("article features not stored", exc_info=True)
    return out
