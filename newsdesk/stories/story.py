"""What online story clustering works on: the incoming ``Doc``, the ``Assignment`` it gets, and
the ``StoryState`` of one story (centroid, summed title embedding, recent exemplars), with its
JSON form for the saved clusterer state."""

from __future__ import annotations

import base64
import heapq
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Mapping

import numpy as np

from .vectors import Centroid, Vector

EXEMPLARS = 16  # recent members kept per active story (see cluster.DEFAULTS)


@dataclass
class Doc:
    id: Any
    title: str
    text: str = ""
    published: datetime | None = None
    language: str | None = None
    terms: dict[str, float] | None = None  # precomputed term counts (skips text.features)
    # precomputed by the worker that stored the article (``features.py``), else None:
    title_terms: dict[str, float] | None = None   # text.features of the title alone
    lede_terms: dict[str, float] | None = None    # text.features of title + lede (events)
    lede_names: frozenset[str] | None = None      # text.name_stems of the lede (events)
    lede_words: int | None = None                 # the lede's length in words for those two
    embeddings: str = "off"  # "auto": compare MiniLM title embeddings when the model is installed


LEDE_WORDS = 30  # words of the text embedded after the headline (a news lede's length)


def embed_text(doc: Doc) -> str:
    """What a title embedding is made of: the headline, plus the lede (first ``LEDE_WORDS``
    words of the text) when there is one. A headline alone is often a pun or a label; its
    lede says who did what."""
    lede = " ".join(doc.text.split()[:LEDE_WORDS]) if doc.text else ""
    return f"{doc.title}. {lede}" if lede else doc.title


@dataclass(frozen=True)
class Assignment:
    """Where an article went (stories merged on the way: the clusterer's ``pop_merges``)."""
    story_id: int
    similarity: float  # join score (may exceed 1 for broad stories); 0.0 for a new story
    is_new: bool


@dataclass
class StoryState:
    id: int
    members: list = field(default_factory=list)
    title: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    centroid: Centroid = field(default_factory=Centroid)
    embedding: np.ndarray | None = None  # sum of member title embeddings
    # (doc id, title, vector, unit title embedding or None) of recent members
    exemplars: deque = field(default_factory=deque)
    title_vec: Vector = field(default_factory=dict)

    def add(self, doc_id, title: str, vec: Vector, when: datetime | None,
            embedding: np.ndarray | None) -> None:
        """One member more. Its embedding is kept among the recent members as float16, in
        memory as in the saved state, so a resumed stream scores exactly alike."""
        self.members.append(doc_id)
        self.centroid.add(vec)
        if embedding is not None:
            self.embedding = embedding.copy() if self.embedding is None else self.embedding + embedding
        if when is not None:
            self.first_seen = when if self.first_seen is None else min(self.first_seen, when)
            self.last_seen = when if self.last_seen is None else max(self.last_seen, when)
        self.exemplars.append(exemplar(doc_id, title, vec, embedding))

    def remove(self, leaving: dict) -> None:
        """The members in ``leaving`` (doc id -> (title, vector, embedding or None), exactly
        as they were added) leave: their vectors come off the centroid and the summed
        embedding, and they are no longer among the exemplars."""
        self.members = [m for m in self.members if m not in leaving]
        for _, vec, embedding in leaving.values():
            self.centroid.add(vec, -1.0)
            if embedding is not None and self.embedding is not None:
                self.embedding = self.embedding - embedding
        self.exemplars = deque((e for e in self.exemplars if e[0] not in leaving),
                               maxlen=self.exemplars.maxlen)

    def absorb(self, other: "StoryState") -> None:
        """``other``'s members, centroid, embedding, span and recent members become ours."""
        self.members.extend(other.members)
        self.centroid.add(other.centroid.weights)
        if other.embedding is not None:
            self.embedding = other.embedding if self.embedding is None else self.embedding + other.embedding
        for when in (other.first_seen, other.last_seen):
            if when is not None:
                self.first_seen = min(self.first_seen or when, when)
                self.last_seen = max(self.last_seen or when, when)
        self.exemplars.extend(other.exemplars)

    def to_dict(self) -> dict:
        """JSON-ready state (the centroid as a sparse dict); recent exemplars are kept."""
        return {
            "id": self.id, "members": list(self.members), "title": self.title,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "centroid": dict(self.centroid.weights),
            "embedding": self.embedding.tolist() if self.embedding is not None else None,
            "exemplars": [[i, t, v, pack(e)] for i, t, v, e in self.exemplars],
            "title_vec": self.title_vec,
        }

    @classmethod
    def from_dict(cls, data: dict, exemplars: int = EXEMPLARS) -> "StoryState":
        def when(value):
            return datetime.fromisoformat(value) if value else None
        emb = data.get("embedding")
        return cls(
            id=data["id"], members=list(data["members"]), title=data["title"],
            first_seen=when(data["first_seen"]), last_seen=when(data["last_seen"]),
            centroid=Centroid(data["centroid"]),
            embedding=np.asarray(emb, dtype=np.float32) if emb is not None else None,
            exemplars=deque(((e[0], e[1], e[2], unpack(e[3] if len(e) > 3 else None))
                             for e in data.get("exemplars", [])), maxlen=exemplars),
            title_vec=data.get("title_vec", {}),
        )


def exemplar(doc_id, title: str, vec: Vector, embedding: np.ndarray | None) -> tuple:
    """A recent member as a story keeps it: (doc id, title, vector, float16 unit embedding
    or None)."""
    return doc_id, title, vec, None if embedding is None else embedding.astype(np.float16)


def pack(embedding: np.ndarray | None) -> str | None:
    """A unit embedding as base64 float16 (1 KB for MiniLM's 384 numbers instead of ~8 KB
    of JSON floats; float16 keeps cosines to about 1e-3, and the clusterer holds members'
    embeddings as float16 in memory too, so saving and loading changes nothing)."""
    if embedding is None:
        return None
    return base64.b64encode(np.asarray(embedding, dtype="<f2").tobytes()).decode("ascii")


def unpack(data: str | None) -> np.ndarray | None:
    if data is None:
        return None
    return np.frombuffer(base64.b64decode(data), dtype="<f2").astype(np.float16)


def pop_expired(heap: list, limit: datetime, active: Mapping) -> Iterator:
    """Pop the (last seen, id) entries of ``heap`` older than ``limit`` and yield each active
    story (or thread) whose newest entry that was: one that gained an article since has a
    newer entry in the heap, and one already closed is no longer in ``active`` (the caller
    removes each story it is given before taking the next: a story can have two entries
    with one time)."""
    while heap and heap[0][0] < limit:
        last, key = heapq.heappop(heap)
        story = active.get(key)
        if story is not None and story.last_seen == last:
            yield story
