"""Readers first: ingest runs at a lower CPU priority than serving.

On one machine the web processes and ``newsdesk run`` share the cores, and fetching,
extraction and the stories stage would otherwise take them from readers (a page that
takes 20 ms alone took 400 ms while a worker ingested). ``lower_priority`` adds
``settings.ingest_nice`` to the niceness of the calling process before it starts any
thread: on Linux niceness is per thread and inherited by the threads and processes it
starts, so the fetch and page threads, the extraction processes and the stories and AI
stages all run at the lower priority, and the kernel gives the CPU to the web processes
whenever they want it.

Linux with autogroups (most desktop and server kernels) divides the CPU first between
sessions, and niceness only orders the processes of one session. A worker that leads its
own session (a systemd service, ``setsid newsdesk run``) also lowers its session's group
(``/proc/self/autogroup``), so it yields to a web server in another session as well; a
worker started from a shell leaves the shell's group alone, and yields only to processes
of that session (start both from one service manager, or give the worker's unit a lower
``CPUWeight=``).

Linux's ``SCHED_IDLE`` for the extraction processes (which hold no lock) was tried and
measured (``bench/web_ingest.py``, 6 interleaved comparisons: 3 better, 3 worse; they use
0-1.3 of ingest's 1-5 CPU seconds in a busy 20 s window), so it is not used; the worker's own
threads hold the write lock and the GIL and must not be starved.

How much ingest does at once is bounded apart:
``fetch_workers`` threads fetch (sources and pages, ``per_host_concurrency`` per host) and
``extract_processes`` processes extract.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def lower_priority(nice: int) -> int | None:
    """Add ``nice`` (>= 0) to this process's niceness; returns the niceness now (None where
    the platform has none). Never fails: a refusal is logged and ingest runs as it is."""
    if not hasattr(os, "nice"):
        return None
    try:
        now = os.nice(max(0, nice))
    except OSError as exc:
        log.warning("could not lower the ingest priority by %d: %s", nice, exc)
        return os.nice(0)
    _threads_already_running(now)
    group = "/proc/self/autogroup"
    if nice > 0 and os.path.exists(group) and os.getsid(0) == os.getpid():
        try:
            with open(group, "w") as f:   # our own session's group: nobody else is in it
                f.write(str(min(19, nice)))
        except OSError as exc:
            log.info("autogroup niceness not set: %s", exc)
    return now


def _threads_already_running(nice: int) -> None:
    """Threads started before the call (a BLAS library starts its pool when numpy is
    imported) keep their niceness on Linux, where it is per thread: give them ours."""
    tasks = "/proc/self/task"
    if not os.path.isdir(tasks) or not hasattr(os, "setpriority"):
        return
    for tid in os.listdir(tasks):
        try:
            if os.getpriority(os.PRIO_PROCESS, int(tid)) < nice:
                os.setpriority(os.PRIO_PROCESS, int(tid), nice)
        except OSError:   # ended meanwhile
            pass
