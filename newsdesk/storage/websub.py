"""WebSub subscriptions (one per source) and the queue of bodies hubs pushed to us.

States of a subscription: ``new`` (discovered, not asked yet), ``requested`` (asked; the
hub has not verified it yet), ``active`` (verified, lease running), ``failed`` (the hub
refused or could not be reached; retried with backoff), ``denied`` (the hub said no).
``next_attempt_at`` says when the worker next asks the hub: retry, or renew a lease before
it ends. Polling goes on in every state; while ``active`` only as a safety net.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from .articles import as_utc
from .db import Database
from .sources import now

_TIMES = ("expires_at", "requested_at", "verified_at", "next_attempt_at", "last_push_at",
          "received_at")
_FIELDS = {"hub", "topic", "secret", "token", "state", "lease_seconds", "expires_at",
           "requested_at", "verified_at", "next_attempt_at", "failures", "last_error"}


def _dict(row) -> dict[str, Any]:
    out = dict(row._mapping)
    for key in _TIMES:
        if key in out:
            out[key] = as_utc(out[key])
    if isinstance(out.get("body"), memoryview):
        out["body"] = bytes(out["body"])
    return out


def get(db: Database, source_id: int) -> dict[str, Any] | None:
    with db.read() as conn:
        row = conn.execute(text("SELECT * FROM websub_subscriptions WHERE source_id = :s"),
                           {"s": source_id}).first()
    return _dict(row) if row is not None else None


def want(db: Database, source_id: int, hub: str, topic: str, secret: str, token: str) -> bool:
    """Record that this source should be subscribed at ``hub`` for ``topic``. A new hub or
    topic starts over (new secret and callback token); the same one changes nothing.
    Returns whether anything changed."""
    with db.write() as conn:
        row = conn.execute(text("SELECT hub, topic FROM websub_subscriptions WHERE source_id = :s"),
                           {"s": source_id}).first()
        if row is not None and (row.hub, row.topic) == (hub, topic):
            return False
        conn.execute(text("DELETE FROM websub_subscriptions WHERE source_id = :s"), {"s": source_id})
        conn.execute(text("""
            INSERT INTO websub_subscriptions (source_id, hub, topic, secret, token, state,
                                              next_attempt_at, failures, pushes)
            VALUES (:s, :h, :t, :secret, :token, 'new', :n, 0, 0)"""),
                     {"s": source_id, "h": hub, "t": topic, "secret": secret, "token": token,
                      "n": now()})
    return True


def update(db: Database, source_id: int, **values: Any) -> None:
    unknown = set(values) - _FIELDS
    if unknown:
        raise ValueError(f"unknown subscription fields: {sorted(unknown)}")
    sets = ", ".join(f"{k} = :{k}" for k in values)
    with db.write() as conn:
        conn.execute(text(f"UPDATE websub_subscriptions SET {sets} WHERE source_id = :source_id"),
                     dict(values, source_id=source_id))


def due(db: Database, limit: int = 20) -> list[dict[str, Any]]:
    """Subscriptions to (re)request now."""
    with db.read() as conn:
        rows = conn.execute(text("""
            SELECT * FROM websub_subscriptions WHERE next_attempt_at <= :n
            ORDER BY next_attempt_at LIMIT :l"""), {"n": now(), "l": limit})
        return [_dict(r) for r in rows]


def is_active(db: Database, source_id: int) -> bool:
    with db.read() as conn:
        return conn.execute(text("""
            SELECT 1 FROM websub_subscriptions
            WHERE source_id = :s AND state = 'active' AND expires_at > :n"""),
            {"s": source_id, "n": now()}).first() is not None


def verified(db: Database, source_id: int, lease_seconds: int, renew_at: datetime) -> None:
    """The hub confirmed our subscription (its verification request was answered)."""
    stamp = now()
    with db.write() as conn:
        conn.execute(text("""
            UPDATE websub_subscriptions SET state = 'active', lease_seconds = :l, verified_at = :n,
                   expires_at = :e, next_attempt_at = :r, failures = 0, last_error = NULL
            WHERE source_id = :s"""),
            {"s": source_id, "l": lease_seconds, "n": stamp,
             "e": stamp + timedelta(seconds=lease_seconds), "r": renew_at})


def queue_push(db: Database, source_id: int, body: bytes, content_type: str | None,
               max_queued: int) -> bool:
    """Queue a verified push for the worker; False when ``max_queued`` are waiting."""
    with db.write() as conn:
        waiting = conn.execute(text("SELECT count(*) FROM websub_pushes WHERE source_id = :s"),
                               {"s": source_id}).scalar() or 0
        if waiting >= max_queued:
            return False
        stamp = now()
        conn.execute(text("INSERT INTO websub_pushes (source_id, received_at, content_type, body) "
                          "VALUES (:s, :n, :c, :b)"),
                     {"s": source_id, "n": stamp, "c": content_type, "b": body})
        conn.execute(text("UPDATE websub_subscriptions SET pushes = pushes + 1, last_push_at = :n "
                          "WHERE source_id = :s"), {"s": source_id, "n": stamp})
    return True


def take_pushes(db: Database, limit: int = 20) -> list[dict[str, Any]]:
    """Remove and return the oldest queued pushes (each taken by one worker only)."""
    lock = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgresql" else ""
    with db.write() as conn:
        rows = [_dict(r) for r in conn.execute(text(
            f"SELECT * FROM websub_pushes ORDER BY id LIMIT :l{lock}"), {"l": limit})]
        if rows:
            conn.execute(text("DELETE FROM websub_pushes WHERE id IN ("
                              + ",".join(str(int(r["id"])) for r in rows) + ")"))
    return rows


def counts(db: Database) -> dict[str, Any]:
    """Subscriptions per state and pushes waiting (for /metrics)."""
    with db.read() as conn:
        states = dict(conn.execute(text(
            "SELECT state, count(*) FROM websub_subscriptions GROUP BY state")).all())
        queued = conn.execute(text("SELECT count(*) FROM websub_pushes")).scalar() or 0
    return {"states": states, "queued": int(queued)}
