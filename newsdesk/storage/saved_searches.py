"""Queries of saved searches: a reader's query with its filters, whether it is followed,
and the newest matching article id they have seen (new matches are the ones above it)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import text

from .articles import as_utc
from .db import Database
from .reading import _ts

COLS = "id, user_id, name, query, category, language, outlet, following, seen_id, created_at"


def _row(row) -> dict[str, Any]:
    m = dict(row._mapping)
    m["created_at"] = as_utc(m["created_at"])
    m["following"] = bool(m["following"])
    return m


def add(db: Database, user_id: int, name: str, query: str, category: str | None,
        language: str | None, outlet: int | None, seen_id: int) -> dict:
    with db.write() as conn:
        row = conn.execute(text(
            f"INSERT INTO saved_searches (user_id, name, query, category, language, outlet, following, "
            f"seen_id, created_at) VALUES (:u, :n, :q, :c, :l, :o, 1, :s, :t) RETURNING {COLS}"),
            {"u": user_id, "n": name, "q": query, "c": category, "l": language, "o": outlet,
             "s": seen_id, "t": _ts(db, datetime.now(timezone.utc))}).first()
    return _row(row)


def find(db: Database, user_id: int, query: str, category: str | None, language: str | None,
         outlet: int | None) -> dict | None:
    """The reader's saved search with exactly this query and these filters."""
    with db.read() as conn:
        rows = conn.execute(text(f"SELECT {COLS} FROM saved_searches WHERE user_id = :u AND query = :q"),
                            {"u": user_id, "q": query}).all()
    for r in rows:
        m = _row(r)
        if (m["category"], m["language"], m["outlet"]) == (category, language, outlet):
            return m
    return None


def of_user(db: Database, user_id: int) -> list[dict]:
    with db.read() as conn:
        rows = conn.execute(text(f"SELECT {COLS} FROM saved_searches WHERE user_id = :u ORDER BY id"),
                            {"u": user_id}).all()
    return [_row(r) for r in rows]


def count(db: Database, user_id: int) -> int:
    with db.read() as conn:
        return conn.execute(text("SELECT count(*) FROM saved_searches WHERE user_id = :u"),
                            {"u": user_id}).scalar() or 0


def get(db: Database, user_id: int, search_id: int) -> dict | None:
    with db.read() as conn:
        row = conn.execute(text(f"SELECT {COLS} FROM saved_searches WHERE id = :i AND user_id = :u"),
                           {"i": search_id, "u": user_id}).first()
    return _row(row) if row else None


def update(db: Database, user_id: int, search_id: int, **values: Any) -> bool:
    """Set ``following`` and/or ``seen_id`` (never lowered) of one of the reader's searches."""
    sets = []
    if "following" in values:
        sets.append("following = :following")
        values["following"] = 1 if values["following"] else 0
    if "seen_id" in values:
        sets.append("seen_id = CASE WHEN :seen_id > seen_id THEN :seen_id ELSE seen_id END")
    if not sets:
        return False
    with db.write() as conn:
        return conn.execute(text(f"UPDATE saved_searches SET {', '.join(sets)} WHERE id = :i AND user_id = :u"),
                            dict(values, i=search_id, u=user_id)).rowcount > 0


def delete(db: Database, user_id: int, search_id: int) -> bool:
    with db.write() as conn:
        return conn.execute(text("DELETE FROM saved_searches WHERE id = :i AND user_id = :u"),
                            {"i": search_id, "u": user_id}).rowcount > 0
