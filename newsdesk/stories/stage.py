"""The stories stage: what turns stored articles into news, one article at a time.

For each article not yet processed, oldest first:

    near-duplicate?  (MinHash LSH over shingles, dedup.py)
        yes, another outlet's earlier copy -> a republication: joins that article's story,
                                              recorded with its overlap ("87% of shingles")
        no  -> thread (cluster.py): the ongoing topic, joins an active thread or starts one
               story (events.py): the one occurrence it reports, joins an active story
               (any thread) or starts one in the article's thread
    provenance       original / rewrite / republication, with the earlier article
    hashtags         per article (tags.py), merged across the story
    related          same story, earlier in the thread, shared tags (related.py)

Everything is incremental and idempotent: "pending" means "no article_story row yet", so a
crash or a second run simply continues. ``rebuild`` forgets it all and replays the archive
in publication order (the same code path, so online and batch agree).

One process at a time does this work: on PostgreSQL an advisory lock elects it (the
others skip; their new articles are picked up by the holder's next batch), on SQLite the
stage's own lock. Within a process, a fetch thread that finds the stage busy does not wait:
it leaves a flag, and the busy thread makes one more pass; across processes, the holder
looks for pending articles again after it releases the lock (a store that committed while
it finished was refused the lock, so the holder must see it), and an idle worker asks
(``idle``). Articles are placed in chunks of ``COMMIT_EVERY``, each chunk one transaction
holding its rows *and* the clusterers' state with the ids they handed out
(``checkpoint.py``): a crash at any instruction loses the chunk and its state together, and
the next process resumes from what was committed, as a run that never stopped would have.
The state carries a version number, so a process that did not do the last chunk reloads
before it continues.

Cost per article does not grow with the archive (``bench/stories_bench.py``): pending
articles are found above a processed floor, not by scanning every article; the saved state
is the clock, the stories changed in the batch (``stories.state``) and, every
``DF_SAVE_EVERY`` articles, the document-frequency table, not the whole window's state per
batch; the dedup index forgets articles older than ``DEDUP_WINDOW``; story counts are
updated from the new article alone; related lists read a bounded pool (the newest
members of the story, the newest stories of each tag).
"""

from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from typing import Callable, Iterator, Sequence

from .. import metrics
from ..models import Article
from ..settings import Settings
from ..storage import articles as article_store
from ..storage import stories as story_store
from ..storage import threads as thread_store
from ..storage import versions as version_store
from ..storage.db import Database
from ..storage.sources import now
from . import checkpoint
from .candidates import candidates
from .dedup import DuplicateIndex
from .events import EventClusterer
from .lookahead import ThreadClusterer
from .features import Features, for_articles
from .provenance import EarlierMatch, Record, classify
from .related import related
from .story import Doc
from .background import default_background
from .storytags import merge_story_tags
from .tags import Tag, hashtags

log = logging.getLogger(__name__)

LOCK_KEY = 728463002
BATCH = 200
# One transaction holds a chunk's rows and state together: at most this many articles or
# this long (on SQLite the chunk holds the writer lock; where chunks end changes nothing)
COMMIT_EVERY = 20
COMMIT_SECONDS = 0.25
DEDUP_WINDOW = timedelta(days=30)   # copies of older articles are treated as new reporting
STORY_TAG_MEMBERS = 30              # newest members whose tags make up the story's tags
RELATED_LIMIT = 10
DF_SAVE_EVERY = 1000                # articles between saves of the document frequencies
FLOOR_SETTLE = timedelta(minutes=10)  # see storage.stories.advance_floor
# Threads are topics that run for weeks: the topic clusterer's "an old story must be joined
# by articles really like it" allowance (spread_age, meant for event-sized stories) would
# cut "Russia and Ukraine" into a new thread every few days. (No effect on the eval sets,
# which have no dates.)
THREAD_PARAMS = {"spread_age": timedelta(days=30)}


