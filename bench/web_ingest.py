"""The during-ingest run of ``web_bench.py``: readers (``clients`` connections; front page,
article, story and search pages) while a real ``newsdesk run`` worker ingests a local
replay of the demo corpus into the same database on the same machine, beside the same
readers with no ingest.

Each phase gets a fresh server (page cache on, misses coalesced, as shipped) and, but for
"no ingest", a fresh worker started with the phase's settings; the readers' load starts
when the worker has stored its first articles and placed them in stories (so the window
sees a running worker, not its start: loading the stories stage's state is done once per
worker). Phases (``--phases``, in this order, the
whole list ``--repeat`` times, so that the machine's other work falls on all of them):

    none      no ingest
    nice0     ingest at normal priority (``ingest_nice`` 0): before readers came first
    nice10    ingest at ``ingest_nice`` 10
    shipped   ingest as shipped (the defaults)
    before    ingest with its defaults, server and worker running the code of ``--before``
              (a checkout from before a change, with this ``bench/`` copied into it)

Each phase reports readers' req/s, p50 and p99, errors, the articles the worker stored
meanwhile (readers first slows ingest down; that is the price) and the CPU seconds the
web processes and the ingest processes (worker and extraction) used in the window, read
from /proc, with the load average at its start. With ``--repeat``, the median of each
column follows. On a machine shared with other work only the phases of one run compare.
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
           "vaccine", "elections", "sanctions", "climate", "president meeting"]
RECENT_ARTICLES, RECENT_STORIES = 200, 100

# name -> (label, settings of the worker as environment variables; None: no worker)
PHASES = {
    "none": ("no ingest", None),
    "nice0": ("ingest, nice 0 (before)", {"NEWSDESK_INGEST_NICE": "0"}),
    "nice10": ("ingest, nice 10", {"NEWSDESK_INGEST_NICE": "10"}),
    "shipped": ("ingest as shipped", {}),
    "before": ("ingest, code of --before", {}),
}


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


def start_worker(url: str, base_url: str, env: dict, folder: Path,
                 tree: Path = ROOT) -> subprocess.Popen:
    env = {**os.environ, "NEWSDESK_ALLOWED_ORIGINS": base_url, "NEWSDESK_DATA_DIR": str(folder),
           "NEWSDESK_LOG_LEVEL": "WARNING", "NEWSDESK_SECRET_KEY": "bench", **env}
    return subprocess.Popen([sys.executable, "-m", "newsdesk", "--db", url, "run", "--idle", "1"],
                            env=env, cwd=str(tree), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


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


def placed(db: Database, source_ids: list[int]) -> int:
    """How many of these sources' articles are in a story already."""
    if not source_ids:
        return 0
    with db.read() as conn:
        return conn.execute(text("SELECT count(*) FROM article_story s JOIN articles a ON "
                                 "a.id = s.article_id WHERE a.source_id IN (%s)"
                                 % ",".join(str(int(i)) for i in source_ids))).scalar()


def forget(db: Database, source_ids: list[int]) -> None:
    """Remove what a phase ingested (its sources; their rows go with them, ON DELETE
    CASCADE), so the next phase ingests the same again."""
    if source_ids:
        with db.write() as conn:
            conn.execute(text("DELETE FROM sources WHERE id IN (%s)"
                              % ",".join(str(int(i)) for i in source_ids)))


# ----------------------------------------------------------------- CPU from /proc
def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Linux /proc; [] elsewhere)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """user + system CPU seconds of each process (of all its threads) now."""
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


class CPUWindow:
    """CPU seconds used by the process trees of ``roots`` between ``start`` and ``stop``
    (processes that started meanwhile count from zero, ended ones from their last read)."""

    def __init__(self, roots: list[int | None]):
        self.roots = [r for r in roots if r]
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}

    def read(self) -> None:
        now = cpu_seconds([p for r in self.roots for p in _tree(r)])
        self.last.update(now)
        if not self.first:
            self.first = dict(now)

    def used(self, roots: bool = True) -> float:
        """CPU seconds of the trees (``roots=False``: of the descendants alone)."""
        return sum(v - self.first.get(pid, 0.0) for pid, v in self.last.items()
                   if roots or pid not in self.roots)


