"""Issue 12 leftovers: the instant of a reader's last visit to a thread, for the thread
page's "since your last visit" (a story's visit is ``read_state.opened_at``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run


def m_i12_thread_visits(conn: Connection, dialect: str) -> None:
    run(conn, dialect, """
CREATE TABLE thread_visits (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
    opened_at {ts} NOT NULL,
    PRIMARY KEY (user_id, thread_id)
)""")
