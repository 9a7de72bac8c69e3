"""PostgreSQL keeps an article's search vector in its row (``migrations/i16_toast.py``): a
search reads it with the row, not from the TOAST table. On a new database and on one
migrated from the version before, where the articles already stored keep their layout
until the table is rewritten, and are found exactly as before, rewritten or not."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from newsdesk.storage import migrations, searching, sources
from newsdesk.storage.db import Database
from newsdesk.storage.migrations.i16_toast import REWRITE, lz4_available, m_i16_search_storage
from test_search import _add

# A long article: its row passes ~2 kB, so its long values are compressed or moved out of
# the row. Its vector holds a lexeme per distinct word, so the words differ.
LONG = " ".join(f"The harbour pilots said containerterminal{n} was late again." for n in range(300))


def _layout(db, aid: int) -> dict:
    """Where the article's vector is: in the TOAST table ("toast", the table then holds
    more than its text) or in the row ("row"); and how vector and text are compressed."""
    with db.read() as conn:
        toast = conn.execute(text("SELECT reltoastrelid::regclass FROM pg_class "
                                  "WHERE oid = 'articles'::regclass")).scalar()
        outside = conn.execute(text(f"SELECT coalesce(sum(octet_length(chunk_data)), 0) "
                                    f"FROM {toast}")).scalar()
        row = conn.execute(text(
            "SELECT pg_column_size(search_vector) AS vector, pg_column_size(text) AS text, "
            "pg_column_compression(search_vector) AS vc, pg_column_compression(text) AS tc "
            "FROM articles WHERE id = :a"), {"a": aid}).one()
    assert outside in (0, row.text) or outside >= row.vector   # one article in the table
    return {"vector": "row" if outside in (0, row.text) else "toast",
            "compression": (row.vc, row.tc)}


def _columns(db) -> dict:
    with db.read() as conn:
        return {r.attname: (r.attstorage, r.attcompression) for r in conn.execute(text(
            "SELECT attname, attstorage, attcompression FROM pg_attribute WHERE attrelid = "
            "'articles'::regclass AND attname IN ('search_vector', 'text', 'html')"))}


@pytest.fixture
def pg(db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    db = Database.from_url(db_url, migrate=False)
    with db.read() as conn:
        lz4 = lz4_available(conn)
    yield db, lz4
    db.close()


def _ids(found) -> list:
    return [(r["id"], r["rank"], r["snippet"]) for r in found.results]


def test_new_database_keeps_the_vector_in_the_row(pg):
    db, lz4 = pg
    migrations.migrate(db)
    lz = "l" if lz4 else ""
    assert _columns(db) == {"search_vector": ("m", lz), "text": ("x", lz), "html": ("x", "")}
    outlet = sources.add_source(db, "http://port.example/feed.xml", title="Port")
    aid = _add(db, outlet.id, 1, "Harbour pilots", LONG)
    layout = _layout(db, aid)
    assert layout["vector"] == "row"
    if lz4:
        assert layout["compression"] == ("lz4", "lz4")
    found = searching.search(db, "harbour pilots").results
    assert [r["id"] for r in found] == [aid] and "\x02" in found[0]["snippet"]


def test_existing_database_keeps_its_rows_until_rewritten_and_finds_the_same(pg, monkeypatch):
    db, lz4 = pg
    number = migrations.MIGRATIONS.index(m_i16_search_storage) + 1
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:number - 1])
    migrations.migrate(db)   # the database as the version before that migration left it
    assert _columns(db)["search_vector"] == ("x", "")
    outlet = sources.add_source(db, "http://port.example/feed.xml", title="Port")
    old = _add(db, outlet.id, 1, "Harbour pilots", LONG)
    # pglz gives up on the vector (no repeats in its first kilobyte): stored raw, outside
    assert _layout(db, old) == {"vector": "toast", "compression": (None, "pglz")}
    before = _ids(searching.search(db, "harbour pilots"))
    monkeypatch.undo()
    assert migrations.migrate(db) == list(range(number, len(migrations.MIGRATIONS) + 1))
    assert _columns(db)["search_vector"][0] == "m"
    assert _layout(db, old)["vector"] == "toast"   # rows stored before are not moved
    assert _ids(searching.search(db, "harbour pilots")) == before
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(REWRITE))
    assert _layout(db, old) == {"vector": "row",
                                "compression": ("lz4" if lz4 else None, "pglz")}
    assert _ids(searching.search(db, "harbour pilots")) == before
    new = _add(db, outlet.id, 2, "Harbour pilots", LONG)
    found = searching.search(db, "harbour pilots", limit=5).results
    assert [r["id"] for r in found] == [new, old]   # same words, same rank: newest first
    assert found[0]["rank"] == found[1]["rank"] and found[0]["snippet"] == found[1]["snippet"]
