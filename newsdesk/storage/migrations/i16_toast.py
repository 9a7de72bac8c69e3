"""How PostgreSQL compresses what a search reads (issue 16)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

# The columns a search decompresses: the vector (ranking reads each candidate's, a walk
# of the key tests each row's) and the text (the page's snippets).
COLUMNS = ("search_vector", "text")


def lz4_available(conn: Connection) -> bool:
    """Whether this server compresses with lz4 (PostgreSQL 14 or later, built with it)."""
    return bool(conn.execute(text(
        "SELECT current_setting('server_version_num')::int >= 140000 AND EXISTS ("
        "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' "
        "AND 'lz4' = ANY(enumvals))")).scalar())


def m_i16_lz4_search(conn: Connection, dialect: str) -> None:
    """PostgreSQL: the articles' vector and text compressed with lz4 instead of pglz (the
    default), which decompresses several times faster (see README). Only values written
    from now on: a catalog change, instant at any size. Articles stored before keep pglz
    until rewritten (``newsdesk maintenance recompress``, optional). Servers without lz4
    and SQLite are left as they are."""
    if dialect == "postgresql" and lz4_available(conn):
        for column in COLUMNS:
            conn.execute(text(f"ALTER TABLE articles ALTER COLUMN {column} SET COMPRESSION lz4"))
