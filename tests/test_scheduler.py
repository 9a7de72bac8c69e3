"""The database is the queue: several real worker processes share one database and
every source is fetched exactly once per round; `newsdesk run` stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

from newsdesk.storage import articles as store
from newsdesk.storage import sources as source_store
from tests.servers import LoopbackServer, Response

SOURCES = 24


def _feed(n: int) -> bytes:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>'
            f"<item><title>Item of feed {n}</title><guid>feed-{n}-item</guid>"
            f"<description>Text of the only item of feed number {n}.</description></item>"
            f"</channel></rss>").encode()


def _slow_feed(n: int):
    def route(request):
        time.sleep(0.05)  # long enough that the workers really overlap
        return Response(200, {"Content-Type": "application/rss+xml"}, _feed(n))
    return route


def _cli(db_url: str, *args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "NEWSDESK_ALLOWED_NETWORKS": "127.0.0.0/8", "NEWSDESK_BATCH_SIZE": "3",
           "NEWSDESK_FETCH_WORKERS": "2"}
    return subprocess.Popen([sys.executable, "-m", "newsdesk", "--db", db_url, *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def test_three_workers_fetch_every_source_exactly_once_per_round(db, db_url):
    with LoopbackServer({f"/feed/{n}": _slow_feed(n) for n in range(SOURCES)}) as server:
        for n in range(SOURCES):
            source_store.add_source(db, server.url(f"/feed/{n}"), full_text=False)
        workers = [_cli(db_url, "fetch", "--due") for _ in range(3)]
        outputs = [w.communicate(timeout=120) for w in workers]
        hits = Counter(server.paths())
    for w, (out, err) in zip(workers, outputs):
        assert w.returncode == 0, err
    assert hits == Counter({f"/feed/{n}": 1 for n in range(SOURCES)})
    assert store.count_articles(db) == SOURCES
    refreshed = [s for s in source_store.list_sources(db)]
    assert all(s.claimed_by is None and s.last_success_at is not None for s in refreshed)
    # every worker did a share of the work (claims are spread, not all taken by one)
    assert sum(1 for out, _ in outputs if "0 sources refreshed" not in out) >= 2


def test_run_finishes_in_flight_work_and_exits_on_sigterm(db, db_url):
    release = threading.Event()

    def held_feed(request):
        release.wait(10)  # a fetch that is in flight when SIGTERM arrives
        return Response(200, {"Content-Type": "application/rss+xml"}, _feed(0))

    with LoopbackServer({"/feed": held_feed}) as server:
        source = source_store.add_source(db, server.url("/feed"), full_text=False)
        worker = _cli(db_url, "run", "--idle", "0.2")
        deadline = time.time() + 30
        while not server.requests and time.time() < deadline:
            time.sleep(0.05)
        assert server.requests, "the worker never fetched"
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        release.set()
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "stopped after 1 refresh\n" in out
    assert store.count_articles(db, source.id) == 1  # the in-flight fetch was finished and stored


def test_a_forced_pass_leaves_no_claim_behind_so_the_next_pass_fetches_again(db, db_url, settings):
    """`newsdesk fetch` twice in a row: the second pass must make its requests. A forced
    pass once claimed every source a second time after its first batch, dropped them as
    already seen and left the claims to expire 15 minutes later."""
    from newsdesk.ingest.refresh import Ingest
    from newsdesk.ingest.scheduler import run_round
    with LoopbackServer({f"/feed/{n}": _slow_feed(n) for n in range(5)}) as server:
        for n in range(5):
            source_store.add_source(db, server.url(f"/feed/{n}"), full_text=False)
        with Ingest.open(settings.with_(batch_size=2), db) as ingest:
            first = run_round(ingest, "w1", force=True)
            assert all(s.claimed_by is None for s in source_store.list_sources(db))
            second = run_round(ingest, "w1", force=True)
        hits = Counter(server.paths())
    assert len(first) == len(second) == 5
    assert hits == Counter({f"/feed/{n}": 2 for n in range(5)})


def test_fetch_twice_from_the_command_line_requests_every_feed_twice(db, db_url):
    with LoopbackServer({f"/feed/{n}": _slow_feed(n) for n in range(4)}) as server:
        for n in range(4):
            source_store.add_source(db, server.url(f"/feed/{n}"), full_text=False)
        for _ in range(2):
            out, err = _cli(db_url, "fetch").communicate(timeout=120)
            assert "4 sources refreshed" in out, out + err
        hits = Counter(server.paths())
    assert hits == Counter({f"/feed/{n}": 2 for n in range(4)})
