"""The SQL of the rate limiter (``community/ratelimit.py`` keeps the rules): one row of
``rate_events`` per event, a bucket naming who does what.

Every function runs over the caller's connection, inside its transaction: the limiter's
atomicity comes from that transaction (BEGIN IMMEDIATE on SQLite) and, on PostgreSQL,
from ``lock_bucket``'s transaction-level advisory lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .db import as_utc, db_time


def lock_bucket(conn: Connection, bucket: str) -> None:
    """PostgreSQL: queue concurrent hits on one bucket until this transaction ends (a
    transaction-level advisory lock). SQLite's writes are serialised already."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:b, 0))"), {"b": bucket})


def window(conn: Connection, bucket: str, since: datetime) -> tuple[int, datetime | None]:
    """(events in the bucket after ``since``, the oldest of them)."""
    row = conn.execute(text("SELECT count(*), min(at) FROM rate_events "
                            "WHERE bucket = :b AND at > :since"),
                       {"b": bucket, "since": db_time(conn.dialect.name, since)}).one()
    return int(row[0]), as_utc(row[1])


def record(conn: Connection, bucket: str, at: datetime) -> None:
    conn.execute(text("INSERT INTO rate_events (bucket, at) VALUES (:b, :at)"),
                 {"b": bucket, "at": db_time(conn.dialect.name, at)})


def prune(conn: Connection, before: datetime) -> None:
    conn.execute(text("DELETE FROM rate_events WHERE at < :old"),
                 {"old": db_time(conn.dialect.name, before)})


def release(conn: Connection, bucket: str) -> None:
    """Delete the bucket's newest event."""
    conn.execute(text("DELETE FROM rate_events WHERE id = (SELECT max(id) FROM rate_events "
                      "WHERE bucket = :b)"), {"b": bucket})


def clear(conn: Connection, bucket: str) -> None:
    conn.execute(text("DELETE FROM rate_events WHERE bucket = :b"), {"b": bucket})
