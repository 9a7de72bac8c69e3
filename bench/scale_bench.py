"""Scale-out: 1, 2 and 3 ``newsdesk run`` workers on one PostgreSQL database (issue 16).

A local site of feeds on loopback (the demo corpus served by ``demo/replay.py``, ``--multiply``
sites per outlet, ``--limit`` newest articles each) is ingested from scratch by N real
``newsdesk run`` processes, for each N in ``--workers``. Two clocks per run, from the
moment the workers start:

    stored       every served article fetched, extracted and stored
    end to end   every article stored AND in a story (the stories stage with the packaged
                 MiniLM model on, ``embeddings=auto``, as the README installs it)

Each N is run twice: with enrichment on every worker (``worker_features``, the default:
each worker computes its articles' signatures, term counts and embeddings and stores them
with the articles; the one elected stories process reads them) and without it, the
baseline (``NEWSDESK_WORKER_FEATURES=off``: the elected process computes everything, as
before issue 16). Printed: each clock, the speedups over 1 worker side by side, and the
target: the end-to-end speedup of the most workers is at least 80% of its fetch-and-store
speedup. Both modes are measured in the same run, on the same machine and site.

The database named by ``--postgres`` is DROPPED and created again for each run. The
replay server runs in this process; the workers are child processes (SIGTERM at the end,
then waited for). On a machine with C cores, N workers cannot be more than about C times
faster than one (the site, the workers' extraction processes and PostgreSQL share them):
the cores are printed.

    nice python bench/scale_bench.py --postgres postgresql://postgres@127.0.0.1:5432/newsdesk_scale
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from newsdesk.demo.replay import ReplayServer  # noqa: E402
from newsdesk.settings import Settings  # noqa: E402
from newsdesk.storage import sources as source_store  # noqa: E402
from newsdesk.storage.db import Database  # noqa: E402

# seconds without progress (once articles arrive) after which a run stops waiting: long, as
# a worker taking the stories stage over loads the MiniLM weights first (30 s and more on a
# loaded machine, when it never needed them to store articles)
STALL = 180.0
# sources a worker claims at once: by default 20, and one worker would claim most of the
# site's feeds in its first round, leaving the others idle; a few per fetch thread spread
# the site over the workers, as on a real installation with hundreds of feeds
BATCH = 4


def _sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql://") else url


def fresh_database(url: str) -> None:
    """Drop and create the database ``url`` names (through the server's ``postgres`` db)."""
    base, name = _sqlalchemy_url(url).rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def counts(db: Database) -> tuple[int, int, int]:
    with db.read() as conn:
        stored = conn.execute(text("SELECT count(*) FROM articles")).scalar()
        placed = conn.execute(text("SELECT count(*) FROM article_story")).scalar()
        feats = conn.execute(text("SELECT count(*) FROM article_features")).scalar()
    return int(stored), int(placed), int(feats)


def one_run(url: str, server: ReplayServer, expected: int, workers: int, features: bool,
            tmp: Path) -> dict:
    fresh_database(url)
    db_url = _sqlalchemy_url(url)
    settings = Settings(database_url=db_url, data_dir=str(tmp))
    db = Database.open(settings)          # migrates
    for spec in server.sources():
        source_store.add_source(db, spec["url"], title=spec["title"])
    env = {**os.environ, "NEWSDESK_DATABASE_URL": db_url, "NEWSDESK_DATA_DIR": str(tmp),
           "NEWSDESK_ALLOWED_NETWORKS": "127.0.0.0/8", "NEWSDESK_EMBEDDINGS": "auto",
           "NEWSDESK_MAX_ENTRIES_PER_FETCH": str(max(200, expected)),
           "NEWSDESK_WORKER_FEATURES": "on" if features else "off",
           "NEWSDESK_BATCH_SIZE": str(BATCH)}
    logs = [open(tmp / f"worker-{features}-{workers}-{n}.log", "w") for n in range(workers)]
    start = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-m", "newsdesk", "run", "--idle", "1"],
                              env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
             for log in logs]
    t_stored = t_placed = None
    last, last_change, stalled = (0, 0), time.monotonic(), False
    try:
        while True:
            time.sleep(0.25)
            stored, placed, feats = counts(db)
            now = time.monotonic()
            if (stored, placed) != last:
                last, last_change = (stored, placed), now
            if t_stored is None and stored >= expected:
                t_stored = now - start
            if t_placed is None and stored >= expected and placed >= stored:
                t_placed = now - start
                break
            if stored and now - last_change > STALL:  # articles waiting for a stories pass
                stalled = True
                break
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a worker exited early; see {tmp}")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for log in logs:
            log.close()
    if stalled:  # say it, and finish the pending articles so the run still counts them
        t_stored = t_stored or (last_change - start)
        subprocess.run([sys.executable, "-m", "newsdesk", "process-stories"], env=env, cwd=tmp,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        t_placed = last_change - start  # the time of the last progress, not of the rescue
    stored, placed, feats = counts(db)
    db.close()
    return {"stored": t_stored, "placed": t_placed, "n": stored, "in_story": placed,
            "features": feats, "stalled": stalled, "stalled_left": stored - last[1] if stalled else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("NEWSDESK_SCALE_POSTGRES_URL", ""),
                        help="database URL; this database is dropped and created for each run")
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--multiply", type=int, default=6, help="sites per demo outlet")
    parser.add_argument("--limit", type=int, default=15, help="newest articles per site")
    parser.add_argument("--logs", default="", help="keep the workers' logs in this folder")
    parser.add_argument("--modes", default="off,on",
                        help="worker features off (the baseline), on, or both")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the workers on the way out
    if not args.postgres:
        raise SystemExit("--postgres URL (or NEWSDESK_SCALE_POSTGRES_URL) is required")
    sizes = [int(n) for n in args.workers.split(",")]
    results: dict[tuple[bool, int], dict] = {}
    modes = [m == "on" for m in args.modes.split(",")]
    with ReplayServer(limit=args.limit, multiply=args.multiply) as server, \
            tempfile.TemporaryDirectory() as tmp:
        tmp = args.logs or tmp
        expected = len(server.articles())
        print(f"site: {len(server.sources())} feeds, {expected} articles on {server.base_url}; "
              f"{os.cpu_count()} CPU cores (shared with the site and PostgreSQL); "
              f"workers {sizes}", flush=True)
        for n in sizes:
            for features in modes:   # the baseline first at each size
                run_dir = Path(tmp) / f"{'on' if features else 'off'}-{n}"
                run_dir.mkdir(parents=True, exist_ok=True)
                r = results[(features, n)] = one_run(args.postgres, server, expected, n,
                                                     features, run_dir)
                print(f"  {n} worker(s), worker features {'on ' if features else 'off'}: "
                      f"stored {r['stored']:6.1f} s, end to end {r['placed']:6.1f} s "
                      f"({r['n']} stored, {r['in_story']} in a story, {r['features']} "
                      f"article_features rows{', STALLED: see below' if r['stalled'] else ''})",
                      flush=True)
    report(results, sizes)


def report(results: dict, sizes: list[int]) -> None:
    one, most = sizes[0], sizes[-1]
    print()
    print(f"speedup over {one} worker:     fetch+store   end to end   end-to-end / fetch+store")
    for features in (False, True):
        label = "enrichment on every worker" if features else "baseline: all in the stage"
        base = results[(features, one)]
        for n in sizes[1:]:
            r = results[(features, n)]
            fetch, e2e = base["stored"] / r["stored"], base["placed"] / r["placed"]
            print(f"  {label:27s} x{n}: {fetch:9.2f}x {e2e:11.2f}x {e2e / fetch:14.0%}")
    r, base = results[(True, most)], results[(True, one)]
    fetch, e2e = base["stored"] / r["stored"], base["placed"] / r["placed"]
    ok = e2e >= 0.8 * fetch
    print(f"target: end-to-end speedup of {most} workers >= 80% of its fetch+store speedup: "
          f"{e2e:.2f}x vs {fetch:.2f}x = {e2e / fetch:.0%} {'OK' if ok else 'BELOW TARGET'}")
    print(f"{os.cpu_count()} cores: {most} workers cannot be more than about "
          f"{os.cpu_count()}x faster than one here.")
    stalls = [(k, v) for k, v in results.items() if v["stalled"]]
    for (features, n), v in stalls:
        print(f"note: {n} worker(s), features {'on' if features else 'off'}: {v['stalled_left']} "
              f"stored articles waited > {STALL:.0f} s for a stories pass (no worker looks for "
              f"pending articles when idle); end to end is taken at the last progress")


if __name__ == "__main__":
    main()
