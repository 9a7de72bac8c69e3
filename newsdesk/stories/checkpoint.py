"""The stories stage's saved state, and how a process resumes from it.

The stage commits in chunks (``stage.COMMIT_EVERY`` articles): the rows it writes for those
articles (assignments, new stories and threads, tags, related lists) and the state that
produced them go in **one transaction** (``save``). What the saved state holds:

- the clocks and the next story and thread ids of both clusterers ("heads"): the ids the
  chunk handed out are committed with the rows that use them, so a process that starts
  after a crash never hands out an id that already exists;
- the changed threads' and stories' states (``threads.state``, ``stories.state``), and the
  thread clusterer's deferred decisions with the changed slots of its ring of recent
  articles (``lookahead.py``; ``thread_recent``);
- every ``df_every`` articles, a snapshot of the document frequencies (stream-wide,
  per outlet, and the hashtags' background); between snapshots, the ids of the articles
  learned since (``stories:learned``), which ``load`` replays into the snapshot, so a
  resumed process weighs words exactly as one that never stopped;
- the newest time the duplicate index has seen, from which ``load`` rebuilds the index's
  30-day window.

A crash anywhere loses the uncommitted chunk and its in-memory state together; the next
process (or this one, after an error) ``load``s what was committed and finds the lost
chunk's articles still pending. ``load`` also reconciles with the rows, for databases
written before the state was transactional: next ids past every stored id, and each
active story's thread read from its row (thread merges move stories in the database).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..storage import articles as article_store
from ..storage import stories as story_store
from ..storage import threads as thread_store
from ..storage.sources import now
from .background import default_background
from .dedup import DuplicateIndex
from .events import EventClusterer, OutletTerms
from .lookahead import ThreadClusterer
from .vectors import Vectorizer

if TYPE_CHECKING:
    from .stage import StoriesStage


def stored_version(stage: "StoriesStage") -> int:
    stored = story_store.kv_get(stage.db, "stories:version")
    return int(stored) if stored else 0


def load(stage: "StoriesStage", version: int, *, dedup_window: timedelta, df_every: int,
         thread_params: dict) -> None:
    """Replace the stage's in-memory state by the committed one (``version``)."""
    db = stage.db
    stage.clusterer = ThreadClusterer(**thread_params)
    df = story_store.kv_get(db, "stories:df")
    stage._dirty, stage._dirty_events = set(), set()
    learned = story_store.kv_get(db, "stories:learned")
    stage._learned = json.loads(learned) if (learned and df) else []
    # nothing saved yet: the first save writes the frequencies, so a process taking over
    # early does not start from none
    stage._df_unsaved = len(stage._learned) if df else df_every
    head = {}
    saved = story_store.kv_get(db, "stories:clusterer")
    if saved:
        head = data = json.loads(saved)
        data["vectorizer"] = json.loads(df) if df else Vectorizer().to_dict()
        data["stories"] = [json.loads(s) for s in story_store.active_states(db, "threads")]
        stage.clusterer.load(data)
        stage.clusterer.restore_lookahead(head.get("lookahead"), thread_store.recent_rows(db))
    stage.background = default_background()
    background = story_store.kv_get(db, "tags:background")
    if background:
        stage.background.load(json.loads(background))
    stage.events = EventClusterer(stage.clusterer.vectorizer)
    saved = story_store.kv_get(db, "stories:events")
    if saved:
        data = json.loads(saved)
        outlets = story_store.kv_get(db, "stories:outlets")
        data["outlets"] = json.loads(outlets) if outlets else OutletTerms().to_dict()
        data["stories"] = [json.loads(s) for s in story_store.active_states(db, "stories")]
        stage.events.load(data)
    _replay(stage)
    _reconcile(stage)
    floor = story_store.kv_get(db, "stories:floor")
    stage._floor = int(floor) if floor else 0
    stage.duplicates = DuplicateIndex.from_settings(stage.settings)
    newest = head.get("dedup_newest")
    end = (datetime.fromisoformat(newest) if newest
           else stage.clusterer.clock or now())   # a state saved before "dedup_newest"
    for article_id, signature, _, when in story_store.recent_signatures(db, end - dedup_window):
        stage.duplicates.add_signature(str(article_id), signature, when)
    stage._version = version


