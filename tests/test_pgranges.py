"""PostgreSQL's full-text index in id ranges (``pgranges``): searches find exactly what one
index over the archive finds, the planner really uses a range's index, and ``roll``
closes the tail as articles arrive without ever leaving an id uncovered."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from newsdesk.storage import pgranges, pgsearch, searching, sources
from test_search import _add

WORDS = ("harbour", "pilots", "nothing", "harbour pilots", "strike")


@pytest.fixture
def port(db):
    """60 articles from three outlets (two categories, two languages): 'harbour' in most,
    'pilots' in a third, 'nothing' in a few, 'strike' in two old ones."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    outlets = [sources.add_source(db, f"http://o{k}.example/feed.xml", title=f"Outlet {k}",
                                  category=("local", "world")[k % 2],
                                  language=("en", "fr")[k // 2]) for k in range(3)]
    ids = [_add(db, outlets[n % 3].id, n, f"Harbour note {n}" + (" strike" if n in (4, 9) else ""),
                "The harbour pilots said so." if n % 3 else
                ("Pilots said nothing." if n % 7 == 0 else "A quiet day at the harbour."))
           for n in range(60)]
    with db.write() as conn:   # the planner's estimates size the windows, as on a live site
        conn.execute(text("ANALYZE articles"))
    return {"db": db, "ids": ids, "outlets": outlets}


def _every_search(db, outlets) -> list:
    out = []
    for q in WORDS:
        for sort in ("relevance", "date"):
            for filters in ({}, {"category": "local"}, {"category": "world"},
                            {"language": "fr"}, {"outlet": outlets[1].id}):
                for bound, scan in ((5, 5), (5, 12), (12, 20), (100, 1000)):
                    found = searching.search(db, q, sort=sort, bound=bound, scan=scan,
                                             limit=100, **filters)
                    out.append(([r["id"] for r in found.results], found.complete,
                                found.matches, found.top, found.scanned))
    return out


def _index_in_pieces(db, size: int, monkeypatch) -> list:
    monkeypatch.setattr(pgranges, "RANGE", size)
    with db.write() as conn:
        pgranges.drop_all(conn)
        pgranges.create(conn)
    with db.read() as conn:
        return pgranges.ranges(conn)


def test_ranges_find_what_one_index_finds(port, monkeypatch):
    db = port["db"]
    with db.write() as conn:   # the index as it was before ranges: one over the archive
        pgranges.drop_all(conn)
        conn.execute(text("CREATE INDEX articles_search ON articles USING GIN (search_vector)"))
    with db.read() as conn:
        assert pgranges.ranges(conn) == []
    whole = _every_search(db, port["outlets"])
    assert _index_in_pieces(db, 7, monkeypatch)[:2] == [pgranges.Range(0, 7), pgranges.Range(7, 14)]
    assert _every_search(db, port["outlets"]) == whole
    monkeypatch.setattr(pgranges, "RANGE", 100_000)   # the walk rule sees other costs
    assert _index_in_pieces(db, 25, monkeypatch)[-1] == pgranges.Range(50, None)
    assert _every_search(db, port["outlets"]) == whole
    assert len(whole[0][0]) == 5 and len(set(map(str, whole))) > 30   # searches differ
    assert any(r[4] for r in whole) and not all(r[1] for r in whole)  # bounds were reached


def test_ranges_asked_together_find_what_each_finds(port, monkeypatch):
    """After the first range, the ranges expected to hold the rest are asked in one
    statement (their windows ORed): the same results, in fewer statements."""
    db = port["db"]
    _index_in_pieces(db, 7, monkeypatch)   # 9 ranges
    statements = []

    def count(conn, cursor, statement, *rest):
        statements.append(statement)
    from sqlalchemy import event
    event.listen(db.engine, "before_cursor_execute", count)
    monkeypatch.setattr(pgsearch, "ALL", 0)          # never: range by range
    each, asked_each = _every_search(db, port["outlets"]), len(statements)
    statements.clear()
    monkeypatch.setattr(pgsearch, "ALL", 10**9)      # as many as the rate so far asks for
    assert _every_search(db, port["outlets"]) == each
    assert len(statements) < asked_each
    assert any(" OR (a.id >= " in s for s in statements)
    event.remove(db.engine, "before_cursor_execute", count)


def test_the_planner_uses_a_ranges_index(db, monkeypatch):
    """A window inside a range: its index, ANDed with the key's bitmap of the window."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    outlet = sources.add_source(db, "http://o.example/feed.xml", title="O")
    with db.write() as conn:   # 3,000 short articles, 'pilots' in one in 50
        conn.execute(text(
            "INSERT INTO articles (source_id, entry_hash, title, text, fetched_at, extraction) "
            "SELECT :s, 'k' || n, 'Note ' || n, CASE WHEN n % 50 = 0 THEN 'pilots' "
            "ELSE 'harbour notes' END, now(), 'page' FROM generate_series(1, 3000) n"),
            {"s": outlet.id})
        conn.execute(text("ANALYZE articles"))
    _index_in_pieces(db, 1000, monkeypatch)
    with db.write() as conn:
        pgsearch._plan(conn, walk=False)   # as the search asks: bitmap scans
        plan = "\n".join(conn.execute(text(
            "EXPLAIN SELECT a.id FROM articles a WHERE a.search_vector @@ "
            f"websearch_to_tsquery('english', 'pilots') AND {pgranges.window(1200, 1800)} "
            "ORDER BY a.id DESC LIMIT 5")).scalars())
    assert "BitmapAnd" in plan and "articles_search_1000_2000" in plan, plan   # the range's
    assert "Index Scan on articles_pkey" in plan, plan                         # the window's


def test_roll_closes_the_tail_and_every_id_stays_covered(port, monkeypatch):
    db, outlets = port["db"], port["outlets"]
    assert _index_in_pieces(db, 25, monkeypatch) == [
        pgranges.Range(0, 25), pgranges.Range(25, 50), pgranges.Range(50, None)]
    assert pgranges.roll(db) == []            # the tail holds 10 ids: nothing to do
    for n in range(60, 130):
        _add(db, outlets[n % 3].id, n, f"Pilots note {n}", "The harbour pilots said so.")
    with db.write() as conn:   # estimates as the roll's index builds leave them
        conn.execute(text("ANALYZE articles"))
    before = _every_search(db, outlets)
    assert pgranges.roll(db) == [pgranges.Range(50, 75), pgranges.Range(75, 100),
                                 pgranges.Range(100, 125), pgranges.Range(125, None)]
    with db.read() as conn:
        assert pgranges.ranges(conn)[-2:] == [pgranges.Range(100, 125), pgranges.Range(125, None)]
        names = set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE indexname "
                                      "LIKE 'articles_search_%' AND schemaname = "
                                      "current_schema()")).scalars())
    assert "articles_search_50_up" not in names and len(names) == 6
    assert pgranges.roll(db) == []
    assert _every_search(db, outlets) == before


def test_the_workers_chores_close_a_full_tail(port, monkeypatch, settings):
    from newsdesk.ingest.refresh import Ingest
    from newsdesk.ingest.scheduler import run_chores
    db, outlets = port["db"], port["outlets"]
    _index_in_pieces(db, 25, monkeypatch)
    for n in range(60, 80):
        _add(db, outlets[0].id, n, f"Pilots note {n}")
    with Ingest.open(settings, db) as ingest:
        assert run_chores(ingest) >= 2
        with db.read() as conn:
            assert pgranges.ranges(conn)[-2:] == [pgranges.Range(50, 75),
                                                  pgranges.Range(75, None)]
        assert run_chores(ingest) == 0


def test_a_gap_in_the_ranges_falls_back_to_one_piece(port, monkeypatch):
    db = port["db"]
    _index_in_pieces(db, 20, monkeypatch)
    expected = _every_search(db, port["outlets"])
    with db.write() as conn:   # a range lost (a failed build): the search still answers
        conn.execute(text("DROP INDEX articles_search_20_40"))
    with db.read() as conn:
        assert pgranges.ranges(conn) == []
    assert _every_search(db, port["outlets"]) == expected
    assert pgranges.roll(db) == []


def test_an_outlet_search_reaches_past_the_newest_matches_of_the_words(port):
    """With an outlet, PostgreSQL starts from the outlet's own articles: its newest matches
    however many other outlets' matches are newer (a category stops at the ``scan``
    newest matches of the words and says so)."""
    db, outlet = port["db"], port["outlets"][1]
    everything = searching.search(db, "pilots", sort="date", bound=100, limit=100).results
    theirs = sorted((r["id"] for r in everything if r["outlet"]["id"] == outlet.id),
                    reverse=True)
    assert len(theirs) > 8
    found = searching.search(db, "pilots", outlet=outlet.id, bound=4, scan=6, limit=100)
    assert sorted((r["id"] for r in found.results), reverse=True) == theirs[:4]
    assert found.scanned is None and not found.complete and found.matches == 4
    whole = searching.search(db, "pilots", outlet=outlet.id, bound=100, scan=6, limit=100)
    assert sorted(r["id"] for r in whole.results) == sorted(theirs) and whole.complete
    by_category = searching.search(db, "pilots", category="world", bound=4, scan=6, limit=100)
    assert by_category.scanned == 6 and len(by_category.results) < 4   # still bounded


def test_roll_does_nothing_on_sqlite(db):
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    assert pgranges.roll(db) == []
