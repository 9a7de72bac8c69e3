"""Prometheus metrics: what each process counts (``prometheus_client``), in one place.

    count("fetches", outcome="ok")              newsdesk_fetches_total{outcome}
    observe("fetch_duration", 0.42)             newsdesk_fetch_duration_seconds
    gauge_add("ai_queue_depth", 1)              newsdesk_ai_queue_depth

The instruments are declared in ``INSTRUMENTS`` and made on first use. Several processes
serve one installation (``web_workers`` web processes, the ``newsdesk run`` worker), so each
command calls ``configure(data_dir)`` first: it points prometheus_client at
``<data_dir>/metrics`` (``PROMETHEUS_MULTIPROC_DIR``) before the library is imported, every
process writes its own files there, and ``/metrics`` (``web/metrics.py``) sums them. At
start-up the files of processes no longer running are tidied (``_prune``): what finished
processes counted stays summed, for the newest ``KEEP_DEAD`` of them (an older one's counts
vanish: a reset, which Prometheus' ``rate()`` takes in its stride). Without ``configure`` (tests, library
use) the metrics live in this process's memory. Figures read from the database at scrape
time (stories stage lag, due re-checks...) are in ``web/metrics.py``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "newsdesk_"
KEEP_DEAD = 50          # finished processes whose counts are still summed
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

# name: (kind, help, label names, extra keyword arguments)
INSTRUMENTS: dict[str, tuple[str, str, tuple[str, ...], dict[str, Any]]] = {
    "fetches": ("counter", "Feed fetches by outcome (ok, not_modified, error).", ("outcome",), {}),
    "fetch_duration": ("histogram", "Seconds one feed refresh took (fetch, pages, store).", (),
                       {"buckets": _SECONDS}),
    "articles_stored": ("counter", "New articles stored.", (), {}),
    "duplicates": ("counter", "Articles found to be republished copies of earlier ones.", (), {}),
    "revision_checks": ("counter", "Article re-checks by outcome (unchanged, not_modified, "
                        "revised, gone, moved, unreadable, error).", ("outcome",), {}),
    "ai_queue_depth": ("gauge", "AI jobs queued or running.", (), {"multiprocess_mode": "livesum"}),
    "ai_duration": ("histogram", "Seconds one AI feature took to compute.", ("feature",),
                    {"buckets": _SECONDS}),
    "http_requests": ("counter", "HTTP requests by route template, method and status.",
                      ("route", "method", "status"), {}),
    "http_duration": ("histogram", "Seconds to answer an HTTP request, by route template.",
                      ("route",), {"buckets": _SECONDS}),
    "errors": ("counter", "Errors by kind (the error class, or where it happened).", ("kind",), {}),
    "websub_pushes": ("counter", "WebSub content pushes by outcome (accepted, bad_signature, "
                      "unknown, too_large, stored).", ("outcome",), {}),
}
_SUFFIX = {"fetch_duration": "_seconds", "ai_duration": "_seconds", "http_duration": "_seconds"}

_lock = threading.Lock()
_made: dict[str, Any] = {}


def configure(data_dir: str | Path) -> Path | None:
    """Share metrics between this installation's processes on this machine, through
    ``<data_dir>/metrics``. Call before any metric is used; returns the folder (None when
    prometheus_client was imported earlier in single-process mode and it is too late)."""
    path = Path(data_dir).expanduser().resolve() / "metrics"
    if os.environ.get(ENV) == str(path):
        return path
    if "prometheus_client" in sys.modules:
        log.warning("metrics: prometheus_client already imported; this process keeps its "
                    "metrics to itself")
        return None
    path.mkdir(parents=True, exist_ok=True)
    _prune(path)
    os.environ[ENV] = str(path)
    return path


def multiprocess_dir() -> str | None:
    path = os.environ.get(ENV)
    return path if path and os.path.isdir(path) else None


def _prune(path: Path) -> None:
    """Tidy the files of processes that are no longer running (``<kind>_<pid>.db``): their
    live gauges go at once (prometheus_client's ``mark_process_dead``); their counters and
    histograms stay, so what a finished ``newsdesk fetch`` counted is still scraped, but
    only for the newest ``KEEP_DEAD`` of them (older ones are dropped: a counter reset)."""
    from collections import defaultdict
    dead: dict[int, list[Path]] = defaultdict(list)
    for file in path.glob("*.db"):
        pid = file.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            if file.name.startswith("gauge_live"):
                file.unlink(missing_ok=True)
            else:
                dead[int(pid)].append(file)
    newest = sorted(dead, key=lambda p: max(f.stat().st_mtime for f in dead[p]), reverse=True)
    for pid in newest[KEEP_DEAD:]:
        for file in dead[pid]:
            file.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def instrument(name: str):
    """The prometheus_client object for ``name`` (made on first use)."""
    found = _made.get(name)
    if found is not None:
        return found
    with _lock:
        if name not in _made:
            import prometheus_client
            kind, help_text, labels, extra = INSTRUMENTS[name]
            maker = {"counter": prometheus_client.Counter, "gauge": prometheus_client.Gauge,
                     "histogram": prometheus_client.Histogram}[kind]
            _made[name] = maker(PREFIX + name + _SUFFIX.get(name, ""), help_text, labels, **extra)
        return _made[name]


def _child(name: str, labels: dict[str, Any]):
    metric = instrument(name)
    return metric.labels(**{k: str(v) for k, v in labels.items()}) if labels else metric


def count(name: str, amount: float = 1, **labels: Any) -> None:
    if amount:
        _child(name, labels).inc(amount)


def observe(name: str, value: float, **labels: Any) -> None:
    _child(name, labels).observe(value)


def gauge_add(name: str, delta: float, **labels: Any) -> None:
    _child(name, labels).inc(delta)


def exposition() -> tuple[bytes, str]:
    """The text exposition of every process's metrics (all of this machine's processes of
    the installation in multi-process mode), and its content type."""
    import prometheus_client
    from prometheus_client import multiprocess
    for name in INSTRUMENTS:  # declared ones appear (at zero) before their first event
        instrument(name)
    path = multiprocess_dir()
    if path:
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=path)
    else:
        registry = prometheus_client.REGISTRY
    return prometheus_client.generate_latest(registry), prometheus_client.CONTENT_TYPE_LATEST
