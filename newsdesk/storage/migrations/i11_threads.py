"""Stories inside threads: a story is one event (one call, one meeting, one decision), a
thread the ongoing topic that holds a dated sequence of stories."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run

# what the stories stage computed before events and threads were two levels; the stage
# finds every article pending afterwards and rebuilds them in publication order
_STORY_TABLES = ("related", "story_tags", "article_tags", "provenance", "duplicates",
                 "signatures", "story_outlets", "article_story", "stories")


def m009_threads(conn: Connection, dialect: str) -> None:
    """``threads`` (name from its most used hashtags, title from its lead story, span,
    counts, the thread clusterer's saved state of active threads), ``thread_tags`` (how many
    of a thread's articles carry each hashtag) and ``stories.thread_id``. Stories made before were topic-sized heaps, so they
    are forgotten: the stories stage rebuilds them as events inside threads (the articles
    themselves are untouched)."""
    run(conn, dialect, """
CREATE TABLE threads (
    id {pk},
    title TEXT NOT NULL,
    name TEXT,
    lead_story_id INTEGER,
    first_seen {ts},
    last_seen {ts},
    story_count INTEGER NOT NULL DEFAULT 0,
    article_count INTEGER NOT NULL DEFAULT 0,
    state {blob},
    updated_at {ts}
);
CREATE INDEX threads_last_seen ON threads (last_seen);
CREATE INDEX threads_active ON threads (id) WHERE state IS NOT NULL;
CREATE TABLE thread_tags (
    thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    slug VARCHAR(120) NOT NULL,
    display VARCHAR(120) NOT NULL,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (thread_id, slug)
);
ALTER TABLE stories ADD COLUMN thread_id INTEGER;
CREATE INDEX stories_thread ON stories (thread_id, first_seen)
""")
    for table in _STORY_TABLES:
        run(conn, dialect, f"DELETE FROM {table}")
    run(conn, dialect, "DELETE FROM kv WHERE key LIKE 'stories:%'")


def m_i11_thread_tag_weight(conn: Connection, dialect: str) -> None:
    """``thread_tags.weight``: the summed score of a hashtag over the thread's articles, so
    the thread's name breaks a tie of counts by how central each tag was in its articles
    instead of by the alphabet. Existing rows start at 0 and gain weight as articles arrive."""
    run(conn, dialect, "ALTER TABLE thread_tags ADD COLUMN weight REAL NOT NULL DEFAULT 0")


def m_i11_thread_recent(conn: Connection, dialect: str) -> None:
    """``thread_recent``: the thread clusterer's ring of recent articles
    (``stories.lookahead.RecentArticles``), one row per slot, rewritten with the chunk that
    changed it, so a resumed process holds the same ring. A database upgraded to it starts
    with an empty ring: deferred decisions begin with the next articles."""
    run(conn, dialect, """
CREATE TABLE thread_recent (
    slot INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL,
    thread_id INTEGER NOT NULL,
    terms TEXT NOT NULL,
    embedding {blob}
)
""")
