"""Queries of the per-source filters: rules, what they dropped, and removing stored
articles a new rule rejects (see ``ingest/filters.py`` for the rules themselves).

``filtered_entries`` remembers each dropped entry (source, entry hash, rule, reason, title,
URL), so it is counted and shown in the source's health, and so ``articles.known_hashes``
skips it at the next fetch instead of fetching its page again. "Forgetting" a source's
dropped entries (a re-check) lets the next fetch reconsider them under the current rules.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterator

from sqlalchemy import bindparam, text

from .articles import as_utc
from .db import Database
from .reading import _ts
from .stories import refresh_story

RULE_COLS = "id, source_id, action, field, kind, pattern, dropped, created_at"


def _rule(row) -> dict[str, Any]:
    m = dict(row._mapping)
    m["created_at"] = as_utc(m["created_at"])
    return m


def add_rule(db: Database, source_id: int, action: str, field: str, kind: str, pattern: str) -> dict:
    with db.write() as conn:
        row = conn.execute(text(
            f"INSERT INTO source_filters (source_id, action, field, kind, pattern, dropped, created_at) "
            f"VALUES (:s, :a, :f, :k, :p, 0, :t) RETURNING {RULE_COLS}"),
            {"s": source_id, "a": action, "f": field, "k": kind, "p": pattern,
             "t": _ts(db, datetime.now(timezone.utc))}).first()
    return _rule(row)


def rules(db: Database, source_id: int | None = None) -> list[dict]:
    where = "WHERE source_id = :s " if source_id is not None else ""
    with db.read() as conn:
        rows = conn.execute(text(f"SELECT {RULE_COLS} FROM source_filters {where}ORDER BY source_id, id"),
                            {"s": source_id}).all()
    return [_rule(r) for r in rows]


def delete_rule(db: Database, rule_id: int, source_id: int | None = None) -> bool:
    extra = " AND source_id = :s" if source_id is not None else ""
    with db.write() as conn:
        return conn.execute(text(f"DELETE FROM source_filters WHERE id = :r{extra}"),
                            {"r": rule_id, "s": source_id}).rowcount > 0


def record_drops(conn, db: Database, source_id: int, drops: list[dict]) -> None:
    """Within the caller's transaction: log dropped entries and count them per rule.
    Each drop: entry_hash, rule_id (None: no keep rule matched), reason, title, url."""
    if not drops:
        return
    now = _ts(db, datetime.now(timezone.utc))
    conn.execute(text(
        "INSERT INTO filtered_entries (source_id, entry_hash, filter_id, reason, title, url, dropped_at) "
        "VALUES (:s, :h, :r, :why, :title, :url, :t) ON CONFLICT (source_id, entry_hash) DO NOTHING"),
        [{"s": source_id, "h": d["entry_hash"], "r": d["rule_id"], "why": d["reason"][:300],
          "title": (d.get("title") or "")[:300], "url": (d.get("url") or "")[:2000], "t": now}
         for d in drops])
    counts: dict[int, int] = {}
    for d in drops:
        if d["rule_id"] is not None:
            counts[d["rule_id"]] = counts.get(d["rule_id"], 0) + 1
    for rule_id, n in counts.items():
        conn.execute(text("UPDATE source_filters SET dropped = dropped + :n WHERE id = :r"),
                     {"n": n, "r": rule_id})


def log_drops(db: Database, source_id: int, drops: list[dict]) -> None:
    with db.write() as conn:
        record_drops(conn, db, source_id, drops)


def summary(db: Database, recent: int = 5) -> dict[int, dict[str, Any]]:
    """Per source: how many entries the filters hold back now, and the latest few."""
    out: dict[int, dict[str, Any]] = {}
    with db.read() as conn:
        for source_id, n in conn.execute(text("SELECT source_id, count(*) FROM filtered_entries "
                                              "GROUP BY source_id")):
            out[source_id] = {"dropped": n, "recent": []}
        if out:
            rows = conn.execute(text(
                "SELECT source_id, title, url, reason, dropped_at FROM (SELECT source_id, title, url, "
                "reason, dropped_at, ROW_NUMBER() OVER (PARTITION BY source_id ORDER BY dropped_at "
                "DESC, entry_hash) AS rn FROM filtered_entries) t WHERE rn <= :k"), {"k": recent})
            for r in rows:
                out[r.source_id]["recent"].append({"title": r.title, "url": r.url, "reason": r.reason,
                                                   "when": as_utc(r.dropped_at)})
    return out


def forget(db: Database, source_id: int) -> int:
    """Drop the memory of what the filters held back: the next fetch reconsiders it."""
    with db.write() as conn:
        return conn.execute(text("DELETE FROM filtered_entries WHERE source_id = :s"),
                            {"s": source_id}).rowcount


def stored_articles(db: Database, source_id: int, batch: int = 500) -> Iterator[list[dict]]:
    """The source's stored articles in batches (id order), with the fields rules look at."""
    after = 0
    while True:
        with db.read() as conn:
            rows = conn.execute(text(
                "SELECT id, entry_hash, title, text, url, canonical_url, authors, categories "
                "FROM articles WHERE source_id = :s AND id > :after ORDER BY id LIMIT :n"),
                {"s": source_id, "after": after, "n": batch}).all()
        if not rows:
            return
        after = rows[-1].id
        yield [{"id": r.id, "entry_hash": r.entry_hash, "title": r.title, "text": r.text,
                "url": r.url, "canonical_url": r.canonical_url,
                "authors": json.loads(r.authors) if r.authors else [],
                "categories": json.loads(r.categories) if r.categories else []} for r in rows]


def remove_articles(db: Database, source_id: int, drops: list[dict]) -> None:
    """Delete stored articles the rules now reject (each drop has ``article_id`` besides the
    ``record_drops`` fields), log them as filtered, and recount their stories."""
    if not drops:
        return
    ids = [d["article_id"] for d in drops]
    with db.write() as conn:
        stories = [r[0] for r in conn.execute(text(
            "SELECT DISTINCT story_id FROM article_story WHERE article_id IN :ids")
            .bindparams(bindparam("ids", expanding=True)), {"ids": ids})]
        conn.execute(text("DELETE FROM articles WHERE id IN :ids")
                     .bindparams(bindparam("ids", expanding=True)), {"ids": ids})
        record_drops(conn, db, source_id, drops)
        for story_id in stories:
            refresh_story(conn, story_id)
