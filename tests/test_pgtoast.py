"""PostgreSQL stores the articles' search vector and text compressed with lz4 (faster to
read back than the default pglz: ``migrations/i16_toast.py``), on a new database and on one
migrated from the version before, where the articles already stored keep pglz and are
still found exactly as before."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from newsdesk.storage import migrations, searching, sources
from newsdesk.storage.db import Database
from newsdesk.storage.migrations.i16_toast import COLUMNS, lz4_available
from test_search import _add

# long enough to be compressed (a value is compressed once its row passes ~2 kB): the
# vector holds a lexeme per distinct word, so the words differ
LONG = " ".join(f"The harbour pilots said containerterminal{n} was late again." for n in range(300))


def _compression(db, aid: int) -> tuple:
    with db.read() as conn:
        return tuple(conn.execute(text(
            "SELECT pg_column_compression(search_vector), pg_column_compression(text) "
            "FROM articles WHERE id = :a"), {"a": aid}).one())


def _methods(db) -> dict:
    with db.read() as conn:
        return dict(conn.execute(text(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = "
            "'articles'::regclass AND attname IN ('search_vector', 'text', 'html')")).all())


@pytest.fixture
def pg_url(db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    db = Database.from_url(db_url, migrate=False)
    with db.read() as conn:
        if not lz4_available(conn):
            pytest.skip("this PostgreSQL server has no lz4")
    db.close()
    return db_url


def test_new_database_compresses_vector_and_text_with_lz4(pg_url):
    db = Database.from_url(pg_url)
    try:
        assert _methods(db) == {"search_vector": "l", "text": "l", "html": ""}
        outlet = sources.add_source(db, "http://port.example/feed.xml", title="Port")
        aid = _add(db, outlet.id, 1, "Harbour pilots", LONG)
        assert _compression(db, aid) == ("lz4", "lz4")
        found = searching.search(db, "harbour pilots").results
        assert [r["id"] for r in found] == [aid] and "\x02" in found[0]["snippet"]
    finally:
        db.close()


def test_existing_database_keeps_its_rows_and_compresses_new_ones_with_lz4(pg_url, monkeypatch):
    db = Database.from_url(pg_url, migrate=False)
    try:
        monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:-1])
        migrations.migrate(db)   # the database as the version before left it
        assert _methods(db) == {"search_vector": "", "text": "", "html": ""}
        outlet = sources.add_source(db, "http://port.example/feed.xml", title="Port")
        old = _add(db, outlet.id, 1, "Harbour pilots", LONG)
        # pglz gives up on a vector whose first kilobyte (its lexemes' entries) has no
        # repeats: it is stored uncompressed (None)
        assert _compression(db, old) in ((None, "pglz"), ("pglz", "pglz"))
        stored = _compression(db, old)
        before = searching.search(db, "harbour pilots")
        monkeypatch.undo()
        assert migrations.migrate(db) == [len(migrations.MIGRATIONS)]
        assert set(COLUMNS) == {"search_vector", "text"}
        assert _methods(db) == {"search_vector": "l", "text": "l", "html": ""}
        assert _compression(db, old) == stored   # not rewritten
        assert searching.search(db, "harbour pilots") == before
        new = _add(db, outlet.id, 2, "Harbour pilots again", LONG)
        assert _compression(db, new) == ("lz4", "lz4")
        found = searching.search(db, "harbour pilots", limit=5).results
        assert sorted(r["id"] for r in found) == [old, new]
        assert found[0]["rank"] == found[1]["rank"]   # the same words score the same
    finally:
        db.close()
