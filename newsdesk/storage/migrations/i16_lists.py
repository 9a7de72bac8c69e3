"""Filtered lists at a million articles (issue 16): an outlet's undated articles."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection


def m_i16_undated_by_outlet(conn: Connection, dialect: str) -> None:
    """PostgreSQL: an outlet's articles without a publication time, newest fetched first
    (the second stream of an outlet page, ``reading._streams``). Without it PostgreSQL
    joined every undated article of the archive (2% of a generated 1M archive: 20,000
    rows, 40-340 ms) to find an outlet's 30 newest; with it, an index walk of 31 rows.
    SQLite answers the same query from ``articles_source_published`` and is left as is."""
    if dialect == "postgresql":
        conn.execute(text("CREATE INDEX IF NOT EXISTS articles_undated ON articles "
                          "(source_id, fetched_at) WHERE published_at IS NULL"))
