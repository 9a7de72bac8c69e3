"""Comments speed, on SQLite, against a real uvicorn server on 127.0.0.1.

1. Render: the discussion page of an article with 500 comments (threads and replies)
   against the same page of an article with none. Floor: under 2x.
2. Post under load: 20 concurrent posters (threads of *this* process, the server runs in a
   child process), each with its own session, posting comments back to back. Floor: p99
   under 100 ms.

    .venv/bin/python bench/comments_bench.py [--posts-per-poster 25] [--posters 20]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newsdesk.settings import Settings  # noqa: E402
from starlette.requests import Request  # noqa: E402
from newsdesk.storage.db import Database  # noqa: E402

SECRET = "bench-secret"
WORDS = ("ceasefire talks outlet statement minister border grain exports sanctions envoy "
         "report source claim denied confirmed officials").split()


def settings_for(folder: Path) -> Settings:
    return Settings(data_dir=str(folder), database_url=f"sqlite:///{folder / 'bench.db'}",
                    secret_key=SECRET)


def build_app(folder: Path):
    from argon2 import PasswordHasher
    from newsdesk.community.accounts import Accounts
    from newsdesk.community.comments import Comments
    from newsdesk.web import create_app
    from newsdesk.web.community import install
    settings = settings_for(folder)
    db = Database.open(settings)
    app = create_app(settings, db)
    install(app, settings, db,
            accounts=Accounts(db, hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)),
            comments=Comments(db, user_limits=((100000, 60),), ip_limits=((100000, 60),)))
    with_block(app)
    return app, db


def with_block(app) -> None:
    """The article page with the comments block in place of its placeholder, as the lead
    will wire it (a no-op once ``article.html`` carries the block itself)."""
    import re
    from starlette.responses import HTMLResponse
    from newsdesk.web import articles as pages
    from newsdesk.web.community import comments_block

    async def article_with_comments(request: Request, ref: str):
        response = await pages.article_page(request, ref)
        if not ref.isdigit() or b"data-comments" in response.body:
            return response
        block = str(comments_block(request, "article", int(ref))).encode()
        body = re.sub(rb'<section class="panel comments".*?</section>', lambda m: block,
                      response.body, count=1, flags=re.S)
        return HTMLResponse(body, headers={"Cache-Control": "private, no-cache"})
    app.router.add_api_route("/articles/{ref}", article_with_comments, methods=["GET"])
    app.router.routes.insert(0, app.router.routes.pop())


def seed(folder: Path, comments: int, posters: int) -> dict:
    from argon2 import PasswordHasher
    from newsdesk.community.accounts import Accounts
    from newsdesk.community.comments import Comments
    from newsdesk.storage.articles import insert_articles
    from newsdesk.storage.sources import add_source
    db = Database.open(settings_for(folder))
    source = add_source(db, "https://bench.example/feed", title="Bench Outlet")
    now = datetime.now(timezone.utc)
    text_ = "\n\n".join(" ".join(random.choices(WORDS, k=60)) for _ in range(12))
    rows = [{"source_id": source.id, "entry_hash": hashlib.sha1(str(n).encode()).hexdigest(),
             "title": "Same article page", "text": text_, "fetched_at": now, "published_at": now,
             "extraction": "page", "url": f"https://bench.example/{n}"} for n in range(3)]
    with db.write() as conn:
        busy, empty, target = insert_articles(conn, rows, db.dialect)
    accounts = Accounts(db, hasher=PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    users = [accounts.signup(f"reader{n}", "bench password 123") for n in range(max(posters, 10))]
    store = Comments(db, user_limits=((100000, 60),), dedupe_window=0)
    ids: list[int] = []
    for n in range(comments):
        parent = random.choice(ids) if ids and n % 10 >= 3 else None
        body = " ".join(random.choices(WORDS, k=random.randint(8, 60))) + f" **{n}** [src](https://e.org/{n})"
        try:
            ids.append(store.post(users[n % len(users)], "article", busy, body, parent_id=parent)[0].id)
        except Exception:   # thread too deep: post at the top instead
            ids.append(store.post(users[n % len(users)], "article", busy, body)[0].id)
    sessions = [accounts.create_session(u) for u in users[:posters]]
    db.close()
    return {"busy": busy, "empty": empty, "target": target, "sessions": sessions}


def serve(folder: str, port: int) -> None:
    import uvicorn
    app, _db = build_app(Path(folder))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_ms(port: int, path: str, n: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    for i in range(n + 5):
        start = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200, resp.status
        if i >= 5:
            times.append((time.perf_counter() - start) * 1000)
    conn.close()
    return times


def poster(port: int, cookie: str, csrf: str, target: int, count: int, out: list, errors: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n in range(count):
        body = urlencode({"csrf": csrf, "subject_type": "article", "subject_id": target,
                          "body": f"Load comment {n} {secrets.token_hex(4)} about the talks.",
                          "idem": secrets.token_hex(8)})
        start = time.perf_counter()
        conn.request("POST", "/comments", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
            "Cookie": cookie})
        resp = conn.getresponse()
        resp.read()
        out.append((time.perf_counter() - start) * 1000)
        if resp.status != 201:
            errors.append(resp.status)
    conn.close()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--comments", type=int, default=500)
    ap.add_argument("--posters", type=int, default=20)
    ap.add_argument("--posts-per-poster", type=int, default=25)
    ap.add_argument("--renders", type=int, default=60)
    ap.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    from itsdangerous import URLSafeTimedSerializer
    folder = Path(tempfile.mkdtemp(prefix="comments-bench-"))
    t0 = time.perf_counter()
    data = seed(folder, args.comments, args.posters)
    print(f"seeded {args.comments} comments and {args.posters} readers in {time.perf_counter() - t0:.1f} s")
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(folder), str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print("server did not start")
                    return 2
                time.sleep(0.1)
        busy = get_ms(port, f"/articles/{data['busy']}", args.renders)
        empty = get_ms(port, f"/articles/{data['empty']}", args.renders)
        busy_med, empty_med = statistics.median(busy), statistics.median(empty)
        ratio = busy_med / empty_med
        print(f"render /articles/{{id}}, page with {args.comments} comments: median {busy_med:.1f} ms "
              f"(p95 {pct(busy, 95):.1f}); with none: median {empty_med:.1f} ms "
              f"(p95 {pct(empty, 95):.1f}); ratio {ratio:.2f}x (floor < 2.00x): "
              f"{'PASS' if ratio < 2 else 'FAIL'}")
        serializer = URLSafeTimedSerializer(SECRET, salt="newsdesk.session")
        threads, latencies, errors = [], [], []
        for token in data["sessions"]:
            csrf = secrets.token_urlsafe(16)
            cookie = "newsdesk_session=" + serializer.dumps({"csrf": csrf, "reader": token})
            threads.append(threading.Thread(target=poster, args=(port, cookie, csrf, data["target"],
                                                                 args.posts_per_poster, latencies, errors)))
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        p99 = pct(latencies, 99)
        print(f"post under load: {len(latencies)} posts by {args.posters} concurrent posters in "
              f"{wall:.1f} s ({len(latencies) / wall:.0f}/s); latency p50 {pct(latencies, 50):.1f} ms, "
              f"p95 {pct(latencies, 95):.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms; "
              f"errors {len(errors)} (floor p99 < 100 ms): {'PASS' if p99 < 100 and not errors else 'FAIL'}")
        return 0 if ratio < 2 and p99 < 100 and not errors else 1
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
