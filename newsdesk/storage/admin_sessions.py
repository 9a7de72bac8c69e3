"""Server-side sessions of the built-in admin login (table ``admin_sessions``).

The cookie holds a random token; the table holds its SHA-256, an expiry and a tag of the
admin password the session was opened with (an HMAC, so the table does not hold the
password). ``valid`` wants all three to match: logging out (``end``) and changing
``admin_password`` both end a copied cookie's power for good.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from .db import Database, db_time


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def password_tag(password: str, key: str) -> str:
    return hmac.new(key.encode(), b"admin-password:" + password.encode(), "sha256").hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def start(db: Database, tag: str, lifetime: float) -> str:
    token, now = secrets.token_urlsafe(32), _now()
    with db.write() as conn:
        conn.execute(text("DELETE FROM admin_sessions WHERE expires_at < :now"), {"now": db_time(db.dialect, now)})
        conn.execute(text("INSERT INTO admin_sessions (token_hash, password_tag, created_at, "
                          "expires_at) VALUES (:h, :tag, :now, :exp)"),
                     {"h": _hash(token), "tag": tag, "now": db_time(db.dialect, now),
                      "exp": db_time(db.dialect, now + timedelta(seconds=lifetime))})
    return token


def valid(db: Database, token: str | None, tag: str) -> bool:
    if not token or not isinstance(token, str) or len(token) > 200:
        return False
    with db.read() as conn:
        row = conn.execute(text("SELECT password_tag FROM admin_sessions WHERE token_hash = :h "
                                "AND expires_at > :now"),
                           {"h": _hash(token), "now": db_time(db.dialect, _now())}).first()
    return row is not None and hmac.compare_digest(row[0], tag)


def end(db: Database, token: str | None) -> None:
    if token and isinstance(token, str):
        with db.write() as conn:
            conn.execute(text("DELETE FROM admin_sessions WHERE token_hash = :h"), {"h": _hash(token)})
