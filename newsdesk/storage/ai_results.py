"""The SQL of the AI features: the coverage a result is computed from, and the
``ai_results`` cache (one row per key: a hash of feature, parameters, coverage, provider).

A *subject* is what the features read: one article (``article``), one story (``story``) or
several stories read as one (``stories``, e.g. a thread). Its coverage is the newest
``limit`` canonical articles (copies of another outlet's article are left out), returned
oldest first. ``coverage`` reads no texts (the page path is hot); ``coverage_texts`` does.
"""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .articles import as_utc
from .db import Database
from .sources import now

_SELECT = """
    FROM articles a JOIN sources s ON s.id = a.source_id
    LEFT JOIN article_story st ON st.article_id = a.id
    LEFT JOIN duplicates d ON d.article_id = a.id
    WHERE {where} AND d.article_id IS NULL
    ORDER BY COALESCE(a.published_at, a.fetched_at) DESC, a.id DESC LIMIT :limit"""
_LIGHT = ("a.id, COALESCE(a.published_at, a.fetched_at), COALESCE(s.title, s.url), a.title, "
          "a.content_hash, s.outlet_label")


def _where(kind: str, ids: Sequence[int]) -> tuple[str, dict]:
    if kind == "article":
        return "a.id = :i0", {"i0": int(ids[0])}
    if kind == "story":
        return "st.story_id = :i0", {"i0": int(ids[0])}
    if kind == "stories":
        marks = ",".join(f":i{n}" for n in range(len(ids)))
        return f"st.story_id IN ({marks})", {f"i{n}": int(i) for n, i in enumerate(ids)}
    raise ValueError(f"unknown AI subject kind {kind!r}")


def _light(row) -> list:
    """(id, ISO time, outlet, title, content hash, label): what identifies a coverage row."""
    return [str(row[0]), str(as_utc(row[1])), row[2], row[3], row[4], row[5] or ""]


def coverage(conn: Connection, db: Database, kind: str, ids: Sequence[int], limit: int) -> list[list]:
    """The subject's coverage rows without texts, oldest first."""
    where, params = _where(kind, ids)
    rows = db.fetch(conn, f"SELECT {_LIGHT} " + _SELECT.format(where=where), {**params, "limit": limit})
    return [_light(r) for r in rows][::-1]


def coverage_texts(db: Database, kind: str, ids: Sequence[int], limit: int) -> list[tuple[list, str]]:
    """(coverage row, text) of the subject's articles, oldest first."""
    where, params = _where(kind, ids)
    with db.read() as conn:
        rows = db.fetch(conn, f"SELECT {_LIGHT}, a.text " + _SELECT.format(where=where),
                        {**params, "limit": limit})
    return [(_light(r), r[6] or "") for r in rows][::-1]


def versions_of(db: Database, article_ids: Sequence[int | str]) -> dict[str, list[dict]]:
    """{article id: its stored versions, oldest first (version, seen_at, title, text)} of
    those of the articles that were revised (an article never revised has no rows)."""
    ids = sorted({int(i) for i in article_ids})
    if not ids:
        return {}
    marks = ",".join(f":i{n}" for n in range(len(ids)))
    with db.read() as conn:
        rows = db.fetch(conn, f"SELECT article_id, version, seen_at, title, text FROM article_versions "
                              f"WHERE article_id IN ({marks}) ORDER BY article_id, version",
                        {f"i{n}": i for n, i in enumerate(ids)})
    out: dict[str, list[dict]] = {}
    for article_id, version, seen_at, title, body in rows:
        out.setdefault(str(article_id), []).append(
            {"version": version, "seen_at": as_utc(seen_at), "title": title or "", "text": body or ""})
    return out


def stored(conn: Connection, db: Database, keys: Sequence[str]) -> dict[str, str]:
    """{key: result JSON} of the keys that are cached."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    marks = ",".join(f":k{i}" for i in range(len(wanted)))
    rows = db.fetch(conn, f"SELECT key, result FROM ai_results WHERE key IN ({marks})",
                    {f"k{i}": k for i, k in enumerate(wanted)})
    return {key: value for key, value in rows}


def get(db: Database, key: str) -> str | None:
    with db.read() as conn:
        return stored(conn, db, [key]).get(key)


def put(db: Database, key: str, feature: str, subject: str, value: str) -> None:
    """Store (or replace) the result under ``key``."""
    put_many(db, [(key, feature, subject, value)])


def put_many(db: Database, results: Sequence[tuple[str, str, str, str]]) -> None:
    """Store (or replace) each (key, feature, subject, value), in one transaction."""
    if not results:
        return
    stamp = now()
    with db.write() as conn:
        for key, feature, subject, value in results:
            conn.execute(text("DELETE FROM ai_results WHERE key = :k"), {"k": key})
            conn.execute(text("INSERT INTO ai_results (key, feature, subject, result, created_at) "
                              "VALUES (:k, :f, :s, :r, :t)"),
                         {"k": key, "f": feature[:32], "s": subject[:64], "r": value, "t": stamp})


def stories_of_articles(db: Database, article_ids: Sequence[int]) -> list[int]:
    """The stories the given articles belong to."""
    if not article_ids:
        return []
    marks = ",".join(f":a{i}" for i in range(len(article_ids)))
    with db.read() as conn:
        rows = db.fetch(conn, f"SELECT DISTINCT story_id FROM article_story WHERE article_id IN ({marks})",
                        {f"a{i}": int(a) for i, a in enumerate(article_ids)})
    return [r[0] for r in rows]


def precompute_subjects(db: Database) -> tuple[list[int], list[int]]:
    """What ``newsdesk demo`` computes ahead: (stories of two articles or more, every
    article), read in one connection."""
    with db.read() as conn:
        stories = [r[0] for r in conn.execute(text("SELECT id FROM stories WHERE article_count >= 2"))]
        articles = [r[0] for r in conn.execute(text("SELECT id FROM articles"))]
    return stories, articles
