"""Filtered lists at scale take another road on PostgreSQL, to the same rows.

A front page filtered to a small outlet lists that outlet's stories first (``front.few_match``)
instead of looking into every story newest first; an outlet page's undated articles are
read newest first from ``articles_undated`` (migration ``m_i16_undated_by_outlet``). These
tests build an archive where outlets share stories, some articles have no date, and check
that each road gives the rows the other gives, and the rows a reader expects."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from newsdesk.storage import front, reading, sources
from newsdesk.storage import articles as store

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def archive(db):
    """Three outlets (the third small), 60 articles in stories of 1-4 that mix outlets;
    every 7th article has no publication time."""
    outlets = [sources.add_source(db, f"http://o{k}.example/feed.xml", title=f"Outlet {k}",
                                  category=("world", "world", "science")[k], language="en")
               for k in range(3)]
    rows = []
    for n in range(60):
        source = outlets[2 if n % 10 == 3 else n % 2]
        rows.append({"source_id": source.id, "entry_hash": f"k{n}", "title": f"Item {n}",
                     "text": f"Text of item {n}.", "fetched_at": BASE + timedelta(hours=n),
                     "published_at": None if n % 7 == 0 else BASE + timedelta(hours=n, minutes=-5),
                     "extraction": "page", "language": "en"})
    with db.write() as conn:
        ids = store.insert_articles(conn, rows, db.dialect)
        groups, i = [], 0
        while i < len(ids):
            size = 1 + (i // 3) % 4
            groups.append(ids[i:i + size])
            i += size
        for g, members in enumerate(groups):
            first, last = BASE + timedelta(hours=ids.index(members[0])), \
                BASE + timedelta(hours=ids.index(members[-1]))
            story = conn.execute(text(
                "INSERT INTO stories (title, lead_article_id, first_seen, last_seen, "
                "article_count, outlet_count, updated_at) VALUES (:t, :lead, :f, :l, :n, 1, :l) "
                "RETURNING id"), {"t": f"Story {g}", "lead": members[-1], "n": len(members),
                                  "f": first.replace(tzinfo=None), "l": last.replace(tzinfo=None)}
            ).scalar()
            for aid in members:
                conn.execute(text("INSERT INTO article_story (article_id, story_id) "
                                  "VALUES (:a, :s)"), {"a": aid, "s": story})
    return {"db": db, "outlets": outlets, "ids": ids, "rows": rows}


def _lists(db, **filters):
    items, _ = front.front_page(db, limit=5, **filters)
    top = front.top_threads(db, **filters)
    return ([(i["kind"], i["id"]) for i in items],
            [[s["id"] for s in g["stories"]] for g in top])


@pytest.mark.parametrize("filters", ["small outlet", "large outlet", "category"])
def test_listing_the_matching_stories_first_gives_the_same_front_page(archive, monkeypatch,
                                                                       filters):
    db, outlets = archive["db"], archive["outlets"]
    if db.is_sqlite:
        pytest.skip("PostgreSQL only: SQLite always looks into stories newest first")
    chosen = {"small outlet": {"outlet": outlets[2].id}, "large outlet": {"outlet": outlets[0].id},
              "category": {"category": "science"}}[filters]
    monkeypatch.setattr(front, "few_match", lambda *a: True)
    listed_first = _lists(db, **chosen)
    monkeypatch.setattr(front, "few_match", lambda *a: False)
    looked_into = _lists(db, **chosen)
    assert listed_first == looked_into
    assert listed_first[0] and listed_first[1]     # something to compare
    with db.read() as conn:   # every story shown has an article of the outlet or category
        for kind, sid in listed_first[0]:
            if kind == "story":
                assert conn.execute(text(
                    "SELECT count(*) FROM article_story x JOIN articles a ON a.id = x.article_id "
                    "JOIN sources s ON s.id = a.source_id WHERE x.story_id = :s AND "
                    + ("a.source_id = :v" if "outlet" in chosen else "s.category = :v")),
                    {"s": sid, "v": next(iter(chosen.values()))}).scalar()


def test_the_planner_estimate_picks_the_road(archive):
    db, outlets = archive["db"], archive["outlets"]
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    with db.write() as conn:
        conn.execute(text("ANALYZE articles"))
    with db.read() as conn:
        # 60 articles: M^2 < wanted x 60 holds for any outlet when 60 stories are wanted,
        # for none when one is
        assert front.few_match(conn, " AND a.source_id = :outlet", {"outlet": outlets[2].id}, 60)
        assert not front.few_match(conn, " AND a.source_id = :outlet",
                                   {"outlet": outlets[0].id}, 1)


def test_outlet_page_lists_dated_and_undated_articles_newest_first(archive):
    db, outlets, ids, rows = archive["db"], archive["outlets"], archive["ids"], archive["rows"]
    undated = 0
    for outlet in outlets:
        mine = [(r["published_at"] or r["fetched_at"], aid) for aid, r in zip(ids, rows)
                if r["source_id"] == outlet.id]
        expected = [aid for _, aid in sorted(mine, reverse=True)]
        shown, cursor = [], None
        while True:
            page = reading.outlet_page(db, outlet.id, cursor=cursor, limit=4)
            shown += [a["id"] for a in page["articles"]]
            cursor = page["next"]
            if not cursor:
                break
        assert shown == expected
        undated += sum(rows[ids.index(aid)]["published_at"] is None for aid in shown)
    assert undated == 9      # ids 0, 7, ..., 56: each found in its place


def test_a_front_page_lists_the_outlets_stories_once(archive):
    """The web page calls ``front_page`` and ``top_threads`` with one ``shared`` dict: the
    outlet's stories are listed (and the planner asked) once for both, to the same lists."""
    db, outlets = archive["db"], archive["outlets"]
    if db.is_sqlite:
        pytest.skip("PostgreSQL only")
    with db.write() as conn:   # the planner's estimates: the small outlet lists its stories
        conn.execute(text("ANALYZE articles"))
    from sqlalchemy import event
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        alone = _lists(db, outlet=outlets[2].id)
        listings, seen[:] = sum("DISTINCT x.story_id" in s for s in seen), []
        shared: dict = {}
        items, _ = front.front_page(db, limit=5, outlet=outlets[2].id, shared=shared)
        top = front.top_threads(db, outlet=outlets[2].id, shared=shared)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert listings == 2
    assert sum("DISTINCT x.story_id" in s for s in seen) == 1
    assert sum(s.startswith("EXPLAIN") for s in seen) == 1
    assert ([(i["kind"], i["id"]) for i in items],
            [[s["id"] for s in g["stories"]] for g in top]) == alone
    assert alone[0] and shared["matching"]
