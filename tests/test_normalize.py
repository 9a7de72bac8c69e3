"""Values from outside, made safe once at the edge: strings, names, dates, sizes, hidden
text, parser bounds, and rows the database refuses."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from lxml import html as lxml_html

from newsdesk.errors import FeedLimitError
from newsdesk.ingest import feedlimits
from newsdesk.ingest.feeds import parse_feed
from newsdesk.ingest.hidden import drop_hidden
from newsdesk.ingest.normalize import Notes, clean_str, cut_text, plain_text
from newsdesk.storage import articles as store
from newsdesk.storage import sources as source_store

FETCHED = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def json_feed(*items: dict) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": list(items)}).encode()


# ------------------------------------------------------------------------ strings
@pytest.mark.parametrize("raw, clean", [
    ("a\x00b", "ab"), ("lone \ud800 high", "lone  high"), ("\udfffend", "end"),
    ("pair \ud83d\ude00 joined", "pair \U0001F600 joined"), ("bell\x07 esc\x1b", "bell esc"),
    ("tab\tnew\nline\r", "tab\tnew\nline\r"), ("non\ufffechar\uffff", "nonchar"), ("plain", "plain"),
])
def test_strings_lose_what_a_database_refuses_and_nothing_else(raw, clean):
    assert clean_str(raw) == clean
    clean_str(raw).encode("utf-8")


@pytest.mark.parametrize("raw, plain", [
    ("O&amp;#39;Brien", "O'Brien"), ("Smith &amp;amp; Jones", "Smith & Jones"),
    ("&lt;b&gt;Eve&lt;/b&gt;", "Eve"), ("  Ann \n  Lee ", "Ann Lee"), ("AT&T", "AT&T"),
    ("Jean\u00a0Dupont", "Jean\u00a0Dupont"),
])
def test_names_escaped_twice_are_shown_once_and_plain(raw, plain):
    assert plain_text(raw) == plain


def test_a_title_keeps_angle_brackets_written_as_words():
    assert plain_text("Why a &lt;b&gt; tag?", tags=False) == "Why a <b> tag?"


def test_long_text_is_cut_at_a_paragraph_with_a_note():
    text = "\n\n".join(["x" * 999] * 300)
    cut, note = cut_text(text, 10_000)
    assert len(cut) <= 10_000 and cut.endswith("x") and text.startswith(cut)
    assert note == "text cut at 10,000 characters (it had 300,298)"
    assert cut_text("short") == ("short", None)


def test_notes_count_each_kind_with_its_first_example():
    notes = Notes()
    notes.add("entry skipped", "item 2")
    notes.add("entry skipped", "item 5")
    notes.add("date replaced", "Title\x00 with NUL")
    assert notes.lines() == ["2 × entry skipped (first: item 2)",
                             "date replaced (first: Title with NUL)"]
    assert notes.text() == "2 × entry skipped (first: item 2); date replaced (first: Title with NUL)"


# --------------------------------------------------------------------------- dates
def test_dates_outside_1990_to_tomorrow_become_the_fetch_time_with_a_note():
    body = json_feed(*[{"id": str(n), "title": f"t{n}", "date_published": when,
                        "date_modified": when}
                       for n, when in enumerate(["9999-12-31T00:00:00Z", "1970-01-01T00:00:00Z",
                                                 "2024-05-01T23:00:00Z", "2024-04-30T08:00:00Z",
                                                 "0001-01-01T00:00:00+01:00"])])
    feed = parse_feed(body, "http://x.org/feed.json", fetched_at=FETCHED)
    published = [e.published for e in feed.entries]
    assert published == [FETCHED, FETCHED, datetime(2024, 5, 1, 23, tzinfo=timezone.utc),
                         datetime(2024, 4, 30, 8, tzinfo=timezone.utc), None]
    assert [e.updated for e in feed.entries][:2] == [None, None]
    assert feed.notes.lines()[0].startswith("2 × publication date out of range")


# ------------------------------------------------------------------ JSON Feed values
def test_a_json_feed_nested_thousands_deep_is_a_clear_feed_error():
    body = b'{"items": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    with pytest.raises(FeedLimitError, match="nested too deeply"):
        parse_feed(body, "http://x.org/feed.json")


def test_nul_and_surrogates_are_removed_and_every_readable_entry_kept():
    body = json_feed({"id": "1\x00", "title": "NUL\x00 here", "url": "http://x.org/1",
                      "authors": [{"name": "\ud800Ann"}], "tags": ["a\x00", {"bad": 1}]},
                     "not an item", {"title": {"nested": "object"}},
                     {"id": "2", "title": "Fine", "url": "http://x.org/2"})
    feed = parse_feed(body, "http://x.org/feed.json")
    assert [(e.guid, e.title, e.authors, e.categories) for e in feed.entries] == [
        ("1", "NUL here", ["Ann"], ["a"]), ("2", "Fine", [], [])]
    assert feed.notes.lines() == ["entry skipped: not a JSON object (first: item 2)",
                                  "entry skipped: no link, id or title (first: item 3)"]


# --------------------------------------------------------------------- parser bounds
def test_feedparser_reads_at_most_a_thousand_entries_of_a_well_formed_cut():
    items = "".join(f"<item><title>n{n}</title><link>http://x.org/{n}</link></item>"
                    for n in range(1500))
    feed = parse_feed(f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>"
                      .encode(), "http://x.org/feed")
    assert len(feed.entries) == feedlimits.MAX_ENTRIES and feed.entries[-1].title == "n999"
    assert feed.notes.lines() == ["only the first 1000 of 1500 entries read"]


def test_categories_past_the_cap_and_forbidden_character_references_are_dropped():
    cats = "".join(f"<category>c{n}</category>" for n in range(5000))
    body = (f"<rss version='2.0'><channel><title>t</title><item><title>a &#0;b &#xD800;c</title>"
            f"<link>http://x.org/a</link>{cats}</item></channel></rss>").encode()
    feed = parse_feed(body, "http://x.org/feed")
    assert feed.entries[0].title == "a b c" and len(feed.entries[0].categories) == 50
    assert set(feed.notes.lines()) == {"4900 categories beyond 100 per entry dropped",
                                       "2 references to characters XML forbids removed"}


# -------------------------------------------------------------------------- hidden
def test_hidden_elements_go_with_their_content_and_their_tail_text_stays():
    tree = lxml_html.document_fromstring(
        "<html><body style='display:none'><p>one <span hidden>secret</span>two</p>"
        "<div aria-hidden='true'>icon</div><p style='x:1;DISPLAY: none'>gone</p>"
        "<template><p>tpl</p></template><p aria-hidden='false'>three</p></body></html>")
    assert drop_hidden(tree) == 4
    assert " ".join(" ".join(tree.itertext()).split()) == "one two three"


# ---------------------------------------------------------------- rows refused by the db
def test_a_row_the_database_refuses_costs_only_that_row(db):
    source = source_store.add_source(db, "http://x.org/feed")
    now = datetime.now(timezone.utc)
    rows = [dict(source_id=source.id, entry_hash=f"h{n}", title=title, text="t", html="",
                 extraction="feed", fetched_at=now) for n, title in enumerate(["a", None, "c"])]
    ids, refused = store.store_articles(db, rows)
    assert len(ids) == 2 and [row["entry_hash"] for row, _ in refused] == ["h1"]
    assert "IntegrityError" in refused[0][1] or "NotNull" in refused[0][1]
    assert sorted(a.title for a in store.list_articles(db, source_id=source.id)) == ["a", "c"]
    assert store.store_articles(db, [dict(rows[0], entry_hash="h9")])[1] == []


def test_publication_dates_within_a_day_ahead_are_believed():
    soon = (FETCHED + timedelta(hours=20)).isoformat()
    feed = parse_feed(json_feed({"id": "1", "title": "t", "date_published": soon}),
                      "http://x.org/feed.json", fetched_at=FETCHED)
    assert feed.entries[0].published == FETCHED + timedelta(hours=20) and not feed.notes


def test_the_migration_repairs_dates_stored_before_they_were_checked(db):
    from newsdesk.storage.migrations.i17_hostile import m_i17_believable_dates
    source = source_store.add_source(db, "http://x.org/feed")
    fetched = datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    dates = [datetime(9999, 12, 31, tzinfo=timezone.utc), datetime(1, 1, 1, tzinfo=timezone.utc),
             datetime(2024, 5, 2, 6, tzinfo=timezone.utc), datetime(2024, 4, 1, tzinfo=timezone.utc)]
    rows = [dict(source_id=source.id, entry_hash=f"h{n}", title=f"t{n}", text="t", html="",
                 extraction="feed", fetched_at=fetched, published_at=when, updated_at=when)
            for n, when in enumerate(dates)]
    with db.write() as conn:
        store.insert_articles(conn, rows, db.dialect)
        m_i17_believable_dates(conn, db.dialect)
    stored = {a.title: a for a in store.list_articles(db, source_id=source.id)}
    assert [stored[f"t{n}"].published_at for n in range(4)] == [fetched, fetched, dates[2], dates[3]]
    assert [stored[f"t{n}"].updated_at for n in range(4)] == [None, None, dates[2], dates[3]]
