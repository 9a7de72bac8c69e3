"""Human words for terminal output: time spans ("3 h ago", "in 25 min") and counts
("1 source", "2 sources")."""

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


def at(when: datetime | None, now: datetime | None = None) -> str:
    """``at 14:05 UTC (in 25 min)``; the date is added when it is not today."""
    if when is None:
        return "at the next round"
    now = now or datetime.now(timezone.utc)
    when = when.astimezone(timezone.utc)
    day = "" if when.date() == now.date() else when.strftime("%Y-%m-%d ")
    return f"at {day}{when:%H:%M} UTC ({ago(when, now)})"


def counted(n: int, word: str, plural: str | None = None) -> str:
    """``counted(1, "article")`` -> "1 article"; ``counted(3, "story", "stories")``."""
    return f"{n} {word if n == 1 else plural or word + 's'}"
