"""The one-client run of ``web_bench.py`` (the during-ingest run is ``web_ingest.py``).

``one_client``: the latency one reader sees (one connection, one request after another,
page cache off: every page rendered): article pages and story pages drawn uniformly over
the whole archive, and searches with and without filters; p50 and p95 per case.
"""

from __future__ import annotations

import random
import statistics
import time

import httpx
from sqlalchemy import text

from newsdesk.storage.db import Database

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
