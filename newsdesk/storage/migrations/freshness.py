"""Freshness: article revisions (every version kept, the re-check schedule of each article)
and WebSub subscriptions with their queue of pushed bodies."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run


def m_article_revisions(conn: Connection, dialect: str) -> None:
    """``article_versions``: every version of an article whose text or headline changed
    after we stored it (version 1 is the first one we stored; the ``articles`` row always
    holds the newest). ``article_checks``: one row per article we re-check: when next, how
    often so far, what the last check found (unchanged, revised, gone...), the page's
    validators for conditional GETs, and the feed item's fingerprint (updated, title,
    summary) so a changed item is noticed at the next feed fetch."""
    run(conn, dialect, """
CREATE TABLE article_versions (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    summary TEXT,
    text TEXT NOT NULL,
    html TEXT,
    content_hash VARCHAR(64),
    word_count INTEGER NOT NULL DEFAULT 0,
    seen_at {ts} NOT NULL,
    reason VARCHAR(16) NOT NULL,
    PRIMARY KEY (article_id, version)
);
CREATE TABLE article_checks (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    feed_fingerprint VARCHAR(64),
    page_etag TEXT,
    page_last_modified TEXT,
    page_title TEXT,
    checks INTEGER NOT NULL DEFAULT 0,
    next_check_at {ts},
    last_checked_at {ts},
    last_status VARCHAR(16),
    last_error TEXT,
    http_status INTEGER,
    gone_at {ts},
    versions INTEGER NOT NULL DEFAULT 1,
    revised_at {ts},
    claimed_until {ts}
);
CREATE INDEX article_checks_due ON article_checks (next_check_at);
CREATE INDEX article_checks_revised ON article_checks (revised_at)
""")


def m_websub(conn: Connection, dialect: str) -> None:
    """WebSub: one subscription per source (hub, topic, secret, lease), and the bodies hubs
    pushed, queued for the ingest worker (the web process only checks and stores them)."""
    run(conn, dialect, """
CREATE TABLE websub_subscriptions (
    source_id INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    hub TEXT NOT NULL,
    topic TEXT NOT NULL,
    secret VARCHAR(64) NOT NULL,
    token VARCHAR(64) NOT NULL,
    state VARCHAR(16) NOT NULL,
    lease_seconds INTEGER,
    expires_at {ts},
    requested_at {ts},
    verified_at {ts},
    next_attempt_at {ts},
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    pushes INTEGER NOT NULL DEFAULT 0,
    last_push_at {ts}
);
CREATE INDEX websub_subscriptions_due ON websub_subscriptions (next_attempt_at);
CREATE TABLE websub_pushes (
    id {pk},
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    received_at {ts} NOT NULL,
    content_type TEXT,
    body {blob} NOT NULL
);
CREATE INDEX websub_pushes_source ON websub_pushes (source_id, id)
""")
