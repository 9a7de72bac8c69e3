"""Enrichment on every worker (issue 16): what the stories stage needs from one article
alone, computed by the worker that stores it."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from .sql import run


def m_i16_article_features(conn: Connection, dialect: str) -> None:
    """One row per article: its MinHash signature, its term counts (JSON), its headline and
    lede embedding (float32 bytes, or NULL), with the version of the code that made them
    and a key of the text they were made from (a revised text makes the row stale). Not a
    stories table: a rebuild keeps it and reads it instead of recomputing."""
    run(conn, dialect, """
CREATE TABLE article_features (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    content_key VARCHAR(32) NOT NULL,
    minhash {blob} NOT NULL,
    embedding {blob},
    terms TEXT NOT NULL
)""")
