"""When a reader last opened a thread page (``thread_visits``): the thread page's "since
your last visit". One row per reader and thread, the instant of the latest visit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from .articles import as_utc
from .db import Database, db_time
from .sources import now


def last_thread_visit(db: Database, user_id: int, thread_id: int) -> datetime | None:
    with db.read() as conn:
        value = conn.execute(text("SELECT opened_at FROM thread_visits WHERE user_id = :u AND thread_id = :t"),
                             {"u": user_id, "t": thread_id}).scalar()
    return as_utc(value)


def record_thread_visit(db: Database, user_id: int, thread_id: int, at: datetime | None = None) -> None:
    """This visit becomes the reader's last one (a thread gone meanwhile records nothing)."""
    with db.write() as conn:
        if conn.execute(text("SELECT 1 FROM threads WHERE id = :t"), {"t": thread_id}).first() is None:
            return
        conn.execute(text("INSERT INTO thread_visits (user_id, thread_id, opened_at) VALUES (:u, :t, :at) "
                          "ON CONFLICT (user_id, thread_id) DO UPDATE SET opened_at = excluded.opened_at"),
                     {"u": user_id, "t": thread_id, "at": db_time(db.dialect, at or now())})
