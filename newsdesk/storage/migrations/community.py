"""The readers' schema: accounts, sessions, comments, moderation, follows, read state."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run


def m005_community(conn: Connection, dialect: str) -> None:
    """Readers: accounts and their sessions, password resets, rate-limit events,
    threaded comments with reports and a moderation log, follows and read state."""
    run(conn, dialect, """
CREATE TABLE users (
    id {pk},
    username VARCHAR(40) NOT NULL,
    username_key VARCHAR(40) NOT NULL UNIQUE,
    email TEXT,
    password_hash TEXT NOT NULL,
    role VARCHAR(16) NOT NULL DEFAULT 'reader',
    status VARCHAR(16) NOT NULL DEFAULT 'active',
    feed_token VARCHAR(64) NOT NULL UNIQUE,
    created_at {ts} NOT NULL,
    password_changed_at {ts}
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE TABLE user_sessions (
    token_hash VARCHAR(64) PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL,
    ip VARCHAR(64)
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);
CREATE TABLE password_resets (
    token_hash VARCHAR(64) PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL,
    used_at {ts}
);
CREATE TABLE rate_events (
    id {pk},
    bucket VARCHAR(160) NOT NULL,
    at {ts} NOT NULL
);
CREATE INDEX rate_events_bucket ON rate_events (bucket, at);
CREATE TABLE comments (
    id {pk},
    subject_type VARCHAR(8) NOT NULL,
    subject_id INTEGER NOT NULL,
    parent_id INTEGER REFERENCES comments(id),
    root_id INTEGER,
    depth INTEGER NOT NULL DEFAULT 0,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    html TEXT NOT NULL,
    status VARCHAR(12) NOT NULL,
    spam_score REAL NOT NULL DEFAULT 0,
    spam_reasons TEXT,
    report_count INTEGER NOT NULL DEFAULT 0,
    ip VARCHAR(64),
    idempotency_key VARCHAR(64),
    created_at {ts} NOT NULL,
    edited_at {ts},
    UNIQUE (user_id, idempotency_key)
);
CREATE INDEX comments_subject ON comments (subject_type, subject_id, depth, id);
CREATE INDEX comments_root ON comments (root_id, depth);
CREATE INDEX comments_parent ON comments (parent_id);
CREATE INDEX comments_user ON comments (user_id, created_at);
CREATE INDEX comments_ip ON comments (ip, created_at);
CREATE INDEX comments_status ON comments (status, id);
CREATE TABLE comment_reports (
    id {pk},
    comment_id INTEGER NOT NULL REFERENCES comments(id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    reason TEXT NOT NULL,
    created_at {ts} NOT NULL,
    resolved_at {ts},
    UNIQUE (comment_id, user_id)
);
CREATE TABLE moderation_log (
    id {pk},
    at {ts} NOT NULL,
    moderator_id INTEGER,
    moderator_name VARCHAR(40),
    action VARCHAR(16) NOT NULL,
    target_type VARCHAR(8) NOT NULL,
    target_id INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX moderation_log_target ON moderation_log (target_type, target_id);
CREATE TABLE follows (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind VARCHAR(8) NOT NULL,
    target VARCHAR(120) NOT NULL,
    created_at {ts} NOT NULL,
    PRIMARY KEY (user_id, kind, target)
);
CREATE INDEX follows_target ON follows (kind, target);
CREATE TABLE read_state (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    seen_article_id INTEGER NOT NULL DEFAULT 0,
    opened_at {ts} NOT NULL,
    PRIMARY KEY (user_id, story_id)
)
""")
