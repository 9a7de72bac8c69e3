"""Storage on both dialects: migrations, identity, idempotent inserts, tombstones,
claims, search."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from newsdesk.errors import NotFound, StorageError
from newsdesk.storage import articles as store
from newsdesk.storage import searching
from newsdesk.storage import sources
from newsdesk.storage.migrations import MIGRATIONS, migrate


def _row(source_id, key, title="Title", body="Body text about the summit.", **extra):
    return {"source_id": source_id, "entry_hash": key, "title": title, "text": body,
            "fetched_at": datetime.now(timezone.utc), "extraction": "page",
            "published_at": datetime(2022, 2, 12, 18, 0, tzinfo=timezone.utc), **extra}


def _insert(db, rows):
    with db.write() as conn:
        return store.insert_articles(conn, rows, db.dialect)


def test_migrations_are_recorded_and_rerunning_applies_nothing(db):
    with db.read() as conn:
        assert conn.execute(text("SELECT max(version) FROM schema_version")).scalar() == len(MIGRATIONS)
    assert migrate(db) == []


def test_source_urls_are_unique(db):
    sources.add_source(db, "http://a.example/feed.xml", title="A")
    with pytest.raises(StorageError, match="already exists"):
        sources.add_source(db, "http://a.example/feed.xml")


def test_insert_is_idempotent_per_source_and_hash(db):
    s = sources.add_source(db, "http://a.example/feed.xml")
    assert len(_insert(db, [_row(s.id, "h1"), _row(s.id, "h2")])) == 2
    assert _insert(db, [_row(s.id, "h1"), _row(s.id, "h3")]) != []
    assert store.count_articles(db, s.id) == 3
    assert store.known_hashes(db, s.id, ["h1", "h2", "h9"]) == {"h1", "h2"}


def test_times_come_back_timezone_aware_utc(db):
    s = sources.add_source(db, "http://a.example/feed.xml")
    kyiv = timezone(timedelta(hours=2))
    [aid] = _insert(db, [_row(s.id, "h1", published_at=datetime(2022, 2, 24, 5, 0, tzinfo=kyiv))])
    got = store.get_article(db, aid).published_at
    assert got == datetime(2022, 2, 24, 3, 0, tzinfo=timezone.utc) and got.tzinfo is not None


def test_deleted_article_leaves_a_tombstone_and_never_returns(db):
    s = sources.add_source(db, "http://a.example/feed.xml")
    [aid] = _insert(db, [_row(s.id, "gone")])
    store.delete_article(db, aid)
    with pytest.raises(NotFound):
        store.get_article(db, aid)
    assert store.known_hashes(db, s.id, ["gone"]) == {"gone"}


def test_claims_are_exclusive_and_expire(db):
    for i in range(5):
        sources.add_source(db, f"http://h{i}.example/feed")
    first = sources.claim_due(db, "w1", limit=3, ttl=600)
    second = sources.claim_due(db, "w2", limit=10, ttl=600)
    assert len(first) == 3 and len(second) == 2
    assert not {s.id for s in first} & {s.id for s in second}
    assert sources.claim_due(db, "w3", limit=10, ttl=600) == []
    with db.write() as conn:  # w1 crashed: its claims run out
        conn.execute(text("UPDATE sources SET claimed_until = :t WHERE claimed_by = 'w1'"),
                     {"t": datetime(2000, 1, 1)})
    assert {s.id for s in sources.claim_due(db, "w3", limit=10, ttl=600)} == {s.id for s in first}


def test_full_text_search_ranks_and_highlights(db):
    s = sources.add_source(db, "http://a.example/feed.xml")
    _insert(db, [_row(s.id, "1", title="Ceasefire talks in Geneva", body="Diplomats met to discuss a ceasefire."),
                 _row(s.id, "2", title="Football results", body="The match ended in a draw.")])
    hits = searching.search_articles(db, "ceasefire")
    assert [h["title"] for h in hits] == ["Ceasefire talks in Geneva"]
    assert "<mark>" in hits[0]["snippet"].lower()
    assert searching.search_articles(db, '"unbalanced quote AND OR NEAR(') == []
    assert searching.search_articles(db, "   ") == []


def test_unknown_ids_raise_not_found(db):
    with pytest.raises(NotFound):
        sources.get_source(db, 999)
    with pytest.raises(NotFound):
        store.get_article(db, 999)
