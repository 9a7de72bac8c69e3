"""The two runs of ``web_bench.py`` beside its throughput run.

``one_client``: the latency one reader sees (one connection, one request after another,
page cache off: every page rendered): article pages and story pages drawn uniformly over
the whole archive, and searches with and without filters; p50 and p95 per case.

``during_ingest``: readers (``clients`` connections; front page, article, story and search
pages) while a real ``newsdesk run`` worker ingests a local replay of the demo corpus into
the same database on the same machine, beside the same readers with no ingest. Phases:
no ingest; ingest as before (``ingest_nice`` 0, a waiting reader renders the page itself:
``page_cache_wait`` 0); ingest with only the niceness; ingest as shipped (niceness and
coalesced misses). Each phase reports readers' req/s, p50 and p99, errors, and the
articles the worker stored meanwhile (readers first slows ingest down; that is the price).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from newsdesk.storage.db import Database

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ["ceasefire", "grain exports", "economy", "security council", "energy prices",
           "vaccine", "elections", "sanctions", "climate", "president meeting", "minister",
           "people", "said", "government", "war"]


def archive_facts(db: Database) -> dict:
    with db.read() as conn:
        max_article = conn.execute(text("SELECT max(id) FROM articles")).scalar()
        max_story = conn.execute(text("SELECT max(id) FROM stories")).scalar() or 1
        sources = conn.execute(text("SELECT id, category, language FROM sources ORDER BY id")).all()
    return {"articles": max_article, "stories": max_story,
            "categories": sorted({s.category for s in sources if s.category}),
            "languages": sorted({s.language for s in sources if s.language}),
            "outlets": [s.id for s in sources]}


def one_client_cases(facts: dict, rng: random.Random, n: int) -> dict[str, list[str]]:
    def q() -> str:
        return rng.choice(QUERIES).replace(" ", "+")
    return {
        "article page (uniform)": [f"/articles/{rng.randint(1, facts['articles'])}" for _ in range(n)],
        "story page (uniform)": [f"/stories/{rng.randint(1, facts['stories'])}" for _ in range(n)],
        "search, no filter": [f"/search?q={q()}" for _ in range(n)],
        "search, newest first": [f"/search?q={q()}&sort=date" for _ in range(n)],
        "search, category filter": [f"/search?q={q()}&category={rng.choice(facts['categories'])}"
                                    for _ in range(n)],
        "search, language filter": [f"/search?q={q()}&language={rng.choice(facts['languages'])}"
                                    for _ in range(n)],
        "search, outlet filter": [f"/search?q={q()}&outlet={rng.choice(facts['outlets'])}"
                                  for _ in range(n)],
        "front page, category filter": [f"/?category={rng.choice(facts['categories'])}"
                                        for _ in range(n // 4)],
        "front page, outlet filter": [f"/?outlet={rng.choice(facts['outlets'])}"
                                      for _ in range(n // 4)],
        "outlet page": [f"/outlets/{rng.choice(facts['outlets'])}" for _ in range(n // 4)],
    }


def one_client(base: str, cases: dict[str, list[str]]) -> dict[str, dict]:
    """Each case's paths one after another on one keep-alive connection (2 warm-up
    requests first, not counted), then the same paths again: the first visit of an article
    or story computes its AI panel (on request, as shipped), the second reads it."""
    out = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        for name, paths in cases.items():
            for path in paths[:2]:
                client.get(path)
            out[name] = {"n": len(paths)}
            for visit in ("first", "again"):
                took, errors = [], 0
                for path in paths:
                    start = time.perf_counter()
                    answer = client.get(path)
                    took.append((time.perf_counter() - start) * 1000)
                    errors += answer.status_code >= 400 and answer.status_code != 404
                took.sort()
                out[name][visit] = {"p50": statistics.median(took),
                                    "p95": took[min(len(took) - 1, int(len(took) * 0.95))],
                                    "errors": errors}
    return out


def print_one_client(results: dict[str, dict], label: str, target_ms: float = 50.0) -> None:
    print(f"\none client, page cache off, {label}; 'first': a page's first visit (its AI panel "
          "computed on request), 'again': the same pages again")
    print(f"{'page':<30} {'n':>4} {'first p50':>10} {'p95':>8} {'again p50':>10} {'p95':>8} "
          f"{'errors':>7}  again p95 < {target_ms:g} ms")
    for name, r in results.items():
        first, again = r["first"], r["again"]
        print(f"{name:<30} {r['n']:>4} {first['p50']:>10.1f} {first['p95']:>8.1f} "
              f"{again['p50']:>10.1f} {again['p95']:>8.1f} {first['errors'] + again['errors']:>7}  "
              f"{'met' if again['p95'] < target_ms else 'NOT met'}")


# ----------------------------------------------------------------- during ingest
RECENT_ARTICLES, RECENT_STORIES = 200, 100


def reader_paths(facts: dict, rng: random.Random, n: int = 4000) -> list[str]:
    """What readers ask for: the front page (15%), articles (45%) and stories (25%), most of
    them (4 in 5) among the newest (what the front page shows), the rest anywhere in the
    archive, and searches (15%)."""
    def pick(kind: str, newest: int, recent: int) -> str:
        low = max(1, newest - recent) if rng.random() < 0.8 else 1
        return f"/{kind}/{rng.randint(low, newest)}"
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.15:
            out.append("/")
        elif roll < 0.60:
            out.append(pick("articles", facts["articles"], RECENT_ARTICLES))
        elif roll < 0.85:
            out.append(pick("stories", facts["stories"], RECENT_STORIES))
        else:
            out.append(f"/search?q={rng.choice(QUERIES).replace(' ', '+')}")
    return out


def warm_recent(base: str, facts: dict) -> None:
    """Visit the newest articles and stories once, so their AI panels exist before the
    first phase (else the first phase would pay for what the later ones read)."""
    import asyncio
    paths = ([f"/articles/{i}" for i in range(max(1, facts["articles"] - RECENT_ARTICLES),
                                              facts["articles"] + 1)]
             + [f"/stories/{i}" for i in range(max(1, facts["stories"] - RECENT_STORIES),
                                               facts["stories"] + 1)])

    async def go():
        gate = asyncio.Semaphore(8)
        async with httpx.AsyncClient(base_url=base, timeout=120) as client:
            async def one(path):
                async with gate:
                    await client.get(path)
            await asyncio.gather(*(one(p) for p in paths))
    asyncio.run(go())


def start_worker(url: str, base_url: str, nice: int, folder: Path) -> subprocess.Popen:
    env = {**os.environ, "NEWSDESK_INGEST_NICE": str(nice), "NEWSDESK_ALLOWED_ORIGINS": base_url,
           "NEWSDESK_DATA_DIR": str(folder), "NEWSDESK_LOG_LEVEL": "WARNING",
           "NEWSDESK_SECRET_KEY": "bench"}
    return subprocess.Popen([sys.executable, "-m", "newsdesk", "--db", url, "run", "--idle", "1"],
                            env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def replay_sources(db: Database, server) -> list[int]:
    from newsdesk.storage.sources import add_source
    return [add_source(db, s["url"], title=s["title"], site_url=s["site_url"],
                       category=s["category"], language=s["language"],
                       outlet_label=s["outlet_label"], attribution=s["attribution"]).id
            for s in server.sources()]


def stored(db: Database, source_ids: list[int]) -> int:
    if not source_ids:
        return 0
    with db.read() as conn:
        return conn.execute(text("SELECT count(*) FROM articles WHERE source_id IN (%s)"
                                 % ",".join(str(int(i)) for i in source_ids))).scalar()


def forget(db: Database, source_ids: list[int]) -> None:
    """Remove what a phase ingested (its sources; their rows go with them, ON DELETE
    CASCADE), so the next phase ingests the same again."""
    if source_ids:
        with db.write() as conn:
            conn.execute(text("DELETE FROM sources WHERE id IN (%s)"
                              % ",".join(str(int(i)) for i in source_ids)))


def during_ingest(db: Database, url: str, serve, measure, facts: dict, *, duration: int,
                  clients: int, multiply: int) -> list[tuple[str, dict, int]]:
    """Phases of readers' load, each against a fresh server (``serve(page_cache_wait)`` is a
    context manager giving its base URL); ``measure(base, paths, duration, clients)``."""
    from newsdesk.demo.replay import ReplayServer
    phases = [("no ingest", None, 10.0), ("ingest, nice 0, no coalescing (before)", 0, 0.0),
              ("ingest, nice 10, no coalescing", 10, 0.0),
              ("ingest, nice 10, coalescing (as shipped)", 10, 10.0)]
    out = []
    with serve(10.0) as base:
        warm_recent(base, facts)
    for number, (name, nice, wait) in enumerate(phases):
        paths = reader_paths(facts, random.Random(11 + number))   # the old pages: new ones
        with serve(wait) as base, tempfile.TemporaryDirectory() as folder:
            measure(base, paths, 2, clients)   # warm up
            if nice is None:
                out.append((name, measure(base, paths, duration, clients), 0))
                continue
            with ReplayServer(multiply=multiply) as site:
                ids = replay_sources(db, site)
                worker = start_worker(url, site.base_url, nice, Path(folder))
                try:
                    deadline = time.monotonic() + 120
                    while stored(db, ids) == 0 and time.monotonic() < deadline:
                        time.sleep(0.5)    # the worker is fetching and extracting
                    before = stored(db, ids)
                    result = measure(base, paths, duration, clients)
                    ingested = stored(db, ids) - before
                finally:
                    worker.terminate()
                    try:
                        worker.wait(timeout=60)
                    except subprocess.TimeoutExpired:
                        worker.kill()
                        worker.wait()
                forget(db, ids)
            out.append((name, result, ingested))
    return out


def print_during_ingest(results, *, duration: int, clients: int) -> None:
    print(f"\nreaders during ingest: {clients} clients, {duration} s per phase, page cache on")
    print(f"{'phase':<44} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'stored':>7}")
    for name, r, ingested in results:
        print(f"{name:<44} {r['rps']:>7.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['errors']:>7} "
              f"{ingested:>7}")
    last = results[-1][1]
    print(f"p99 during ingest as shipped: {last['p99']:.0f} ms (target < 1000 ms): "
          f"{'met' if last['p99'] < 1000 else 'NOT met'}")
