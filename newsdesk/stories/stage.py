"""The stories stage: what turns stored articles into news, one article at a time.

For each article not yet processed, oldest first:

    near-duplicate?  (MinHash LSH over shingles, dedup.py)
        yes, another outlet's earlier copy -> a republication: joins that article's story,
                                              recorded with its overlap ("87% of shingles")
        no  -> online story clustering (cluster.py): joins an active story or starts one
    provenance       original / rewrite / republication, with the earlier article
    hashtags         per article (tags.py), merged across the story
    related          same story, earlier in the thread, shared tags (related.py)

Everything is incremental and idempotent: "pending" means "no article_story row yet", so a
crash or a second run simply continues. ``rebuild`` forgets it all and replays the archive
in publication order (the same code path, so online and batch agree).

One process at a time does this work: on PostgreSQL an advisory lock elects it (the
others skip; their new articles are picked up by the holder's next batch), on SQLite the
stage's own lock. The clusterer's state is saved with a version number after each batch,
so a process that did not do the last batch reloads before it continues.
"""

from __future__ import annotations

import json
import logging
import threading
from contextlib import contextmanager
from datetime import timedelta
from typing import Callable, Iterator

from sqlalchemy import text

from ..models import Article
from ..settings import Settings
from ..storage import articles as article_store
from ..storage import stories as story_store
from ..storage.db import Database
from ..storage.sources import now
from .cluster import Doc, StoryClusterer
from .dedup import DuplicateIndex
from .provenance import EarlierMatch, Record, classify
from .related import ArticleRef, related
from .tags import hashtags, merge_story_tags

log = logging.getLogger(__name__)

LOCK_KEY = 728463002
BATCH = 200
DEDUP_WINDOW = timedelta(days=30)   # copies of older articles are treated as new reporting
STORY_TAG_MEMBERS = 30              # newest members whose tags make up the story's tags
RELATED_LIMIT = 10


