"""Apps, read state per item, saved searches and per-source filters (issue 14).

* ``app_passwords``: per-device passwords a reader makes on the account page, stored as
  SHA-256 (they are random, so a fast hash is enough), with the two MD5 keys the Fever API
  looks accounts up by (``md5(username:password)``, ``md5(email:password)``).
* ``app_tokens``: the ``Auth=`` tokens ClientLogin hands out, one per login (so per
  device), stored hashed; revoking an app password ends its tokens.
* ``reader_prefs``: what apps see (one item per story, or every article).
* ``app_subscriptions``: a reader's changes to the default subscriptions (every source):
  hidden, renamed, moved to another label.
* ``item_state``: per-article read (1), kept unread (0) or neither (NULL: the story's
  ``read_state`` and the ``read_floors`` decide) and starred.
* ``read_floors``: "mark all as read" up to an article id, for every source (0) or one.
* ``saved_searches``; ``source_filters`` and ``filtered_entries`` (what the filters
  dropped, so it is counted, shown and not fetched again).
* Indexes for the apps' streams: a feed's articles newest first, crawl-time ranges.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run


def m101_apps_and_filters(conn: Connection, dialect: str) -> None:
    run(conn, dialect, """
CREATE TABLE app_passwords (
    id {pk},
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(60) NOT NULL,
    secret_hash VARCHAR(64) NOT NULL UNIQUE,
    fever_user_key VARCHAR(32) NOT NULL UNIQUE,
    fever_email_key VARCHAR(32) UNIQUE,
    created_at {ts} NOT NULL,
    last_used_at {ts}
);
CREATE INDEX app_passwords_user ON app_passwords (user_id);
CREATE TABLE app_tokens (
    token_hash VARCHAR(64) PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    app_password_id INTEGER REFERENCES app_passwords(id) ON DELETE CASCADE,
    client VARCHAR(120),
    created_at {ts} NOT NULL,
    last_used_at {ts}
);
CREATE INDEX app_tokens_user ON app_tokens (user_id);
CREATE TABLE reader_prefs (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    app_items VARCHAR(8) NOT NULL DEFAULT 'stories'
);
CREATE TABLE app_subscriptions (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    hidden SMALLINT NOT NULL DEFAULT 0,
    title TEXT,
    label TEXT,
    PRIMARY KEY (user_id, source_id)
);
CREATE TABLE item_state (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    is_read SMALLINT,
    starred SMALLINT NOT NULL DEFAULT 0,
    changed_at {ts} NOT NULL,
    PRIMARY KEY (user_id, article_id)
);
CREATE INDEX item_state_starred ON item_state (user_id, starred, article_id);
CREATE TABLE read_floors (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL,
    up_to_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, source_id)
);
CREATE TABLE saved_searches (
    id {pk},
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name VARCHAR(120) NOT NULL,
    query TEXT NOT NULL,
    category TEXT,
    language VARCHAR(16),
    outlet INTEGER,
    following SMALLINT NOT NULL DEFAULT 1,
    seen_id INTEGER NOT NULL DEFAULT 0,
    created_at {ts} NOT NULL
);
CREATE INDEX saved_searches_user ON saved_searches (user_id);
CREATE TABLE source_filters (
    id {pk},
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    action VARCHAR(8) NOT NULL,
    field VARCHAR(10) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    pattern TEXT NOT NULL,
    dropped INTEGER NOT NULL DEFAULT 0,
    created_at {ts} NOT NULL
);
CREATE INDEX source_filters_source ON source_filters (source_id);
CREATE TABLE filtered_entries (
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    entry_hash VARCHAR(64) NOT NULL,
    filter_id INTEGER,
    reason TEXT NOT NULL,
    title TEXT,
    url TEXT,
    dropped_at {ts} NOT NULL,
    PRIMARY KEY (source_id, entry_hash)
);
CREATE INDEX filtered_entries_time ON filtered_entries (source_id, dropped_at);
CREATE INDEX articles_source_id ON articles (source_id, id);
CREATE INDEX articles_fetched ON articles (fetched_at)
""")
