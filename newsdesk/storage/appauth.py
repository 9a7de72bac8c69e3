"""Queries behind app access (Google Reader and Fever APIs): per-device app passwords,
the tokens ClientLogin hands out, each reader's app settings and subscription changes.

Secrets are never stored: app passwords and tokens as SHA-256 (both are random), the Fever
keys as the MD5 the Fever protocol defines (of ``username:password`` and
``email:password``, over a random app password, never over the account password).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text

from .articles import as_utc
from .db import Database
from .reading import _ts

ITEM_MODES = ("stories", "articles")
# a token's last use is written at most this often (a sync makes dozens of requests)
TOUCH_EVERY = 300


# ----------------------------------------------------------------- app passwords
def add_password(db: Database, user_id: int, name: str, secret_hash: str, fever_user_key: str,
                 fever_email_key: str | None, when: datetime) -> int:
    with db.write() as conn:
        return conn.execute(text(
            "INSERT INTO app_passwords (user_id, name, secret_hash, fever_user_key, fever_email_key, "
            "created_at) VALUES (:u, :n, :h, :fu, :fe, :t) RETURNING id"),
            {"u": user_id, "n": name, "h": secret_hash, "fu": fever_user_key, "fe": fever_email_key,
             "t": _ts(db, when)}).scalar()


def list_passwords(db: Database, user_id: int) -> list[dict[str, Any]]:
    """The reader's app passwords, newest first, with how many devices signed in with each."""
    with db.read() as conn:
        rows = conn.execute(text(
            "SELECT p.id, p.name, p.created_at, p.last_used_at, "
            "(SELECT count(*) FROM app_tokens t WHERE t.app_password_id = p.id) AS devices "
            "FROM app_passwords p WHERE p.user_id = :u ORDER BY p.id DESC"), {"u": user_id}).all()
    return [{"id": r.id, "name": r.name, "created_at": as_utc(r.created_at),
             "last_used_at": as_utc(r.last_used_at), "devices": r.devices} for r in rows]


def delete_password(db: Database, user_id: int, password_id: int) -> bool:
    """Revoke an app password and every token made with it (in one transaction)."""
    with db.write() as conn:
        conn.execute(text("DELETE FROM app_tokens WHERE app_password_id = :p AND user_id = :u"),
                     {"p": password_id, "u": user_id})
        return conn.execute(text("DELETE FROM app_passwords WHERE id = :p AND user_id = :u"),
                            {"p": password_id, "u": user_id}).rowcount > 0


def password_by_hash(db: Database, user_id: int, secret_hash: str) -> int | None:
    with db.read() as conn:
        return conn.execute(text("SELECT id FROM app_passwords WHERE user_id = :u AND secret_hash = :h"),
                            {"u": user_id, "h": secret_hash}).scalar()


def user_by_fever_key(db: Database, key: str) -> tuple[int, int] | None:
    """(user id, app password id) for a Fever api_key."""
    with db.read() as conn:
        row = conn.execute(text("SELECT user_id, id FROM app_passwords "
                                "WHERE fever_user_key = :k OR fever_email_key = :k"), {"k": key}).first()
    return (row[0], row[1]) if row else None


# ----------------------------------------------------------------- tokens
def add_token(db: Database, token_hash: str, user_id: int, password_id: int | None, client: str,
              when: datetime) -> None:
    with db.write() as conn:
        conn.execute(text("INSERT INTO app_tokens (token_hash, user_id, app_password_id, client, "
                          "created_at, last_used_at) VALUES (:h, :u, :p, :c, :t, :t)"),
                     {"h": token_hash, "u": user_id, "p": password_id, "c": client[:120],
                      "t": _ts(db, when)})


def token_owner(db: Database, token_hash: str) -> dict[str, Any] | None:
    """The token's user id, app password (None: signed in with the account password),
    when it was made and last used, and when the account password last changed."""
    with db.read() as conn:
        row = conn.execute(text(
            "SELECT t.user_id, t.app_password_id, t.created_at, t.last_used_at, u.password_changed_at "
            "FROM app_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = :h"),
            {"h": token_hash}).first()
    if row is None:
        return None
    return {"user_id": row[0], "password_id": row[1], "created_at": as_utc(row[2]),
            "last_used_at": as_utc(row[3]), "password_changed_at": as_utc(row[4])}


