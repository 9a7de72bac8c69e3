"""Small shared helpers: UTC time as each dialect stores it, token hashing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from typing import Any

from ..storage.db import as_utc, db_time


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_db(dialect: str, when: datetime | None) -> Any:
    """A timestamp parameter (``storage.db.db_time``), None kept."""
    return None if when is None else db_time(dialect, when)


def from_db(value: Any) -> datetime | None:
    """A timestamp read from the database, as aware UTC (``storage.db.as_utc``), None kept."""
    return as_utc(value)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens are stored hashed: a stolen database row does not log anyone in."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
