"""Queries about articles: which entries are known, insert new ones, read, delete.

Identity is ``(source_id, entry_hash)`` with a unique constraint; a deleted article
leaves a tombstone so a later fetch of the same feed never brings it back.
"""

from __future__ import annotations

import shlex
from dataclasses import fields
from datetime import datetime
from typing import Any, Callable, Iterable

from sqlalchemy import delete, func, insert, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import StatementError

from ..errors import NotFound
from ..models import Article
from .db import Database, as_utc, in_lists  # noqa: F401  (as_utc: its old home; storage modules import it here)
from .schema import articles, filtered_entries as filtered, sources, tombstones
from .sources import now

_ARTICLE_FIELDS = {f.name for f in fields(Article)}


def _row(row) -> Article:
    return Article(**{k: v for k, v in row._mapping.items() if k in _ARTICLE_FIELDS})


def known_hashes(db: Database, source_id: int, hashes: Iterable[str]) -> set[str]:
    """The hashes among ``hashes`` already stored, tombstoned or dropped by the source's
    filters (``filtered_entries``) for this source."""
    hashes = list(set(hashes))
    if not hashes:
        return set()
    found: set[str] = set()
    with db.read() as conn:
        for chunk in in_lists(hashes):
            query = union_all(
                select(articles.c.entry_hash).where(articles.c.source_id == source_id,
                                                    articles.c.entry_hash.in_(chunk)),
                select(tombstones.c.entry_hash).where(tombstones.c.source_id == source_id,
                                                      tombstones.c.entry_hash.in_(chunk)),
                select(filtered.c.entry_hash).where(filtered.c.source_id == source_id,
                                                    filtered.c.entry_hash.in_(chunk)))
            found.update(r[0] for r in conn.execute(query))
    return found


def insert_articles(conn, rows: list[dict[str, Any]], dialect: str) -> list[int]:
    """Insert within the caller's transaction; rows whose (source_id, entry_hash) exist
    are skipped (idempotent re-runs). Returns the ids of the rows actually inserted."""
    ids = []
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    for row in rows:
        statement = (maker(articles).values(**row)
                     .on_conflict_do_nothing(index_elements=["source_id", "entry_hash"])
                     .returning(articles.c.id))
        new_id = conn.execute(statement).scalar()
        if new_id is not None:
            ids.append(new_id)
    return ids


# what a database (or its driver) raises for one row it refuses; a lost connection or a
# locked database is not among them (``Database.write`` turns those into StorageError)
_ROW_REFUSED = (StatementError, UnicodeError, ValueError, TypeError, OverflowError)


def store_articles(db: Database, rows: list[dict[str, Any]],
                   after: Callable[[Connection, list[int]], None] | None = None,
                   ) -> tuple[list[int], list[tuple[dict, str]]]:
    """Insert ``rows`` in one transaction, like ``insert_articles``, then call
    ``after(conn, ids)`` in the same transaction. When the database refuses a row, the batch
    is rolled back and retried one row per transaction, so only the refused rows are lost.
    Returns (ids inserted, [(row, one-line reason)] refused)."""
    def insert(conn, batch):
        ids = insert_articles(conn, batch, db.dialect)
        if after is not None:
            after(conn, ids)
        return ids
    try:
        with db.write() as conn:
            return insert(conn, rows), []
    except _ROW_REFUSED as exc:
        if len(rows) == 1:
            return [], [(rows[0], _reason(exc))]
    ids: list[int] = []
    refused: list[tuple[dict, str]] = []
    for row in rows:
        try:
            with db.write() as conn:
                ids += insert(conn, [row])
        except _ROW_REFUSED as exc:
            refused.append((row, _reason(exc)))
    return ids, refused


def _reason(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None) or exc
    return f"{type(inner).__name__}: {' '.join(str(inner).split())[:160]}"


def get_article(db: Database, article_id: int) -> Article:
    with db.read() as conn:
        row = conn.execute(select(articles).where(articles.c.id == article_id)).first()
    if row is None:
        raise NotFound(f"no article {article_id}")
    return _row(row)


def get_articles(db: Database, ids: Iterable[int]) -> list[Article]:
    ids = list(ids)
    if not ids:
        return []
    with db.read() as conn:
        rows = conn.execute(select(articles).where(articles.c.id.in_(ids)))
        by_id = {r.id: _row(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def list_articles(db: Database, *, source_id: int | None = None, limit: int = 50,
                  before: datetime | None = None) -> list[Article]:
    query = (select(articles)
             .order_by(articles.c.published_at.desc().nulls_last(), articles.c.id.desc())
             .limit(limit))
    if source_id is not None:
        query = query.where(articles.c.source_id == source_id)
    if before is not None:
        query = query.where(articles.c.published_at < before)
    with db.read() as conn:
        return [_row(r) for r in conn.execute(query)]


def count_articles(db: Database, source_id: int | None = None) -> int:
    query = select(func.count()).select_from(articles)
    if source_id is not None:
        query = query.where(articles.c.source_id == source_id)
    with db.read() as conn:
        return int(conn.execute(query).scalar() or 0)


def delete_article(db: Database, article_id: int) -> None:
    """Delete an article and leave a tombstone so it never returns."""
    article = get_article(db, article_id)
    with db.write() as conn:
        conn.execute(delete(articles).where(articles.c.id == article_id))
        exists = conn.execute(select(tombstones.c.entry_hash).where(
            tombstones.c.source_id == article.source_id,
            tombstones.c.entry_hash == article.entry_hash)).first()
        if not exists:
            conn.execute(insert(tombstones).values(
                source_id=article.source_id, entry_hash=article.entry_hash,
                canonical_url=article.canonical_url, deleted_at=now()))


def fts5_query(user_query: str) -> str:
    """Turn free text into a safe FTS5 query: each word quoted, all required.
    A word prefixed with '-' is excluded; "quoted phrases" are kept as phrases."""
    try:
        parts = shlex.split(user_query)
    except ValueError:
        parts = user_query.replace('"', " ").split()
    include, exclude = [], []
    for part in parts[:32]:
        target = exclude if part.startswith("-") and len(part) > 1 else include
        word = part[1:] if target is exclude else part
        word = word.replace('"', "").strip()
        if word:
            target.append('"' + word + '"')
    if not include:
        return '""'
    q = " AND ".join(include)
    return q + "".join(" NOT " + w for w in exclude)


def source_names(db: Database) -> dict[int, str]:
    with db.read() as conn:
        return {r.id: (r.title or r.url) for r in conn.execute(select(sources.c.id, sources.c.title,
                                                                       sources.c.url))}