def _replay(stage: "StoriesStage") -> None:
    """Learn again, in their order, the articles learned since the frequencies' snapshot."""
    if not stage._learned:
        return
    by_id = {a.id: a for a in article_store.get_articles(stage.db, stage._learned)}
    for article_id in stage._learned:
        article = by_id.get(article_id)
        if article is None:  # deleted since (its source was removed): nothing to count
            continue
        doc = stage.doc(article)
        stage.clusterer.learn(doc)
        stage.events.learn(doc, outlet=str(article.source_id))
        stage.background.learn(f"{article.title}\n{article.text}")


def _reconcile(stage: "StoriesStage") -> None:
    """Next ids past every id in the database; active stories in their rows' threads."""
    max_story, max_thread = story_store.max_ids(stage.db)
    stage.events.next_id = max(stage.events.next_id, max_story + 1)
    stage.clusterer.next_id = max(stage.clusterer.next_id, max_thread + 1)
    threads = story_store.threads_of(stage.db, stage.events.active_ids())
    for story_id, thread_id in threads.items():
        state = stage.events.story(story_id)
        if state is not None and thread_id is not None:
            state.thread_id = thread_id


def save(stage: "StoriesStage", conn, df_every: int) -> None:
    """Over ``conn``, the transaction holding the rows of the chunk: both clusterers' heads,
    the states of the threads and stories changed since the last save (closed ones are
    cleared), the learned ids or (every ``DF_SAVE_EVERY`` articles) the frequencies'
    snapshot. Writing the whole state per chunk cost O(window + vocabulary)."""
    stage._version = (stage._version or 0) + 1
    threads, events = stage.clusterer, stage.events
    closed = threads.pop_closed()  # bounded memory: closed threads live in the DB
    active = set(threads.active_ids())
    states: dict[int, bytes | None] = {}
    for thread_id in stage._dirty:
        thread = threads.story(thread_id)
        if thread is not None and thread.id in active:
            states[thread.id] = json.dumps(threads.saved_state(thread.id)).encode()
    states.update({thread.id: None for thread in closed})
    ended = events.pop_closed()
    active_events = set(events.active_ids())
    event_states: dict[int, bytes | None] = {
        sid: json.dumps(events.story(sid).to_dict()).encode()
        for sid in stage._dirty_events if sid in active_events}
    event_states.update({story.id: None for story in ended})
    stage._dirty, stage._dirty_events = set(), set()
    story_store.save_states(conn, "threads", states)
    story_store.save_states(conn, "stories", event_states)
    thread_store.save_recent(conn, threads.recent.take_dirty())
    if stage._df_unsaved >= df_every:
        story_store.kv_set(conn, "stories:df", json.dumps(threads.vectorizer.to_dict()).encode())
        story_store.kv_set(conn, "stories:outlets", json.dumps(events.outlets.to_dict()).encode())
        stage.background.prune()
        story_store.kv_set(conn, "tags:background",
                           json.dumps(stage.background.to_dict()).encode())
        stage._df_unsaved, stage._learned = 0, []
    story_store.kv_set(conn, "stories:learned", json.dumps(stage._learned).encode())
    newest = stage.duplicates.newest
    for key, clusterer in (("stories:clusterer", threads), ("stories:events", events)):
        head = {"clock": clusterer.clock.isoformat() if clusterer.clock else None,
                "next_id": clusterer.next_id}
        if clusterer is threads:
            head["dedup_newest"] = newest.isoformat() if newest else None
            head["lookahead"] = threads.lookahead_state()
        story_store.kv_set(conn, key, json.dumps(head).encode())
    story_store.kv_set(conn, "stories:version", str(stage._version).encode())
