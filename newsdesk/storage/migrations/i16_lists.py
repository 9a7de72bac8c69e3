"""Filtered lists and searches at a million articles (issue 16): an outlet's undated
articles; articles by language; the full-text index in id ranges."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .. import pgranges


def m_i16_undated_by_outlet(conn: Connection, dialect: str) -> None:
    """PostgreSQL: an outlet's articles without a publication time, newest fetched first
    (the second stream of an outlet page, ``reading._streams``). Without it PostgreSQL
    joined every undated article of the archive (2% of a generated 1M archive: 20,000
    rows, 40-340 ms) to find an outlet's 30 newest; with it, an index walk of 31 rows.
    SQLite answers the same query from ``articles_source_published`` and is left as is."""
    if dialect == "postgresql":
        conn.execute(text("CREATE INDEX IF NOT EXISTS articles_undated ON articles "
                          "(source_id, fetched_at) WHERE published_at IS NULL"))


def m_i16_language_index(conn: Connection, dialect: str) -> None:
    """PostgreSQL: articles by their own language and id, so a search filtered by language
    (the article's language, else its outlet's) is an index condition: ``a.language = :l
    OR a.source_id = ANY(the outlets in that language)``, a bitmap OR of this index and
    ``articles_source_id`` over the id window, ANDed with the words' bitmap; only the rows
    that pass are visited (``searching.search``). SQLite walks its full-text index and is
    left as is."""
    if dialect == "postgresql":
        conn.execute(text("CREATE INDEX IF NOT EXISTS articles_language ON articles (language, id)"))


def m_i16_search_ranges(conn: Connection, dialect: str) -> None:
    """PostgreSQL: the full-text index as one partial GIN index per ``pgranges.RANGE`` ids
    (and a tail for new articles) instead of one over the archive, so a common word's
    newest matches come from a small index (``pgranges``). Built here in the migration's
    transaction (writers wait; at 1M articles: see the README), then the one-piece index
    goes. SQLite's FTS5 is left as is."""
    if dialect == "postgresql":
        pgranges.create(conn, mem="256MB")
        conn.execute(text("DROP INDEX IF EXISTS articles_search"))
