"""What a PostgreSQL search pays to read its stored vectors, on two archives holding the same
articles stored differently (e.g. the vector compressed with pglz, and with lz4).

    python bench/pg_vectors.py --db URL_A --db URL_B [--rounds 8]

For each query of the one-client bench (``web_modes.QUERIES``), on each archive, times
(in one process, statement by statement, no HTTP):

- ``rank``: ts_rank of the query's 1,001 newest matches (``pgsearch.RANKED``: the
  statement every best-match search runs; it reads each candidate's vector);
- ``walk``: the newest 1,001 matches by a walk of the primary key testing ``@@`` row by
  row (what a search does for a word in a large part of the archive: ``pgsearch.newest``),
  only for the queries whose planner estimate makes the search walk;

alternating the archives within each round (the first one alternating too), and prints
the medians over rounds of each query's time, then the sum over queries. Also prints
each archive's vector and text sizes and compression methods (a sample of 20,000 rows).
The candidates are the same ids on both (the archives must hold the same articles).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import text  # noqa: E402

from newsdesk.storage import pgranges, pgsearch  # noqa: E402
from newsdesk.storage.db import Database  # noqa: E402
from web_modes import QUERIES  # noqa: E402

WANT = 1001


def candidates(db: Database, query: str) -> list[int]:
    with db.read() as conn:
        at = pgsearch.shape(conn, query, 2**62)
        rows, _ = pgsearch.newest(conn, "SELECT a.id FROM articles a WHERE a.search_vector "
                                  f"@@ {pgsearch.TSQ} AND {{window}} ORDER BY a.id DESC "
                                  "LIMIT :want", {"q": query}, WANT, 0, at, walk=False)
        walks = at.matches / at.rows * pgsearch._listed(at, 0, WANT / (at.matches / at.rows)) \
            > pgsearch.WALK * WANT / (at.matches / at.rows)
    return [r.id for r in rows], walks, at.top


def timed(conn, sql: str, params: dict) -> float:
    start = time.perf_counter()
    conn.execute(text(sql), params).all()
    return (time.perf_counter() - start) * 1000


def one(db: Database, query: str, ids: list[int], walks: bool, top: int) -> dict:
    out = {}
    with db.read() as conn:
        conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        out["rank"] = timed(conn, pgsearch.RANKED, {"q": query, "ids": ids})
    if walks:
        with db.read() as conn:
            pgsearch._plan(conn, walk=True)
            out["walk"] = timed(conn, "SELECT a.id FROM articles a WHERE a.search_vector @@ "
                                f"{pgsearch.TSQ} AND {pgranges.window(0, top)} ORDER BY a.id "
                                "DESC LIMIT :want", {"q": query, "want": WANT})
    return out


def sizes(db: Database) -> str:
    with db.read() as conn:
        rows = conn.execute(text(
            "SELECT pg_column_compression(search_vector) AS vc, "
            "avg(pg_column_size(search_vector))::int AS vs, "
            "avg(octet_length(search_vector::text))::int AS vt, "
            "pg_column_compression(text) AS tc, avg(pg_column_size(text))::int AS ts, "
            "count(*) AS n FROM (SELECT * FROM articles TABLESAMPLE SYSTEM (2) LIMIT 20000) x "
            "GROUP BY 1, 4 ORDER BY n DESC")).all()
        table = conn.execute(text("SELECT pg_size_pretty(pg_table_size('articles'))")).scalar()
    return f"table {table}; " + "; ".join(
        f"{r.n} rows: vector {r.vc or 'uncompressed'} {r.vs} B stored, text {r.tc or 'uncompressed'} "
        f"{r.ts} B stored" for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", action="append", required=True)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    dbs = [Database.from_url(u, migrate=False) for u in args.db]
    for url, db in zip(args.db, dbs):
        print(f"{url}: {sizes(db)}", flush=True)
    plans = {q: candidates(dbs[0], q) for q in QUERIES}
    for q in QUERIES:
        assert candidates(dbs[1], q)[0] == plans[q][0], f"{q}: the archives differ"
    times: dict = {}
    for k in range(args.rounds):
        order = list(range(len(dbs)))
        if k % 2:
            order.reverse()
        for q, (ids, walks, top) in plans.items():
            for i in order:
                for part, ms in one(dbs[i], q, ids, walks, top).items():
                    times.setdefault((q, part, i), []).append(ms)
    print(f"\nmedian ms of {args.rounds} rounds (archives alternating), {WANT} candidates")
    print(f"{'query':<20} {'part':<5} " + " ".join(f"{'db' + str(i + 1):>8}" for i in range(len(dbs))))
    total: dict = {}
    for (q, part, i), values in sorted(times.items()):
        total[(part, i)] = total.get((part, i), 0) + statistics.median(values)
    for q in QUERIES:
        for part in ("rank", "walk"):
            if (q, part, 0) in times:
                print(f"{q:<20} {part:<5} " + " ".join(
                    f"{statistics.median(times[(q, part, i)]):>8.2f}" for i in range(len(dbs))))
    for part in ("rank", "walk"):
        if (part, 0) in total:
            print(f"{'sum':<20} {part:<5} " + " ".join(f"{total[(part, i)]:>8.1f}"
                                                     for i in range(len(dbs))))


if __name__ == "__main__":
    main()
