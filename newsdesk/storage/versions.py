"""Article revisions: the re-check schedule of each article, and every version kept.

The ``articles`` row always holds the newest version (so pages, search, stories and the AI
cache keys see the current text); ``article_versions`` keeps them all, version 1 being the
first we stored. Version 1 is written only when a second one arrives, so an article that
never changes costs one ``article_checks`` row and nothing else.

``article_checks`` is the queue of re-checks (the database is the queue, as for sources):
``claim_due`` takes due rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (the writer lock
on SQLite) and a claim that expires, so several workers never check one page at once.
A check never deletes anything: a page that answers 404 or 410 is recorded as gone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import text

from .articles import as_utc
from .db import Database, in_lists
from .sources import now

_CHECK_COLUMNS = ("article_id", "source_id", "feed_fingerprint", "page_etag", "page_last_modified",
                  "page_title", "checks", "next_check_at", "last_checked_at", "last_status",
                  "last_error", "http_status", "gone_at", "versions", "revised_at")
_TIMES = ("next_check_at", "last_checked_at", "gone_at", "revised_at", "seen_at", "published_at",
          "fetched_at", "updated_at")


def _dict(row) -> dict[str, Any]:
    out = dict(row._mapping)
    for key in _TIMES:
        if key in out:
            out[key] = as_utc(out[key])
    return out


# ----------------------------------------------------------------- the schedule
def watch(conn, rows: Iterable[dict[str, Any]]) -> None:
    """Start watching new articles: ``rows`` of article_id, source_id, feed_fingerprint,
    next_check_at (None: only a changed feed item brings a re-check)."""
    rows = [dict(r, checks=0, versions=1) for r in rows]
    if rows:
        conn.execute(text("""
            INSERT INTO article_checks (article_id, source_id, feed_fingerprint, next_check_at,
                                        checks, versions)
            VALUES (:article_id, :source_id, :feed_fingerprint, :next_check_at, :checks, :versions)
            ON CONFLICT (article_id) DO NOTHING"""), rows)


def ids_by_hash(conn, source_id: int, hashes: list[str]) -> dict[str, int]:
    """Article ids of this source's ``hashes`` (entry hashes), within ``conn``."""
    found: dict[str, int] = {}
    for chunk in in_lists(hashes):
        marks = ",".join(f":h{i}" for i in range(len(chunk)))
        found.update((h, i) for h, i in conn.execute(text(
            f"SELECT entry_hash, id FROM articles WHERE source_id = :s AND entry_hash IN ({marks})"),
            {"s": source_id, **{f"h{i}": h for i, h in enumerate(chunk)}}))
    return found


def fingerprints(db: Database, source_id: int, hashes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """For the stored entries among ``hashes``: their article id, stored feed fingerprint
    and check state. Entries stored before revisions existed have no check row: they are
    returned with fingerprint None (the first fetch records it, without a re-check)."""
    hashes = list(set(hashes))
    out: dict[str, dict[str, Any]] = {}
    with db.read() as conn:
        for chunk in in_lists(hashes):
            marks = ",".join(f":h{i}" for i in range(len(chunk)))
            rows = conn.execute(text(f"""
                SELECT a.entry_hash, a.id AS article_id, c.feed_fingerprint, c.gone_at,
                       c.article_id IS NOT NULL AS watched
                FROM articles a LEFT JOIN article_checks c ON c.article_id = a.id
                WHERE a.source_id = :s AND a.entry_hash IN ({marks})"""),
                {"s": source_id, **{f"h{i}": h for i, h in enumerate(chunk)}})
            out.update((r.entry_hash, _dict(r)) for r in rows)
    return out


def set_fingerprints(db: Database, source_id: int, values: dict[int, str]) -> None:
    """Store the feed fingerprints seen now (adding check rows for older articles)."""
    if not values:
        return
    with db.write() as conn:
        watch(conn, [{"article_id": a, "source_id": source_id, "feed_fingerprint": None,
                      "next_check_at": None} for a in values])
        conn.execute(text("UPDATE article_checks SET feed_fingerprint = :f WHERE article_id = :a"),
                     [{"a": a, "f": f} for a, f in values.items()])


def claim_due(db: Database, limit: int, ttl: int, ids: Iterable[int] | None = None
              ) -> list[dict[str, Any]]:
    """Claim up to ``limit`` due re-checks (or exactly ``ids``, due or not) of enabled
    sources that are not failing; with the article fields a check needs."""
    stamp = now()
    params: dict[str, Any] = {"now": stamp, "limit": limit}
    if ids is None:   # the schedule: only sources that are enabled and not failing
        which = (f"c.next_check_at <= :now AND s.enabled = {'TRUE' if db.dialect == 'postgresql' else '1'}"
                 " AND s.error_count = 0")
    else:             # a feed just said these changed
        ids = [int(i) for i in ids]
        if not ids:
            return []
        which = "c.article_id IN (" + ",".join(str(i) for i in ids) + ")"
    lock = " FOR UPDATE OF c SKIP LOCKED" if db.dialect == "postgresql" else ""
    with db.write() as conn:
        claimed = [r[0] for r in conn.execute(text(f"""
            SELECT c.article_id FROM article_checks c JOIN sources s ON s.id = c.source_id
            WHERE {which} AND (c.claimed_until IS NULL OR c.claimed_until < :now)
            ORDER BY c.next_check_at, c.article_id LIMIT :limit{lock}"""), params)]
        if not claimed:
            return []
        marks = ",".join(str(i) for i in claimed)
        conn.execute(text(f"UPDATE article_checks SET claimed_until = :u WHERE article_id IN ({marks})"),
                     {"u": stamp + timedelta(seconds=ttl)})
        rows = conn.execute(text(f"""
            SELECT c.*, a.guid, a.url, a.canonical_url, a.title, a.summary, a.text, a.html,
                   a.extraction, a.published_at, a.fetched_at, a.updated_at, a.entry_hash,
                   a.authors, a.categories, a.language, a.lead_image
            FROM article_checks c JOIN articles a ON a.id = c.article_id
            WHERE c.article_id IN ({marks}) ORDER BY c.next_check_at, c.article_id""")).all()
    return [_dict(r) for r in rows]


def record_check(conn, article_id: int, **values: Any) -> None:
    """Store what a check found and drop its claim. ``checks`` is incremented."""
    unknown = set(values) - set(_CHECK_COLUMNS)
    if unknown:
        raise ValueError(f"unknown check fields: {sorted(unknown)}")
    sets = "".join(f", {k} = :{k}" for k in values)
    conn.execute(text(f"UPDATE article_checks SET claimed_until = NULL, checks = checks + 1{sets} "
                      "WHERE article_id = :article_id"), dict(values, article_id=article_id))


def due_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(text("SELECT count(*) FROM article_checks WHERE next_check_at <= :n"),
                                {"n": now()}).scalar() or 0)


