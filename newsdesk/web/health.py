"""The admin's fetch-health chart of one source, drawn on the server as SVG numbers.

Each check of the last ``DAYS`` days (``fetch_log``) is a bar placed at its time: its
colour is the outcome (new content, not modified, error) and its height the time the
check took (square-root scale against the slowest check of that source, so one slow
check does not flatten the rest; an error is never lower than a third). Checks that came
close together are nudged apart, in order, so each stays visible. The time axis runs from the oldest check shown (at
least an hour ago, at most ``DAYS`` days) to now, so a source added today is not one bar
squeezed at the right edge; ticks mark round steps. A caption sums it up in words for
screen readers and for anyone who does not read charts.
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
    oldest = min((c["started_at"] for c in checks), default=now)
    window = min(max(now - oldest, timedelta(hours=1)) * 1.02, timedelta(days=DAYS))
    start = now - window
    span = window.total_seconds()
    slowest = max((c["duration_ms"] for c in checks), default=0) or 1
    bar = max(1, min(BAR, WIDTH // max(len(checks), 1) - 1))
    xs = _dodge([(c["started_at"] - start).total_seconds() / span * (WIDTH - bar) for c in checks],
                bar + 1, WIDTH - bar)
    bars = []
    for c, x in zip(checks, xs):
        css, word = OUTCOMES.get(c["status"], ("err", c["status"]))
        low = 12 if css == "err" else 5     # an error that failed at once still shows
        height = low + (HEIGHT - low) * math.sqrt(c["duration_ms"] / slowest)
        detail = [c["started_at"].astimezone(timezone.utc).strftime("%d %b %H:%M UTC"), word]
        if c["status"] == "ok":
            detail.append(f"{c['new_articles']} new")
        if c["http_status"]:
            detail.append(f"HTTP {c['http_status']}")
        detail.append(duration(c["duration_ms"]))
        bars.append({"x": round(max(0.0, x), 1), "y": round(HEIGHT - height, 1),
                     "height": round(height, 1), "css": css, "title": " · ".join(detail)})
    step, step_name = next((size, name) for size, name in TICKS if span / size <= 12)
    ticks = [round(WIDTH - k * step / span * WIDTH, 1) for k in range(1, int(span // step) + 1)]
    since = "the last 7 days" if window >= timedelta(days=DAYS) else \
        start.astimezone(timezone.utc).strftime("%d %b %H:%M UTC") + " to now"
    return {"bars": bars, "ticks": ticks, "width": WIDTH, "height": HEIGHT, "bar": bar,
            "caption": caption(checks), "axis": f"From {since}; a tick every {step_name}."}


def _dodge(xs: list[float], gap: float, right: float) -> list[float]:
    """Bars at their times, nudged apart where checks came close together (order kept):
    each at least ``gap`` after the one before, the last no further than ``right``."""
    out: list[float] = []
    for x in xs:
        out.append(max(x, out[-1] + gap) if out else max(0.0, x))
    for i in range(len(out) - 1, -1, -1):
        limit = right if i == len(out) - 1 else out[i + 1] - gap
        out[i] = max(0.0, min(out[i], limit))
    return out


TICKS = [(600, "10 minutes"), (3600, "hour"), (6 * 3600, "6 hours"), (86400, "day")]


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
