"""Security review (issue 18): server-side sessions of the built-in admin login."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run


def m009_admin_sessions(conn: Connection, dialect: str) -> None:
    """A built-in admin login is a row here (the cookie carries a random token, the row its
    SHA-256), tagged with a fingerprint of the admin password it was opened with: logging
    out deletes it, and a changed ``admin_password`` no longer matches any old row."""
    run(conn, dialect, """
CREATE TABLE admin_sessions (
    token_hash VARCHAR(64) PRIMARY KEY,
    password_tag VARCHAR(64) NOT NULL,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL
);
CREATE INDEX admin_sessions_expiry ON admin_sessions (expires_at)""")
