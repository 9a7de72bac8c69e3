"""Speed of the Google Reader API on a 100k-article database: ``stream/items/ids`` and
``stream/items/contents`` for 1,000 items, p50/p95 over real HTTP, beside two baselines
measured in the same run: a static file from the same server (the HTTP floor) and the
same ids and rows read by plain SQL (no read state, no JSON).

    python bench/reader_api_bench.py [--articles 100000] [--db PATH] [--rebuild] [--rounds 30]

1. Builds (or reuses) the archive ``web_bench.py`` builds (rewritten copies of the demo
   corpus, grouped into stories of 1-8 articles), then gives one reader some history: the
   stories of one article in ten read on the site, 300 articles marked read one by one,
   200 starred, an app password and a token.
2. Serves it (``newsdesk.cli.serve.serve``, one process) on 127.0.0.1 in a subprocess.
3. For each mode (stories: one item per story; articles: every article): the unread ids of
   the reading list (n=1000), the second page of them (continuation), the starred ids, and
   the contents of 1,000 items (POST i=... as apps send it). Prints p50/p95 in ms.
Target: p95 < 50 ms for ids and contents of 1,000 items. Timings are noisy on a shared
machine: run it when the machine is quiet, and read the baselines beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from argon2 import PasswordHasher  # noqa: E402

from newsdesk.community.accounts import Accounts  # noqa: E402
from newsdesk.community.apps import AppAccess  # noqa: E402
from newsdesk.settings import Settings  # noqa: E402
from newsdesk.storage import itemstate  # noqa: E402
from newsdesk.storage.db import Database  # noqa: E402
from web_archive import build_sqlite as build  # noqa: E402

PASSWORD = "bench password 123"
RL, READ, STARRED = ("user/-/state/com.google/reading-list", "user/-/state/com.google/read",
                     "user/-/state/com.google/starred")


def prepare(db: Database, total: int) -> str:
    """The reader's history; returns an app password."""
    rng = random.Random(11)
    accounts = Accounts(db, hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    user = accounts.signup("reader", PASSWORD)
    with db.write() as conn:
        stories = [r[0] for r in conn.execute(text("SELECT id FROM stories ORDER BY id"))]
        now = "2026-01-01 00:00:00" if db.is_sqlite else "2026-01-01T00:00:00Z"
        conn.execute(text("INSERT INTO read_state (user_id, story_id, seen_article_id, opened_at) "
                          "SELECT :u, story_id, max(article_id), :t FROM article_story "
                          "WHERE story_id % 10 = 0 GROUP BY story_id"), {"u": user.id, "t": now})
    ids = rng.sample(range(1, total + 1), 500)
    itemstate.mark_read(db, user.id, ids[:300], whole_story=False)
    itemstate.set_starred(db, user.id, ids[300:], True)
    print(f"reader: {len(stories) // 10:,} stories read, 300 articles read, 200 starred")
    return AppAccess(db, accounts).create_password(user, "bench")


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def timed(fn, rounds: int) -> tuple[float, float]:
    fn()                                    # warm up
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", default=f"/tmp/newsdesk-reader-bench-{os.getuid()}.db")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    path = Path(args.db)
    marker = path.with_suffix(".password")
    if args.rebuild or not path.exists() or not marker.exists():
        for stale in (path, marker, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        started = time.monotonic()
        db = Database.from_url(f"sqlite:///{path}")
        build(db, args.articles)
        marker.write_text(prepare(db, args.articles))
        db.close()
        print(f"built {args.articles:,} articles in {time.monotonic() - started:.0f} s")
    password = marker.read_text()
    settings = Settings(database_url=f"sqlite:///{path}", port=free_port(), page_cache_seconds=0,
                        log_level="WARNING", secret_key="bench")
    env = {**os.environ, "NEWSDESK_DATABASE_URL": settings.database_url, "NEWSDESK_PORT": str(settings.port),
           "NEWSDESK_LOG_LEVEL": "WARNING", "NEWSDESK_SECRET_KEY": "bench", "NEWSDESK_PAGE_CACHE_SECONDS": "0"}
    server = subprocess.Popen([sys.executable, "-m", "newsdesk", "serve"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{settings.port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", settings.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(server.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        run(base, password, path, args.rounds)
    finally:
        server.terminate()
        server.wait(20)


def run(base: str, password: str, path: Path, rounds: int) -> None:
    http = httpx.Client(base_url=base, timeout=30)
    auth = http.post("/accounts/ClientLogin", data={"Email": "reader", "Passwd": password}).text
    token = auth.split("Auth=")[1].split()[0]
    h = {"Authorization": f"GoogleLogin auth={token}"}
    db = Database.from_url(f"sqlite:///{path}", migrate=False)
    rows = []

    def row(name, fn):
        p50, p95 = timed(fn, rounds)
        rows.append((name, p50, p95))
        print(f"  {name:<52} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)

    print("baselines (same run):")
    row("static file over HTTP (/static/style.css)", lambda: http.get("/static/style.css").raise_for_status())
    with db.read() as conn:
        newest = [r[0] for r in conn.execute(text("SELECT id FROM articles ORDER BY id DESC LIMIT 1000"))]

    def raw_ids():
        with db.read() as conn:
            conn.execute(text("SELECT id FROM articles ORDER BY id DESC LIMIT 1000")).all()

    def raw_rows():
        with db.read() as conn:
            got = conn.execute(text("SELECT id, source_id, title, url, html, text, published_at, fetched_at "
                                    "FROM articles WHERE id IN (%s)" % ",".join(map(str, newest)))).all()
        json.dumps([list(map(str, r)) for r in got])

    row("plain SQL: 1,000 newest ids", raw_ids)
    row("plain SQL + json.dumps: 1,000 rows (no state, no story)", raw_rows)
    user_id = http.get("/reader/api/0/user-info", headers=h).json()["userId"]
    for mode in ("stories", "articles"):
        with db.write() as conn:
            conn.execute(text("INSERT INTO reader_prefs (user_id, app_items) VALUES (:u, :m) ON CONFLICT "
                              "(user_id) DO UPDATE SET app_items = excluded.app_items"), {"u": int(user_id), "m": mode})
        first = http.get("/reader/api/0/stream/items/ids", headers=h,
                         params={"output": "json", "s": RL, "xt": READ, "n": 1000}).json()
        ids = [r["id"] for r in first["itemRefs"]]
        print(f"{mode} mode ({len(ids)} ids on the first page, continuation {first.get('continuation')}):")
        row("stream/items/ids unread, n=1000",
            lambda: http.get("/reader/api/0/stream/items/ids", headers=h,
                             params={"output": "json", "s": RL, "xt": READ, "n": 1000}).raise_for_status())
        row("stream/items/ids unread, n=1000, second page",
            lambda: http.get("/reader/api/0/stream/items/ids", headers=h, params={
                "output": "json", "s": RL, "xt": READ, "n": 1000, "c": first["continuation"]}).raise_for_status())
        row("stream/items/ids starred",
            lambda: http.get("/reader/api/0/stream/items/ids", headers=h,
                             params={"output": "json", "s": STARRED, "n": 1000}).raise_for_status())
        for count in (100, 1000):     # apps fetch contents in batches of tens to hundreds
            body = "&".join(f"i={i}" for i in ids[:count]).encode()
            row(f"stream/items/contents, {count:,} items",
                lambda body=body: http.post("/reader/api/0/stream/items/contents", headers={
                    **h, "Content-Type": "application/x-www-form-urlencoded"}, content=body).raise_for_status())
    worst = max(p95 for name, _, p95 in rows if name.startswith("stream/"))
    print(f"worst API p95: {worst:.1f} ms -> target p95 < 50 ms {'met' if worst < 50 else 'NOT met'}")
    db.close()


if __name__ == "__main__":
    main()
