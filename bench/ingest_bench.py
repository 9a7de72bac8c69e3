"""Ingest speed: the whole pipeline vs bare trafilatura on the same pages, in one run.

The replay server (in this process) serves N article pages (the bundled demo corpus,
multiplied by rewriting). Two measurements, each in a fresh child process so peak memory
is its own and the server's CPU is not counted against either:

  pipeline   newsdesk fetches the feeds and pages over HTTP on loopback, extracts,
             cleans, sanitizes and stores into a new SQLite database (stories stage off,
             so this measures ingest; `--stories` adds it)
  baseline   the same page bytes, already in memory, through trafilatura.extract()

Both sides get the same number of extraction processes (``--processes``, by default one
per CPU, as the pipeline's ``extract_processes = -1`` does): the baseline maps the pages
over a process pool of that size, the pipeline is run with that setting. A 1-process run
(``--processes 1``) compares the two per core.

``--revisions`` measures instead what keeping article revisions costs: the same ingest in
fresh child processes (same settings, same extraction processes) with the revision
bookkeeping (a check row and feed fingerprint per new article, the fingerprint lookup of
known items at every fetch) switched off and on, alternating, three times each. It prints
the difference of the mean times and, steadier on a shared machine, the share of ingest
time spent inside the bookkeeping (target: under 10%). It also times two rounds of
re-checks of every stored page, as the 48-hour schedule makes them: the first fetches and
extracts each page again, the second sends the validators it got (304 Not Modified).

    python bench/ingest_bench.py --multiply 2 [--processes 2]
    python bench/ingest_bench.py --multiply 2 --revisions
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bare_extract(page: bytes) -> bool:
    import trafilatura
    return bool(trafilatura.extract(page, include_comments=False, include_tables=True,
                                    include_formatting=False))


def run_baseline(urls: list[str], processes: int, out: mp.Queue) -> None:
    from concurrent.futures import ProcessPoolExecutor

    import httpx
    with httpx.Client() as client:
        pages = [client.get(u).content for u in urls]
    if processes <= 1:
        _bare_extract(b"<html><body><p>warm up</p></body></html>")
        start = time.perf_counter()
        ok = sum(map(_bare_extract, pages))
    else:
        with ProcessPoolExecutor(processes, mp_context=mp.get_context("spawn")) as pool:
            list(pool.map(_bare_extract, [b"<html><body><p>warm up</p></body></html>"] * processes))
            start = time.perf_counter()
            ok = sum(pool.map(_bare_extract, pages, chunksize=8))
    out.put({"n": len(pages), "ok": ok, "seconds": time.perf_counter() - start,
             "peak_mb": _peak_mb()})


def run_pipeline(feeds: list[dict], limit: int, stories: bool, revisions: bool, recheck: bool,
                 processes: int, out: mp.Queue) -> None:
    from newsdesk.ingest import revisions as revision_module
    from newsdesk.ingest.refresh import Ingest
    from newsdesk.ingest.scheduler import run_round
    from newsdesk.settings import Settings
    from newsdesk.storage import sources as source_store
    from newsdesk.storage.db import Database
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=tmp, allowed_networks="127.0.0.0/8",
                            max_entries_per_fetch=max(200, limit),
                            extract_processes=processes if processes > 1 else 0)
        db = Database.open(settings)
        for spec in feeds:
            source_store.add_source(db, spec["url"], title=spec["title"])
        spent = [0.0]   # seconds inside the revision bookkeeping
        if not revisions:  # the pipeline as it was before revisions were kept
            revision_module.watch_new = lambda *args, **kw: None
            revision_module.recheck_changed = lambda *args, **kw: []
        else:
            for name in ("watch_new", "recheck_changed"):
                setattr(revision_module, name, _timed(getattr(revision_module, name), spent))
        with Ingest.open(settings, db) as ingest:
            if stories:
                from newsdesk.stories.stage import StoriesStage
                ingest.on_new_articles.append(StoriesStage(settings, db))
            ingest.extract("<html><body><p>warm up the extraction workers</p></body></html>")
            start = time.perf_counter()
            results = run_round(ingest, "bench", force=True)
            seconds = time.perf_counter() - start
            rounds = []
            for _ in range(2 if recheck else 0):  # a first re-check, then one with validators
                from sqlalchemy import text
                with db.write() as conn:
                    conn.execute(text("UPDATE article_checks SET next_check_at = :t"),
                                 {"t": source_store.now()})
                start, checked, statuses = time.perf_counter(), 0, {}
                while (done := revision_module.run_due(ingest, limit=500).checked):
                    checked += done
                with db.read() as conn:
                    statuses = dict(conn.execute(text(
                        "SELECT last_status, count(*) FROM article_checks GROUP BY last_status")).all())
                rounds.append((checked, time.perf_counter() - start, statuses))
        n = sum(len(r.new_ids) for r in results)
        out.put({"n": n, "ok": n - sum(r.fallbacks for r in results), "seconds": seconds,
                 "peak_mb": _peak_mb(), "errors": sum(1 for r in results if r.error),
                 "bookkeeping": spent[0], "rounds": rounds})


def _timed(function, spent: list):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start
    return timed


def _child(target, *args) -> dict:
    queue: mp.Queue = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--multiply", type=int, default=2,
                        help="copies of each demo article served (484 articles each)")
    parser.add_argument("--stories", action="store_true", help="include the stories stage")
    parser.add_argument("--revisions", action="store_true",
                        help="measure the cost of keeping revisions (off vs on, same settings)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="extraction processes, the same for both sides (default: one per CPU)")
    args = parser.parse_args()
    if args.revisions:
        return revisions_cost(args)
    from newsdesk.demo.replay import ReplayServer
    # The server runs in this (parent) process; each measurement in its own child.
    with ReplayServer(multiply=args.multiply) as server:
        urls = [server.article_url(a) for a in server.articles()]
        base = _child(run_baseline, urls, args.processes)   # also warms the server's page cache
        pipe = _child(run_pipeline, server.sources(), len(urls), args.stories, True, False,
                      args.processes)
    pipe_rate = pipe["n"] / pipe["seconds"]
    base_rate = base["n"] / base["seconds"]
    print(f"pages: {pipe['n']} (served by the replay server on 127.0.0.1); "
          f"{args.processes} extraction process(es) on each side, {os.cpu_count()} CPUs")
    print(f"newsdesk pipeline (fetch+extract+clean+sanitize+store): {pipe_rate:7.1f} articles/s "
          f"in {pipe['seconds']:.1f}s, {pipe['n'] - pipe['ok']} from feed content, "
          f"{pipe['errors']} errors, peak RSS {pipe['peak_mb']:.0f} MB")
    print(f"bare trafilatura.extract (bytes in memory):              {base_rate:7.1f} pages/s "
          f"in {base['seconds']:.1f}s, peak RSS {base['peak_mb']:.0f} MB")
    ratio = pipe_rate / base_rate
    print(f"ratio: {ratio:.2f} (target >= 0.8) {'OK' if ratio >= 0.8 else 'BELOW TARGET'}")


def revisions_cost(args) -> None:
    from newsdesk.demo.replay import ReplayServer
    with ReplayServer(multiply=args.multiply) as server:
        urls = [server.article_url(a) for a in server.articles()]
        _child(run_baseline, urls, 1)       # warms the server's page cache, as above
        runs = {False: [], True: []}
        for revisions in (False, True, True, False, False, True):
            runs[revisions].append(_child(run_pipeline, server.sources(), len(urls), args.stories,
                                          revisions, revisions, args.processes))
    off = sum(r["seconds"] for r in runs[False]) / len(runs[False])
    on = sum(r["seconds"] for r in runs[True]) / len(runs[True])
    share = sum(r["bookkeeping"] / r["seconds"] for r in runs[True]) / len(runs[True])
    each = {k: ", ".join(f"{r['seconds']:.1f}" for r in v) for k, v in runs.items()}
    print(f"pages: {runs[True][0]['n']} per run (replay server on 127.0.0.1), "
          f"{len(runs[True])} runs each, alternating; same settings and processes")
    print(f"ingest without revision bookkeeping: {off:6.1f} s mean (runs: {each[False]})")
    print(f"ingest with revision bookkeeping:    {on:6.1f} s mean (runs: {each[True]})")
    print(f"difference of the means: {on / off - 1:+.1%} (noisy on a shared machine)")
    print(f"time inside the bookkeeping (check rows, fingerprints, changed-item lookups): "
          f"{share:.2%} of ingest time (target < 10%) {'OK' if share < 0.10 else 'ABOVE TARGET'}")
    for i, (checked, seconds, statuses) in enumerate(runs[True][0]["rounds"], start=1):
        print(f"re-check round {i}: {checked} pages in {seconds:.1f} s "
              f"({seconds / max(checked, 1) * 1000:.1f} ms per article), outcomes {statuses}")


if __name__ == "__main__":
    main()
