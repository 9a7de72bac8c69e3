"""The thread clusterer's memory of recent articles (``RecentArticles``): a bounded ring of
the last articles placed, each with its thread, TF-IDF vector (in an inverted index) and unit
embedding, for the look-ahead's nearest-neighbour questions (``lookahead.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .vectors import Vector


class RecentArticles:
    """The last ``size`` articles placed: each slot holds the article id, its thread (kept
    current through merges, ``relabel``), its TF-IDF vector (in an inverted index) and its
    unit embedding. A new article takes the oldest slot. ``dirty``: slots changed since
    ``take_dirty``."""

    def __init__(self, size: int):
        self.size, self.n = size, 0
        self.emb: np.ndarray | None = None   # (size, dim) float32, made with the first one
        self.has = np.zeros(size, dtype=bool)
        self.article: list = [None] * size
        self.thread: list[int] = [0] * size
        self.vecs: list[Vector] = [{} for _ in range(size)]
        self.postings: dict[str, dict[int, float]] = {}
        self.slot_of: dict[Any, int] = {}
        self.by_thread: dict[int, set[int]] = {}
        self.dirty: set[int] = set()

    def add(self, article_id, thread_id: int, vec: Vector, emb: np.ndarray | None) -> None:
        if emb is not None:
            emb = emb / (float(np.linalg.norm(emb)) or 1.0)
        self.put(self.n % self.size, article_id, thread_id, vec, emb)
        self.n += 1

    def put(self, slot: int, article_id, thread_id: int, vec: Vector,
            emb: np.ndarray | None) -> None:
        old = self.article[slot]
        if old is not None:
            self.slot_of.pop(old, None)
            self._unthread(slot)
            for t in self.vecs[slot]:
                p = self.postings[t]
                del p[slot]
                if not p:
                    del self.postings[t]
        self.article[slot], self.thread[slot], self.vecs[slot] = article_id, thread_id, vec
        self.slot_of[article_id] = slot
        self.by_thread.setdefault(thread_id, set()).add(slot)
        for t, w in vec.items():
            self.postings.setdefault(t, {})[slot] = w
        self.has[slot] = emb is not None
        if emb is not None:
            if self.emb is None:
                self.emb = np.zeros((self.size, len(emb)), dtype=np.float32)
            self.emb[slot] = emb   # a unit vector, float32 as saved
        self.dirty.add(slot)

    def _unthread(self, slot: int) -> None:
        slots = self.by_thread[self.thread[slot]]
        slots.discard(slot)
        if not slots:
            del self.by_thread[self.thread[slot]]

    def relabel(self, absorbed: int, into: int) -> None:
        """``absorbed``'s articles are ``into``'s now."""
        slots = self.by_thread.pop(absorbed, set())
        for slot in slots:
            self.thread[slot] = into
        self.by_thread.setdefault(into, set()).update(slots)
        self.dirty |= slots

    def move(self, slots, thread_id: int) -> None:
        """``slots``' articles belong to ``thread_id`` now (a split)."""
        for slot in slots:
            self._unthread(slot)
            self.thread[slot] = thread_id
            self.by_thread.setdefault(thread_id, set()).add(slot)
        self.dirty |= set(slots)

    def of_thread(self, thread_id: int) -> list[int]:
        """Slots holding ``thread_id``'s articles, oldest first."""
        return sorted(self.by_thread.get(thread_id, ()), key=lambda s: (s - self.n) % self.size)

    def similarities(self, slots: list[int], weight: float) -> np.ndarray:
        """Pairwise similarities of ``slots``' articles, mixed as ``nearest`` mixes them."""
        vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for i, slot in enumerate(slots):
            for t, w in self.vecs[slot].items():
                rows.append(i)
                cols.append(vocab.setdefault(t, len(vocab)))
                vals.append(w)
        x = sp.csr_matrix((vals, (rows, cols)), shape=(len(slots), max(len(vocab), 1)))
        sims = (x @ x.T).toarray()
        has = self.has[slots]
        if self.emb is not None and weight > 0 and has.any():
            emb = self.emb[slots]
            both = has[:, None] & has[None, :]
            sims = np.where(both, (1 - weight) * sims + weight * (emb @ emb.T), sims)
        return sims

    def nearest(self, article_id, exclude: set, k: int,
                weight: float) -> list[tuple[float, int, bool]] | None:
        """(similarity, thread, whether embeddings were mixed in) of the ``k`` articles
        nearest ``article_id`` outside ``exclude``, nearest first; None once ``article_id``
        has left the ring."""
        slot = self.slot_of.get(article_id)
        if slot is None:
            return None
        filled = min(self.n, self.size)
        sims = np.zeros(filled, dtype=np.float32)
        for t, w in self.vecs[slot].items():
            for other, x in self.postings[t].items():
                sims[other] += w * x
        mixed = np.zeros(filled, dtype=bool)
        if weight and self.emb is not None and self.has[slot]:
            mixed = self.has[:filled]
            sims = np.where(mixed, (1 - weight) * sims + weight * (self.emb[:filled] @ self.emb[slot]),
                            sims)
        near = []
        for other in np.argsort(-sims, kind="stable"):
            if len(near) >= k:
                break
            if self.article[other] not in exclude:
                near.append((float(sims[other]), self.thread[other], bool(mixed[other])))
        return near

    def rows(self, slots) -> list[tuple[int, Any, int, Vector, bytes | None]]:
        """(slot, article id, thread, vector, float32 embedding bytes) of ``slots``."""
        return [(s, self.article[s], self.thread[s], self.vecs[s],
                 self.emb[s].tobytes() if self.has[s] else None) for s in sorted(slots)]

    def take_dirty(self) -> list[tuple[int, Any, int, Vector, bytes | None]]:
        """``rows`` of the slots changed since the last call."""
        rows, self.dirty = self.rows(self.dirty), set()
        return rows

    def restore(self, n: int, rows) -> None:
        """Back to a saved ring: ``n`` articles added so far, ``rows`` as ``take_dirty``."""
        for slot, article_id, thread_id, vec, emb in sorted(rows, key=lambda r: r[0]):
            if slot < self.size:
                self.put(slot, article_id, thread_id, vec,
                         None if emb is None else np.frombuffer(emb, dtype=np.float32))
        self.n, self.dirty = n, set()
