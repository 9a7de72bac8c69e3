"""Issue 17 (hostile input): what the last fetch of a source skipped or repaired."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run


def m_i17_fetch_notes(conn: Connection, dialect: str) -> None:
    """``sources.fetch_notes``: the notes of the last fetch that read entries (entries
    skipped, dates out of range replaced, rows the database refused), shown beside the
    source's health; NULL when that fetch had nothing to say."""
    run(conn, dialect, "ALTER TABLE sources ADD COLUMN fetch_notes TEXT")
