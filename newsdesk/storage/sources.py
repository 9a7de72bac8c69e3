"""Queries about sources: add, list, update settings, claim due ones, record outcomes.

Claiming is how the database acts as the queue. On PostgreSQL due rows are locked with
``FOR UPDATE SKIP LOCKED`` so several workers on several machines never take the same
source; on SQLite the single writer lock gives the same guarantee. A claim carries an
expiry (``claimed_until``), so a crashed worker's sources become due again by themselves.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import NotFound, StorageError
from ..models import Source
from .db import Database, in_lists
from .schema import articles, fetch_log, sources

EDITABLE = {"title", "category", "language", "outlet_label", "attribution", "poll_interval",
            "enabled", "full_text", "site_url", "kind"}
_SOURCE_FIELDS = {f.name for f in fields(Source)}
_UNSET = {"kind": "feed", "enabled": True, "full_text": True,   # every row of a batch: same keys
          **{k: None for k in EDITABLE - {"kind", "enabled", "full_text"}}}


def now() -> datetime:
    return datetime.now(timezone.utc)


def _row(row) -> Source:
    return Source(**{k: v for k, v in row._mapping.items() if k in _SOURCE_FIELDS})


def add_source(db: Database, url: str, **values: Any) -> Source:
    unknown = set(values) - EDITABLE
    if unknown:
        raise StorageError(f"unknown source fields: {', '.join(sorted(unknown))}")
    stamp = now()
    try:
        with db.write() as conn:
            new_id = conn.execute(insert(sources).values(
                url=url, created_at=stamp, next_check_at=stamp, error_count=0,
                **{"kind": "feed", "enabled": True, "full_text": True, **values})).inserted_primary_key[0]
    except IntegrityError:
        raise StorageError(f"a source with this URL already exists: {url}") from None
    return get_source(db, new_id)


def add_sources(db: Database, rows: list[tuple[str, dict[str, Any]]]
                ) -> tuple[list[Source], list[tuple[str, str]]]:
    """Add many sources in one transaction: (added, [(url, why skipped)]). A URL already
    stored, or given twice, is skipped with its reason; the rest go in together (an OPML file
    of 20,000 feeds took one transaction per feed: ~31 s)."""
    unknown = {k for _, values in rows for k in values} - EDITABLE
    if unknown:
        raise StorageError(f"unknown source fields: {', '.join(sorted(unknown))}")
    stamp, skipped, fresh = now(), [], {}
    for url, values in rows:
        if url in fresh:
            skipped.append((url, "given twice; the first is added"))
        else:
            fresh[url] = values
    try:
        with db.write() as conn:
            stored = set()
            for chunk in in_lists(list(fresh)):
                stored.update(conn.execute(select(sources.c.url).where(sources.c.url.in_(chunk))).scalars())
            skipped += [(url, f"a source with this URL already exists: {url}") for url in fresh if url in stored]
            new = [{"url": url, "created_at": stamp, "next_check_at": stamp, "error_count": 0,
                    **_UNSET, **values}
                   for url, values in fresh.items() if url not in stored]
            if new:
                conn.execute(insert(sources), new)
    except IntegrityError:   # another process added one of them meanwhile: one at a time
        added = []
        for url, values in fresh.items():
            try:
                added.append(add_source(db, url, **values))
            except StorageError as exc:
                skipped.append((url, str(exc)))
        return added, skipped
    with db.read() as conn:
        found = {}
        urls = [row["url"] for row in new]
        for chunk in in_lists(urls):
            found.update((r.url, _row(r)) for r in conn.execute(select(sources).where(sources.c.url.in_(chunk))))
    return [found[url] for url in urls], skipped


def get_source(db: Database, ref: int | str) -> Source:
    """A source by id, or by exact URL, or by exact title."""
    with db.read() as conn:
        if isinstance(ref, int) or str(ref).isdigit():
            row = conn.execute(select(sources).where(sources.c.id == int(ref))).first()
        else:
            row = conn.execute(select(sources).where(
                or_(sources.c.url == ref, sources.c.title == ref)).order_by(sources.c.id)).first()
    if row is None:
        raise NotFound(f"no source {ref!r}")
    return _row(row)


def list_sources(db: Database, *, enabled_only: bool = False) -> list[Source]:
    query = select(sources).order_by(sources.c.category, sources.c.title, sources.c.id)
    if enabled_only:
        query = query.where(sources.c.enabled.is_(True))
    with db.read() as conn:
        return [_row(r) for r in conn.execute(query)]


def update_source(db: Database, source_id: int, **values: Any) -> Source:
    unknown = set(values) - EDITABLE - {"next_check_at"}
    if unknown:
        raise StorageError(f"unknown source fields: {', '.join(sorted(unknown))}")
    with db.write() as conn:
        done = conn.execute(update(sources).where(sources.c.id == source_id).values(**values))
    if done.rowcount == 0:
        raise NotFound(f"no source {source_id}")
    return get_source(db, source_id)


def move_source(db: Database, source_id: int, url: str, **values: Any) -> Source:
    """Give a source a new URL (a site's address resolved to its feed)."""
    try:
        with db.write() as conn:
            conn.execute(update(sources).where(sources.c.id == source_id).values(url=url, **values))
    except IntegrityError:
        raise StorageError(f"its feed {url} is a source already") from None
    return get_source(db, source_id)


def delete_source(db: Database, source_id: int) -> None:
    with db.write() as conn:
        conn.execute(delete(articles).where(articles.c.source_id == source_id))
        conn.execute(delete(sources).where(sources.c.id == source_id))


def claim_due(db: Database, worker: str, limit: int, ttl: int,
              only: Iterable[int] | None = None, force: bool = False,
              checked_before: datetime | None = None) -> list[Source]:
    """Claim up to ``limit`` due, enabled, unclaimed sources for ``worker``.

    ``only`` restricts to some ids; ``force`` ignores next_check_at (a manual refresh)
    but never steals a live claim nor comes before the server's Retry-After; ``checked_before`` skips sources checked since then
    (a forced pass claims each source once, not the ones it has just refreshed again).
    """
    stamp = now()
    due = select(sources.c.id).where(
        sources.c.enabled.is_(True),
        or_(sources.c.claimed_until.is_(None), sources.c.claimed_until < stamp),
    ).order_by(sources.c.next_check_at, sources.c.id).limit(limit)
    if not force:
        due = due.where(or_(sources.c.next_check_at.is_(None), sources.c.next_check_at <= stamp))
    else:  # a manual refresh still waits for the server's Retry-After
        due = due.where(or_(sources.c.retry_after.is_(None), sources.c.retry_after <= stamp))
    if checked_before is not None:
        due = due.where(or_(sources.c.last_checked_at.is_(None),
                            sources.c.last_checked_at < checked_before))
    if only is not None:
        due = due.where(sources.c.id.in_(list(only)))
    if db.dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    with db.write() as conn:
        ids = [r[0] for r in conn.execute(due)]
        if not ids:
            return []
        conn.execute(update(sources).where(sources.c.id.in_(ids)).values(
            claimed_by=worker, claimed_until=stamp + timedelta(seconds=ttl)))
        rows = conn.execute(select(sources).where(sources.c.id.in_(ids))
                            .order_by(sources.c.next_check_at, sources.c.id)).all()
    return [_row(r) for r in rows]


def renew_claims(db: Database, worker: str, ids: Iterable[int], ttl: int) -> int:
    """Extend ``worker``'s live claims on ``ids`` by ``ttl`` seconds from now (a refresh
    still running); a claim released or taken by another worker is left alone."""
    ids = list(ids)
    if not ids:
        return 0
    with db.write() as conn:
        return conn.execute(update(sources).where(
            sources.c.id.in_(ids), sources.c.claimed_by == worker).values(
            claimed_until=now() + timedelta(seconds=ttl))).rowcount


def record_check(db: Database, source_id: int, worker: str, log: dict[str, Any],
                 **outcome: Any) -> None:
    """A check's outcome on the source row (dropping the claim, only if still ours) and its
    ``fetch_log`` row, in one transaction: a crash keeps both or neither."""
    with db.write() as conn:
        _release(conn, source_id, worker, outcome)
        conn.execute(insert(fetch_log).values(source_id=source_id, **log))


def _release(conn, source_id: int, worker: str, outcome: dict[str, Any]) -> None:
    conn.execute(update(sources).where(
        and_(sources.c.id == source_id,
             or_(sources.c.claimed_by == worker, sources.c.claimed_by.is_(None))))
        .values(claimed_by=None, claimed_until=None, **outcome))


def release(db: Database, source_id: int, worker: str, **outcome: Any) -> None:
    """Store the outcome of a refresh and drop the claim (only if still ours)."""
    with db.write() as conn:
        _release(conn, source_id, worker, outcome)


def log_fetch(db: Database, source_id: int, started_at: datetime, duration_ms: int, status: str,
              http_status: int | None = None, new_articles: int = 0, error: str | None = None) -> None:
    with db.write() as conn:
        conn.execute(insert(fetch_log).values(
            source_id=source_id, started_at=started_at, duration_ms=duration_ms, status=status,
            http_status=http_status, new_articles=new_articles, error=error))


def fetch_history(db: Database, source_id: int, limit: int = 50) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(select(fetch_log).where(fetch_log.c.source_id == source_id)
                            .order_by(fetch_log.c.started_at.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]


def fetch_health(db: Database, since: datetime, per_source: int = 300) -> dict[int, list[dict[str, Any]]]:
    """Per source, its checks since ``since`` (oldest first, at most ``per_source`` of the
    newest): time, duration, outcome, HTTP status, new articles. The admin's chart."""
    ranked = select(fetch_log.c.source_id, fetch_log.c.started_at, fetch_log.c.duration_ms,
                    fetch_log.c.status, fetch_log.c.http_status, fetch_log.c.new_articles,
                    func.row_number().over(partition_by=fetch_log.c.source_id,
                                           order_by=fetch_log.c.started_at.desc()).label("n")
                    ).where(fetch_log.c.started_at >= since).subquery()
    query = (select(ranked).where(ranked.c.n <= per_source)
             .order_by(ranked.c.source_id, ranked.c.started_at))
    out: dict[int, list[dict[str, Any]]] = {}
    with db.read() as conn:
        for row in conn.execute(query):
            check = dict(row._mapping)
            check.pop("n")
            out.setdefault(check.pop("source_id"), []).append(check)
    return out


def article_counts(db: Database) -> dict[int, int]:
    with db.read() as conn:
        rows = conn.execute(select(articles.c.source_id, func.count())
                            .group_by(articles.c.source_id))
        return {sid: n for sid, n in rows}
