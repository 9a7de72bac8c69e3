"""What online story clustering works on: the incoming ``Doc``, the ``Assignment`` it gets, and
the ``StoryState`` of one story (centroid, summed title embedding, recent exemplars), with its
JSON form for the saved clusterer state."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

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
    embeddings: str = "off"  # "auto": compare MiniLM title embeddings when the model is installed


@dataclass(frozen=True)
class Assignment:
    story_id: int
    similarity: float  # join score (may exceed 1 for broad stories); 0.0 for a new story
    is_new: bool
    merged: tuple[int, ...] = ()  # stories absorbed into story_id by this step (redirect them)


@dataclass
class StoryState:
    id: int
    members: list = field(default_factory=list)
    title: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    centroid: Centroid = field(default_factory=Centroid)
    embedding: np.ndarray | None = None  # sum of member title embeddings
    exemplars: deque = field(default_factory=deque)  # (doc id, title, vector) of recent members
    title_vec: Vector = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready state (the centroid as a sparse dict); recent exemplars are kept."""
        return {
            "id": self.id, "members": list(self.members), "title": self.title,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "centroid": dict(self.centroid.weights),
            "embedding": self.embedding.tolist() if self.embedding is not None else None,
            "exemplars": [[i, t, v] for i, t, v in self.exemplars],
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
            exemplars=deque((tuple(e) for e in data.get("exemplars", [])), maxlen=exemplars),
            title_vec=data.get("title_vec", {}),
        )
