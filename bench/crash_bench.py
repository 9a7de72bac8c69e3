"""Crash safety as an operator would try it: real ``newsdesk run`` workers, random ``kill -9``.

A local site (``tests/newsstream.py``: outlets reporting events in their own words, wire
copies word for word) is served from loopback, one RSS feed per outlet. Each database gets
two runs of the same stream, side by side:

  clean   the workers fetch everything and go idle, never killed
  crash   the same, with K random ``kill -9`` of a random worker (restarted at once)

on PostgreSQL with N workers and on SQLite with one. A run ends when every item of the
site is stored and no article waits for a story, or at ``--timeout``. Printed per database,
crash beside clean: articles lost, stored twice, pages fetched more than once, processes
outliving their worker (extraction pool, resource tracker), articles without a story once
the workers are idle, and the B-cubed F1 of the crash run's stories against the clean
run's (articles matched by outlet and guid). The order in which articles reach the
stories stage depends on fetch timing (which feed is stored first), and the online
clusterer depends on order, so two clean runs need not agree exactly either: a second
clean run ("clean again", skipped with ``--once``) shows that floor. Then the stories stage
alone, on the archive the clean run stored: ``newsdesk process-stories`` from scratch once
cleanly and once killed K times mid-pass: same input, same order, so the crashed placement
must be the clean one exactly (F1 1.0, no article with another story or thread id).

    python bench/crash_bench.py                       # quick: 12 feeds, 2 PG workers, 4 kills
    python bench/crash_bench.py --feeds 50 --events 400 --workers 3 --kills 20

Needs NEWSDESK_TEST_POSTGRES_URL for the PostgreSQL part (a schema per run is created and
dropped); without it only SQLite runs.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import text  # noqa: E402

from newsdesk.storage.db import Database  # noqa: E402
from newsdesk.storage import sources as source_store  # noqa: E402
from newsdesk.storage import stories as story_store  # noqa: E402
from newsstream import make_stream, routes  # noqa: E402
from processes import alive, descendants  # noqa: E402
from servers import LoopbackServer, Response  # noqa: E402


# ----------------------------------------------------------------- processes
def rss_mb(pids) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Workers:
    def __init__(self, env: dict, count: int):
        self.env = env
        self.seen: dict[int, set[int]] = defaultdict(set)   # worker pid -> its children seen
        self.procs = [self._start() for _ in range(count)]

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "newsdesk", "run", "--idle", "1"],
                                env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, cwd=str(ROOT))

    def watch(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.seen[proc.pid] |= descendants(proc.pid)

    def kill_one(self, rng: random.Random) -> None:
        k = rng.randrange(len(self.procs))
        self.watch()
        self.procs[k].send_signal(signal.SIGKILL)
        self.procs[k].wait()
        self.procs[k] = self._start()

    def stop(self) -> None:
        self.watch()
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def orphans(self) -> list[int]:
        time.sleep(3)   # a parent-watching worker notices within a second
        return [p for kids in self.seen.values() for p in kids if alive(p)]


# ----------------------------------------------------------------- one run
def run(url: str, site: LoopbackServer, expected: int, args, kills: int, seed: int,
        workers: int) -> dict:
    db = Database.from_url(url)
    for outlet in range(args.feeds):
        source_store.add_source(db, site.url(f"/o{outlet}/feed.xml"), title=f"Outlet {outlet}")
    site.requests.clear()
    data = tempfile.mkdtemp(prefix="crash-bench-")
    env = dict(os.environ, NEWSDESK_DATABASE_URL=url, NEWSDESK_DATA_DIR=data,
               NEWSDESK_ALLOWED_NETWORKS="127.0.0.0/8", NEWSDESK_CLAIM_TTL="10",
               NEWSDESK_BATCH_SIZE="2", NEWSDESK_PER_HOST_CONCURRENCY="4",
               NEWSDESK_POLL_INTERVAL="86400", NEWSDESK_EXTRACT_PROCESSES="2",
               NEWSDESK_EMBEDDINGS=args.embeddings, NEWSDESK_LOG_LEVEL="WARNING")
    rng = random.Random(seed)
    started = time.monotonic()
    pool = Workers(env, workers)
    next_kill, done_kills, finished = time.monotonic() + rng.uniform(2, 6), 0, None
    try:
        while time.monotonic() - started < args.timeout:
            time.sleep(0.3)
            pool.watch()
            stored, pending = count(db, "articles"), story_store.count_pending(db)
            if done_kills < kills and time.monotonic() >= next_kill:
                pool.kill_one(rng)
                done_kills += 1
                next_kill = time.monotonic() + rng.uniform(1, 5)
            elif done_kills >= kills and stored >= expected and pending == 0:
                finished = time.monotonic() - started
                break
    finally:
        pool.stop()
    orphans = pool.orphans()
    with db.read() as conn:
        twice = conn.execute(text("""SELECT count(*) - count(DISTINCT s.url || ' ' || a.entry_hash)
                                     FROM articles a JOIN sources s ON s.id = a.source_id""")).scalar()
        stories = {(r[0], r[1]): r[2] for r in conn.execute(text("""
            SELECT s.url, a.entry_hash, x.story_id FROM articles a JOIN sources s ON s.id = a.source_id
            LEFT JOIN article_story x ON x.article_id = a.id"""))}
    pages = defaultdict(int)
    for path in site.paths():
        if path != "/robots.txt":   # once per worker process, by design
            pages[path] += 1
    result = {"seconds": finished, "kills": done_kills, "stored": len(stories),
              "lost": expected - len(stories), "twice": int(twice or 0),
              "refetched": sum(1 for n in pages.values() if n > 1),
              "orphans": len(orphans), "orphan_mb": rss_mb(orphans),
              "unplaced": sum(1 for s in stories.values() if s is None), "stories": stories}
    for pid in orphans:   # ours: end them, so the next run starts clean
        os.kill(pid, signal.SIGKILL)
    db.close()
    return result


def stage_kills(url: str, kills: int, rng: random.Random) -> dict:
    """The stories stage alone, on the archive a run stored: placed from scratch by
    ``newsdesk process-stories`` once cleanly, then again killed ``kills`` times mid-pass
    (restarted each time). Same input, same order: the rows must be identical."""
    db = Database.from_url(url)
    data = tempfile.mkdtemp(prefix="crash-bench-stage-")
    env = dict(os.environ, NEWSDESK_DATABASE_URL=url, NEWSDESK_DATA_DIR=data,
               NEWSDESK_LOG_LEVEL="WARNING")

    def placed() -> int:
        return count(db, "article_story")

    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "newsdesk", "process-stories"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT))
    story_store.reset(db)
    began = time.monotonic()
    start().wait()
    clean_seconds = time.monotonic() - began
    clean = placement(db)
    story_store.reset(db)
    done, began = 0, time.monotonic()
    while story_store.count_pending(db):
        before, proc = placed(), start()
        while done < kills and proc.poll() is None and placed() == before:
            time.sleep(0.05)
        if done < kills and proc.poll() is None:
            time.sleep(rng.uniform(0, 0.4))
            proc.send_signal(signal.SIGKILL)
            done += 1
        proc.wait()
    crashed = placement(db)
    db.close()
    return {"clean_seconds": clean_seconds, "seconds": time.monotonic() - began, "kills": done,
            "articles": len(clean), "f1": bcubed_f1(crashed, clean),
            "other_id": sum(1 for k in clean if crashed.get(k) != clean[k])}


def placement(db: Database) -> dict:
    """article -> (story id, thread id): ids included, so a reused id shows."""
    with db.read() as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(text(
            "SELECT x.article_id, x.story_id, s.thread_id FROM article_story x "
            "JOIN stories s ON s.id = x.story_id"))}


def report_stage(result: dict) -> None:
    print(f"  stories stage alone on that archive ({result['articles']} articles): clean "
          f"{result['clean_seconds']:.1f} s; killed {result['kills']} times mid-pass "
          f"{result['seconds']:.1f} s: B-cubed F1 {result['f1']:.4f}, articles with another "
          f"story or thread id {result['other_id']}")


def count(db: Database, table: str) -> int:
    with db.read() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar())


def bcubed_f1(a: dict, b: dict) -> float:
    """B-cubed F1 of partition ``a`` against ``b`` (item -> cluster), over shared items."""
    items = [k for k in a if k in b and a[k] is not None and b[k] is not None]
    ca, cb = defaultdict(set), defaultdict(set)
    for k in items:
        ca[a[k]].add(k)
        cb[b[k]].add(k)
    if not items:
        return 0.0
    p = sum(len(ca[a[k]] & cb[b[k]]) / len(ca[a[k]]) for k in items) / len(items)
    r = sum(len(ca[a[k]] & cb[b[k]]) / len(cb[b[k]]) for k in items) / len(items)
    return 2 * p * r / (p + r) if p + r else 0.0


# ----------------------------------------------------------------- databases
def pg_url(base: str, schema: str) -> str:
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base[len("postgresql://"):]
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"


class Schemas:
    def __init__(self, base: str):
        self.admin, self.made = Database.from_url(base, migrate=False), []

    def new(self, base: str) -> str:
        name = "crashbench_" + uuid.uuid4().hex[:10]
        with self.admin.write() as conn:
            conn.execute(text(f"CREATE SCHEMA {name}"))
        self.made.append(name)
        return pg_url(base, name)

    def drop(self) -> None:
        with self.admin.write() as conn:
            for name in self.made:
                conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
        self.admin.close()


def report(title: str, runs: dict[str, dict]) -> None:
    clean = runs["clean"]
    print(f"\n{title}")
    names = list(runs)
    print(f"  {'':34}" + "".join(f"{n:>12}" for n in names))
    rows = [("seconds to idle", "seconds"), ("kill -9", "kills"), ("articles stored", "stored"),
            ("lost", "lost"), ("stored twice", "twice"), ("pages fetched more than once", "refetched"),
            ("orphan processes", "orphans"), ("orphan memory (MB)", "orphan_mb"),
            ("articles without a story, idle", "unplaced")]
    for label, key in rows:
        cells = []
        for n in names:
            v = runs[n][key]
            cells.append(f"{'timeout' if v is None else (f'{v:.1f}' if isinstance(v, float) else v):>12}")
        print(f"  {label:34}" + "".join(cells))
    print(f"  {'B-cubed F1 vs clean stories':34}"
          + "".join(f"{bcubed_f1(runs[n]['stories'], clean['stories']):>12.4f}" for n in names))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=12)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2, help="PostgreSQL workers")
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--embeddings", default="auto", choices=("auto", "off"))
    parser.add_argument("--once", action="store_true",
                        help="skip the second clean run (the floor of the F1: arrival order)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    stream = make_stream(outlets=args.feeds, events=args.events, seed=args.seed)
    site = LoopbackServer().start()
    for path, body in routes(stream, site.url("")).items():
        kind = "application/rss+xml" if path.endswith(".xml") else "text/html; charset=utf-8"
        site.routes[path] = Response(200, {"Content-Type": kind}, body)
    expected = len(stream.items)
    print(f"site: {args.feeds} feeds, {expected} articles on {site.url('/')}; "
          f"{os.cpu_count()} CPUs (shared: other work on this machine slows both runs alike)")
    plans = [("clean", 0), ("crash", args.kills)] + ([] if args.once else [("clean again", 0)])
    base = os.environ.get("NEWSDESK_TEST_POSTGRES_URL", "")
    try:
        if base:
            schemas = Schemas(base)
            try:
                urls = {name: schemas.new(base) for name, _ in plans}
                runs = {name: run(urls[name], site, expected, args, kills, args.seed + i,
                                  args.workers) for i, (name, kills) in enumerate(plans)}
                report(f"PostgreSQL, {args.workers} workers", runs)
                report_stage(stage_kills(urls["clean"], args.kills, random.Random(args.seed)))
            finally:
                schemas.drop()
        else:
            print("\nPostgreSQL: skipped (set NEWSDESK_TEST_POSTGRES_URL)")
        if not args.no_sqlite:
            folder = Path(tempfile.mkdtemp(prefix="crash-bench-sqlite-"))
            urls = {name: f"sqlite:///{folder / (name.replace(' ', '_') + '.db')}" for name, _ in plans}
            runs = {name: run(urls[name], site, expected, args, kills, args.seed + i, 1)
                    for i, (name, kills) in enumerate(plans)}
            report("SQLite, 1 worker", runs)
            report_stage(stage_kills(urls["clean"], args.kills, random.Random(args.seed)))
    finally:
        site.stop()


if __name__ == "__main__":
    main()
