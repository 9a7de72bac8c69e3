"""SQL of ``article_features``: what the stories stage needs from one article alone
(signature, term counts, embedding), stored by the worker that stored the article and read
by the one elected stories stage (``stories/features.py`` computes and decodes them).

Rows are plain values here (bytes, text, ints); this module knows nothing of their meaning.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import text

from .db import Database, in_lists
from .versions import ids_by_hash

COLUMNS = ("version", "content_key", "minhash", "embedding", "terms")

_UPSERT = text("""
    INSERT INTO article_features (article_id, version, content_key, minhash, embedding, terms)
    VALUES (:article_id, :version, :content_key, :minhash, :embedding, :terms)
    ON CONFLICT (article_id) DO UPDATE SET version = excluded.version,
        content_key = excluded.content_key, minhash = excluded.minhash,
        embedding = excluded.embedding, terms = excluded.terms""")


def save(conn, rows: Iterable[Mapping]) -> None:
    """Insert or replace rows (``article_id`` plus ``COLUMNS``), within the caller's
    transaction."""
    rows = [dict(r) for r in rows]
    if rows:
        conn.execute(_UPSERT, rows)


def save_for_entries(conn, source_id: int, by_hash: Mapping[str, Mapping],
                     new_ids: Iterable[int]) -> int:
    """Within the insert's transaction: the rows made for a source's new entries (keyed by
    entry hash), for those of them that were just inserted (``new_ids``). Returns how many."""
    wanted = set(new_ids)
    if not wanted or not by_hash:
        return 0
    found = ids_by_hash(conn, source_id, list(by_hash))
    rows = [{"article_id": article_id, **by_hash[key]}
            for key, article_id in found.items() if article_id in wanted]
    save(conn, rows)
    return len(rows)


def load(db: Database, ids: Iterable[int]) -> dict[int, dict]:
    """article id -> stored row (``COLUMNS``) for those of ``ids`` that have one."""
    ids = list(ids)
    found: dict[int, dict] = {}
    with db.read() as conn:
        for chunk in in_lists(ids):
            marks = ",".join(f":i{n}" for n in range(len(chunk)))
            for row in conn.execute(text(
                    f"SELECT article_id, {', '.join(COLUMNS)} FROM article_features "
                    f"WHERE article_id IN ({marks})"), {f"i{n}": i for n, i in enumerate(chunk)}):
                found[int(row[0])] = dict(zip(COLUMNS, row[1:]))
    return found


def count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(text("SELECT count(*) FROM article_features")).scalar() or 0)
