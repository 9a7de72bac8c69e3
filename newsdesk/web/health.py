"""The admin's fetch-health chart of one source, drawn on the server as SVG numbers.

Each check of the last ``DAYS`` days (``fetch_log``) is a bar placed at its time: its
colour is the outcome (new content, not modified, error) and its height the time the
check took (square-root scale against the slowest check of that source, so one slow
check does not flatten the rest). A caption sums it up in words for screen readers and
for anyone who does not read charts.
"""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timedelta, timezone
from typing import Any

DAYS = 7
WIDTH, HEIGHT, BAR = 336, 40, 3      # one pixel column per half hour of the week
OUTCOMES = {"ok": ("ok", "content"), "not_modified": ("nm", "not modified"),
            "error": ("err", "error")}


def health_chart(checks: list[dict[str, Any]], now: datetime | None = None) -> dict[str, Any]:
    """Bars, day ticks and a caption for ``checks`` (dicts from ``fetch_health``)."""
    now = now or datetime.now(timezone.utc)
    start = now - timedelta(days=DAYS)
    span = (now - start).total_seconds()
    slowest = max((c["duration_ms"] for c in checks), default=0) or 1
    bars = []
    for c in checks:
        css, word = OUTCOMES.get(c["status"], ("err", c["status"]))
        x = (c["started_at"] - start).total_seconds() / span * (WIDTH - BAR)
        height = 3 + (HEIGHT - 4) * math.sqrt(c["duration_ms"] / slowest)
        detail = [c["started_at"].astimezone(timezone.utc).strftime("%d %b %H:%M UTC"), word]
        if c["status"] == "ok":
            detail.append(f"{c['new_articles']} new")
        if c["http_status"]:
            detail.append(f"HTTP {c['http_status']}")
        detail.append(duration(c["duration_ms"]))
        bars.append({"x": round(max(0.0, x), 1), "y": round(HEIGHT - height, 1),
                     "height": round(height, 1), "css": css, "title": " · ".join(detail)})
    ticks = [round(d / DAYS * WIDTH, 1) for d in range(1, DAYS)]
    return {"bars": bars, "ticks": ticks, "width": WIDTH, "height": HEIGHT, "bar": BAR,
            "caption": caption(checks)}


def caption(checks: list[dict[str, Any]]) -> str:
    if not checks:
        return f"No checks in the last {DAYS} days."
    counts = {status: sum(1 for c in checks if c["status"] == status) for status in OUTCOMES}
    parts = [f"{counts['ok']} with content", f"{counts['not_modified']} not modified",
             f"{counts['error']} error{'s' if counts['error'] != 1 else ''}"]
    times = [c["duration_ms"] for c in checks]
    n = len(checks)
    return (f"Last {DAYS} days: {n} check{'s' if n != 1 else ''} ({', '.join(parts)}); "
            f"median {duration(statistics.median(times))}, slowest {duration(max(times))}.")


def duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"
