"""Speed of the website on a realistic database, against a static file from the same
server in the same run (the baseline).

    python bench/web_bench.py [--articles 100000] [--db PATH] [--rebuild] [--duration 10]
    python bench/web_bench.py --postgres URL --articles 1000000 --runs one-client
    python bench/web_bench.py --postgres URL --articles 100000 --runs compare
    python bench/web_bench.py --runs during-ingest [--clients 20] [--multiply 2] [--repeat 2]

1. Builds (or reuses) a database of ``--articles`` articles made from the bundled demo
   corpus (``web_archive.py``): rewritten copies of the real articles with their real
   sizes, published over the past year, grouped into stories of 1-8 articles with tags and
   related rows. SQLite at ``--db`` (executemany), or PostgreSQL at ``--postgres`` (COPY).
   ``--runs`` picks what is measured (default: the throughput run below); ``one-client``,
   ``compare`` (req/s beside SQLite at ``--db`` of the same size) and ``during-ingest``
   are described in ``web_modes.py`` and ``web_ingest.py``. Generated archives live outside the repository.
2. Starts the server (``newsdesk.cli.serve.serve``, ``--workers`` processes, one per CPU by
   default; the anonymous-reader page cache on, as shipped) in a subprocess on 127.0.0.1.
3. Loads it with ``wrk`` (another process; 20 connections) -- or, without wrk, a small
   asyncio/httpx load generator in a subprocess -- for the static file, the front page,
   article pages (each request a uniformly random id over the WHOLE archive, drawn by the
   load generator, so the page cache helps only as much as it would on a real archive:
   rarely) and searches (a random query per request).
4. Starts a second server with the page cache off and measures the front, article and search pages
   again: every request renders its page (the cost a cache miss pays).
5. Prints requests/s and p50/p99 latency, the article page's share of the static file's
   throughput, and whether the targets (>= 0.5x static, p99 < 50 ms) are met, with the
   cache on and with it off, each on its own line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdesk.settings import Settings  # noqa: E402
from newsdesk.storage.db import Database  # noqa: E402
from newsdesk.storage.schema import articles  # noqa: E402
import web_ingest  # noqa: E402
import web_modes as modes  # noqa: E402
from web_archive import prepare  # noqa: E402

QUERIES = ["ceasefire", "grain exports", "economy", "security council", "energy prices",
           "vaccine", "elections", "sanctions", "climate", "president meeting"]
CONCURRENCY = 20


# ----------------------------------------------------------------- load generation
def wrk(url: str, script: str | None, duration: int, clients: int = CONCURRENCY) -> dict:
    cmd = ["wrk", "-t2", f"-c{clients}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+\w+)", out).group(1)) for p in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"], "errors": int(errors.group(1)) if errors else 0}


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


UNIFORM = "{uniform}"  # in a path: a fresh random integer 1..N per request ("/articles/{uniform}")


def uniform(prefix: str, n: int) -> list[str]:
    """A case whose every request draws an id uniformly from 1..n."""
    return [f"{prefix}{UNIFORM}", str(n)]


def lua_script(folder: Path, paths: list[str]) -> str:
    path = folder / f"paths{abs(hash(tuple(paths)))}.lua"
    if UNIFORM in paths[0]:
        head, tail = paths[0].split(UNIFORM)
        body = (f"math.randomseed(42)\nrequest = function()\n  return wrk.format(nil, "
                f"\"{head}\" .. math.random({int(paths[1])}) .. \"{tail}\")\nend\n")
    else:
        items = ",".join('"' + p.replace('"', '\\"') + '"' for p in paths)
        body = ("local paths = {" + items + "}\nmath.randomseed(42)\n"
                "request = function()\n  return wrk.format(nil, paths[math.random(#paths)])\nend\n")
    path.write_text(body)
    return str(path)


def _pick(paths: list[str], rng: random.Random) -> str:
    if UNIFORM in paths[0]:
        return paths[0].replace(UNIFORM, str(rng.randint(1, int(paths[1]))))
    return rng.choice(paths)


async def _pyload(base: str, paths: list[str], duration: int, clients: int = CONCURRENCY) -> dict:
    import httpx
    latencies, errors = [], 0
    rng = random.Random(42)
    async with httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=clients),
                                 timeout=30) as client:
        began = time.monotonic()   # after the client exists (slow to make on a loaded machine)
        deadline = began + duration

        async def worker():
            nonlocal errors
            while time.monotonic() < deadline:
                start = time.perf_counter()
                try:
                    r = await client.get(_pick(paths, rng))
                    errors += r.status_code >= 400
                except httpx.HTTPError:   # a timeout (30 s) or a refused connection
                    errors += 1
                latencies.append((time.perf_counter() - start) * 1000)
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.monotonic() - began
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": latencies[len(latencies) // 2],
            "p99": latencies[int(len(latencies) * 0.99)], "errors": errors}


def measure(base: str, paths: list[str], duration: int, folder: Path,
            clients: int = CONCURRENCY) -> dict:
    if shutil.which("wrk"):
        script = lua_script(folder, paths) if len(paths) > 1 else None
        return wrk(base + ("/" if script else paths[0]), script, duration, clients)
    code = ("import asyncio, json, sys; sys.path.insert(0, %r); import web_bench as b; "
            "print(json.dumps(asyncio.run(b._pyload(%r, %r, %d, %d))))"
            % (str(Path(__file__).parent), base, paths, duration, clients))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import json
    return json.loads(out.stdout)


# ----------------------------------------------------------------- main
def _free_port(ports: str = "") -> int:
    """A free loopback port: any, or the first free one in ``ports`` ("9000-9049")."""
    first, _, last = ports.partition("-")
    for port in range(int(first), int(last or first) + 1) if first else [0]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise SystemExit(f"no free port in {ports}")


def _wait(port: int, proc: subprocess.Popen, timeout: float = 180) -> None:
    """Until the server answers a page (the port opens before the workers are ready)."""
    from urllib.request import urlopen
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urlopen(f"http://127.0.0.1:{port}/static/style.css", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "newsdesk-web-bench" / "bench.db"))
    parser.add_argument("--postgres", metavar="URL", help="the archive in this PostgreSQL database "
                        "(built with COPY when empty) instead of SQLite at --db")
    parser.add_argument("--runs", default="throughput",
                        help="comma-separated: throughput, one-client, compare, during-ingest")
    parser.add_argument("--compare-articles", type=int, default=0,
                        help="compare: the SQLite archive's size (default --articles)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--requests", type=int, default=200, help="one-client: requests per case")
    parser.add_argument("--clients", type=int, default=CONCURRENCY, help="during-ingest: readers")
    parser.add_argument("--multiply", type=int, default=2,
                        help="during-ingest: copies of the demo corpus served (484 articles each)")
    parser.add_argument("--phases", default="none,nice0,shipped",
                        help="during-ingest: comma-separated phases of web_ingest.PHASES")
    parser.add_argument("--before", metavar="TREE",
                        help="during-ingest: a checkout of the code before a change (with this "
                             "bench/ copied in); phase 'before' runs its server and worker")
    parser.add_argument("--repeat", type=int, default=1,
                        help="during-ingest: rounds of the whole list of phases")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="server processes (settings.web_workers; default: one per CPU)")
    parser.add_argument("--page-cache", type=float, default=Settings.page_cache_seconds,
                        help="settings.page_cache_seconds (0: every request renders its page)")
    parser.add_argument("--page-cache-wait", type=float, default=Settings.page_cache_wait,
                        help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--ports", default="", help="the servers' ports, e.g. 9000-9049 "
                        "(default: any free port)")
    args = parser.parse_args()
    url = args.postgres or f"sqlite:///{args.db}"
    if args.serve:   # the server subprocess
        from newsdesk.cli.serve import serve
        folder = tempfile.mkdtemp(prefix="newsdesk-web-bench-")
        settings = Settings(database_url=args.url, port=args.port, log_level="WARNING",
                            data_dir=folder, secret_key="bench", web_workers=args.workers,
                            page_cache_seconds=args.page_cache,
                            page_cache_wait=args.page_cache_wait)
        serve(settings, Database.from_url(args.url))
        return
    runs = {r.strip() for r in args.runs.split(",") if r.strip()}
    if not args.postgres:
        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    db = prepare(url, args.articles, args.rebuild)
    facts = modes.archive_facts(db)
    print(f"archive: {facts['articles']:,} articles, {facts['stories']:,} stories, "
          f"{len(facts['outlets'])} outlets, on {db.dialect}; {os.cpu_count()} CPUs "
          f"(shared with other work: only ratios within one run mean much)", flush=True)
    if db.is_sqlite:   # with no connection open: closing a file of our own would drop
        db.close()     # SQLite's locks, and other processes would take the WAL from us
        _warm_file_cache(Path(args.db))
        db = Database.from_url(url)
    if "one-client" in runs:
        cases = modes.one_client_cases(facts, random.Random(5), args.requests)
        with server(args, url, 0) as base:
            modes.print_one_client(modes.one_client(base, cases),
                                   f"{facts['articles']:,} articles on {db.dialect}")
    if "compare" in runs:
        compare(args, url, facts)
    if "during-ingest" in runs:
        def serve_with(tree: Path = ROOT):
            return server(args, url, args.page_cache, tree=tree)

        def load(base, paths, duration, clients):
            return measure(base, paths, duration, Path(tempfile.gettempdir()), clients)
        phases = [p.strip() for p in args.phases.split(",") if p.strip()]
        results = web_ingest.during_ingest(db, url, serve_with, load, facts,
                                           duration=args.duration, clients=args.clients,
                                           multiply=args.multiply, phases=phases,
                                           repeat=args.repeat,
                                           before=Path(args.before) if args.before else None)
        web_ingest.print_during_ingest(results, duration=args.duration, clients=args.clients)
    db.close()
    if "throughput" in runs:
        throughput(args, url, facts)


def throughput(args, url: str, facts: dict) -> None:
    max_id = facts["articles"]
    cases = {
        "static file (/static/style.css)": ["/static/style.css"],
        "front page (/)": ["/"],
        f"article page (uniform over all {max_id:,})": uniform("/articles/", max_id),
        "search (10 queries)": [f"/search?q={q.replace(' ', '+')}" for q in QUERIES],
    }
    results = {(f"{name}, page cache on" if args.page_cache > 0 and not name.startswith("static")
                else name): r for name, r in run_cases(args, url, cases, args.page_cache).items()}
    if args.page_cache > 0:   # the same pages rendered on every request, reported apart
        uncached = {k: v for k, v in cases.items() if k.startswith(("front", "article", "search"))}
        results.update({f"{name}, page cache off": r
                        for name, r in run_cases(args, url, uncached, 0).items()})
    tool = "wrk" if shutil.which("wrk") else "python asyncio load generator"
    print(f"\n{args.articles:,} articles, {CONCURRENCY} concurrent clients, {args.duration} s each, "
          f"load from {tool} (separate process), server: uvicorn, {args.workers} process(es), "
          f"page cache {args.page_cache:g} s, {os.cpu_count()} CPUs")
    print(f"{'page':<58} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:<58} {r['rps']:>9.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['errors']:>7}")
    static = results["static file (/static/style.css)"]
    for name, article in results.items():
        if not name.startswith("article"):
            continue
        ratio = article["rps"] / static["rps"]
        print(f"\n{name}:\n  throughput / static file: {ratio:.2f}x (target >= 0.5x): "
              f"{'met' if ratio >= 0.5 else 'NOT met'}\n  p99: {article['p99']:.1f} ms "
              f"(target < 50 ms): {'met' if article['p99'] < 50 else 'NOT met'}")


def compare(args, url: str, facts: dict) -> None:
    """req/s of the same uncached pages on this archive and on SQLite (--db) of the same
    size, or of --compare-articles when generating that many on SQLite takes too long."""
    size = args.compare_articles or args.articles
    lite_url = f"sqlite:///{args.db}"
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    lite = prepare(lite_url, size, False)
    lite_facts = modes.archive_facts(lite)
    lite.close()
    _warm_file_cache(Path(args.db))

    def cases(f: dict) -> dict:
        cat = f["categories"][0]
        return {"article page (uniform)": uniform("/articles/", f["articles"]),
                "story page (uniform)": uniform("/stories/", f["stories"]),
                "search (10 queries)": [f"/search?q={q.replace(' ', '+')}" for q in QUERIES],
                f"search, category {cat}": [f"/search?q={q.replace(' ', '+')}&category={cat}"
                                            for q in QUERIES]}
    theirs = run_cases(args, lite_url, cases(lite_facts), 0)
    ours = run_cases(args, url, cases(facts), 0)
    print(f"\n{CONCURRENCY} clients, page cache off, {args.duration} s each: "
          f"{facts['articles']:,} on {url.split(':')[0]} vs {lite_facts['articles']:,} on SQLite")
    print(f"{'page':<30} {'req/s':>8} {'p99 ms':>8} {'SQLite req/s':>13} {'p99 ms':>8} {'ratio':>6}")
    for (name, r), t in zip(ours.items(), theirs.values()):
        print(f"{name:<30} {r['rps']:>8.1f} {r['p99']:>8.1f} {t['rps']:>13.1f} {t['p99']:>8.1f} "
              f"{r['rps'] / max(t['rps'], 1e-9):>5.2f}x")


def _warm_file_cache(path: Path) -> None:
    """Read the database file once, so the run measures the server and not a cold disk (a
    busy site's working set is in memory; right after other work it may not be)."""
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


@contextlib.contextmanager
def server(args, url: str, page_cache: float, wait: float | None = None, tree: Path = ROOT):
    """A server subprocess on ``url`` with this page cache, running the code of ``tree`` (a
    checkout of the repository); yields its base URL."""
    port = _free_port(args.ports)
    wait = Settings.page_cache_wait if wait is None else wait
    proc = subprocess.Popen([sys.executable, str(tree / "bench" / "web_bench.py"), "--serve",
                             "--url", url, "--port", str(port),
                             "--workers", str(args.workers), "--page-cache", str(page_cache),
                             "--page-cache-wait", str(wait)], stderr=subprocess.PIPE)
    try:
        _wait(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_cases(args, url: str, cases: dict[str, list[str]], page_cache: float) -> dict[str, dict]:
    """Start a server with this page cache, warm every case up for 1 s, then measure each."""
    with server(args, url, page_cache) as base, tempfile.TemporaryDirectory() as folder:
        for paths in cases.values():   # warm up: templates compiled, connections open
            measure(base, paths, 1, Path(folder))
        return {name: measure(base, paths, args.duration, Path(folder))
                for name, paths in cases.items()}


if __name__ == "__main__":
    main()
