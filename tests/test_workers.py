"""Workers as an operator runs them: the extraction processes die with a ``kill -9``'d
``newsdesk run``; a claim is renewed while a slow refresh runs, so another worker never
fetches the same source; a source's outcome and its fetch-history row are one write; an
idle worker places articles left without a story; and a store that commits while another
worker finishes its stories pass is not left behind (the interleaving forced by a hook)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from newsdesk.errors import StorageError
from newsdesk.ingest.refresh import Ingest
from newsdesk.ingest.scheduler import run_forever, run_round
from newsdesk.storage import sources as source_store
from newsdesk.storage import stories as story_store
from newsdesk.storage.db import Database
from newsdesk.stories.stage import StoriesStage
from newsstream import make_stream, routes
from processes import alive, descendants
from servers import LoopbackServer, Response
from test_stories_stage import SPORT, T0, WIRE, _add, _story


def _site(stream) -> LoopbackServer:
    server = LoopbackServer().start()
    for path, body in routes(stream, server.url("")).items():
        kind = "application/rss+xml" if path.endswith(".xml") else "text/html; charset=utf-8"
        server.routes[path] = Response(200, {"Content-Type": kind}, body)
    return server


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_kill_9_of_a_worker_leaves_no_process_behind(tmp_path):
    stream = make_stream(outlets=3, events=8, seed=1)
    server = _site(stream)
    url = f"sqlite:///{tmp_path / 'newsdesk.db'}"
    db = Database.from_url(url)
    try:
        for outlet in range(stream.outlets):
            source_store.add_source(db, server.url(f"/o{outlet}/feed.xml"))
        env = dict(os.environ, NEWSDESK_DATABASE_URL=url, NEWSDESK_DATA_DIR=str(tmp_path),
                   NEWSDESK_EXTRACT_PROCESSES="2", NEWSDESK_ALLOWED_NETWORKS="127.0.0.0/8",
                   NEWSDESK_EMBEDDINGS="off")
        worker = subprocess.Popen([sys.executable, "-m", "newsdesk", "run", "--idle", "1"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline, children = time.monotonic() + 90, set()
        while time.monotonic() < deadline and len(children) < 3:  # 2 extractors + the tracker
            time.sleep(0.2)
            children = descendants(worker.pid)
        assert len(children) >= 3, f"the worker started {len(children)} processes"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(p) for p in children):
            time.sleep(0.2)
        assert not [p for p in children if alive(p)], "orphans outlived the killed worker"
    finally:
        server.stop()
        db.close()


def test_a_slow_refresh_keeps_its_claim_and_no_other_worker_fetches_it(db, settings):
    stream = make_stream(outlets=1, events=2, seed=2)
    server = _site(stream)
    feed = server.routes["/o0/feed.xml"]

    def slow(request):  # longer than claim_ttl: without renewals the claim would lapse
        time.sleep(13)
        return feed
    server.routes["/o0/feed.xml"] = slow
    settings = settings.with_(claim_ttl=10, fetch_timeout=30, fetch_deadline=40)
    source_store.add_source(db, server.url("/o0/feed.xml"))
    try:
        with Ingest.open(settings, db) as first, Ingest.open(settings, db) as second:
            results: list = []
            running = threading.Thread(target=lambda: results.extend(run_round(first, "w1")))
            running.start()
            time.sleep(11.5)                     # the first claim's ttl has passed
            assert run_round(second, "w2") == []  # still claimed: renewed by the heartbeat
            running.join(30)
        assert [r.status for r in results] == ["ok"]
        assert server.paths().count("/o0/feed.xml") == 1
    finally:
        server.stop()


def _fail_fetch_log(db) -> None:
    with db.write() as conn:
        if db.is_sqlite:
            conn.execute(text("CREATE TRIGGER no_log BEFORE INSERT ON fetch_log "
                              "BEGIN SELECT RAISE(ABORT, 'disk full'); END"))
        else:
            conn.execute(text("CREATE FUNCTION no_log() RETURNS trigger AS "
                              "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER no_log BEFORE INSERT ON fetch_log "
                              "FOR EACH ROW EXECUTE FUNCTION no_log()"))


def test_a_source_outcome_and_its_fetch_history_row_are_written_together(db):
    source = source_store.add_source(db, "http://a.example/feed")
    [claimed] = source_store.claim_due(db, "w1", 10, 60)
    log = dict(started_at=source_store.now(), duration_ms=5, status="ok", http_status=200,
               new_articles=3, error=None)
    _fail_fetch_log(db)
    with pytest.raises((StorageError, DBAPIError)):  # the database refused the row
        source_store.record_check(db, claimed.id, "w1", log, last_checked_at=source_store.now(),
                                  error_count=0)
    after = source_store.get_source(db, source.id)
    assert after.claimed_by == "w1" and after.last_checked_at is None  # neither was written
    with db.write() as conn:
        conn.execute(text("DROP TRIGGER no_log" if db.is_sqlite else "DROP TRIGGER no_log ON fetch_log"))
    source_store.record_check(db, claimed.id, "w1", log, last_checked_at=source_store.now())
    after = source_store.get_source(db, source.id)
    assert after.claimed_by is None and after.last_checked_at is not None
    assert [h["new_articles"] for h in source_store.fetch_history(db, source.id)] == [3]


def test_an_idle_worker_places_articles_left_without_a_story(db, settings):
    src = source_store.add_source(db, "http://a.example/feed")
    left = _add(db, src.id, "1", "Biden and Putin speak by phone", WIRE, T0)  # stored, then a crash
    stop = threading.Event()
    with Ingest.open(settings, db) as ingest:
        ingest.on_idle.append(StoriesStage(settings, db).idle)
        worker = threading.Thread(target=run_forever, args=(ingest, "w1", stop),
                                  kwargs={"idle_seconds": 0.2})
        worker.start()
        deadline = time.monotonic() + 60
        while _story(db, left) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        worker.join(30)
    assert _story(db, left) is not None
    assert story_store.count_pending(db) == 0


def test_a_store_committing_while_another_worker_ends_its_pass_is_placed(db, db_url, settings):
    """Worker B holds the stories lock and has found nothing more to do; worker A then
    commits an article and is refused the lock. B must place it after releasing."""
    if db.is_sqlite:
        pytest.skip("one worker per SQLite database: the race is between processes on PostgreSQL")
    other_db = Database.from_url(db_url)   # worker A: its own connections, its own stage
    try:
        src = source_store.add_source(db, "http://a.example/feed")
        first = _add(db, src.id, "1", "Biden and Putin speak by phone", WIRE, T0)
        worker_a, worker_b = StoriesStage(settings, other_db), StoriesStage(settings, db)
        late: list[int] = []

        def store_during_the_end_of_the_pass():
            if late:
                return
            late.append(_add(other_db, src.id, "2", "Norway wins relay", SPORT,
                             T0 + timedelta(hours=1)))
            worker_a(late)                       # refused the lock: B holds it
            assert _story(db, late[0]) is None
        worker_b.pass_ending = store_during_the_end_of_the_pass
        worker_b.process_pending()
        assert late and _story(db, first) is not None
        assert _story(db, late[0]) is not None
    finally:
        other_db.close()

