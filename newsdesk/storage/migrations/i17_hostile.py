"""Issue 17 (hostile input): what the last fetch of a source skipped or repaired."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run


def m_i17_fetch_notes(conn: Connection, dialect: str) -> None:
    """``sources.fetch_notes``: the notes of the last fetch that read entries (entries
    skipped, dates out of range replaced, rows the database refused), shown beside the
    source's health; NULL when that fetch had nothing to say."""
    run(conn, dialect, "ALTER TABLE sources ADD COLUMN fetch_notes TEXT")


def m_i17_believable_dates(conn: Connection, dialect: str) -> None:
    """Articles stored before dates were checked at the edge: a publication date before
    1990 or more than a day after the fetch becomes the fetch time (what ingest now does),
    so the stories window and the AI timeline never meet year 9999 or year 1."""
    later = ("datetime(fetched_at, '+1 day')" if dialect == "sqlite"
             else "fetched_at + interval '1 day'")
    run(conn, dialect, f"""
UPDATE articles SET published_at = fetched_at
    WHERE published_at < '1990-01-01' OR published_at > {later};
UPDATE articles SET updated_at = NULL
    WHERE updated_at < '1990-01-01' OR updated_at > {later}
""")
