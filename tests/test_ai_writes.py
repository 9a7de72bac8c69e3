"""A page never waits for the database's writer to see an AI result: on SQLite an ingest
worker holds the one write lock for as long as it stores and clusters, and a computed
result reaches the waiting page (and the next computation starts) while its write waits;
the write lands when the lock is free."""

import sqlite3
import time

from sqlalchemy import text

from newsdesk.ai.service import AIService
from newsdesk.storage.articles import insert_articles
from newsdesk.storage.db import Database
from newsdesk.storage.sources import add_source
from test_ai_since import MORNING
from test_web_fixtures import _row


def _stories(db: Database) -> list[int]:
    sources = [add_source(db, f"https://example.org/{n}/feed", title=f"Outlet {n}") for n in range(2)]
    stories = []
    with db.write() as conn:
        for s, doc in enumerate(MORNING):
            ids = insert_articles(conn, [_row(sources[s].id, s, doc.title, doc.text, doc.date)], db.dialect)
            stories.append(conn.execute(text(
                "INSERT INTO stories (title, lead_article_id, first_seen, last_seen, article_count, "
                "outlet_count, updated_at) VALUES (:t, :a, :w, :w, 1, 1, :w) RETURNING id"),
                {"t": doc.title, "a": ids[0], "w": doc.date.replace(tzinfo=None)}).scalar())
            conn.execute(text("INSERT INTO article_story (article_id, story_id, similarity) "
                              "VALUES (:a, :s, 1)"), {"a": ids[0], "s": stories[-1]})
    return stories


def _stored(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM ai_results").fetchone()[0]


def test_results_reach_the_page_while_another_process_holds_the_write_lock(tmp_path, settings):
    path = tmp_path / "w.db"
    db = Database.from_url(f"sqlite:///{path}")
    stories = _stories(db)
    worker = sqlite3.connect(path, isolation_level=None)   # "the ingest worker", another connection
    worker.execute("BEGIN IMMEDIATE")                       # holds SQLite's write lock
    service = AIService(settings, db)
    try:
        for story in stories:   # one after the other: the second is computed while the
            began = time.monotonic()   # first one's write still waits for the lock
            panel = service.story_panel(story, wait=20)
            assert panel["summary"] is not None and panel["timeline"] is not None
            assert time.monotonic() - began < 10, "the page waited for the write lock"
        assert _stored(path) == 0                # nothing could be written yet...
        again = service.story_panel(stories[0], wait=0)   # ...and a second reader is answered
        assert again["summary"] is not None      # from the finished computation in memory
        worker.execute("COMMIT")                  # the worker lets go: the writes land
        assert service.settle(timeout=30)         # every result computed so far is written
        assert _stored(path) == 2 * 4             # 4 parts of each of the 2 stories
        cached = service.story_panel(stories[1], wait=0)   # read back from the table
        assert cached["compare"] is not None
    finally:
        if worker.in_transaction:
            worker.execute("ROLLBACK")
        worker.close()
        service.close()
        db.close()
