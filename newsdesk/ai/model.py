"""Plain data of the AI features: documents in, cited results out.

A ``Doc`` is split into sentences once (``Corpus``); a sentence is addressed by
(doc id, sentence index) and every output ``Item`` carries ``citations`` pointing at the
stored sentences it came from: ``{"doc": id, "sentence": index, "text": stored sentence}``.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from datetime import date, datetime, timezone
from typing import Any, Sequence

from .. import speech
from ..language import detect_many
from ..sentences import split_sentences
from .guard import sentence_flag
from .text import TfidfSpace, Embed, terms


@dataclass(frozen=True)
class Revision:
    """A later version of a document: when it was seen and the sentences it added or
    changed (as they read in that version)."""
    version: int
    at: datetime
    added: tuple[str, ...] = ()


@dataclass(frozen=True)
class Doc:
    """``text`` is the newest version; ``revisions`` the versions after the first, oldest
    first (the timeline dates the sentences they added by the revision, "X updated its
    report: now says ...")."""
    id: str
    date: date | datetime
    outlet: str
    title: str
    text: str
    outlet_label: str | None = None
    revisions: tuple[Revision, ...] = ()

    @property
    def day(self) -> date:
        return self.date.date() if isinstance(self.date, datetime) else self.date

    @property
    def label(self) -> str:
        return self.outlet_label or self.outlet

    def content_hash(self) -> str:
        payload = "\x1f".join([str(self.id), self.date.isoformat(), self.outlet, self.title, self.text])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Sent:
    """One stored sentence. ``index`` counts sentences of the document's text, from 0.
    ``flag`` says why it may not be picked as a point (``guard.sentence_flag``), or ""."""
    doc: Doc
    index: int
    text: str
    terms: tuple[str, ...]
    flag: str = ""

    @property
    def citation(self) -> "Citation":
        return Citation(str(self.doc.id), self.index, self.text)


@dataclass
class Citation:
    doc: str
    sentence: int
    text: str


@dataclass
class Item:
    """One output sentence with its citations. ``origin`` says who wrote it: ``quoted`` (a
    stored sentence of an outlet), ``model`` (written by the model and checked against the
    sentences it cites) or ``replaced`` (the model's sentence failed the check, ``check``
    says why, and the quoted sentence it cited stands in its place). ``supported`` is False
    for model sentences that failed (kept out of ``items``, listed as ``unsupported``)."""
    text: str
    citations: list[Citation]
    date: str | None = None
    outlets: list[str] = field(default_factory=list)
    score: float = 0.0
    supported: bool = True
    origin: str = "quoted"
    check: str = ""
    update: str = ""    # "City News updated its report": the cited sentence came with a revision


@dataclass
class Result:
    """The answer of one feature. ``status``: ok, not_enough_coverage, not_found,
    empty_question, empty. ``sections`` holds named item lists (summary: "key_points";
    LLM checks: "unsupported"); ``meta`` holds plain JSON (compare's outlet table...)."""
    feature: str
    items: list[Item] = field(default_factory=list)
    status: str = "ok"
    note: str = ""
    provider: str = "offline"
    sections: dict[str, list[Item]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.feature == "timeline":
            data["entries"] = timeline_entries(self.items)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Result":
        def items(rows):
            return [Item(**{**row, "citations": [Citation(**c) for c in row["citations"]]}) for row in rows]
        return cls(feature=data["feature"], items=items(data["items"]), status=data["status"],
                   note=data["note"], provider=data["provider"],
                   sections={k: items(v) for k, v in data["sections"].items()}, meta=data["meta"])

    def all_items(self) -> list[Item]:
        out = list(self.items)
        for name, rows in self.sections.items():
            if name != "unsupported":
                out.extend(rows)
        return out


def timeline_entries(items: Sequence[Item]) -> list[dict[str, Any]]:
    """Group timeline items by date: [{date, outlets, items}] in date order."""
    entries: dict[str, dict[str, Any]] = {}
    for item in items:
        entry = entries.setdefault(item.date or "", {"date": item.date, "outlets": [], "items": []})
        entry["items"].append(asdict(item))
        for outlet in item.outlets:
            if outlet not in entry["outlets"]:
                entry["outlets"].append(outlet)
    return [entries[k] for k in sorted(entries)]


@lru_cache(maxsize=256)
def _language(texts: tuple[str, ...]) -> str:
    return detect_many(texts)


@lru_cache(maxsize=2048)
def _sentences(text: str, lang: str) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """(sentence, terms, flag) of a text: the costly part of reading a document, kept for
    the texts read most recently (a thread's "since" choices read the same 80 documents)."""
    spoken = speech.is_transcript(text)
    return tuple((s, tuple(terms(s, lang)), sentence_flag(s, spoken)) for s in split_sentences(text))


class Corpus:
    """Docs (sorted by date) split into sentences, with a shared TF-IDF space."""

    def __init__(self, docs: Sequence[Doc], embed: Embed | None = None, lang: str | None = None):
        self.docs = sorted(docs, key=lambda d: (as_datetime(d.date), str(d.id)))
        self.lang = lang or _language(tuple(d.title + " " + d.text[:3000] for d in self.docs))
        self.sents: list[Sent] = []
        self.by_doc: dict[str, list[int]] = {}
        for doc in self.docs:
            rows = self.by_doc.setdefault(str(doc.id), [])
            for i, (text, words, flag) in enumerate(_sentences(doc.text, self.lang)):
                rows.append(len(self.sents))
                self.sents.append(Sent(doc, i, text, words, flag))
        self.embed = embed
        self._space: TfidfSpace | None = None

    @property
    def space(self) -> TfidfSpace:
        if self._space is None:
            self._space = TfidfSpace([s.terms for s in self.sents], [s.text for s in self.sents],
                                     embed=self.embed)
        return self._space

    @property
    def outlets(self) -> list[str]:
        seen: list[str] = []
        for doc in self.docs:
            if doc.label not in seen:
                seen.append(doc.label)
        return seen

    def item(self, row: int, score: float = 0.0, outlets: Sequence[str] | None = None) -> Item:
        sent = self.sents[row]
        return Item(text=sent.text, citations=[sent.citation], date=sent.doc.day.isoformat(),
                    outlets=list(outlets) if outlets is not None else [sent.doc.label],
                    score=round(float(score), 4))


def coverage_gate(feature: str, corpus: Corpus, min_outlets: int) -> Result | None:
    """A plain 'not enough coverage' result when the story has too few outlets."""
    n = len(corpus.outlets)
    if n >= min_outlets:
        return None
    what = "a story summary" if feature == "summary" else f"a {feature}"
    noun = "outlet" if n == 1 else "outlets"
    return Result(feature=feature, status="not_enough_coverage",
                  note=f"Not enough coverage yet: {n} {noun}; {what} needs {min_outlets}",
                  meta={"outlets": corpus.outlets, "min_outlets": min_outlets})


def as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)
    return datetime(value.year, value.month, value.day)