def server_pid(base: str) -> int | None:
    """The pid of the process listening on ``base``'s port (the server's supervisor)."""
    port = int(base.rsplit(":", 1)[1])
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        if int(cols[1].split(":")[1], 16) == port and cols[3] == "0A":
            inodes.add(cols[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in inodes:
                return _supervisor(int(pid))
    return None


def _supervisor(pid: int) -> int:
    """The oldest ancestor of ``pid`` that is still a server process (the workers share
    the supervisor's socket)."""
    while True:
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        try:
            cmd = Path(f"/proc/{parent}/cmdline").read_bytes()
        except OSError:
            return pid
        if b"--serve" not in cmd and b"spawn_main" not in cmd:
            return pid
        pid = parent


# ----------------------------------------------------------------- the phases
def during_ingest(db: Database, url: str, serve, measure, facts: dict, *, duration: int,
                  clients: int, multiply: int, phases: list[str], repeat: int = 1,
                  before: Path | None = None) -> list[tuple]:
    """Phases of readers' load, each against a fresh server (``serve(tree)`` is a context
    manager giving its base URL); ``measure(base, paths, duration, clients)``. Returns
    (phase, round, readers' result, stored, web CPU s, ingest CPU s, of which extraction,
    load average)."""
    from newsdesk.demo.replay import ReplayServer
    out = []
    with serve() as base:
        warm_recent(base, facts)
    for round_ in range(repeat):
        for number, phase in enumerate(phases):
            env = PHASES[phase][1]
            tree = ROOT
            if phase == "before":
                if before is None:
                    raise SystemExit("phase 'before' needs --before TREE")
                tree = before
            paths = reader_paths(facts, random.Random(11 + number + 100 * round_))
            with serve(tree) as base, tempfile.TemporaryDirectory() as folder:
                web = server_pid(base)
                measure(base, paths, 2, clients)   # warm up
                worker, ids, site = None, [], None
                if env is not None:
                    site = ReplayServer(multiply=multiply).__enter__()
                    ids = replay_sources(db, site)
                    worker = start_worker(url, site.base_url, env, Path(folder), tree)
                try:
                    deadline = time.monotonic() + 240
                    while worker and placed(db, ids) == 0 and time.monotonic() < deadline:
                        time.sleep(0.5)    # the worker is starting, fetching, extracting and
                                           # loading its stories stage (once per worker)
                    at_start = stored(db, ids)
                    web_cpu, ingest_cpu = CPUWindow([web]), CPUWindow([worker and worker.pid])
                    web_cpu.read(), ingest_cpu.read()
                    load = float(Path("/proc/loadavg").read_text().split()[0])
                    result = measure(base, paths, duration, clients)
                    web_cpu.read(), ingest_cpu.read()
                    ingested = stored(db, ids) - at_start
                finally:
                    if worker:
                        stop_worker(worker)
                        site.__exit__(None, None, None)
                        forget(db, ids)
            row = (phase, round_, result, ingested, web_cpu.used(), ingest_cpu.used(),
                   ingest_cpu.used(roots=False), load)
            print_row(row, flush=True)
            out.append(row)
    return out


HEADER = (f"{'phase':<30} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7} {'err':>4} {'stored':>6} "
          f"{'web cpu s':>9} {'ingest cpu s':>12} {'(extract)':>9} {'load':>5}")


def print_row(row: tuple, flush: bool = False) -> None:
    phase, round_, r, ingested, web, ingest, extract, load = row
    label = PHASES[phase][0] + (f" #{round_ + 1}" if round_ else "")
    print(f"{label:<30} {r['rps']:>6.1f} {r['p50']:>7.0f} {r['p99']:>7.0f} {r['errors']:>4} "
          f"{ingested:>6} {web:>9.1f} {ingest:>12.1f} {extract:>9.1f} {load:>5.1f}", flush=flush)


def print_during_ingest(results: list[tuple], *, duration: int, clients: int) -> None:
    print(f"\nreaders during ingest: {clients} clients, {duration} s per phase, page cache on; "
          f"CPU seconds in the phase's window; load: the 1-minute load average at its start")
    print(HEADER)
    for row in results:
        print_row(row)
    phases = list(dict.fromkeys(row[0] for row in results))
    if len(results) > len(phases):
        print("\nmedians over the rounds")
        print(HEADER)
        for phase in phases:
            rows = [row for row in results if row[0] == phase]
            med = {k: statistics.median(row[2][k] for row in rows) for k in ("rps", "p50", "p99")}
            med["errors"] = sum(row[2]["errors"] for row in rows)
            print_row((phase, 0, med, int(statistics.median(row[3] for row in rows)),
                       *(statistics.median(row[i] for row in rows) for i in (4, 5, 6, 7))))
    shipped = [row[2]["p99"] for row in results if row[0] == "shipped"]
    if shipped:
        p99 = statistics.median(shipped)
        print(f"p99 during ingest as shipped: {p99:.0f} ms (target < 1000 ms): "
              f"{'met' if p99 < 1000 else 'NOT met'}")
