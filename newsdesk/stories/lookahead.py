"""Threads decided with hindsight: the app's thread clusterer (``ThreadClusterer``).

An online clusterer places each article when it arrives, when a new topic's first article
often has nothing to join yet, and a thread of one or two articles is left beside the
thread its topic grows in. ``ThreadClusterer`` is ``StoryClusterer`` with its decisions
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
- **A thread that held two topics is split.** ``settle`` articles after a thread last grew
  (or when it closes first), its recent articles (at least ``split_min``) are linked each to
  its ``split_k`` most similar; when that graph has a cut of conductance at most ``split_cut`` (``graphcut.py``),
  the thread held two stories on one subject that joined it one by one (News-T: a parody
  video starring Kanye West and Kanye West's sneaker deal), and the newer side leaves for
  a thread of its own. The two halves are never merged again (``apart``).

A fold is a thread merge like the clusterer's own (``pop_merges``), which the stage applies
to the rows (``storage.threads.merge_thread``); a split is applied by
``storage.threads.split_thread`` (``pop_splits``).

The recent articles are a bounded ring (``recent.RecentArticles``, the last ``buffer`` articles:
TF-IDF vector in an inverted index, unit embedding, thread). Its slots changed since the
last save are written with the chunk that changed them (``checkpoint.save``) and the
deferred decisions go in the saved head (``lookahead_state``), so a resumed process decides
exactly as one that never stopped.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Any

import numpy as np

from .cluster import StoryClusterer
from .graphcut import knn_graph, sparsest_cut
from .recent import RecentArticles
from .story import StoryState, exemplar
from .vectors import Vector

__all__ = ["LOOKAHEAD", "RecentArticles", "ThreadClusterer"]

LOOKAHEAD: dict[str, Any] = {
    "due": 300,          # articles after a thread opened when it is looked at again
    "small": 3,          # ...if it still holds at most this many articles
    "neighbours": 7,     # nearest recent articles each member asks
    "votes": 2,          # the chosen thread holds at least this many of them
    "share": 0.7,        # ...and this share of all members' neighbours
    "rounds": 4,         # times a thread is asked (again at due x 2, 4, 8 articles later)
    "merge_share": 0.25,  # a fragment merge needs this share of (similar) neighbours in the other
    "buffer": 4000,      # recent articles kept
    "settle": 1000,      # articles after a thread last grew when it is checked for a split
    "split_min": 32,     # ...if it holds at least this many recent articles
    "split_cut": 0.035,  # split at a cut of at most this conductance
    "split_side": 0.1,   # ...leaving at least this share on either side
    "split_k": 7,        # nearest members each member links to in the split test
    "split_max": 1000,   # newest members the test reads (an eigensolve of this size)
}


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
        self._settle: list[tuple[int, int, int]] = []  # heap of (seen, thread id, grew at)
        self._grew: dict[int, int] = {}     # active thread -> ``seen`` when it last grew
        self.apart: set[tuple[int, int]] = set()   # (older, newer) halves of a split
        self._splits: list[tuple[int, int, list]] = []

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
        grown = self.resolve(story_id)
        self._grew[grown] = self.seen
        heapq.heappush(self._settle, (self.seen + a["settle"], grown, self.seen))
        while self._settle and self._settle[0][0] <= self.seen:
            _, sid, stamp = heapq.heappop(self._settle)
            if sid not in self._stories:
                self._grew.pop(sid, None)
            elif self._grew.get(sid) == stamp:
                del self._grew[sid]     # checked: again only once it has grown
                self._split(self._stories[sid])

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
        the nearest articles of a fragment are often merely the least unlike it. The two
        halves of a split are not merged again."""
        if (min(big.id, small.id), max(big.id, small.id)) in self.apart:
            return False
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
        self._gone(small.id)

    def _gone(self, thread_id: int) -> None:
        """``thread_id`` is no longer active (absorbed or closed): nothing to check or keep
        apart for it."""
        self._grew.pop(thread_id, None)
        self.apart = {pair for pair in self.apart if thread_id not in pair}

    # ------------------------------------------------------------------ splits
    def _close(self, story: StoryState) -> None:
        """A thread closing unchecked since it last grew (a quiet install closes threads
        before ``settle`` articles pass) is checked first; a half split off closes too."""
        new = self._split(story) if story.id in self._grew else None
        for thread in (story, new):
            if thread is not None:
                super()._close(thread)
                self._gone(thread.id)

    def _split(self, story: StoryState) -> StoryState | None:
        """A thread that stopped growing ``settle`` articles ago (or closes) is read once more: when its
        recent articles' nearest-neighbour graph has a cut of conductance at most
        ``split_cut`` (``graphcut.py``), it held two topics (two Google News stories on one
        subject, "Kanye West", that joined one by one), and the newer side leaves for a
        thread of its own (the older keeps the id, so links to it keep what they showed)."""
        a = self.ahead
        slots = self.recent.of_thread(story.id)[-a["split_max"]:]
        if len(slots) < a["split_min"]:
            return None
        adj = knn_graph(self.recent.similarities(slots, self.embed_weight), a["split_k"])
        found = sparsest_cut(adj, max(1, math.ceil(a["split_side"] * len(slots))))
        if found is None or found[0] > a["split_cut"]:
            return None
        side, age = found[1], np.arange(len(slots))
        leaving = side if age[side].mean() > age[~side].mean() else ~side
        return self._detach(story, [slots[i] for i in np.flatnonzero(leaving)])

    def _detach(self, story: StoryState, slots: list[int]) -> StoryState:
        """The articles in ``slots`` leave ``story`` for a new thread."""
        rec = self.recent
        titles = {e[0]: e[1] for e in story.exemplars}

        def member(slot):   # (doc id, title, vector, embedding) of a ring slot
            doc_id = rec.article[slot]
            return (doc_id, titles.get(doc_id, story.title), rec.vecs[slot],
                    rec.emb[slot] if rec.has[slot] else None)
        leaving = {doc_id: rest for doc_id, *rest in map(member, slots)}
        story.remove(leaving)
        new = StoryState(id=self.next_id, first_seen=story.first_seen, last_seen=story.last_seen,
                         exemplars=deque(maxlen=self.exemplars))
        self.next_id += 1
        for doc_id, (title, vec, emb) in leaving.items():
            new.add(doc_id, title, vec, None, emb)
        rec.move(slots, new.id)
        # the recent members that left were most of the old side's exemplars (the nearest
        # member a join is compared with): its newest remaining articles take their place
        kept = rec.of_thread(story.id)[-self.exemplars:]
        if kept:
            story.exemplars = deque((exemplar(*member(slot)) for slot in kept), maxlen=self.exemplars)
        self._stories[new.id] = new
        if new.last_seen is not None:
            heapq.heappush(self._expiry, (new.last_seen, new.id))
        for half in (story, new):
            self.index.put(half.id, half.centroid)
            self._retitle(half)
        self.apart.add((story.id, new.id))
        self._splits.append((story.id, new.id, list(leaving)))
        return new

    def pop_splits(self) -> list[tuple[int, int, list]]:
        """(thread, new thread, article ids that left for it) since the last call."""
        splits, self._splits = self._splits, []
        return splits

    # ------------------------------------------------------------------ state
    def lookahead_state(self) -> dict:
        """The deferred decisions and the ring's position (its slots are saved as rows,
        ``recent.take_dirty``); the merges the pending threads went through, so they
        resolve as they would have."""
        ids = {sid for _, sid, _ in self._due}
        return {"seen": self.seen, "due": self._due, "n": self.recent.n,
                "merged": [[sid, self.resolve(sid)] for sid in sorted(ids)
                           if self.resolve(sid) != sid],
                "grew": sorted(self._grew.items()), "apart": sorted(self.apart)}

    def restore_lookahead(self, state: dict | None, rows) -> None:
        if not state:
            return
        self.seen = state["seen"]
        self._due = [tuple(entry) for entry in state["due"]]
        heapq.heapify(self._due)
        self.merged_into.update({sid: into for sid, into in state["merged"]})
        # the settle heap's live entries are exactly the threads' last growths (the others
        # are skipped when popped), so it is rebuilt from them rather than saved
        self._grew = {sid: at for sid, at in state.get("grew", ())}
        self._settle = [(at + self.ahead["settle"], sid, at) for sid, at in self._grew.items()]
        heapq.heapify(self._settle)
        self.apart = {tuple(pair) for pair in state.get("apart", ())}
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
