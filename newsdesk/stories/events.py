"""Event-level stories: the articles that report one occurrence (one call, one meeting,
one decision, one attack, one speech), from any outlet, within a day or two.

The thread clusterer (``cluster.py``) groups coverage of one *topic*; inside it, press
releases of one outlet share their genre ("Telephone conversation with ...", "Readout of
President Biden's Call with ...", "FACT SHEET: ..."), and a sentence model sees the
template too. What tells two events apart is *who*, *where* and *what number*: the names,
places and figures. So an event join compares two articles on words weighted by how rare
they are, where rarity is measured twice:

- across the whole stream (the thread clusterer's online IDF), and
- for two articles of the *same outlet*, also within that outlet (``OutletTerms``: document
  frequencies per outlet, learned online). A word the outlet uses in many of its own
  unrelated items ("telephone", "conversation", "readout", "Putin" on the Kremlin's site,
  "Biden" on the White House's) weighs little for joining two of its items, since it says
  nothing about which occurrence they report. Two outlets reporting one occurrence are
  compared on stream-wide weights: the White House naming Putin and the Kremlin naming
  Biden is exactly the evidence that they report the same call.

One article at a time (``EventClusterer.add``):

1. The article becomes its event terms: ``text.features`` of headline and lede (the first
   ``lede_words`` words, where a release says who did what), two unit vectors of them
   (stream-wide weights; and weights damped by its outlet's own frequencies).
2. Candidates: active stories (a member within ``window`` of the article) sharing one of the
   article's terms, through an inverted index over their members' terms.
3. Similarity to a story = the mean similarity to its members within ``window`` (members
   of the same outlet compared on damped vectors, the others on stream-wide ones; the mean,
   not the best, so a story does not chain from one member to the next). Join the story
   furthest above its level: ``threshold`` when its most similar member is of the article's
   own outlet, ``cross_threshold`` when it is of another (two outlets' releases share the
   vocabulary of diplomacy, so a call with Macron from Paris's partner A and one from
   partner B share a name without being one event); otherwise start a new story. Most items
   of a press-release stream are singletons, and precision matters most: a wrong join
   puts an unrelated headline on a story, a missed join leaves two short stories.
4. What two releases report apart lowers their similarity (``occurrence.py``): when each
   names an actor the other never does (Biden's call with Yoon and Putin's greetings to
   Yoon; Biden's and Harris's statements on one death; notices about Zimbabwe and about
   Iran), it is multiplied by ``actor_penalty``; and it halves every ``half_life`` hours
   between the occurrences they report, after ``grace`` hours (an announcement reports the
   day it names, so "On March 11, Putin will meet ..." stays close to the meeting, while
   two calls with one leader a day apart do not join).
5. Each story knows its *central* member (highest summed similarity to the others; first
   on ties), whose headline and lede present the story, and the thread of its first
   article.

Parameters (``EVENT_DEFAULTS``) were chosen on the tuning half of the labelled demo sample
(``bench/demo_events_eval.py --corpus``: events split by a hash of their label), and the
figures are reported on the other half and on a fresh set labelled later
(``--labels fresh``), used for no choice.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .outlets import OutletTerms
from .occurrence import actors, announced_day, conflict, context, day_end, gap_hours
from .story import Doc
from .text import features, name_stems
from .vectors import Vector, Vectorizer, dot, normalise

__all__ = ["EVENT_DEFAULTS", "EventClusterer", "EventState", "OutletTerms"]

EVENT_DEFAULTS: dict[str, Any] = {
    "threshold": 0.25,             # similarity needed to join a story (see _best)
    "window": timedelta(days=2),   # members further apart in time are not compared
    "lede_words": 30,              # words of the text read after the headline
    "outlet_prior": 20,            # documents an outlet is assumed to start with (see OutletTerms)
    "members": 16,                 # newest members of a story compared with a new article
    "idf_prior": 100,              # documents the stream-wide IDF pretends to start with
    "name_weight": 2.0,            # weight factor of names (capitalised inside a sentence)
    "cross_threshold": 0.5,        # ...the level when the best member is of another outlet
    "link": "mean",                # "mean": mean similarity to the compared members; "max": best
    "shared_names": 3,             # names two outlets' ledes must share to be compared on names
    "probe_terms": 20,             # heaviest terms of the article used to find candidates
    "candidates": 30,              # stories compared in full (most shared weight first)
    "actor_penalty": 0.25,         # similarity factor when each side names an actor the other does not
    "context_words": 80,           # words of the text where the other side's actors are looked for
    "half_life": 12.0,             # hours: similarity halves per this much time between occurrences...
    "grace": 6.0,                  # ...beyond these first hours (see occurrence.gap_hours)
}


@dataclass
class Member:
    id: Any
    outlet: str | None
    when: datetime | None
    title: str
    raw: Vector        # stream-wide weights (not normalised): the candidate probe
    damped: Vector     # unit vector, weights also damped by the outlet's own frequencies
    names: Vector      # the raw weights of the names in the lede (see ``text.name_stems``)
    actors: frozenset = frozenset()    # who acts (``occurrence.actors``)
    context: frozenset = frozenset()   # every word of headline and lede (``occurrence.context``)
    day: date | None = None            # the day an announcement names (``occurrence.announced_day``)

    def to_list(self) -> list:
        return [self.id, self.outlet, self.when.isoformat() if self.when else None, self.title,
                self.raw, self.damped, self.names, sorted(self.actors), sorted(self.context),
                self.day.isoformat() if self.day else None]

    @classmethod
    def from_list(cls, item: list) -> "Member":
        extra = item[7:] + [[], [], None][len(item) - 7:]   # state saved before actors existed
        return cls(item[0], item[1], datetime.fromisoformat(item[2]) if item[2] else None,
                   item[3], item[4], item[5], item[6], frozenset(extra[0]), frozenset(extra[1]),
                   date.fromisoformat(extra[2]) if extra[2] else None)


@dataclass
class EventState:
    id: int
    thread_id: Any = None
    members: list[Member] = field(default_factory=list)   # newest ``members`` kept
    size: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    central: Any = None          # id of the member whose headline and lede present the story
    title: str = ""              # the central member's headline
    centrality: dict = field(default_factory=dict)   # member id -> summed similarity

    def to_dict(self) -> dict:
        return {"id": self.id, "thread": self.thread_id, "size": self.size,
                "first_seen": self.first_seen.isoformat() if self.first_seen else None,
                "last_seen": self.last_seen.isoformat() if self.last_seen else None,
                "central": self.central, "title": self.title, "centrality": [[k, v] for k, v in self.centrality.items()],
                "members": [m.to_list() for m in self.members]}

    @classmethod
    def from_dict(cls, data: dict) -> "EventState":
        def when(value):
            return datetime.fromisoformat(value) if value else None
        return cls(id=data["id"], thread_id=data["thread"], size=data["size"],
                   first_seen=when(data["first_seen"]), last_seen=when(data["last_seen"]),
                   central=data["central"], title=data.get("title", ""), centrality={k: v for k, v in data["centrality"]},
                   members=[Member.from_list(m) for m in data["members"]])


@dataclass(frozen=True)
class EventAssignment:
    story_id: int
    similarity: float   # best member similarity (0.0 for a new story)
    is_new: bool
    central: Any        # the story's central member after this article joined...
    title: str          # ...and its headline, the story's title


class EventClusterer:
    def __init__(self, vectorizer: Vectorizer | None = None, **params: Any):
        """``vectorizer``: the stream-wide document frequencies (the thread clusterer's,
        so both levels learn them once); ``params``: any of ``EVENT_DEFAULTS``."""
        unknown = sorted(set(params) - set(EVENT_DEFAULTS))
        if unknown:
            raise TypeError(f"unknown event parameter(s): {', '.join(unknown)}")
        for name, value in {**EVENT_DEFAULTS, **params}.items():
            setattr(self, name, value)
        self.vectorizer = vectorizer if vectorizer is not None else Vectorizer()
        self._own_vectorizer = vectorizer is None
        self.outlets = OutletTerms(self.outlet_prior)
        self._stories: dict[int, EventState] = {}
        self._postings: dict[str, set[int]] = defaultdict(set)
        self._terms: dict[int, set[str]] = defaultdict(set)
        self._expiry: list = []
        self._closed: list[EventState] = []
        self.clock: datetime | None = None
        self.next_id = 1

    # ------------------------------------------------------------------ the stream
    def add(self, doc: Doc, outlet: str | None = None, thread_id: Any = None) -> EventAssignment:
        when = doc.published
        if when is not None and (self.clock is None or when > self.clock):
            self.clock = when
            self._expire()
        member = self._member(doc, outlet)
        story, score = self._best(member)
        is_new = story is None
        if is_new:
            story = EventState(id=self.next_id, thread_id=thread_id)
            self.next_id += 1
            self._stories[story.id] = story
            score = 0.0
        self._join(story, member)
        return EventAssignment(story.id, score, is_new, story.central, story.title)

    def learn(self, doc: Doc, outlet: str | None = None) -> None:
        """Count ``doc`` in the frequencies alone, as ``add`` does (see ``StoryClusterer.learn``)."""
        lede = " ".join(doc.text.split()[:self.lede_words]) if doc.text else ""
        counts = features(doc.title, lede, doc.language)
        if self._own_vectorizer:
            self.vectorizer.learn(counts)
        if outlet is not None:
            self.outlets.learn(outlet, counts)

    def _member(self, doc: Doc, outlet: str | None) -> Member:
        lede = " ".join(doc.text.split()[:self.lede_words]) if doc.text else ""
        if doc.lede_terms is not None and doc.lede_words == self.lede_words:  # precomputed
            counts, names = doc.lede_terms, doc.lede_names or frozenset()
        else:
            counts = features(doc.title, lede, doc.language)
            names = name_stems(lede, doc.language)
        if self._own_vectorizer:
            self.vectorizer.learn(counts)
        raw = {t: (1.0 + math.log(c)) * self._idf(t)
               * (self.name_weight if t in names or t[0] == "@" else 1.0)
               for t, c in counts.items() if c > 0}
        if outlet is not None:
            damped = normalise({t: w * self.outlets.weight(outlet, t) for t, w in raw.items()})
            self.outlets.learn(outlet, counts)
        else:
            damped = normalise(raw)
        wider = " ".join(doc.text.split()[:self.context_words]) if doc.text else ""
        return Member(doc.id, outlet, doc.published, doc.title, raw, damped,
                      {t: 1.0 for t in raw if t in names},
                      frozenset(actors(doc.title, lede, doc.language)),
                      frozenset(context(doc.title, wider, doc.language)),
                      announced_day(doc.title, lede, doc.published))

    def similarity(self, a: Member, b: Member) -> float:
        """Two releases of one outlet: on all their words, weights damped by that outlet's
        frequencies. Two outlets: on all their words, or on the *names* of their ledes (who,
        where; each name counts once) if those agree more and share at least
        ``shared_names``; a word weighs what it weighs for the outlet to which it is least
        routine (the Kremlin naming Biden, the White House naming Putin: each is news for
        one side; "President" is routine for both). Two outlets' accounts of one call name
        both parties; Biden's call with Macron and Putin's call with Macron share one party,
        and each names a principal the other does not.

        The result is then lowered for what tells two occurrences apart (``occurrence.py``):
        by ``actor_penalty`` when each side names an actor the other never does, and by
        half per ``half_life`` hours between the occurrences they report, beyond ``grace``."""
        return self._words(a, b) * self._apart(a, b)

    def _apart(self, a: Member, b: Member) -> float:
        gap = gap_hours(a.when, a.day, b.when, b.day)
        return ((self.actor_penalty if conflict(a.actors, a.context, b.actors, b.context) else 1.0)
                * 0.5 ** (max(0.0, gap - self.grace) / self.half_life))

    def _words(self, a: Member, b: Member) -> float:
        if a.outlet is not None and a.outlet == b.outlet:
            return dot(a.damped, b.damped)
        weight = self.outlets.weight

        def pair_weights(vec: Vector) -> Vector:
            return normalise({t: w * max(weight(a.outlet, t), weight(b.outlet, t))
                              for t, w in vec.items()})
        words = dot(pair_weights(a.raw), pair_weights(b.raw))
        if len(a.names.keys() & b.names.keys()) < self.shared_names:
            return words
        return max(words, dot(pair_weights(a.names), pair_weights(b.names)))

    def _idf(self, term: str) -> float:
        """Stream-wide IDF from the shared frequencies, with a small prior: early in a
        stream, a name seen twice must already count far more than a genre word."""
        v = self.vectorizer
        return math.log((v.n_docs + self.idf_prior) / (v.df.get(term, 0) + 0.5))

    def _close_enough(self, a: Member, b: Member) -> bool:
        """Within ``window`` of each other, an announcement counting from the day it names."""
        return gap_hours(a.when, a.day, b.when, b.day) <= self.window.total_seconds() / 3600

    @staticmethod
    def _open_until(story: EventState) -> datetime | None:
        """The story's last member, or the end of a day one of its members announces, if later:
        "On February 18, Putin will hold talks ..." keeps its story open for the talks."""
        return max(filter(None, [story.last_seen, *(day_end(m.day, m.when) for m in story.members)]),
                   default=None)

    def _best(self, member: Member) -> tuple[EventState | None, float]:
        shared: dict[int, float] = defaultdict(float)
        for t, w in heapq.nlargest(self.probe_terms, member.raw.items(), key=lambda kv: kv[1]):
            for sid in self._postings.get(t, ()):
                shared[sid] += w
        candidates = heapq.nlargest(self.candidates, shared, key=lambda sid: (shared[sid], -sid))
        best, best_score, best_margin = None, 0.0, 0.0
        for sid in sorted(candidates):
            story = self._stories[sid]
            sims = [(self.similarity(member, m), m.outlet == member.outlet) for m in story.members
                    if self._close_enough(member, m)]
            if not sims:
                continue
            score, same = max(sims)
            if self.link == "mean":
                score = sum(s for s, _ in sims) / len(sims)
            level = self.threshold if same else self.cross_threshold
            margin = score - level
            if margin >= 0 and (best is None or margin > best_margin):
                best, best_score, best_margin = story, score, margin
        return (best, best_score) if best is not None else (None, 0.0)

    def _join(self, story: EventState, member: Member) -> None:
        sims = {m.id: self.similarity(member, m) for m in story.members}
        for mid, s in sims.items():
            story.centrality[mid] = story.centrality.get(mid, 0.0) + s
        story.centrality[member.id] = sum(sims.values())
        story.members.append(member)
        story.size += 1
        if len(story.members) > self.members:
            story.members.pop(0)
        # the central member: highest summed similarity among the kept members (the earliest
        # on ties); a central member that left keeps its place until one scores higher
        kept = {m.id: i for i, m in enumerate(story.members)}
        story.centrality = {k: v for k, v in story.centrality.items()
                            if k in kept or k == story.central}
        best = max(kept, key=lambda k: (round(story.centrality[k], 9), -kept[k]))
        if story.central not in kept or story.centrality[best] > story.centrality[story.central] + 1e-9:
            story.central = best
            story.title = next(m.title for m in story.members if m.id == best)
        if member.when is not None:
            story.first_seen = min(filter(None, (story.first_seen, member.when)))
            story.last_seen = max(filter(None, (story.last_seen, member.when)))
            heapq.heappush(self._expiry, (self._open_until(story), story.id))
        terms = self._terms[story.id]
        for t in member.raw:
            if t not in terms:
                terms.add(t)
                self._postings[t].add(story.id)

    def _expire(self) -> None:
        limit = self.clock - self.window
        while self._expiry and self._expiry[0][0] < limit:
            until, sid = heapq.heappop(self._expiry)
            story = self._stories.get(sid)
            if story is None or self._open_until(story) != until:
                continue   # closed already, or open longer: a newer entry holds its time
            for t in self._terms.pop(story.id, ()):
                plist = self._postings.get(t)
                if plist is not None:
                    plist.discard(story.id)
                    if not plist:
                        del self._postings[t]
            del self._stories[story.id]
            self._closed.append(story)

    # ------------------------------------------------------------------ state
    def story(self, story_id: int) -> EventState | None:
        return self._stories.get(story_id) or next((s for s in self._closed if s.id == story_id), None)

    def active_ids(self) -> list[int]:
        return list(self._stories)

    def pop_closed(self) -> list[EventState]:
        closed, self._closed = self._closed, []
        return closed

    def to_dict(self) -> dict:
        return {"clock": self.clock.isoformat() if self.clock else None, "next_id": self.next_id,
                "outlets": self.outlets.to_dict(),
                "stories": [s.to_dict() for s in self._stories.values()]}

    def load(self, data: dict) -> None:
        self.clock = datetime.fromisoformat(data["clock"]) if data.get("clock") else None
        self.next_id = data["next_id"]
        if data.get("outlets"):
            self.outlets = OutletTerms.from_dict(data["outlets"])
        for item in data["stories"]:
            story = EventState.from_dict(item)
            self._stories[story.id] = story
            for m in story.members:
                for t in m.raw:
                    self._terms[story.id].add(t)
                    self._postings[t].add(story.id)
            if story.last_seen is not None:
                heapq.heappush(self._expiry, (self._open_until(story), story.id))

