"""Human time spans for terminal output ("3 h ago", "in 25 min")."""

from __future__ import annotations

from datetime import datetime, timezone


def ago(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "never"
    now = now or datetime.now(timezone.utc)
    seconds = int((now - when).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            span = f"{seconds // size} {unit}"
            break
    else:
        span = f"{seconds} s"
    return f"in {span}" if future else f"{span} ago"
