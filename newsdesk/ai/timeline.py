"""Timeline: what changed since a date, as dated developments with their outlets.

1. Days are candidates when documents were published on them or sentences mention them
   ("on February 18 ...") within the coverage (a date recalled from more than ``LOOKBACK``
   before the first document is background, not a development). A day's importance
   combines coverage volume, burstiness (volume against the surrounding days) and how
   often later coverage refers back to it.
2. For a day, candidate sentences are those published that day and those that mention it.
   Each is compared with *everything published before that day* (not only the latest
   headlines): a sentence that repeats an earlier fact (cosine >= ``repeat_threshold``) is
   not news and is dropped; the rest are scored by centrality within the day (what several
   documents say), novelty (1 - similarity to the past) and position in the article.
3. Days are taken by importance while they still have new facts, up to ``max_dates``;
   each gets up to ``per_date`` sentences picked by MMR, with the outlets that reported it.

Revisions: a sentence an outlet added or changed when it revised its report is dated by
the revision, not by the first publication, and shown as its own development ("City News
updated its report: now says ...", ``Item.update``), cited to the sentence of the newest
version (up to ``UPDATE_SENTENCES`` per revision, the newest ``MAX_UPDATES`` revisions).

``since`` is a day (developments after that day) or an instant (developments reported after
it: "since your last visit"); ``until`` (a day, inclusive) bounds the days shown. With an
instant, only documents published after it bring developments, and a development dated on
the instant's own day is shown. Novelty is always measured against all earlier coverage,
including coverage before ``since``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Sequence

import numpy as np

from .dates import mentioned_dates
from .model import Corpus, Doc, Result, Revision, as_datetime
from ..sentences import split_sentences
from .summary import centrality, eligible, mmr, position_prior
from .text import Embed

# how far before its first document a story's timeline reaches: the stories stage's window
# (an article dated further before a story began never joins it)
LOOKBACK = timedelta(days=3)
UPDATE_SENTENCES = 2    # sentences quoted per revision
MAX_UPDATES = 6         # revisions shown, newest first


def build_timeline(docs: Sequence[Doc], since: date | datetime | None = None,
                   until: date | datetime | None = None, max_dates: int | None = None,
                   per_date: int = 2, repeat_threshold: float = 0.5, outlet_threshold: float = 0.4,
                   use_mentions: bool = True, embed: Embed | None = None) -> Result:
    corpus = Corpus(docs, embed=embed)
    since_at, since_label = since_instant(since)
    until_day = _day(until)
    meta = {"since": since_label, "until": until_day.isoformat() if until_day else None,
            "outlets": corpus.outlets}
    if not corpus.sents:
        return Result("timeline", status="empty", note="No coverage to build a timeline from.", meta=meta)

    published = [s.doc.day for s in corpus.sents]
    first_day = min(published) - LOOKBACK
    candidates: dict[date, set[int]] = defaultdict(set)
    docs_per_day: dict[date, set[str]] = defaultdict(set)
    mention_docs: dict[date, set[str]] = defaultdict(set)
    revised = _revised_rows(corpus)
    for row, sent in enumerate(corpus.sents):
        if row in revised:
            continue  # a revision's news: dated by the revision (below)
        if since_at is not None and as_datetime(sent.doc.date) <= since_at:
            continue  # reported before the instant: known to the reader, never a development
        candidates[published[row]].add(row)
        docs_per_day[published[row]].add(str(sent.doc.id))
        if use_mentions:
            for day in mentioned_dates(sent.text, published[row]):
                # a date recalled from well before the coverage began is background, not one
                # of its developments ("the agreements of November 9, 2020")
                if first_day <= day < published[row]:
                    candidates[day].add(row)
                    mention_docs[day].add(str(sent.doc.id))

    def shown(day: date) -> bool:
        return (since_at is None or _day_end(day) > since_at) and (until_day is None or day <= until_day)

    days = [d for d in candidates if shown(d)]
    updates = _updates(corpus, revised, since_at, until_day)
    if not days and not updates:
        note = f"Nothing new since {since_label}." if since_label else "No dated coverage."
        return Result("timeline", status="empty", note=note, meta=meta)
    importance = _day_importance(days, docs_per_day, mention_docs) if days else {}
    limit = max_dates if max_dates is not None else min(10, len(days))

    order = np.argsort(published_ordinals := np.array([d.toordinal() for d in published]), kind="stable")
    sorted_ordinals = published_ordinals[order]
    items = []
    chosen = 0
    for day in sorted(days, key=lambda d: (-importance[d], d)):
        if chosen >= limit:
            break
        rows = eligible(corpus, sorted(candidates[day]))
        if not rows:
            continue
        earlier = order[: np.searchsorted(sorted_ordinals, day.toordinal(), side="left")]
        novelty = np.ones(len(rows))
        if len(earlier):
            past = corpus.space.sim(rows, earlier).max(axis=1)
            novelty = 1.0 - past
        fresh = [i for i in range(len(rows)) if novelty[i] > 1.0 - repeat_threshold]
        if not fresh:
            continue
        rows = [rows[i] for i in fresh]
        novelty = novelty[fresh]
        sim = corpus.space.sim(rows, rows)
        same_day = np.array([published[r] == day for r in rows], dtype=float)
        scores = (centrality(sim) * (0.5 + 0.5 * novelty) * position_prior(corpus, rows)
                  * (0.75 + 0.25 * same_day))
        picks = mmr(scores, sim, per_date, lam=0.7, max_sim=0.5)
        for i in sorted(picks, key=lambda i: -scores[i]):
            outlets = [corpus.sents[rows[i]].doc.label]
            for j in np.nonzero(sim[i] >= outlet_threshold)[0]:
                label = corpus.sents[rows[j]].doc.label
                if label not in outlets:
                    outlets.append(label)
            item = corpus.item(rows[i], scores[i], outlets)
            item.date = day.isoformat()
            items.append(item)
        chosen += 1
    items += updates
    items.sort(key=lambda it: (it.date, bool(it.update), -it.score))
    meta["dates"] = sorted({it.date for it in items})
    if not items:
        return Result("timeline", status="empty", note="No new facts in the selected period.", meta=meta)
    return Result("timeline", items=items, meta=meta)


def _key(sentence: str) -> str:
    return " ".join(sentence.split()).casefold()


def revisions_from(versions: Sequence[dict]) -> tuple[Revision, ...]:
    """A document's revisions from its stored versions (oldest first, each with
    ``version``, ``seen_at``, ``title``, ``text``): each with the sentences it added or
    changed against the version before, its headline aside."""
    out = []
    for before, after in zip(versions, versions[1:]):
        old = {_key(s) for s in split_sentences(before.get("text") or "")}
        title = _key(after.get("title") or "")
        added = tuple(s for s in split_sentences(after.get("text") or "") if _key(s) not in old and _key(s) != title)
        out.append(Revision(int(after["version"]), as_datetime(after["seen_at"]), added))
    return tuple(out)


def _revised_rows(corpus: Corpus) -> dict[int, Revision]:
    """{row: the revision that added it} for sentences of the newest texts that a revision
    added (the latest revision that added the same words wins)."""
    out: dict[int, Revision] = {}
    for doc in corpus.docs:
        if not doc.revisions:
            continue
        rows = {_key(corpus.sents[r].text): r for r in corpus.by_doc.get(str(doc.id), [])}
        for revision in doc.revisions:
            for sentence in revision.added:
                if _key(sentence) in rows:
                    out[rows[_key(sentence)]] = revision
    return out


def _updates(corpus: Corpus, revised: dict[int, Revision], since_at: datetime | None,
             until_day: date | None) -> list:
    """One development per revision shown: "<outlet> updated its report", quoting what it
    now says (the sentences it added, in text order), dated the day it was seen."""
    by_revision: dict[tuple[str, int], list[int]] = defaultdict(list)
    for row, revision in revised.items():
        by_revision[(str(corpus.sents[row].doc.id), revision.version)].append(row)
    chosen = []
    for rows in by_revision.values():
        revision = revised[rows[0]]
        at = as_datetime(revision.at)
        if (since_at is not None and at <= since_at) or (until_day is not None and at.date() > until_day):
            continue
        rows = eligible(corpus, sorted(rows))[:UPDATE_SENTENCES]
        if rows:
            chosen.append((at, rows))
    items = []
    for at, rows in sorted(chosen, key=lambda pair: pair[0], reverse=True)[:MAX_UPDATES]:
        for rank, row in enumerate(rows):
            doc = corpus.sents[row].doc
            item = corpus.item(row, 1.0 - 0.1 * rank, [doc.label])
            item.date = at.date().isoformat()
            item.update = f"{doc.label} updated its report ({at:%H:%M} UTC)"
            items.append(item)
    return items


def _day_importance(days: Sequence[date], docs_per_day: dict[date, set[str]],
                    mention_docs: dict[date, set[str]], window: int = 3) -> dict[date, float]:
    """Volume (share of the busiest day), burst (volume over the local average) and
    references from later coverage, each scaled to [0, 1] and summed."""
    volume = {d: len(docs_per_day.get(d, ())) for d in days}
    all_volume = {d: len(v) for d, v in docs_per_day.items()}
    mentions = {d: len(mention_docs.get(d, ())) for d in days}
    burst = {}
    for d in days:
        around = [all_volume.get(d + timedelta(days=k), 0) for k in range(-window, window + 1) if k]
        burst[d] = volume[d] / (1.0 + sum(around) / len(around))
    scaled = []
    for table in (volume, burst, mentions):
        top = max(table.values()) or 1
        scaled.append({d: v / top for d, v in table.items()})
    return {d: scaled[0][d] + 0.5 * scaled[1][d] + scaled[2][d] for d in days}


def since_instant(value: date | datetime | str | None) -> tuple[datetime | None, str | None]:
    """(naive UTC instant, label) of a ``since``: a day stands for its last instant, so
    "since 26 February" starts on the 27th; an ISO string may be either."""
    if value is None or value == "":
        return None, None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    if isinstance(value, datetime):
        at = as_datetime(value)
        return at, at.strftime("%Y-%m-%d %H:%M UTC")
    return _day_end(value), value.isoformat()


def _day_end(day: date) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(days=1, microseconds=-1)


def _day(value: date | datetime | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value
