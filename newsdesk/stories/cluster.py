"""Online story clustering: each new article joins the most similar *active* story, or
starts a new one.

One article at a time (``StoryClusterer.add``):

1. The clock moves to the article's publication time (never backwards). Stories whose last
   article is older than ``window`` leave the candidate index and receive nothing new.
2. The article becomes a TF-IDF vector (``text.features``: stemmed title words counted twice,
   adjacent title word pairs, the lead, capitalised names; IDF from the document frequencies
   seen so far), each weight damped by how routine the word is in the headlines and ledes
   of the article's outlet (the ``outlets`` argument: the event level's ``OutletTerms``):
   the Kremlin names Putin in nearly every release, so "Putin" says nothing about which
   topic one of its releases is on.
3. Candidates: active stories sharing a term (an inverted index, ``CentroidIndex``).
4. Score = ``(1 - link) * cosine(article, centroid) + link * cosine(article, nearest recent
   member)`` for the best ``rerank`` candidates. With an embedder (``embed.py``) the title
   embedding's similarity is mixed in with weight ``embed_weight``: cosine to the story's mean
   embedding and to its nearest recent member, weighted by ``link`` as on the TF-IDF side.
   That comparison is held to ``embed_threshold`` / ``embed_merge`` (mixed scores run
   higher). A story older than ``spread_age`` is compared on TF-IDF alone: its mean
   embedding has become its topic's, close to every article on the topic. An article the
   English-only model cannot read (``embed.reads_english``) is compared on TF-IDF alone too.
   Embeddings (``story.embed_text``): the ``embedding`` argument, the ``embedder``, or the
   MiniLM model when installed and ``embeddings="auto"`` (``embed.shared_embedder``).
5. Best score reaches its level: join that story; otherwise start a new one. An article dated
   more than ``window`` before a story began or after it ended never joins it, and an
   article with a real body (``BODY_WORDS``) never joins a story its body alone does not
   resemble (``body_floor``): a shared generic headline ("Live updates", "Statement by the
   National Security Advisor") is not a shared story. Title-only data is unaffected.
6. Fragments: at sizes 2, 4, 8, ... (and every 16th article) a story is merged with its
   most similar active story when their centroids reach ``merge`` and each is the other's
   best partner (``mutual``: reciprocal nearest neighbours, as in agglomerative
   clustering), so a fragment is not pulled into a broad story that prefers another. The
   caller applies each merge to its rows (``pop_merges``).

The app's threads are ``lookahead.ThreadClusterer``: this clusterer, with decisions
revisited in the light of the articles that came after. ``DEFAULTS``: chosen on News-T,
confirmed on News and WikiRef220 (``bench/cluster_eval.py``); ``outlet_prior`` on the demo's
thread labels (``bench/demo_threads.py``). `newsdesk recluster` replays the archive through
the same online code (``StoriesStage.rebuild``).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, deque
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Callable, Iterable

import numpy as np

from .embed import reads_english, shared_embedder
from .story import EXEMPLARS, Assignment, Doc, StoryState, embed_text, pop_expired
from .text import features
from .outlets import OutletTerms
from .vectors import Centroid, CentroidIndex, Vector, Vectorizer, dot, normalise

__all__ = ["DEFAULTS", "Assignment", "Doc", "StoryClusterer", "StoryState", "embed_text"]

OLD_COHESION = 0.9  # the broadest an old story is allowed to count as (see _best)

DEFAULTS: dict[str, Any] = {
    "threshold": 0.2,         # minimum score to join a story (TF-IDF only)
    "window": timedelta(days=3),  # a story with no article for this long closes
    "link": 0.3,              # weight of the nearest-recent-member similarity
    "rerank": 5,              # candidates re-scored with the nearest-member term
    "exemplars": EXEMPLARS,   # recent members kept per active story (link + title)
    "max_terms": 60,          # centroid terms indexed per active story
    "embed_weight": 0.5,      # weight of title-embedding similarity when an embedder is given
    "embed_threshold": 0.3,   # minimum score to join, with embeddings
    "embed_merge": 0.4,       # merge level with embeddings (centroid and mean-embedding cosines)
    "spread": 1.0,            # divide by (story cohesion ** spread): broad stories accept more
    "spread_age": timedelta(days=3),  # ...fully while younger than this; older ones count
                                      # as at least OLD_COHESION, take no merged fragments
                                      # and are compared without embeddings
    "merge": 0.15,            # merge two active stories whose centroids reach this cosine (0: off)
    "merge_min": 2,           # a story is checked for merging once it has this many articles
    "min_terms": 2,           # an article with fewer distinct terms always starts its own story
    "mutual": True,           # merge two stories only when each is the other's best partner
    "body_floor": 0.05,       # an article with a body joins only a story its body resembles
    "outlet_prior": 20,       # items an outlet is assumed to start with (OutletTerms; 0: off)
}
BODY_WORDS = 40  # bodies shorter than this (feed blurbs, title-only data) are not checked


class StoryClusterer:
    def __init__(self, *, embedder=None, **params: Any):
        """``params``: any of ``DEFAULTS`` (the eval's ``--set`` and the tests override
        them); an unknown name is an error, not a silent no-op."""
        unknown = sorted(set(params) - set(DEFAULTS))
        if unknown:
            raise TypeError(f"unknown clustering parameter(s): {', '.join(unknown)}")
        for name, value in {**DEFAULTS, **params}.items():
            setattr(self, name, value)
        self.embedder = embedder
        self.merged_into: dict[int, int] = {}  # absorbed story id -> the story that took it
        self._merges: list[tuple[int, int]] = []  # (absorbed, into) not yet popped
        self.vectorizer = Vectorizer()
        self.index = CentroidIndex(self.max_terms)
        self._stories: dict[int, StoryState] = {}  # active stories
        self._closed: list[StoryState] = []
        self._expiry: list = []  # heap of (last_seen, story id); stale entries skipped
        self.clock: datetime | None = None
        self.next_id = 1

    @property
    def uses_embeddings(self) -> bool:
        return self.embedder is not None and self.embed_weight > 0

    def _embedding(self, doc: Doc, given: np.ndarray | None = None) -> np.ndarray | None:
        """The unit embedding of ``doc``'s headline and lede (``given``, or made by the
        embedder); None without a model, and for a text the English-only model can't read."""
        if given is None:
            if self.embedder is None and doc.embeddings == "auto":
                self.embedder = shared_embedder()
            if not self.uses_embeddings:
                return None
        text = embed_text(doc)
        if not reads_english(text, doc.language):
            return None
        return given if given is not None else self.embedder.encode([text])[0]

    def _level(self, mixed: bool, merge: bool = False) -> float:
        """Join (or merge) level of one comparison: mixed scores run higher, so they have
        their own; a story or article without an embedding is compared on TF-IDF alone."""
        if merge:
            return self.embed_merge if mixed else self.merge
        return self.embed_threshold if mixed else self.threshold

    # ------------------------------------------------------------------ the stream
    def add(self, doc: Doc, embedding: np.ndarray | None = None, outlet: str | None = None,
            outlets: OutletTerms | None = None) -> Assignment:
        """Assign one article; ``embedding`` may be passed precomputed (unit title vector);
        ``outlets`` (learned by the caller) tells ``outlet``'s routine words, weighed little."""
        when = doc.published
        if when is not None and (self.clock is None or when > self.clock):
            self.clock = when
            self._expire()
        counts = doc.terms if doc.terms is not None else features(doc.title, doc.text, doc.language)
        self.vectorizer.learn(counts)
        vec = self.vectorizer.vector(counts)
        if outlets is not None and outlet is not None and self.outlet_prior:
            vec = normalise({t: w * outlets.weight(outlet, t, self.outlet_prior)
                             for t, w in vec.items()})
        embedding = self._embedding(doc, embedding)
        story, score = self._best(vec, when, embedding, cache(lambda: self._body(doc, counts)))
        is_new = story is None
        if is_new:
            story = StoryState(id=self.next_id, first_seen=when, last_seen=when,
                               exemplars=deque(maxlen=self.exemplars))
            self.next_id += 1
            self._stories[story.id] = story
            score = 0.0
        self._join(story, doc, vec, when, embedding)
        n = len(story.members)
        if self.merge and n >= self.merge_min and (n & (n - 1) == 0 or n % 16 == 0):
            story = self._try_merge(story)
        self._placed(doc.id, story.id, vec, embedding, is_new)
        return Assignment(story.id, score, is_new)

    def _placed(self, doc_id, story_id: int, vec: Vector, embedding, is_new: bool) -> None:
        """After each article is placed (where ``lookahead.ThreadClusterer`` acts)."""

    def learn(self, doc: Doc) -> None:
        """Count ``doc`` in the document frequencies alone, as ``add`` does (a replay)."""
        self.vectorizer.learn(doc.terms if doc.terms is not None
                              else features(doc.title, doc.text, doc.language))

    def resolve(self, story_id: int) -> int:
        """The story that now holds ``story_id`` (itself unless it was merged)."""
        while story_id in self.merged_into:
            story_id = self.merged_into[story_id]
        return story_id

    def _try_merge(self, story: StoryState) -> StoryState:
        """Second chance for fragments: fold ``story`` and its most similar active story
        together when their centroids are close (the larger one keeps its id, and is
        returned)."""
        best = self._merge_partner(story)
        if best is None or (self.mutual and self._merge_partner(best) is not story):
            return story
        # the larger story keeps its id; on a tie, the older one
        big, small = sorted((story, best), key=lambda x: (-len(x.members), x.id))
        if not self._merge_allowed(big, small):
            return story
        self._absorb(big, small)
        return big

    def _merge_allowed(self, big: StoryState, small: StoryState) -> bool:
        return True  # ThreadClusterer asks for evidence

    def _absorb(self, big: StoryState, small: StoryState) -> None:
        """``small`` becomes part of ``big`` (``pop_merges`` tells the caller)."""
        big.absorb(small)
        if big.last_seen is not None:
            heapq.heappush(self._expiry, (big.last_seen, big.id))
        self.index.remove(small.id)
        self.index.put(big.id, big.centroid)
        self._retitle(big)
        del self._stories[small.id]
        self.merged_into[small.id] = big.id
        self._merges.append((small.id, big.id))

    def pop_merges(self) -> list[tuple[int, int]]:
        """(absorbed, into) of the merges since the last call, in order."""
        merges, self._merges = self._merges, []
        return merges

    def _body(self, doc: Doc, counts: Counter) -> Vector | None:
        """The article's body alone as a vector (None without a real body): its terms minus
        the title's. A shared headline ("Live updates") is not a shared story: a real body
        must resemble the story too (``_best``)."""
        if not self.body_floor or not doc.text or len(doc.text.split(None, BODY_WORDS)) <= BODY_WORDS:
            return None
        title = (Counter(doc.title_terms) if doc.title_terms is not None
                 else features(doc.title, "", doc.language))
        return self.vectorizer.vector(Counter(counts) - title)

    def _merge_partner(self, story: StoryState) -> StoryState | None:
        norm = story.centroid.norm or 1.0
        probe = {t: story.centroid.weights[t] / norm
                 for t in story.centroid.top_terms(self.index.max_terms)}
        best, best_margin = None, 0.0
        for sid, d in self.index.dots(probe).items():
            other = self._stories[sid]
            if sid == story.id or (story.last_seen is not None and other.last_seen is not None
                                   and not self._in_window(other, story.last_seen)):
                continue
            if not self._young(other, story.last_seen):  # an old story takes no fragments
                continue
            cos = self._mix(d / (other.centroid.norm or 1.0), story.embedding, other.embedding)
            margin = cos - self._level(self._mixed(story.embedding, other.embedding), merge=True)
            if margin >= best_margin:
                best, best_margin = other, margin
        return best

    def _best(self, vec: Vector, when: datetime | None, embedding,
              body: Callable[[], Vector | None] = lambda: None) -> tuple[StoryState | None, float]:
        """The story to join, if any; ``body()`` gives the body's vector (made only when a
        candidate passes its level)."""
        if len(vec) < self.min_terms:
            return None, 0.0
        cands = []
        for sid, d in self.index.dots(vec).items():
            story = self._stories[sid]
            if when is not None and not self._in_window(story, when):
                continue
            norm = story.centroid.norm or 1.0
            cos = d / norm
            if self.spread:  # broad stories accept more; old ones only a little more
                cohesion = norm / len(story.members)
                if not self._young(story, when):
                    cohesion = max(cohesion, OLD_COHESION)
                cos /= cohesion ** self.spread
            cands.append((cos, sid))
        if not cands:
            return None, 0.0
        cands = heapq.nlargest(self.rerank, cands)
        best, best_score, best_margin = None, 0.0, -math.inf
        for cos, sid in cands:
            story = self._stories[sid]
            score = cos
            if self.link:
                near = max((dot(vec, v) for _, _, v, _ in story.exemplars), default=0.0)
                score = (1 - self.link) * cos + self.link * near
            # an old story is compared on TF-IDF alone: its mean embedding has become the
            # topic's ("the war in Ukraine"), close to every article on the topic, and the
            # words (names, places, phrases) are what still tell its event apart
            mine = embedding if self._young(story, when) else None
            score = self._mix(score, story.embedding, mine, story.exemplars)
            margin = score - self._level(self._mixed(story.embedding, mine))
            if margin >= 0 and (b := body()) is not None and (
                    dot(b, story.centroid.weights) / (story.centroid.norm or 1.0) < self.body_floor):
                continue
            if margin > best_margin:
                best, best_score, best_margin = story, score, margin
        return (best, best_score) if best_margin >= 0 else (None, best_score)

    def _young(self, story: StoryState, when: datetime | None) -> bool:
        """Broad stories get an allowance only while young: a story that has run for days
        must be joined by articles really like it, or it snowballs into a topic."""
        if when is None or story.first_seen is None or self.spread_age is None:
            return True
        return when - story.first_seen <= self.spread_age

    def _mixed(self, a: np.ndarray | None, b: np.ndarray | None) -> bool:
        return self.embed_weight > 0 and a is not None and b is not None

    def _mix(self, score: float, a: np.ndarray | None, b: np.ndarray | None,
             exemplars: Iterable = ()) -> float:
        """``score`` mixed with the cosine of two (summed) title embeddings, when both exist.
        With a story's ``exemplars`` (``b`` is then the article's unit embedding), the
        embedding side gets the same nearest-recent-member term, with the same ``link``
        weight, as the TF-IDF side."""
        if not self._mixed(a, b):
            return score
        sim = float(a @ b) / (float(np.linalg.norm(a) * np.linalg.norm(b)) or 1.0)
        if self.link:
            near = max((float(e @ b) for _, _, _, e in exemplars if e is not None), default=None)
            if near is not None:
                sim = (1 - self.link) * sim + self.link * near
        return (1 - self.embed_weight) * score + self.embed_weight * sim

    def _in_window(self, story: StoryState, when: datetime) -> bool:
        if story.first_seen is None:
            return True
        return story.first_seen - self.window <= when <= story.last_seen + self.window

    def _join(self, story: StoryState, doc: Doc, vec: Vector, when, embedding) -> None:
        story.add(doc.id, doc.title, vec, when, embedding)
        if when is not None:
            heapq.heappush(self._expiry, (story.last_seen, story.id))
        n = len(story.members)
        if n <= 8 or n % 8 == 0 or story.id not in self.index:
            self.index.put(story.id, story.centroid)
            self._retitle(story)
        else:
            self.index.update(story.id, story.centroid, vec)

    def _retitle(self, story: StoryState) -> None:
        """Title = the headline closest to the centroid among the holder and recent members."""
        best = dot(story.title_vec, story.centroid.weights) if story.title else -1.0
        for _, title, v, _ in story.exemplars:
            score = dot(v, story.centroid.weights)
            if score > best + 1e-12:
                best, story.title, story.title_vec = score, title, v

    def _expire(self) -> None:
        for story in pop_expired(self._expiry, self.clock - self.window, self._stories):
            self._close(story)

    def _close(self, story: StoryState) -> None:
        """Out of the candidate index and out of memory: the story (compact: members, title,
        top terms) waits in ``pop_closed`` for the caller to persist it."""
        self._retitle(story)
        self.index.remove(story.id)
        story.exemplars.clear()
        top = story.centroid.top_terms(self.index.max_terms)
        story.centroid = Centroid({t: story.centroid.weights[t] for t in top})
        del self._stories[story.id]
        self._closed.append(story)

    def pop_closed(self) -> list[StoryState]:
        """Stories closed since the last call; the clusterer forgets them (bounded memory)."""
        closed, self._closed = self._closed, []
        return closed

    # ------------------------------------------------------------------ state
    def stories(self) -> list[StoryState]:
        """Active stories, then those closed but not yet taken with ``pop_closed``."""
        for story in self._stories.values():
            self._retitle(story)
        return list(self._stories.values()) + list(self._closed)

    def story(self, story_id: int) -> StoryState | None:
        """The story holding ``story_id`` now (following merges), or None if unknown."""
        sid = self.resolve(story_id)
        story = self._stories.get(sid)
        if story is not None:
            self._retitle(story)
            return story
        return next((s for s in self._closed if s.id == sid), None)

    def active_ids(self) -> list[int]:
        return list(self._stories)

    def to_dict(self) -> dict:
        """Everything needed to resume the stream: parameters, DF table, active stories."""
        return {
            "clock": self.clock.isoformat() if self.clock else None,
            "next_id": self.next_id,
            "vectorizer": self.vectorizer.to_dict(),
            "stories": [self.saved_state(sid) for sid in self.active_ids()],
        }

    def saved_state(self, story_id: int) -> dict:
        """An active story's state with what the index holds of it and its norm as kept
        up to date: a stream resumed from it scores exactly as one that never stopped
        (re-indexing the top terms, or recomputing the norm, is not quite the same)."""
        story = self._stories[story_id]
        return dict(story.to_dict(), indexed=self.index.terms(story_id),
                    sq_norm=story.centroid.sq_norm)

    def load(self, data: dict) -> None:
        """Resume from ``to_dict`` output (closed stories live in the database, not here)."""
        self.clock = datetime.fromisoformat(data["clock"]) if data["clock"] else None
        self.next_id = data["next_id"]
        self.vectorizer = Vectorizer.from_dict(data["vectorizer"])
        for item in data["stories"]:
            story = StoryState.from_dict(item, self.exemplars)
            if "sq_norm" in item:
                story.centroid.sq_norm = item["sq_norm"]
            self._stories[story.id] = story
            self.index.put(story.id, story.centroid, item.get("indexed"))
            if story.last_seen is not None:
                heapq.heappush(self._expiry, (story.last_seen, story.id))