class StoriesStage:
    def __init__(self, settings: Settings, db: Database,
                 then: Sequence[Callable[[list[int]], None]] = ()):
        """``then``: stages that want the ids of the articles each pass processed (the AI
        stage): they run after the pass, whichever thread's request it served."""
        self.settings, self.db = settings, db
        self.then = list(then)
        self._lock = threading.Lock()
        self._wanted = threading.Event()    # new articles arrived since the last pass began
        self._version: int | None = None
        self.clusterer = ThreadClusterer(**THREAD_PARAMS)   # threads
        self.events = EventClusterer(self.clusterer.vectorizer)   # stories
        self.duplicates = DuplicateIndex.from_settings(settings)
        self._floor = 0                     # every article id <= this is processed
        self._dirty: set[int] = set()       # threads whose saved state is out of date
        self._dirty_events: set[int] = set()  # stories whose saved state is out of date
        self._df_unsaved = DF_SAVE_EVERY    # articles learned since the DF table was saved
        self._learned: list[int] = []       # and their ids, in order (replayed on reload)
        self.pass_ending: Callable[[], None] | None = None  # tests: widen the race window
        self.background = default_background()  # general English + what the archive taught

    def __call__(self, new_ids: list[int]) -> None:
        """The ingest hook: never waits while another fetch thread runs the stage; that
        thread sees the flag and makes one more pass, which finds these articles."""
        self._drain(blocking=False)

    def revised(self, ids: list[int]) -> None:
        """The hook for revised articles (``ingest/revisions.py``). One already in a story
        stays there (a revision updates a report, it does not start another) and gets its
        signature, hashtags, its story's tags and related lists from the new text, and a
        story named after its old headline takes the new one; one still pending is placed
        by the next pass, which reads the new text anyway. Then the ids go on (AI: its
        cache keys hold each article's content hash, so new text, new results)."""
        done = []
        with self._lock, self._elected() as elected, self._commit() as conn:
            if elected:
                self._reload_if_stale()
            for article in article_store.get_articles(self.db, ids):
                story_id = story_store.story_of(conn, article.id)
                if story_id is None or story_store.is_copy(conn, article.id):
                    continue
                story_store.replace_signature(
                    conn, article.id, self.duplicates.signature(article.text, article.title))
                story_store.replace_tags(conn, "article_tags", "article_id", article.id,
                                         hashtags(article.title, article.text,
                                                  background=self.background,
                                                  language=article.language))
                self._story_tags(conn, story_id)
                self._related(conn, article.id, story_id)
                self._retitle(conn, story_id, article.id,
                              version_store.title_before(conn, article.id), article.title, elected)
                done.append(article.id)
            if elected and self._dirty_events:
                self._save_state(conn)
        self._hand_on(done)

    def _retitle(self, conn, story_id: int, article_id: int, old: str | None, new: str,
                 elected: bool) -> None:
        """A story is presented by its central article: when that article's headline
        changed, so does the story's title (in the database and in the event state)."""
        if not old or old == new:
            return
        story_store.rename_if(conn, story_id, old, new)
        state = self.events.story(story_id) if elected else None
        if state is None:
            return
        for member in state.members:
            if member.id == article_id:
                member.title = new
        if state.title == old:
            state.title = new
        self._dirty_events.add(story_id)

    def idle(self) -> int:
        """For a worker with nothing due: place the articles still pending (left by a crash,
        or stored while another worker finished its pass). Cheap when there are none."""
        if not story_store.has_pending(self.db):
            return 0
        return self._drain(blocking=False)

    def story_count(self) -> int:
        return story_store.story_count(self.db)

    # ------------------------------------------------------------------ driving
    def process_pending(self, progress: Callable[[int], None] | None = None) -> int:
        """Process every pending article; returns how many. Safe to call concurrently."""
        return self._drain(progress)

    def _drain(self, progress: Callable[[int], None] | None = None, blocking: bool = True) -> int:
        """Passes until no caller has asked for one since the last began. Without
        ``blocking``, return at once when another thread holds the stage: it will see the
        flag (checked again after each release, so a request made just as the holder
        finished is not lost)."""
        done = 0
        self._wanted.set()
        while self._wanted.is_set() and self._lock.acquire(blocking=blocking):
            try:
                while self._wanted.is_set():
                    self._wanted.clear()
                    ids = self._pass(progress)
                    done += len(ids)
                    self._hand_on(ids)
            finally:
                self._lock.release()
        return done

    def _hand_on(self, ids: list[int]) -> None:
        for stage in self.then if ids else ():
            try:
                stage(ids)
            except Exception:  # the stories are stored; the next stage catches up later
                log.exception("stage after the stories stage failed")

    def _pass(self, progress: Callable[[int], None] | None = None) -> list[int]:
        """One pass over the pending articles, with ``_lock`` held: the ids processed."""
        done: list[int] = []
        with self._elected() as elected:
            if not elected:
                return done
            self._reload_if_stale()
            while True:
                ids = story_store.pending_article_ids(self.db, BATCH, self._floor)
                if not ids:
                    break
                articles = article_store.get_articles(self.db, ids)
                feats = for_articles(self.db, articles, self.settings.embeddings)  # features.py
                while articles:
                    with self._commit() as conn:
                        chunk, began = [], time.monotonic()
                        while articles and len(chunk) < COMMIT_EVERY and (
                                time.monotonic() - began < COMMIT_SECONDS):
                            chunk.append(articles.pop(0))
                            self._process(conn, chunk[-1], feats[chunk[-1].id])
                        self._save_state(conn)
                    done += [article.id for article in chunk]
                    if progress:
                        progress(len(chunk))
            floor = story_store.advance_floor(self.db, self._floor, now() - FLOOR_SETTLE)
            if floor != self._floor:
                self._floor = floor
                with self.db.write() as conn:
                    story_store.kv_set(conn, "stories:floor", str(floor).encode())
            if self.pass_ending is not None:
                self.pass_ending()
        # A store that committed while we held the lock was refused it and left its
        # articles to us: look again now that the lock is free (they are visible).
        if elected and story_store.has_pending(self.db, self._floor):
            self._wanted.set()
        return done

    @contextmanager
    def _commit(self) -> Iterator:
        """One transaction of the stage. If it fails, the in-memory state has run ahead of
        what was committed: the next use reloads it."""
        try:
            with self.db.write() as conn:
                yield conn
        except BaseException:
            self._version = None
            raise

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Forget all stories, duplicates, tags and related lists; replay the archive."""
        with self._lock:
            story_store.reset(self.db)
            self.clusterer = ThreadClusterer(**THREAD_PARAMS)
            self.events = EventClusterer(self.clusterer.vectorizer)
            self.duplicates = DuplicateIndex.from_settings(self.settings)
            self._version, self._floor = 0, 0
            self._dirty, self._dirty_events, self._df_unsaved = set(), set(), DF_SAVE_EVERY
            self._learned = []
            self.background = default_background()
        return self.process_pending(progress)

    def _elected(self):
        """Whether this process runs the stage now (a PostgreSQL advisory lock; SQLite has
        one writer anyway)."""
        return story_store.elected(self.db, LOCK_KEY)

    # ------------------------------------------------------------------ state
    def _reload_if_stale(self) -> None:
        """Load the committed state unless this process made it (``checkpoint.load``)."""
        version = checkpoint.stored_version(self)
        if version != self._version:
            checkpoint.load(self, version, dedup_window=DEDUP_WINDOW, df_every=DF_SAVE_EVERY,
                            thread_params=THREAD_PARAMS)

    def _save_state(self, conn) -> None:
        """The state behind the rows written over ``conn``, in their transaction."""
        checkpoint.save(self, conn, DF_SAVE_EVERY)

    def doc(self, article: Article) -> Doc:
        """The clusterers' view of an article."""
        return Doc(id=article.id, title=article.title, text=article.text,
                   published=article.published_at, language=article.language,
                   embeddings=self.settings.embeddings)

    # ------------------------------------------------------------------ one article
    def _process(self, conn, article: Article, feats: Features) -> None:
        """Place one article, writing over ``conn`` (the chunk's transaction), from the
        features its worker stored (or the stage computed: ``features.for_articles``)."""
        signature = feats.signature
        when = article.published_at or article.fetched_at
        match = self.duplicates.add_signature(str(article.id), signature, when)
        # the window moves with every article, so what a lookup sees does not depend on
        # where chunks (and crashes) fall
        self.duplicates.forget_older_than(DEDUP_WINDOW)
        origin = self._origin(conn, article, match)
        copy = origin is not None and origin[1].kind == "republication"
        # A republication carries its original's tags: no tagging, no story-tag merge and no
        # refresh of other members' related lists (a copy is never listed in them), so a
        # flood of wire copies costs little and holds the write lock briefly.
        tags = None if copy else hashtags(article.title, article.text, background=self.background,
                                          language=article.language)
        if not copy:  # the archive teaches the background (after tagging, as idf counts others)
            self.background.learn_words(*feats.learn)
            self._learned.append(article.id)
        story_store.save_signature(conn, article.id, signature)
        if copy:
            metrics.count("duplicates")
            canonical_id, prov = origin
            story_id = story_store.story_of(conn, canonical_id)
            story_store.save_duplicate(conn, article.id, canonical_id, prov.overlap, prov.kind)
            story_store.assign(conn, article.id, story_id, 1.0, article.title)
            thread_id = story_store.thread_of(conn, story_id)
            title, lead, new_story = None, None, False
        else:
            story_id, thread_id, title, lead, new_story = self._place(conn, article, feats)
        prov = origin[1] if origin else None
        story_store.save_provenance(conn, article.id, prov.kind if prov else "original",
                                    int(prov.source_id) if prov and prov.source_id else None,
                                    prov.overlap if prov else 0.0)
        if copy:
            story_store.copy_tags(conn, article.id, origin[0])
        else:
            story_store.replace_tags(conn, "article_tags", "article_id", article.id, tags)
        story_store.story_gained(conn, story_id, article.id, title, lead)
        if thread_id is not None:
            thread_store.thread_gained(conn, thread_id, story_id, when, new_story, tags or ())
        if not copy:
            self._story_tags(conn, story_id)
        self._related(conn, article.id, story_id, others=not copy)

    def _place(self, conn, article: Article, feats: Features) -> tuple:
        """Thread and story of an original article: (story id, the story's thread id, story
        title, lead article id, whether the story is new)."""
        doc = feats.doc(article, self.settings.embeddings)
        thread = self.clusterer.add(doc, feats.given_embedding(self.settings.embeddings),
                                    outlet=str(article.source_id), outlets=self.events.outlets)
        for absorbed, into in self.clusterer.pop_merges():  # two threads turned out to be one
            thread_store.merge_thread(conn, absorbed, into)
            self._dirty.discard(absorbed)
            self._dirty.add(into)
        for old, new, article_ids in self.clusterer.pop_splits():  # one thread held two topics
            for story_id in thread_store.split_thread(conn, old, new, article_ids):
                if (event := self.events.story(story_id)) is not None:  # else saved closed
                    event.thread_id = new
                    self._dirty_events.add(story_id)
            self._dirty |= {old, new}
        self._dirty.add(thread.story_id)
        self._df_unsaved += 1
        event = self.events.add(doc, outlet=str(article.source_id), thread_id=thread.story_id)
        thread_id = self.clusterer.resolve(self.events.story(event.story_id).thread_id)
        story_store.assign(conn, article.id, event.story_id, min(1.0, event.similarity),
                           event.title, thread_id)
        self._dirty_events.add(event.story_id)
        return event.story_id, thread_id, event.title, event.central, event.is_new

    def _origin(self, conn, article: Article, match):
        """(earlier article id, Provenance) when the text was seen before, else None."""
        if match is None:
            return None
        row = story_store.outlet_and_date(conn, int(match.canonical_id))
        if row is None or story_store.story_of(conn, int(match.canonical_id)) is None:
            return None
        earlier = Record(id=str(match.canonical_id), outlet=str(row[0]), published=row[1])
        prov = classify(Record(id=str(article.id), outlet=str(article.source_id),
                               published=article.published_at),
                        EarlierMatch(earlier, match.overlap))
        if prov.kind == "original":
            return None
        return int(match.canonical_id), prov

    def _story_tags(self, conn, story_id: int) -> None:
        rows = story_store.newest_members_tags(conn, story_id, STORY_TAG_MEMBERS)
        per_article: dict[int, list] = {}
        for article_id, slug, display, score in rows:  # stored without the "#"
            per_article.setdefault(article_id, []).append(Tag(slug, "#" + display.lstrip("#"), score))
        merged = merge_story_tags(list(per_article.values()))
        story_store.replace_tags(conn, "story_tags", "story_id", story_id, merged)

    def _related(self, conn, article_id: int, story_id: int, others: bool = True) -> None:
        """Related list of the new article, and (``others``) refreshed lists of the story's
        newest other members (they gained a same-story neighbour). All of them are in one
        story, so the candidates are read once."""
        targets = [article_id]
        if others:
            targets += story_store.newest_members(conn, story_id, 5, besides=article_id)
        refs, displays = candidates(conn, story_id, targets)
        # copies are shown as "also published by" on their original, never as related
        originals = [ref for ref in refs.values() if ref.canonical_id is None]
        for target in targets:
            me = refs.get(target)
            if me is not None:
                items = related(me, originals, limit=RELATED_LIMIT, tag_display=displays)
                story_store.replace_related(conn, target, items)

