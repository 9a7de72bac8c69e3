"""Small shared helpers: the time now, timestamps read back as aware UTC, tokens and their hashes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from typing import Any

from ..storage.db import as_utc


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def from_db(value: Any) -> datetime | None:
    """A timestamp read from the database, as aware UTC (``storage.db.as_utc``), None kept."""
    return as_utc(value)


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens are stored hashed: a stolen database row does not log anyone in."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
