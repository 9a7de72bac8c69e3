"""Threads decided with hindsight: the app's thread clusterer (``ThreadClusterer``).

An online clusterer places each article when it arrives, when a new topic's first article
often has nothing to join yet, and a thread of one or two articles is left beside the
thread its topic grows in. ``ThreadClusterer`` is ``StoryClusterer`` with two decisions
held to the evidence of the articles that came after (measured on News-T and News by
``bench/cluster_eval.py``; the variants tried are in ``bench/thread_lookahead.py``):

- **Deferred placement.** ``due`` articles after a thread opened, if it still holds at most
  ``small`` articles, each of its members asks for its ``neighbours`` nearest recent
  articles outside it (TF-IDF and title-embedding cosines mixed as the clusterer mixes
  them). The thread is folded into the thread those neighbours sit in most (summed
  similarity) when that one holds at least ``votes`` of them and a share ``share`` of all;
  if not, it is asked again ``due`` x 2, 4, ... articles later, ``rounds`` times in all.
- **Fragment merges need the same evidence.** The clusterer's own merge of two fragments
  (``StoryClusterer._try_merge``) goes ahead only when a share ``merge_share`` of the
  smaller one's members' nearest recent articles sit in the larger one, counting the
  neighbours as similar as a join asks (``threshold``, ``embed_threshold``); with none,
  nothing speaks against the merge.

A fold is a thread merge like the clusterer's own (``pop_merges``), which the stage applies
to the rows (``storage.threads.merge_thread``).

The recent articles are a bounded ring (``RecentArticles``, the last ``buffer`` articles:
TF-IDF vector in an inverted index, unit embedding, thread). Its slots changed since the
last save are written with the chunk that changed them (``checkpoint.save``) and the
deferred decisions go in the saved head (``lookahead_state``), so a resumed process decides
exactly as one that never stopped.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from .cluster import StoryClusterer
from .story import StoryState
from .vectors import Vector

LOOKAHEAD: dict[str, Any] = {
    "due": 300,          # articles after a thread opened when it is looked at again
    "small": 3,          # ...if it still holds at most this many articles
    "neighbours": 7,     # nearest recent articles each member asks
    "votes": 2,          # the chosen thread holds at least this many of them
    "share": 0.7,        # ...and this share of all members' neighbours
    "rounds": 4,         # times a thread is asked (again at due x 2, 4, 8 articles later)
    "merge_share": 0.25,  # a fragment merge needs this share of (similar) neighbours in the other
    "buffer": 4000,      # recent articles kept
}


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


class ThreadClusterer(StoryClusterer):
    """``StoryClusterer`` with deferred placement and evidence for merges (module doc)."""

    def __init__(self, *, lookahead: dict[str, Any] | None = None, **params: Any):
        super().__init__(**params)
        unknown = sorted(set(lookahead or {}) - set(LOOKAHEAD))
        if unknown:
            raise TypeError(f"unknown look-ahead parameter(s): {', '.join(unknown)}")
        self.ahead = {**LOOKAHEAD, **(lookahead or {})}
        self.recent = RecentArticles(self.ahead["buffer"])
        self.seen = 0       # articles placed
        self._due: list[tuple[int, int, int]] = []   # heap of (seen, thread id, round)

    def _placed(self, doc_id, story_id: int, vec: Vector, embedding, is_new: bool) -> None:
        self.seen += 1
        self.recent.add(doc_id, story_id, vec, embedding)
        a = self.ahead
        if is_new:
            heapq.heappush(self._due, (self.seen + a["due"], story_id, 0))
        while self._due and self._due[0][0] <= self.seen:
            _, sid, rnd = heapq.heappop(self._due)
            story = self._stories.get(self.resolve(sid))
            if story is None or len(story.members) > a["small"]:
                continue
            if not self._fold(story) and rnd < a["rounds"] - 1:
                heapq.heappush(self._due, (self.seen + a["due"] * 2 ** (rnd + 1), story.id, rnd + 1))

    def _near(self, story: StoryState):
        """Each member's nearest recent articles outside ``story`` (members that left the
        ring are skipped)."""
        mine = set(story.members)
        for doc_id in story.members:
            near = self.recent.nearest(doc_id, mine, self.ahead["neighbours"], self.embed_weight)
            if near is not None:
                yield near

    def _fold(self, story: StoryState) -> bool:
        """Fold ``story`` into the thread its members' neighbours sit in most, if agreed."""
        tally: dict[int, float] = {}
        count: dict[int, int] = {}
        voters = 0
        for near in self._near(story):
            voters += 1
            for sim, sid, _ in near:
                if sim >= 0:
                    tally[sid] = tally.get(sid, 0.0) + sim
                    count[sid] = count.get(sid, 0) + 1
        if not tally:
            return False
        best = max(tally, key=tally.get)
        a = self.ahead
        if (count[best] >= a["votes"] and count[best] >= a["share"] * a["neighbours"] * voters
                and best in self._stories and best != story.id):
            self._absorb(self._stories[best], story)
            return True
        return False

    def _merge_allowed(self, big: StoryState, small: StoryState) -> bool:
        """Neighbours count as evidence when as similar as a join asks: early in a stream
        the nearest articles of a fragment are often merely the least unlike it."""
        inside = total = 0
        for near in self._near(small):
            for sim, sid, mixed in near:
                if sim >= self._level(mixed):
                    inside += sid == big.id
                    total += 1
        return not total or inside >= self.ahead["merge_share"] * total

    def _absorb(self, big: StoryState, small: StoryState) -> None:
        super()._absorb(big, small)
        self.recent.relabel(small.id, big.id)

    # ------------------------------------------------------------------ state
    def lookahead_state(self) -> dict:
        """The deferred decisions and the ring's position (its slots are saved as rows,
        ``recent.take_dirty``); the merges the pending threads went through, so they
        resolve as they would have."""
        ids = {sid for _, sid, _ in self._due}
        return {"seen": self.seen, "due": self._due, "n": self.recent.n,
                "merged": [[sid, self.resolve(sid)] for sid in sorted(ids)
                           if self.resolve(sid) != sid]}

    def restore_lookahead(self, state: dict | None, rows) -> None:
        if not state:
            return
        self.seen = state["seen"]
        self._due = [tuple(entry) for entry in state["due"]]
        heapq.heapify(self._due)
        self.merged_into.update({sid: into for sid, into in state["merged"]})
        self.recent.restore(state["n"], rows)

    def to_dict(self) -> dict:
        return dict(super().to_dict(), lookahead=self.lookahead_state(),
                    recent=[[s, a, t, v, None if e is None else e.hex()]
                            for s, a, t, v, e in self.recent.rows(
                                range(min(self.recent.n, self.recent.size)))])

    def load(self, data: dict) -> None:
        super().load(data)
        rows = [(s, a, t, v, None if e is None else bytes.fromhex(e))
                for s, a, t, v, e in data.get("recent", ())]
        self.restore_lookahead(data.get("lookahead"), rows)
