"""Where extraction runs. Parsing HTML is CPU-bound and holds the GIL, so on a machine with
several cores the fetching threads hand pages to a small process pool; with one core (or
``extract_processes = 0``) extraction runs in the calling thread. A worker that dies on a
hostile page costs that page only: the pool is rebuilt and the page falls back to the
feed's content with the reason recorded. The workers end with the process that started
them, however it ends (``_start_worker``)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..errors import ExtractionError
from .extract import Extracted, extract_article


# trafilatura keeps module-level lxml parsers, and an lxml parser must not be used by two
# threads at once (lxml's FAQ): in-thread extraction from several fetch threads aborted the
# process ("double free or corruption") now and then. Parsing holds the GIL anyway, so one
# extraction at a time per process costs nothing.
_IN_THREAD = threading.Lock()


def _warm() -> None:
    import trafilatura  # noqa: F401  (import once per worker, not per page)


def _start_worker(parent: int) -> None:
    """Pool initializer: a worker ends when its parent does, even by ``kill -9`` (nothing
    else would tell it: it would wait for work forever, and the multiprocessing resource
    tracker, which waits for every holder of its pipe, with it). A thread watching the
    parent's pid, rather than Linux's PR_SET_PDEATHSIG, which fires when the *thread* that
    started the worker ends (a fetch thread), and works on any POSIX system."""
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch",
                     daemon=True).start()
    _warm()


def _watch_parent(parent: int, every: float = 0.5) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


class Extractor:
    def __init__(self, processes: int = -1):
        count = (os.cpu_count() or 1) if processes < 0 else processes
        self.processes = count if count > 1 else 0
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def __call__(self, html: str, url: str | None = None) -> Extracted | None:
        if not self.processes:
            with _IN_THREAD:
                return extract_article(html, url)
        pool = self._get_pool()
        try:
            return pool.submit(extract_article, html, url).result()
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise ExtractionError("the extraction worker crashed on this page") from None

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes, initializer=_start_worker,
                    initargs=(os.getpid(),),
                    mp_context=multiprocessing.get_context("spawn"))
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
