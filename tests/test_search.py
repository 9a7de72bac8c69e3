"""Full-text search on a big archive: bounded work per query.

A search walks the matches newest first (by id, the order articles are collected) and stops
after ``bound`` of them; only those are ranked or date-sorted, and only the page's rows get
snippets. So a common word costs the same on a million articles as on a thousand. These
tests use a small bound to show what that means for the reader: the results, what the page
says, and how the cursor walks the pages. Storage tests run on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from lxml import html

from newsdesk.storage import articles as store
from newsdesk.storage import searching, sources
from test_web_fixtures import client, css, site  # noqa: F401  (fixtures)

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def _add(db, source_id, n, title, body="The harbour was busy today."):
    """One article; ``n`` fixes its key and a publication time that does not follow the id."""
    row = {"source_id": source_id, "entry_hash": f"k{n}", "title": title, "text": body,
           "fetched_at": BASE, "published_at": BASE + timedelta(hours=(n * 7) % 31),
           "extraction": "page", "language": "en"}
    with db.write() as conn:
        return store.insert_articles(conn, [row], db.dialect)[0]


@pytest.fixture
def harbour(db):
    """30 articles about the harbour, ids in collection order. The strongest match (the word
    three times in its title) is old, the 3rd collected; among the 10 newest the strongest is
    the 26th. The two oldest come from a second outlet."""
    port = sources.add_source(db, "http://port.example/feed.xml", title="Port News", category="local")
    wire = sources.add_source(db, "http://wire.example/feed.xml", title="Wire", category="world")
    ids = []
    for n in range(30):
        title = {2: "Harbour closes: harbour workers strike at the harbour",
                 25: "Harbour reopens after repairs"}.get(n, f"Shipping note {n}")
        ids.append(_add(db, wire.id if n < 2 else port.id, n, title))
    return {"db": db, "ids": ids, "port": port, "wire": wire}


def test_more_matches_than_the_bound_ranks_only_the_newest(harbour):
    db, ids = harbour["db"], harbour["ids"]
    everything = searching.search(db, "harbour", bound=100)
    assert everything.complete and everything.matches == 30
    assert everything.results[0]["id"] == ids[2]          # the best match overall is old

    newest = searching.search(db, "harbour", bound=10, limit=10)
    assert not newest.complete and newest.matches == 10   # "more than 10 match"
    assert {r["id"] for r in newest.results} == set(ids[20:])
    assert newest.results[0]["id"] == ids[25]             # the best among the 10 newest
    assert ids[2] not in {r["id"] for r in newest.results}


def test_date_sort_orders_the_same_candidates_by_publication_time(harbour):
    db, ids = harbour["db"], harbour["ids"]
    found = searching.search(db, "harbour", sort="date", bound=10, limit=10)
    assert {r["id"] for r in found.results} == set(ids[20:])
    keys = [(r["when"], r["id"]) for r in found.results]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_cursor_pages_neither_repeat_nor_skip_and_ignore_newer_articles(harbour, sort):
    db, ids = harbour["db"], harbour["ids"]
    whole = [r["id"] for r in searching.search(db, "harbour", sort=sort, bound=10, limit=10).results]
    first = searching.search(db, "harbour", sort=sort, bound=10, limit=4)
    assert first.top == ids[-1] and first.more
    # an article that would rank first arrives while the reader is on page one
    late = _add(db, harbour["port"].id, 99, "Harbour harbour harbour", "harbour " * 5)
    seen, page = [r["id"] for r in first.results], first
    while page.more:
        page = searching.search(db, "harbour", sort=sort, bound=10, limit=4,
                                offset=len(seen), top=first.top)
        seen += [r["id"] for r in page.results]
    assert seen == whole                                  # same order, none twice, none missed
    assert late in {r["id"] for r in searching.search(db, "harbour", sort=sort, bound=10).results}


def test_filters_apply_while_walking_so_the_bound_counts_filtered_matches(harbour):
    db, ids = harbour["db"], harbour["ids"]
    found = searching.search(db, "harbour", outlet=harbour["wire"].id, bound=10)
    assert found.complete and {r["id"] for r in found.results} == set(ids[:2])
    found = searching.search(db, "harbour", category="world", bound=10)
    assert {r["id"] for r in found.results} == set(ids[:2])


def test_with_filters_only_the_newest_matches_of_the_words_are_checked(harbour):
    # the Wire articles (the only ones in 'world') are the two oldest of 30; checking the
    # 10 newest finds neither
    db, wire = harbour["db"], harbour["wire"].id
    found = searching.search(db, "harbour", category="world", bound=5, scan=10)
    assert found.results == [] and not found.complete and found.scanned == 10
    found = searching.search(db, "harbour", category="world", bound=5, scan=30)
    assert len(found.results) == 2 and found.complete and found.scanned is None
    # an outlet: the same on SQLite; PostgreSQL starts from the outlet's own articles
    found = searching.search(db, "harbour", outlet=wire, bound=5, scan=10)
    if db.is_sqlite:
        assert found.results == [] and not found.complete and found.scanned == 10
    else:
        assert len(found.results) == 2 and found.complete and found.scanned is None


def test_filtered_cursor_pages_stay_put_when_newer_articles_arrive(harbour):
    db, ids, port = harbour["db"], harbour["ids"], harbour["port"].id
    whole = [r["id"] for r in searching.search(db, "harbour", outlet=port, bound=8, scan=12,
                                                limit=8).results]
    first = searching.search(db, "harbour", outlet=port, bound=8, scan=12, limit=3)
    for n in range(100, 105):      # newer matches from another outlet would move the window
        _add(db, harbour["wire"].id, n, f"Harbour note {n}")
    seen, page = [r["id"] for r in first.results], first
    while page.more:
        page = searching.search(db, "harbour", outlet=port, bound=8, scan=12, limit=3,
                                offset=len(seen), top=first.top)
        seen += [r["id"] for r in page.results]
    assert seen == whole and set(seen) == set(ids[22:])


def test_snippets_mark_the_searched_words(harbour):
    found = searching.search(harbour["db"], "harbour", limit=3)
    assert len(found.results) == 3
    assert all("\x02" in r["snippet"] for r in found.results)


@pytest.mark.parametrize("query", [
    '"', '"harbour', 'harbour"', '*', 'harbour*', 'NEAR(', 'NEAR(harbour busy)', 'AND', 'OR NOT',
    'harbour AND', '-', '-harbour', '^harbour', 'title:harbour', "'", '\\', '((((', ')',
    "x" * 300, "harbour " * 40, "ü ß 東京"])
def test_syntax_characters_in_a_query_are_words_not_errors(harbour, query):
    for sort in ("relevance", "date"):
        searching.search(harbour["db"], query, sort=sort)   # no exception on either engine


def test_quotes_and_operators_still_find_the_words(harbour):
    db = harbour["db"]
    assert searching.search(db, '"harbour').results           # unbalanced quote
    assert searching.search(db, '"harbour workers"').results  # a phrase
    assert not searching.search(db, "harbour -harbour").results


# ----------------------------------------------------------------- the page
def test_page_counts_the_matches_when_all_were_searched(client, site):
    # 120 articles of the test site mention grain, ids 1..120
    doc = html.fromstring(client.get("/search?q=grain").text)
    assert "Results 1–20 of 120 for" in css(doc, "main p.meta")[0].text_content()
    assert not css(doc, "p.search-scope")
    data = client.get("/search.json?q=grain").json()
    assert data["total"] == {"value": 120, "relation": "eq"} and data["scope"] is None


def test_page_says_when_the_bound_applies_and_the_cursor_walks_it(client, site, monkeypatch):
    monkeypatch.setattr(searching, "CANDIDATES", 50)
    doc = html.fromstring(client.get("/search?q=grain").text)
    assert css(doc, "main p.meta")[0].text_content().startswith("Results 1–20 for")
    note = css(doc, "p.search-scope")[0].text_content()
    assert note.startswith("More than 50 articles match: these results are the best matches "
                           "among the 50 most recently collected.")
    url, seen = "/search.json?q=grain", []
    while url:
        data = client.get(url).json()
        assert data["total"] == {"value": 50, "relation": "gte"} and data["scope"] == note
        seen += [r["id"] for r in data["results"]]
        url = data["next"]
    assert sorted(seen) == list(range(71, 121))           # the 50 newest, each once
    dated = client.get("/search.json?q=grain&sort=date").json()
    assert "newest first" in dated["scope"]


def test_page_says_when_filters_were_checked_on_the_newest_matches_only(client, site,
                                                                        monkeypatch):
    monkeypatch.setattr(searching, "CANDIDATES", 30)
    monkeypatch.setattr(searching, "FILTER_SCAN", 60)
    # 120 grain articles: ids 1-40 from the Kremlin, 41-80 from Ukraine, 81-120 Global Voices
    kremlin, ukraine = site["sources"][0].id, site["sources"][1].id
    doc = html.fromstring(client.get(f"/search?q=grain&outlet={ukraine}").text)
    note = css(doc, "p.search-scope")[0].text_content()
    assert note.startswith("Only the 60 most recently collected articles with these words were "
                           "checked against the filters (20 pass).")
    data = client.get(f"/search.json?q=grain&outlet={ukraine}").json()
    assert data["total"] == {"value": 20, "relation": "gte"} and len(data["results"]) == 20
    assert {r["id"] for r in data["results"]} == set(range(61, 81))
    none = html.fromstring(client.get(f"/search?q=grain&outlet={kremlin}").text)
    assert css(none, "p.empty") and "(0 pass)" in css(none, "p.search-scope")[0].text_content()


@pytest.mark.parametrize("q", ["%22", "NEAR(", "*", "AND", "a%22b%22c%22", "-grain", "%5E"])
def test_hostile_queries_answer_normally(client, site, q):
    assert client.get(f"/search?q={q}").status_code == 200
    assert client.get(f"/search.json?q={q}&sort=date").status_code == 200


def test_old_style_cursor_is_a_clear_400(client, site):
    response = client.get("/search.json?q=grain&cursor=WzIwXQ")   # [20]: offset only
    assert response.status_code == 400 and "cursor" in response.text
