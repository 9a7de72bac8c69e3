"""Where PostgreSQL keeps what a search reads (issue 16).

A tsvector is stored like any long value: past ~2 kB a row's long values are compressed
and, if the row is still too long, moved to the TOAST table. pglz (the default) gives up
on a vector (its first kilobyte, the lexemes' entries, has no repeats), so every vector
of an article of some length was stored raw in the TOAST table, and reading one (to rank
a candidate, or to test ``@@`` on a walk of the key) cost a TOAST index look-up and two or
three chunks: at 1M articles, ranking 1,000 candidates took 7 ms more than reading their
rows. ``STORAGE MAIN`` keeps the vector in the row (the text and HTML leave it first;
the vector leaves only when the row would not fit a page), and lz4 compresses it where
pglz does not.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

# What each column becomes: the vector in the row (lz4); the text lz4 (its start is read
# for the page's snippets and each article page), still moved out of the row first.
STORAGE = {"search_vector": ("MAIN", "lz4"), "text": ("EXTENDED", "lz4")}
# Rows stored before keep their layout until the table is rewritten (README, "PostgreSQL
# at a million articles"): this statement rewrites it, with the table locked meanwhile.
REWRITE = "VACUUM (FULL, ANALYZE) articles"


def lz4_available(conn: Connection) -> bool:
    """Whether this server compresses with lz4 (PostgreSQL 14 or later, built with it)."""
    return bool(conn.execute(text(
        "SELECT current_setting('server_version_num')::int >= 140000 AND EXISTS ("
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
        "AND 'lz4' = ANY(enumvals))")).scalar())


def m_i16_search_storage(conn: Connection, dialect: str) -> None:
    """PostgreSQL: the articles' vector kept in the row, vector and text compressed with
    lz4 where the server has it (``STORAGE``). A catalog change, instant at any size; it
    applies to rows written from now on. SQLite is left as it is."""
    if dialect != "postgresql":
        return
    lz4 = lz4_available(conn)
    for column, (storage, compression) in STORAGE.items():
        conn.execute(text(f"ALTER TABLE articles ALTER COLUMN {column} SET STORAGE {storage}"))
        if lz4:
            conn.execute(text(f"ALTER TABLE articles ALTER COLUMN {column} "
                              f"SET COMPRESSION {compression}"))
