"""Backup and moving house, on a real demo installation: export -> import reproduces every
page byte for byte (SQLite) and every JSON twin (PostgreSQL); every table is exported;
a bad or truncated file changes nothing; a backup taken while 20 readers load pages (and a
writer commits) costs them no error and is a whole, working database."""

from __future__ import annotations

import io
import json
import math
import shutil
import socket
import subprocess
import threading
import time
import uuid

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from starlette.testclient import TestClient

from newsdesk.demo.build import build_demo
from newsdesk.settings import Settings
from newsdesk.storage import backup as backup_store
from newsdesk.storage import transfer
from newsdesk.storage.db import Database
from newsdesk.web import create_app
from tests.conftest import PG_URL, pg_schema_url

# Tables a SQLite database has that an export leaves out on purpose (see transfer.py).
NOT_EXPORTED = {"schema_version", "sqlite_sequence", "articles_fts", "articles_fts_data",
                "articles_fts_idx", "articles_fts_docsize", "articles_fts_config"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A small demo installation, plus a reader with a comment, a follow and an article
    with two versions, so the community and revision tables hold rows too."""
    folder = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=str(folder), allowed_networks="127.0.0.0/8,::1",
                        extract_processes=0, fetch_workers=4, page_cache_seconds=0,
                        database_url=f"sqlite:///{folder / 'demo.db'}")
    db = Database.open(settings)
    build_demo(settings, db, limit=3)
    from newsdesk.community.accounts import Accounts
    with db.read() as conn:
        story_id, article_id = conn.execute(text(
            "SELECT story_id, article_id FROM article_story ORDER BY article_id LIMIT 1")).one()
    with db.write() as conn:
        from newsdesk.storage.versions import save_revision
        from newsdesk.storage.sources import now
        row = conn.execute(text("SELECT title, text FROM articles WHERE id = :a"), {"a": article_id}).one()
        save_revision(conn, article_id, {"title": row.title + " (updated)", "text": row.text + "\n\nA new line.",
                                         "html": None, "summary": None, "content_hash": "x" * 64,
                                         "word_count": 3}, "feed", now())
        conn.execute(text("INSERT INTO article_checks (article_id, source_id, checks, versions) "
                          "SELECT id, source_id, 1, 2 FROM articles WHERE id = :a "
                          "ON CONFLICT (article_id) DO UPDATE SET versions = 2"), {"a": article_id})
    user = Accounts(db).signup("reader1", "correct horse battery", email="r@example.org")
    with db.write() as conn:
        conn.execute(text("INSERT INTO comments (subject_type, subject_id, depth, user_id, body, html, "
                          "status, created_at) VALUES ('story', :s, 0, :u, 'Good', '<p>Good</p>', "
                          "'visible', :n)"), {"s": story_id, "u": user.id, "n": now()})
        conn.execute(text("INSERT INTO follows (user_id, kind, target, created_at) "
                          "VALUES (:u, 'story', :s, :n)"), {"u": user.id, "s": str(story_id), "n": now()})
    yield {"settings": settings, "db": db, "story_id": story_id, "article_id": article_id}
    db.close()


def export_text(db, **options) -> str:
    out = io.StringIO()
    transfer.export(db, out, **options)
    return out.getvalue()


def page_urls(db) -> list[str]:
    with db.read() as conn:
        stories = [r[0] for r in conn.execute(text("SELECT id FROM stories ORDER BY id"))]
        articles = [r[0] for r in conn.execute(text("SELECT id FROM articles ORDER BY id"))]
        sources = [r[0] for r in conn.execute(text("SELECT id FROM sources ORDER BY id"))]
        tags = [r[0] for r in conn.execute(text("SELECT DISTINCT slug FROM story_tags ORDER BY slug LIMIT 15"))]
        versions = conn.execute(text("SELECT article_id, version FROM article_versions")).all()
    urls = ["/", "/index.json", "/outlets", "/outlets.json", "/about", "/search?q=president",
            "/search.json?q=president", "/feed.rss", "/feed.atom"]
    urls += [f"/stories/{i}{x}" for i in stories for x in ("", ".json", ".rss")]
    urls += [f"/articles/{i}{x}" for i in articles for x in ("", ".json")]
    urls += [f"/outlets/{i}{x}" for i in sources for x in ("", ".json")]
    urls += [f"/tags/{t}{x}" for t in tags for x in ("", ".json")]
    urls += [f"/articles/{a}/versions/{v}{x}" for a, v in versions for x in ("", ".json")]
    return urls


def test_every_table_is_exported(demo):
    db = demo["db"]
    with db.read() as conn:
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    header = json.loads(export_text(db, with_secrets=True).splitlines()[0])
    assert set(header["tables"]) == tables - NOT_EXPORTED, "a table is missing from the export"
    # parents come before children, so an import never meets a dangling reference
    order = header["tables"]
    assert order.index("sources") < order.index("articles") < order.index("article_versions")
    assert order.index("users") < order.index("comments")


def test_secrets_stay_home_unless_asked(demo):
    lines = [json.loads(line) for line in export_text(demo["db"]).splitlines()]
    assert not {"user_sessions", "password_resets"} & set(lines[0]["tables"])
    users = [r["r"] for r in lines if r.get("t") == "users"]
    assert users and all(u["password_hash"] == "!" for u in users)
    full = [json.loads(line) for line in export_text(demo["db"], with_secrets=True).splitlines()]
    assert [r["r"]["password_hash"] for r in full if r.get("t") == "users"][0].startswith("$argon2")


def test_sqlite_round_trip_reproduces_every_page_byte_for_byte(demo, tmp_path):
    settings, urls = demo["settings"], page_urls(demo["db"])
    with TestClient(create_app(settings, demo["db"])) as warm:   # pages compute missing AI
        for url in urls:                                          # results on request and
            warm.get(url)                                         # store them: do it first
    dump = export_text(demo["db"], with_secrets=True)
    copy = Database.from_url(f"sqlite:///{tmp_path / 'copy.db'}")
    counts = transfer.import_(copy, io.StringIO(dump))
    assert counts["articles"] > 10 and counts["article_versions"] == 2 and counts["comments"] == 1
    with TestClient(create_app(settings, demo["db"])) as before, \
            TestClient(create_app(settings, copy)) as after:
        for url in urls:
            a, b = before.get(url), after.get(url)
            assert a.status_code == 200, url
            assert (b.status_code, b.content) == (a.status_code, a.content), url
    assert export_text(copy, with_secrets=True).splitlines()[1:] == dump.splitlines()[1:]
    copy.close()


def _close(a, b, path="") -> None:
    """JSON values equal, floats to float4 precision (PostgreSQL's REAL)."""
    if isinstance(a, float) or isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9), (path, a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


@pytest.mark.postgres
def test_move_to_postgresql_keeps_every_json_twin(demo):
    if not PG_URL:
        pytest.skip("PostgreSQL variant: set NEWSDESK_TEST_POSTGRES_URL to run it")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = Database.from_url(PG_URL, migrate=False)
    with admin.write() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        pg = Database.from_url(pg_schema_url(PG_URL, schema))
        original = transfer.import_(pg, io.StringIO(export_text(demo["db"], with_secrets=True)))
        # relevance and snippets are each engine's own (FTS5's bm25 and snippet(),
        # PostgreSQL's ts_rank and ts_headline): search is compared by date, without snippets
        urls = [u.replace("q=president", "q=president&sort=date")
                for u in page_urls(demo["db"]) if ".json" in u]
        with TestClient(create_app(demo["settings"], demo["db"])) as before, \
                TestClient(create_app(demo["settings"], pg)) as after:
            for url in urls:
                a, b = before.get(url), after.get(url)
                assert b.status_code == a.status_code == 200, url
                a, b = a.json(), b.json()
                for found in (a, b) if url.startswith("/search") else ():
                    for result in found["results"]:
                        result.pop("snippet", None)
                _close(a, b, url)
        # and back: an export from PostgreSQL loads into SQLite with every row
        back = Database.from_url(f"sqlite:///{demo['settings'].data_dir}/back-{schema}.db")
        counts = transfer.import_(back, io.StringIO(export_text(pg, with_secrets=True)))
        assert counts == {k: v for k, v in original.items() if v}
        with TestClient(create_app(demo["settings"], back)) as client:
            assert client.get(f"/articles/{demo['article_id']}/versions/2").status_code == 200
        back.close()
        # new rows get new ids after the imported ones
        with pg.write() as conn:
            new_id = conn.execute(text("INSERT INTO sources (url, kind, enabled, full_text, error_count) "
                                       "VALUES ('http://x.example/feed', 'feed', TRUE, TRUE, 0) RETURNING id")).scalar()
            assert new_id > conn.execute(text("SELECT max(id) FROM sources WHERE id <> :i"), {"i": new_id}).scalar()
        pg.close()
    finally:
        with admin.write() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.close()


def test_bad_imports_change_nothing(demo, tmp_path):
    dump = export_text(demo["db"])
    target = Database.from_url(f"sqlite:///{tmp_path / 't.db'}")
    cut = "\n".join(dump.splitlines()[:-40]) + "\n"
    for bad, message in ((cut, "truncated"), ("", "empty"), ("{nonsense\n", "not a newsdesk export"),
                         ('{"format": "newsdesk-export", "version": 1, "schema_version": 999}\n', "upgrade")):
        with pytest.raises(Exception, match=message):
            transfer.import_(target, io.StringIO(bad))
        with target.read() as conn:
            assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 0
    transfer.import_(target, io.StringIO(dump))
    with pytest.raises(Exception, match="not empty"):
        transfer.import_(target, io.StringIO(dump))
    target.close()


def test_backup_of_a_live_site_while_twenty_readers_load_pages(demo, tmp_path):
    live = tmp_path / "live.db"
    backup_store.backup(demo["db"], live)       # a copy of the demo is the live site
    db = Database.from_url(f"sqlite:///{live}")
    with db.write() as conn:   # some bulk (30 MB), so each copy takes a while
        conn.execute(text("INSERT INTO fetch_log (source_id, started_at, duration_ms, status, error) "
                          "VALUES (1, '2026-01-01 00:00:00.000000', 1, 'error', :e)"),
                     [{"e": f"{i} " + "x" * 1500} for i in range(20000)])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(demo["settings"], db), host="127.0.0.1",
                                           port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    urls = [u for u in page_urls(db) if "/search" not in u][:60]
    errors, loads, stop = [], [0], threading.Event()

    def reader(n: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            i = n
            while not stop.is_set():
                try:
                    status = client.get(urls[i % len(urls)]).status_code
                    if status != 200:
                        errors.append(status)
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))
                loads[0] += 1
                i += 7

    def writer() -> None:   # the site keeps changing while it is copied
        while not stop.is_set():
            with db.write() as conn:
                conn.execute(text("INSERT INTO fetch_log (source_id, started_at, duration_ms, status) "
                                  "VALUES (1, '2026-01-01 00:00:00.000000', 1, 'ok')"))
            time.sleep(0.01)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(20)] + [threading.Thread(target=writer)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 60
        while loads[0] < 20 and time.monotonic() < deadline:   # every reader is at it
            time.sleep(0.05)
        before = loads[0]
        started = time.monotonic()
        copies = [backup_store.backup(db, tmp_path / f"copy{i}.db") for i in range(3)]
        during, took = loads[0] - before, time.monotonic() - started
        while loads[0] < before + during + 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
        server.should_exit = True
        thread.join(timeout=10)
    assert errors == [] and loads[0] >= before + 20
    print(f"3 backups of {copies[0].bytes / 1e6:.0f} MB in {took:.2f} s while readers loaded "
          f"{during} pages; {loads[0]} pages in all, 0 errors")
    with db.read() as conn:
        articles = conn.execute(text("SELECT count(*) FROM articles")).scalar()
    for copy in copies:
        assert copy.articles == articles
        restored = Database.from_url(f"sqlite:///{copy.path}")
        with TestClient(create_app(demo["settings"], restored)) as client:
            assert client.get("/").status_code == 200
            assert client.get(f"/articles/{demo['article_id']}").status_code == 200
        restored.close()
    with pytest.raises(Exception, match="exists"):
        backup_store.backup(db, copies[0].path)
    db.close()


@pytest.mark.postgres
def test_postgresql_backup_is_a_pg_dump_archive(db, tmp_path):
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    if shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed")
    done = backup_store.backup(db, tmp_path / "site.dump")
    listing = subprocess.run(["pg_restore", "--list", str(done.path)], capture_output=True, text=True)
    assert listing.returncode == 0 and "TABLE public articles" not in listing.stdout
    assert " articles " in listing.stdout and " article_versions " in listing.stdout
