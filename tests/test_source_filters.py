"""Per-source filters: rules on title, text, author, category and URL (words, phrases,
regular expressions with a time limit); applied at ingest through the real pipeline before
storage, every dropped item counted and shown, never fetched again; re-checking the stored
articles on request; set from the CLI and from the admin page."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from email.utils import format_datetime

import httpx
import pytest

from newsdesk.ingest import filters
from newsdesk.ingest.refresh import Ingest, refresh_source
from newsdesk.storage import articles as store
from newsdesk.storage import source_filters
from newsdesk.storage import sources as source_store
from test_community_support import LiveServer, make_app
from tests.servers import LoopbackServer, Response
from tests.test_cli import newsdesk

ITEM = {"title": "Sponsored: the best mattress", "text": "A long text about sleep.\nBuy now.",
        "authors": ["Ann Author"], "categories": ["Advertorial", "Home & Garden"],
        "url": "https://example.org/promo/123", "canonical_url": None, "entry_hash": "h"}


def rule(action, field, kind, pattern):
    return filters.compile_rule(action, field, kind, pattern, 1)


def test_rules_match_the_field_and_kind_they_name():
    assert filters.verdict([rule("block", "title", "words", "sponsored promo")], ITEM, 0.05)
    assert not filters.verdict([rule("block", "title", "words", "sponsor")], ITEM, 0.05)   # whole words
    assert filters.verdict([rule("block", "text", "phrase", "buy   NOW")], ITEM, 0.05)
    assert not filters.verdict([rule("block", "text", "phrase", "now buy")], ITEM, 0.05)
    assert filters.verdict([rule("block", "author", "words", "ann")], ITEM, 0.05)
    assert filters.verdict([rule("block", "category", "phrase", "home & garden")], ITEM, 0.05)
    assert filters.verdict([rule("block", "url", "regex", r"/promo/\d+$")], ITEM, 0.05)
    assert not filters.verdict([rule("block", "url", "regex", r"/PROMO/")], ITEM, 0.05)    # regex: as written
    assert filters.verdict([rule("block", "url", "regex", r"(?i)/PROMO/")], ITEM, 0.05)
    assert filters.verdict([rule("block", "any", "words", "mattress")], ITEM, 0.05)
    # keep rules: keep only what one of them matches; block wins
    keep = [rule("keep", "title", "words", "ceasefire"), rule("keep", "category", "words", "garden")]
    assert filters.verdict(keep, ITEM, 0.05) is None
    found = filters.verdict([rule("keep", "title", "words", "ceasefire")], ITEM, 0.05)
    assert found[0] is None and "no keep rule matched" in found[1]
    assert filters.verdict(keep + [rule("block", "author", "words", "ann")], ITEM, 0.05)[0].action == "block"


def test_bad_rules_are_refused_clearly():
    for args, message in ((("drop", "title", "words", "x"), "action"), (("block", "body", "words", "x"), "field"),
                          (("block", "title", "glob", "x"), "kind"), (("block", "title", "words", "  "), "empty"),
                          (("block", "title", "regex", "(unclosed"), "regular expression"),
                          (("block", "title", "words", "x" * 501), "longer")):
        with pytest.raises(filters.FilterError, match=message):
            filters.compile_rule(*args)


def test_a_catastrophic_regex_stops_at_its_time_limit_and_keeps_the_item():
    evil = rule("block", "text", "regex", r"(a+)+$")
    item = dict(ITEM, text="a" * 40 + "!")
    started = time.monotonic()
    assert filters.verdict([evil], item, 0.05) is None
    assert time.monotonic() - started < 2


def _rss(items):
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid><author>{a}</author>"
        f"<category>{c}</category><description>{d}</description>"
        f"<pubDate>{format_datetime(datetime(2024, 5, 1, 12, tzinfo=timezone.utc))}</pubDate></item>"
        for t, link, a, c, d in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Mixed</title>'
            f"<link>http://example.org/</link>{entries}</channel></rss>").encode()


@pytest.fixture
def mixed_feed():
    server = LoopbackServer().start()
    items = [("Ceasefire talks resume", server.url("/a/1"), "jo@example.org (Jo Reporter)", "World",
              "Diplomats met on Tuesday to resume talks about a ceasefire in the region."),
             ("Sponsored: pick a mattress", server.url("/promo/2"), "ads@example.org (Ad Desk)", "Advertorial",
              "This sponsored post tells you about mattresses and is not news at all."),
             ("Weekly podcast episode", server.url("/podcast/3"), "pod@example.org (Pod Team)", "Audio",
              "Listen to this week's episode of the podcast about the news of the week.")]
    server.routes["/feed.xml"] = Response(200, {"Content-Type": "application/rss+xml"}, _rss(items))
    server.routes["/robots.txt"] = Response(200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")
    yield server
    server.stop()


def test_filters_at_ingest_count_drops_and_never_refetch_them(db, settings, mixed_feed):
    source = source_store.add_source(db, mixed_feed.url("/feed.xml"), title="Mixed")
    filters.add_rule(db, source.id, "block", "category", "words", "advertorial")
    filters.add_rule(db, source.id, "block", "url", "regex", r"/podcast/")
    with Ingest.open(settings, db) as ingest:
        result = refresh_source(ingest, source)
        assert result.status == "ok" and len(result.new_ids) == 1
        assert [a.title for a in store.get_articles(db, result.new_ids)] == ["Ceasefire talks resume"]
        held = source_filters.summary(db)[source.id]
        assert held["dropped"] == 2
        assert {d["title"] for d in held["recent"]} == {"Sponsored: pick a mattress", "Weekly podcast episode"}
        assert all(d["reason"].startswith("blocked:") for d in held["recent"])
        assert sorted(r["dropped"] for r in source_filters.rules(db, source.id)) == [1, 1]
        pages_before = [p for p in mixed_feed.paths() if p.startswith(("/promo", "/podcast"))]
        again = refresh_source(ingest, source_store.get_source(db, source.id))
        assert again.new_ids == []
        assert [p for p in mixed_feed.paths() if p.startswith(("/promo", "/podcast"))] == pages_before
        # a rule removed and a re-check: the dropped entries come back at the next fetch
        podcast_rule = next(r for r in source_filters.rules(db, source.id) if r["kind"] == "regex")
        source_filters.delete_rule(db, podcast_rule["id"])
        done = filters.recheck(db, settings, source.id)
        assert done == {"checked": 1, "removed": 0, "forgotten": 2}
        third = refresh_source(ingest, source_store.get_source(db, source.id))
        assert [a.title for a in store.get_articles(db, third.new_ids)] == ["Weekly podcast episode"]
        assert source_filters.summary(db)[source.id]["dropped"] == 1


def test_recheck_removes_stored_articles_a_new_rule_rejects(db, settings, mixed_feed):
    source = source_store.add_source(db, mixed_feed.url("/feed.xml"), title="Mixed")
    with Ingest.open(settings, db) as ingest:
        assert len(refresh_source(ingest, source).new_ids) == 3
    filters.add_rule(db, source.id, "keep", "title", "phrase", "ceasefire talks")
    assert store.count_articles(db, source.id) == 3                    # nothing changes by itself
    done = filters.recheck(db, settings, source.id)
    assert done["removed"] == 2 and store.count_articles(db, source.id) == 1
    assert source_filters.summary(db)[source.id]["dropped"] == 2


def test_filters_from_the_cli(tmp_path):
    """The real command, as an operator runs it (one-line errors, exit codes)."""
    from newsdesk.storage.db import Database
    path = str(tmp_path / "cli.db")
    db = Database.from_url(f"sqlite:///{path}")
    source = source_store.add_source(db, "https://cli.example/feed", title="CLI Source")
    added = newsdesk("filter", "add", str(source.id), "--block", "--field", "title", "--words", "horoscope",
                     db=path)
    assert added.returncode == 0, added.stderr
    assert "recheck" in added.stdout
    listed = newsdesk("filter", "list", str(source.id), db=path)
    assert "horoscope" in listed.stdout and "block" in listed.stdout
    bad = newsdesk("filter", "add", str(source.id), "--block", "--regex", "(x", db=path)
    assert bad.returncode == 1 and "regular expression" in bad.stderr and "Traceback" not in bad.stderr
    both = newsdesk("filter", "add", str(source.id), "--keep", "--block", "--words", "x", db=path)
    assert both.returncode == 1 and "--keep or --block" in both.stderr
    rule_id = source_filters.rules(db, source.id)[0]["id"]
    rechecked = newsdesk("filter", "recheck", "CLI Source", db=path)
    assert rechecked.returncode == 0 and "checked 0 stored articles" in rechecked.stdout
    assert newsdesk("filter", "remove", str(rule_id), db=path).returncode == 0
    assert newsdesk("filter", "remove", str(rule_id), db=path).returncode == 1
    db.close()


def test_filters_from_the_admin_page(db, settings):
    app, _ = make_app(settings.with_(admin_password="admin secret 123"), db)
    source = source_store.add_source(db, "https://admin.example/feed", title="Admin Source")
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
        csrf = re.search(r'name="csrf" value="([^"]+)"', http.get("/admin/login").text).group(1)
        http.post("/admin/login", data={"csrf": csrf, "password": "admin secret 123"})
        page = http.get("/admin").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        added = http.post(f"/admin/sources/{source.id}/filters",
                          data={"csrf": csrf, "action": "block", "field": "url", "kind": "regex",
                                "pattern": "/video/"})
        assert added.status_code == 303
        page = http.get(added.headers["location"]).text
        assert "Filter added" in page and "<code>/video/</code>" in page
        wrong = http.post(f"/admin/sources/{source.id}/filters",
                          data={"csrf": csrf, "action": "block", "field": "url", "kind": "regex", "pattern": "("})
        assert "not a valid regular expression" in http.get(wrong.headers["location"]).text
        source_filters.log_drops(db, source.id, [{"entry_hash": "e1", "rule_id": None,
                                                  "reason": "blocked: url regex", "title": "A video", "url": "u"}])
        page = http.get("/admin").text
        assert "Dropped by filters" in page and "A video" in page
        assert http.get("/admin.json" if False else "/admin", headers={"Accept": "application/json"}).json()[
            "sources"][0]["filtered"]["dropped"] == 1
        rechecked = http.post(f"/admin/sources/{source.id}/recheck", data={"csrf": csrf})
        assert "Re-checked: 0 of 0 stored articles removed; 1 entries" in http.get(rechecked.headers["location"]).text
        rule_id = source_filters.rules(db, source.id)[0]["id"]
        http.post(f"/admin/sources/{source.id}/filters/{rule_id}/delete", data={"csrf": csrf})
        assert source_filters.rules(db, source.id) == []
        anonymous = httpx.post(f"{server.url}/admin/sources/{source.id}/filters", data={"pattern": "x"})
        assert anonymous.status_code in (401, 403)