class StoriesStage:
    def __init__(self, settings: Settings, db: Database):
        self.settings, self.db = settings, db
        self._lock = threading.Lock()
        self._version: int | None = None
        self.clusterer = StoryClusterer()
        self.duplicates = DuplicateIndex.from_settings(settings)

    def __call__(self, new_ids: list[int]) -> None:
        self.process_pending()

    def story_count(self) -> int:
        return story_store.story_count(self.db)

    # ------------------------------------------------------------------ driving
    def process_pending(self, progress: Callable[[int], None] | None = None) -> int:
        """Process every pending article; returns how many. Safe to call concurrently."""
        done = 0
        with self._lock, self._elected() as elected:
            if not elected:
                return 0
            self._reload_if_stale()
            while True:
                ids = story_store.pending_article_ids(self.db, BATCH)
                if not ids:
                    break
                for article in article_store.get_articles(self.db, ids):
                    self._process(article)
                    done += 1
                    if progress:
                        progress(1)
                self._save_state()
        return done

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Forget all stories, duplicates, tags and related lists; replay the archive."""
        with self._lock:
            story_store.reset(self.db)
            self.clusterer = StoryClusterer()
            self.duplicates = DuplicateIndex.from_settings(self.settings)
            self._version = 0
        return self.process_pending(progress)

    @contextmanager
    def _elected(self) -> Iterator[bool]:
        if self.db.is_sqlite:
            yield True
            return
        with self.db.engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                    conn.commit()

    # ------------------------------------------------------------------ state
    def _reload_if_stale(self) -> None:
        stored = story_store.kv_get(self.db, "stories:version")
        version = int(stored) if stored else 0
        if version == self._version:
            return
        self.clusterer = StoryClusterer()
        saved = story_store.kv_get(self.db, "stories:clusterer")
        if saved:
            self.clusterer.load(json.loads(saved))
        self.duplicates = DuplicateIndex.from_settings(self.settings)
        for article_id, signature, canonical in story_store.recent_signatures(
                self.db, now() - DEDUP_WINDOW):
            self.duplicates.add_signature(str(article_id), signature)
        self._version = version

    def _save_state(self) -> None:
        self._version = (self._version or 0) + 1
        closed = self.clusterer.pop_closed()  # bounded memory: closed stories live in the DB
        with self.db.write() as conn:
            for story in closed:
                story_store.set_title(conn, story.id, story.title)
            story_store.kv_set(conn, "stories:clusterer",
                               json.dumps(self.clusterer.to_dict()).encode())
            story_store.kv_set(conn, "stories:version", str(self._version).encode())

    # ------------------------------------------------------------------ one article
    def _process(self, article: Article) -> None:
        signature = self.duplicates.signature(article.text, article.title)
        match = self.duplicates.add_signature(str(article.id), signature)
        tags = hashtags(article.title, article.text)
        with self.db.write() as conn:
            story_store.save_signature(conn, article.id, signature)
            origin = self._origin(conn, article, match)
            if origin is not None and origin[1].kind == "republication":
                canonical_id, prov = origin
                story_id = story_store.story_of(conn, canonical_id)
                story_store.save_duplicate(conn, article.id, canonical_id, prov.overlap, prov.kind)
                story_store.assign(conn, article.id, story_id, 1.0, article.title)
                title = None
            else:
                assignment = self.clusterer.add(Doc(id=article.id, title=article.title,
                                                    text=article.text, published=article.published_at,
                                                    language=article.language))
                story_id = assignment.story_id
                title = self._story_title(story_id) or article.title
                story_store.assign(conn, article.id, story_id, min(1.0, assignment.similarity), title)
                for absorbed in assignment.merged:  # two fragments turned out to be one story
                    story_store.merge_story(conn, absorbed, story_id)
            prov = origin[1] if origin else None
            story_store.save_provenance(conn, article.id, prov.kind if prov else "original",
                                        int(prov.source_id) if prov and prov.source_id else None,
                                        prov.overlap if prov else 0.0)
            story_store.replace_tags(conn, "article_tags", "article_id", article.id, tags)
            story_store.refresh_story(conn, story_id, title)
            self._story_tags(conn, story_id)
            self._related(conn, article.id, story_id)

    def _origin(self, conn, article: Article, match):
        """(earlier article id, Provenance) when the text was seen before, else None."""
        if match is None:
            return None
        row = conn.execute(text("SELECT source_id, published_at FROM articles WHERE id = :i"),
                           {"i": int(match.canonical_id)}).first()
        if row is None or story_store.story_of(conn, int(match.canonical_id)) is None:
            return None
        earlier = Record(id=str(match.canonical_id), outlet=str(row[0]),
                         published=article_store.as_utc(row[1]))
        prov = classify(Record(id=str(article.id), outlet=str(article.source_id),
                               published=article.published_at),
                        EarlierMatch(earlier, match.overlap))
        if prov.kind == "original":
            return None
        return int(match.canonical_id), prov

    def _story_title(self, story_id: int) -> str | None:
        story = self.clusterer.story(story_id)
        return story.title if story is not None else None

    def _story_tags(self, conn, story_id: int) -> None:
        rows = conn.execute(text("""
            SELECT t.article_id, t.slug, t.display, t.score FROM article_tags t
            WHERE t.article_id IN (SELECT article_id FROM article_story WHERE story_id = :s
                                   ORDER BY article_id DESC LIMIT :n)"""),
            {"s": story_id, "n": STORY_TAG_MEMBERS}).all()
        per_article: dict[int, list] = {}
        for article_id, slug, display, score in rows:
            per_article.setdefault(article_id, []).append(_Tag(slug, display, score))
        merged = merge_story_tags(list(per_article.values()))
        story_store.replace_tags(conn, "story_tags", "story_id", story_id, merged)

    def _related(self, conn, article_id: int, story_id: int) -> None:
        """Related list of the new article, and refreshed lists of the story's newest
        other members (they gained a same-story neighbour)."""
        members = [r[0] for r in conn.execute(text(
            "SELECT article_id FROM article_story WHERE story_id = :s ORDER BY article_id DESC LIMIT 6"),
            {"s": story_id})]
        for target in [article_id] + [m for m in members if m != article_id][:5]:
            refs = _candidates(conn, target, story_id)
            me = refs.pop(target, None)
            if me is None:
                continue
            dups = [str(r[0]) for r in conn.execute(text(
                "SELECT article_id FROM duplicates WHERE canonical_id = :a"), {"a": target})]
            items = related(me, refs.values(), limit=RELATED_LIMIT, duplicates=dups,
                            tag_display=_displays(conn, me.tags))
            story_store.replace_related(conn, target, items)


class _Tag:
    def __init__(self, slug: str, display: str, score: float):
        self.slug, self.display, self.score = slug, display, score


def _candidates(conn, article_id: int, story_id: int) -> dict[int, ArticleRef]:
    """The article, its story's members, and members of earlier stories sharing tags."""
    rows = conn.execute(text("""
        WITH mine AS (SELECT slug FROM story_tags WHERE story_id = :s),
        thread AS (
            SELECT st.story_id FROM story_tags st JOIN mine ON mine.slug = st.slug
            WHERE st.story_id <> :s GROUP BY st.story_id HAVING count(*) >= 2
            ORDER BY count(*) DESC, st.story_id DESC LIMIT 20),
        pool AS (
            SELECT article_id FROM article_story WHERE story_id = :s
            UNION SELECT article_id FROM article_story
                  WHERE story_id IN (SELECT story_id FROM thread))
        SELECT a.id, s.story_id, a.source_id, COALESCE(a.published_at, a.fetched_at), d.canonical_id
        FROM pool JOIN articles a ON a.id = pool.article_id
        JOIN article_story s ON s.article_id = a.id
        LEFT JOIN duplicates d ON d.article_id = a.id
        ORDER BY COALESCE(a.published_at, a.fetched_at) DESC LIMIT 200"""), {"s": story_id}).all()
    ids = [r[0] for r in rows] + [article_id]
    tags: dict[int, list[str]] = {}
    for aid, slug in conn.execute(text("SELECT article_id, slug FROM article_tags "
                                       "WHERE article_id IN (%s) ORDER BY score DESC"
                                       % ",".join(str(int(i)) for i in ids))):
        tags.setdefault(aid, []).append(slug)
    refs = {}
    for aid, sid, source_id, published, canonical in rows:
        if canonical and aid != article_id:
            continue  # copies are shown as "also published by" on their original, not here
        refs[aid] = ArticleRef(id=str(aid), story_id=str(sid), outlet=str(source_id),
                               published=article_store.as_utc(published),
                               tags=tuple(tags.get(aid, ())),
                               canonical_id=str(canonical) if canonical else None)
    return refs


def _displays(conn, slugs) -> dict[str, str]:
    if not slugs:
        return {}
    rows = conn.execute(text("SELECT slug, display FROM article_tags WHERE slug IN (%s)" %
                             ",".join(":s%d" % i for i in range(len(slugs)))),
                        {f"s{i}": s for i, s in enumerate(slugs)})
    return {slug: "#" + display.lstrip("#") for slug, display in rows}


def stories_stage(settings: Settings, db: Database) -> StoriesStage:
    return StoriesStage(settings, db)
