"""Queries about articles: which entries are known, insert new ones, read, delete.

Identity is ``(source_id, entry_hash)`` with a unique constraint; a deleted article
leaves a tombstone so a later fetch of the same feed never brings it back.
"""

from __future__ import annotations

import shlex
from dataclasses import fields
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import delete, func, insert, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..errors import NotFound
from ..models import Article
from .db import Database
from .schema import articles, filtered_entries as filtered, sources, tombstones
from .sources import now

_ARTICLE_FIELDS = {f.name for f in fields(Article)}


def _row(row) -> Article:
    return Article(**{k: v for k, v in row._mapping.items() if k in _ARTICLE_FIELDS})


def as_utc(value) -> datetime | None:
    """A timestamp read by raw SQL (text on SQLite, naive or aware elsewhere) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def known_hashes(db: Database, source_id: int, hashes: Iterable[str]) -> set[str]:
    """The hashes among ``hashes`` already stored, tombstoned or dropped by the source's
    filters (``filtered_entries``) for this source."""
    hashes = list(set(hashes))
    if not hashes:
        return set()
    found: set[str] = set()
    with db.read() as conn:
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
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
