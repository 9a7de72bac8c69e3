"""Do two checkouts of the code answer every search the same way? (ids and their order)

    python bench/search_same.py --before TREE --before-db URL --db URL [--outlets 8]

Runs the searches of the one-client bench (``web_modes.QUERIES``: every query, best match
and newest first, without a filter and with each category, each language and
``--outlets`` outlets) with the code of ``TREE`` on ``--before-db`` and with this checkout
on ``--db`` (e.g. a copy of the same archive, migrated), each in its own process, then
compares the result pages and the search's facts (matches, complete, scanned, top, more,
each result's rank) and counts the results whose snippet shows a matched word, and
prints each code's median time per search (in-process, no HTTP), the two alternating.
Differences expected from this branch (PostgreSQL outlet searches that stopped at the
``scan`` newest matches of the words) are counted apart; any other is printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def searches(url: str, outlets: int) -> list[dict]:
    from sqlalchemy import text
    from newsdesk.storage.db import Database
    sys.path.insert(0, str(ROOT / "bench"))
    from web_modes import QUERIES
    db = Database.from_url(url, migrate=False)
    with db.read() as conn:
        rows = conn.execute(text("SELECT id, category, language FROM sources ORDER BY id")).all()
    db.close()
    filters = [{}] + [{"category": c} for c in sorted({r.category for r in rows if r.category})]
    filters += [{"language": x} for x in sorted({r.language for r in rows if r.language})]
    filters += [{"outlet": r.id} for r in rows[::max(1, len(rows) // outlets)][:outlets]]
    return [dict(q=q, sort=s, **f) for q in QUERIES for s in ("relevance", "date") for f in filters]


def run(url: str, cases: list[dict]) -> list[dict]:
    """In the child process: each case's first page, its facts and its time."""
    from newsdesk.storage import searching
    from newsdesk.storage.db import Database
    db = Database.from_url(url, migrate=False)
    out = []
    for case in cases:
        args = dict(case)
        query = args.pop("q")
        start = time.perf_counter()
        found = searching.search(db, query, limit=20, **args)
        took = (time.perf_counter() - start) * 1000
        out.append({"ids": [r["id"] for r in found.results], "matches": found.matches,
                    "complete": found.complete, "scanned": found.scanned, "top": found.top,
                    "more": found.more, "ranks": [r.get("rank") for r in found.results],
                    "ms": took, "snippets": [r.get("snippet") for r in found.results],
                    "marked": [r["id"] for r in found.results
                                           if "\x02" in (r.get("snippet") or "")]})
    db.close()
    return out


def child(tree: Path, url: str, cases: list[dict]) -> list[dict]:
    code = (f"import sys, json; sys.path.insert(0, {str(tree)!r}); "
            f"sys.path.insert(1, {str(ROOT / 'bench')!r}); import search_same as s; "
            f"print(json.dumps(s.run({url!r}, json.loads(sys.stdin.read()))))")
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(cases),
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="a checkout of the code before")
    parser.add_argument("--before-db", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--outlets", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    cases = searches(args.db, args.outlets)
    times = {"before": [], "after": []}
    answers, marked, snippets = {}, {}, {}
    for _ in range(args.rounds):   # alternating, so load changes hit both
        for name, tree, url in (("before", Path(args.before), args.before_db),
                                ("after", ROOT, args.db)):
            got = child(tree, url, cases)
            times[name].append([g.pop("ms") for g in got])
            marked[name] = [g.pop("marked") for g in got]   # snippets may differ: counted
            snippets[name] = [g.pop("snippets") for g in got]
            answers[name] = got
    same = [a == b for a, b in zip(answers["before"], answers["after"])]
    # expected to differ: an outlet search the code before stopped at the newest ``scan``
    # matches of the words (the outlet now starts from its own articles)
    bounded = [not s and "outlet" in c and a["scanned"] and not b["scanned"]
               and a["ids"] != b["ids"] for c, a, b, s in
               zip(cases, answers["before"], answers["after"], same)]
    print(f"{len(cases)} searches: {sum(same)} the same (ids, order, ranks, matches, "
          f"complete, scanned, top, more), {len(cases) - sum(same)} different, of which {sum(bounded)} "
          f"outlet searches the code before stopped at its scan of the words' matches "
          f"(found now: {sum(b['matches'] for b, x in zip(answers['after'], bounded) if x):,} "
          f"matches, before: {sum(a['matches'] for a, x in zip(answers['before'], bounded) if x):,})")
    shown = sum(len(a["ids"]) for a in answers["after"])
    print("snippets showing a matched word: " + ", ".join(
        f"{name} {sum(map(len, m)):,}" for name, m in marked.items()) + f" of {shown:,} results; "
        f"results whose snippet shows one before and not after: "
        f"{sum(len(set(a) - set(b)) for a, b in zip(marked['before'], marked['after']))}; "
        f"snippets identical (same results): {sum(x == y for a, b in zip(snippets['before'], snippets['after']) for x, y in zip(a, b)):,}")
    for case, a, b, s, x in zip(cases, answers["before"], answers["after"], same, bounded):
        if not s and not x:
            print(f"  {case}: before {a} after {b}")
    for name, rounds in times.items():
        per = [min(r[i] for r in rounds) for i in range(len(cases))]   # best of the rounds
        ordered = sorted(per)
        print(f"{name}: median {statistics.median(per):.1f} ms, p95 "
              f"{ordered[int(len(ordered) * 0.95)]:.1f} ms per search (best of {args.rounds})")


if __name__ == "__main__":
    main()