def touch(db: Database, token_hash: str | None, password_id: int | None, when: datetime) -> None:
    """Record that a token (and its app password) was used."""
    with db.write() as conn:
        if token_hash:
            conn.execute(text("UPDATE app_tokens SET last_used_at = :t WHERE token_hash = :h"),
                         {"t": _ts(db, when), "h": token_hash})
        if password_id:
            conn.execute(text("UPDATE app_passwords SET last_used_at = :t WHERE id = :p"),
                         {"t": _ts(db, when), "p": password_id})


def list_tokens(db: Database, user_id: int) -> list[dict[str, Any]]:
    """Devices signed in with the account password (not with an app password)."""
    with db.read() as conn:
        rows = conn.execute(text(
            "SELECT token_hash, client, created_at, last_used_at FROM app_tokens "
            "WHERE user_id = :u AND app_password_id IS NULL ORDER BY created_at DESC"),
            {"u": user_id}).all()
    return [{"id": r.token_hash[:16], "client": r.client or "an app",
             "created_at": as_utc(r.created_at), "last_used_at": as_utc(r.last_used_at)} for r in rows]


def delete_token(db: Database, user_id: int, short_id: str) -> bool:
    """Revoke a password-signed device by the first 16 characters of its token hash."""
    if len(short_id) != 16 or not all(c in "0123456789abcdef" for c in short_id):
        return False
    with db.write() as conn:
        return conn.execute(text("DELETE FROM app_tokens WHERE user_id = :u AND app_password_id IS NULL "
                                 "AND substr(token_hash, 1, 16) = :s"),
                            {"u": user_id, "s": short_id}).rowcount > 0


# ----------------------------------------------------------------- settings, subscriptions
def item_mode(db: Database, user_id: int) -> str:
    with db.read() as conn:
        mode = conn.execute(text("SELECT app_items FROM reader_prefs WHERE user_id = :u"),
                            {"u": user_id}).scalar()
    return mode if mode in ITEM_MODES else ITEM_MODES[0]


def set_item_mode(db: Database, user_id: int, mode: str) -> None:
    with db.write() as conn:
        conn.execute(text("INSERT INTO reader_prefs (user_id, app_items) VALUES (:u, :m) "
                          "ON CONFLICT (user_id) DO UPDATE SET app_items = excluded.app_items"),
                     {"u": user_id, "m": mode})


def subscriptions(db: Database, user_id: int) -> list[dict[str, Any]]:
    """Every source with this reader's changes: hidden, title and label (category) override.
    The newest article time of each source is included for unread counts and Fever."""
    with db.read() as conn:
        rows = conn.execute(text(
            "SELECT s.id, s.url, s.site_url, s.title, s.category, s.enabled, s.last_success_at, "
            "coalesce(o.hidden, 0) AS hidden, o.title AS my_title, o.label AS my_label "
            "FROM sources s LEFT JOIN app_subscriptions o ON o.source_id = s.id AND o.user_id = :u "
            "ORDER BY s.category, s.title, s.id"), {"u": user_id}).all()
    return [{"id": r.id, "url": r.url, "site_url": r.site_url or "",
             "title": r.my_title or r.title or r.url,
             "label": (r.my_label if r.my_label is not None else r.category) or "",
             "hidden": bool(r.hidden), "enabled": bool(r.enabled),
             "last_success_at": as_utc(r.last_success_at)} for r in rows]


def change_subscription(db: Database, user_id: int, source_id: int, **values: Any) -> None:
    """Set ``hidden``, ``title`` or ``label`` of one source for one reader."""
    allowed = {"hidden", "title", "label"}
    if not values or set(values) - allowed:
        raise ValueError(f"only {', '.join(sorted(allowed))} can change")
    cols = ", ".join(values)
    marks = ", ".join(f":{k}" for k in values)
    updates = ", ".join(f"{k} = excluded.{k}" for k in values)
    with db.write() as conn:
        conn.execute(text(f"INSERT INTO app_subscriptions (user_id, source_id, {cols}) "
                          f"VALUES (:u, :s, {marks}) ON CONFLICT (user_id, source_id) "
                          f"DO UPDATE SET {updates}"), dict(values, u=user_id, s=source_id))


def relabel(db: Database, user_id: int, source_ids: list[int], label: str | None) -> None:
    """Put these sources under ``label`` for this reader (None: back to their category)."""
    for source_id in source_ids:
        change_subscription(db, user_id, source_id, label=label)
