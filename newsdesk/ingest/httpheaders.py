"""What a response's headers say, read strictly: media type and charset, when to ask
again (Retry-After) and until when the answer may be reused (Cache-Control max-age and
Age, else Expires and Date). Absurd delays are clamped to a year; anything unreadable is
"not said" (None), never an error. ``fetch.py`` fills ``FetchResult`` and
``HTTPStatusError`` from these.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

_MAX_DELAY = 365 * 86400  # clamp absurd Retry-After / max-age values


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """``'Application/RSS+XML; charset="UTF-8"'`` -> ``('application/rss+xml', 'utf-8')``."""
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower() or None
    return media.strip().lower() or None, charset


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as a UTC datetime: delta-seconds or an HTTP-date; None if absent/bad.
    A date in the past means "now"."""
    now, value = _utc(now), (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return now + timedelta(seconds=seconds_of(value))
    when = _http_date(value)
    return None if when is None else min(max(when, now), now + timedelta(seconds=_MAX_DELAY))


def parse_freshness(headers: Any, now: datetime) -> datetime | None:
    """Until when a response may be reused without asking (Cache-Control max-age minus Age,
    else Expires - Date), as UTC. None when absent, no-cache/no-store, or already stale."""
    now, headers = _utc(now), httpx.Headers(headers)  # any mapping, case-insensitive
    directives: dict[str, str] = {}
    for part in headers.get("cache-control", "").split(","):
        key, _, val = part.strip().partition("=")
        if key:
            directives[key.lower()] = val.strip().strip('"')
    if "no-store" in directives or "no-cache" in directives:
        return None
    lifetime: float | None = None
    if "max-age" in directives:
        if not directives["max-age"].isdigit():
            return None
        age = headers.get("age", "0").strip()
        lifetime = seconds_of(directives["max-age"]) - (seconds_of(age) if age.isdigit() else 0)
    elif "expires" in headers:
        expires = _http_date(headers["expires"])
        if expires is None:  # invalid Expires ("0", "-1") means already expired
            return None
        date = _http_date(headers.get("date", "")) or now
        lifetime = (expires - date).total_seconds()
    if lifetime is None or lifetime <= 0:
        return None
    return now + timedelta(seconds=min(lifetime, _MAX_DELAY))


def seconds_of(digits: str) -> int:
    """Seconds from a string of digits (a header's delay, a WebSub lease), clamped to a
    year. Python refuses int() of more than 4,300 digits (a ValueError that cost a good
    feed); past 12 digits it is a year anyway."""
    return _MAX_DELAY if len(digits) > 12 else min(int(digits), _MAX_DELAY)


def _http_date(value: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return None if when is None else _utc(when)


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:  # HTTP dates are GMT; naive datetimes are taken as UTC
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)