# ----------------------------------------------------------------- versions
def save_revision(conn, article_id: int, new: dict[str, Any], reason: str,
                  seen_at: datetime) -> int:
    """Store a new version of an article within the caller's transaction: version 1 from
    the current row if this is the first change, then the new one; the article row takes
    the new title, text and HTML. Returns the new version's number."""
    current = conn.execute(text("SELECT coalesce(max(version), 0) FROM article_versions "
                                "WHERE article_id = :a"), {"a": article_id}).scalar() or 0
    if current == 0:
        conn.execute(text("""
            INSERT INTO article_versions (article_id, version, title, summary, text, html,
                                          content_hash, word_count, seen_at, reason)
            SELECT id, 1, title, summary, text, html, content_hash, word_count, fetched_at, 'first'
            FROM articles WHERE id = :a"""), {"a": article_id})
        current = 1
    number = current + 1
    values = {"a": article_id, "v": number, "t": new["title"], "s": new.get("summary"),
              "x": new["text"], "h": new.get("html"), "c": new["content_hash"],
              "w": new["word_count"], "at": seen_at, "r": reason}
    conn.execute(text("""
        INSERT INTO article_versions (article_id, version, title, summary, text, html,
                                      content_hash, word_count, seen_at, reason)
        VALUES (:a, :v, :t, :s, :x, :h, :c, :w, :at, :r)"""), values)
    conn.execute(text("""
        UPDATE articles SET title = :t, summary = :s, text = :x, html = :h, content_hash = :c,
               word_count = :w, updated_at = :u WHERE id = :a"""),
                 dict(values, u=new.get("updated_at") or seen_at))
    conn.execute(text("UPDATE article_checks SET versions = :v, revised_at = :at "
                      "WHERE article_id = :a"), values)
    return number


def title_before(conn, article_id: int) -> str | None:
    """The headline of the version before the newest one (None: never revised)."""
    return conn.execute(text("""
        SELECT title FROM article_versions WHERE article_id = :a
        ORDER BY version DESC LIMIT 1 OFFSET 1"""), {"a": article_id}).scalar()


def revision_state(db: Database, article_id: int) -> dict[str, Any] | None:
    """The check row of one article (versions, last update, gone...), or None."""
    with db.read() as conn:
        row = conn.execute(text(f"SELECT {', '.join(_CHECK_COLUMNS)} FROM article_checks "
                                "WHERE article_id = :a"), {"a": article_id}).first()
    return _dict(row) if row is not None else None


def list_versions(db: Database, article_id: int) -> list[dict[str, Any]]:
    """Every stored version, oldest first, without texts."""
    with db.read() as conn:
        rows = conn.execute(text("""
            SELECT version, title, seen_at, reason, word_count, content_hash
            FROM article_versions WHERE article_id = :a ORDER BY version"""), {"a": article_id})
        return [_dict(r) for r in rows]


def get_versions(db: Database, article_id: int, numbers: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Full versions (with text and HTML) by number."""
    numbers = sorted({int(n) for n in numbers})
    if not numbers:
        return {}
    marks = ",".join(str(n) for n in numbers)
    with db.read() as conn:
        rows = conn.execute(text(f"SELECT * FROM article_versions WHERE article_id = :a "
                                 f"AND version IN ({marks})"), {"a": article_id})
        return {r.version: _dict(r) for r in rows}


def story_revisions(db: Database, story_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """The newest revisions of a story's articles: article, outlet, version and time, with
    the texts of the version and the one before (to say what it now says)."""
    with db.read() as conn:
        rows = conn.execute(text("""
            SELECT v.article_id, v.version, v.seen_at, v.title, v.text, p.title AS before_title,
                   p.text AS before_text, coalesce(s.title, s.url) AS outlet, s.id AS source_id
            FROM article_story x JOIN article_versions v ON v.article_id = x.article_id
            JOIN article_versions p ON p.article_id = v.article_id AND p.version = v.version - 1
            JOIN articles a ON a.id = v.article_id JOIN sources s ON s.id = a.source_id
            WHERE x.story_id = :s AND v.version > 1
            ORDER BY v.seen_at DESC, v.article_id DESC, v.version DESC LIMIT :n"""),
            {"s": story_id, "n": limit})
        return [_dict(r) for r in rows]
