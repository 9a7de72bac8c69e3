"""The whole ingest pipeline against real HTTP servers on loopback, on SQLite and
PostgreSQL: feed -> pages -> extraction -> storage, idempotent re-runs, recorded fallbacks,
and bad input that ends as a recorded error on its source while the others keep going."""

from __future__ import annotations

import time
from email.utils import format_datetime
from datetime import datetime, timezone

import pytest

from newsdesk.ingest.refresh import Ingest, refresh_source
from newsdesk.ingest.scheduler import run_round
from newsdesk.storage import articles as store
from newsdesk.storage import sources as source_store
from tests.servers import LoopbackServer, RawServer, Response

PARAGRAPHS = [
    "Diplomats from both countries met in Riyadh on Tuesday to restore the work of their "
    "embassies, which had been hindered by mutual restrictions for years.",
    "A follow-up meeting a week later led to tangible progress, officials said, as both "
    "sides agreed on the appointment of new ambassadors.",
    "The talks are the first in a series that could lead to a ceasefire, according to "
    "people familiar with the negotiations who spoke on condition of anonymity.",
]


def article_page(title: str, canonical: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Example News</title><link rel="canonical" href="{canonical}">
<meta property="article:published_time" content="2022-02-12T18:00:00+00:00"></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{title}</h1><p class="byline">By Jane Doe</p>{body}</article>
<aside><h2>Related Articles</h2><ul><li><a href="/x">Something else</a></li></ul></aside>
<section><h2>Comments</h2><p>No comments yet...</p></section>
<footer>Share on Facebook · Share on X · © Example News</footer></body></html>""".encode()


def rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{PARAGRAPHS[0]}</description>"
        f"<pubDate>{format_datetime(datetime(2022, 2, 12, 18, tzinfo=timezone.utc))}</pubDate></item>"
        for title, link in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Example News</title><link>http://example.org/</link>{entries}</channel></rss>").encode()


@pytest.fixture
def news_site():
    server = LoopbackServer().start()
    items = [(f"Story number {i}", server.url(f"/news/{i}?utm_source=rss")) for i in range(3)]
    server.routes["/feed.xml"] = lambda req: (
        Response(304) if req.headers.get("if-none-match") == '"v1"' else
        Response(200, {"Content-Type": "application/rss+xml", "ETag": '"v1"'}, rss(items)))
    for i in range(2):  # page 2 is missing: its article must fall back to the feed content
        server.routes[f"/news/{i}"] = Response(
            200, {"Content-Type": "text/html; charset=utf-8"},
            article_page(f"Story number {i}", server.url(f"/news/{i}")))
    server.routes["/robots.txt"] = Response(200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")
    yield server
    server.stop()


def test_feed_to_clean_stored_articles_and_idempotent_rerun(db, settings, news_site):
    source = source_store.add_source(db, news_site.url("/feed.xml"), title="Example News")
    with Ingest.open(settings, db) as ingest:
        first = refresh_source(ingest, source)
        assert first.status == "ok" and len(first.new_ids) == 3 and first.fallbacks == 1
        stored = {a.title: a for a in store.get_articles(db, first.new_ids)}
        page = stored["Story number 0"]
        assert page.extraction == "page"
        assert "tangible progress" in page.text and "\n\n" in page.text
        for boilerplate in ("Related Articles", "No comments yet", "Share on Facebook", "Home"):
            assert boilerplate not in page.text
        assert page.canonical_url == news_site.url("/news/0")   # tracking parameters gone
        assert page.published_at == datetime(2022, 2, 12, 18, tzinfo=timezone.utc)
        missing = stored["Story number 2"]
        assert missing.extraction == "feed" and "404" in missing.extraction_note
        assert missing.text.startswith("Diplomats from both countries")

        again = refresh_source(ingest, source_store.get_source(db, source.id))
    assert again.status == "not_modified" and again.new_ids == []
    assert store.count_articles(db) == 3
    refreshed = source_store.get_source(db, source.id)
    assert refreshed.error_count == 0 and refreshed.etag == '"v1"'
    assert refreshed.next_check_at > datetime.now(timezone.utc)
    assert [h["status"] for h in source_store.fetch_history(db, source.id)] == ["not_modified", "ok"]


def test_a_deleted_article_does_not_come_back(db, settings, news_site):
    source = source_store.add_source(db, news_site.url("/feed.xml"))
    with Ingest.open(settings, db) as ingest:
        ids = refresh_source(ingest, source).new_ids
        store.delete_article(db, ids[0])
        source_store.update_source(db, source.id, title="Example")  # keep the row, drop the ETag:
        with db.write() as conn:
            from sqlalchemy import text
            conn.execute(text("UPDATE sources SET etag = NULL"))
        rerun = refresh_source(ingest, source_store.get_source(db, source.id))
    assert rerun.status == "ok" and rerun.new_ids == []
    assert store.count_articles(db) == 2


def _never_answers(conn, server):
    while not server.stopping.is_set():
        time.sleep(0.05)


BAD_FEEDS = {
    "/malformed": (Response(200, {"Content-Type": "application/rss+xml"},
                            b"<rss><channel><item><title>broken</channel"), "feed"),
    "/empty": (Response(200, {"Content-Type": "application/rss+xml"}, b""), "empty"),
    "/huge": (Response(200, {"Content-Type": "application/rss+xml"},
                       (b"x" * 65536 for _ in iter(int, 1))), "larger than"),
    "/loop-a": (Response(302, {"Location": "/loop-b"}), "redirect"),
    "/loop-b": (Response(302, {"Location": "/loop-a"}), None),
    "/html": (Response(200, {"Content-Type": "text/html"}, b"<html><body><p>hello</p></body></html>"), "HTML"),
    "/gone": (Response(503, {"Retry-After": "3600"}), "503"),
}


def test_bad_sources_end_as_recorded_errors_while_others_keep_going(db, settings, news_site):
    bad = LoopbackServer({path: resp for path, (resp, _) in BAD_FEEDS.items()}).start()
    silent = RawServer(_never_answers).start()
    try:
        good = source_store.add_source(db, news_site.url("/feed.xml"))
        expected = {}
        for path, (_, message) in BAD_FEEDS.items():
            if message:
                expected[source_store.add_source(db, bad.url(path)).id] = message
        expected[source_store.add_source(db, silent.url("/feed")).id] = "timed out"
        expected[source_store.add_source(db, "http://10.0.0.1/feed.xml").id] = "private"
        expected[source_store.add_source(db, "http://169.254.169.254/latest/").id] = "link-local"
        with Ingest.open(settings, db) as ingest:
            results = {r.source_id: r for r in run_round(ingest, "test", force=True)}
    finally:
        bad.stop()
        silent.stop()
    assert results[good.id].status == "ok" and len(results[good.id].new_ids) == 3
    for source_id, message in expected.items():
        row = source_store.get_source(db, source_id)
        assert results[source_id].status == "error", (row.url, results[source_id])
        assert row.error_count == 1 and message.lower() in row.last_error.lower(), (row.url, row.last_error)
        assert row.next_check_at > datetime.now(timezone.utc)
        assert "\n" not in row.last_error and "Traceback" not in row.last_error
    assert store.count_articles(db) == 3
    retry = source_store.get_source(db, [i for i, m in expected.items() if m == "503"][0])
    assert (retry.next_check_at - datetime.now(timezone.utc)).total_seconds() > 3000


def test_errors_back_off_exponentially_and_reset_on_success(db, settings):
    from newsdesk.ingest.refresh import backoff_delay
    source = source_store.add_source(db, "http://example.invalid/feed", poll_interval=600)
    delays = [backoff_delay(settings, source, n) for n in range(1, 8)]
    assert delays[0] >= 600 and delays[-1] <= settings.max_backoff
    assert max(delays[4:]) > 4 * min(delays[:2])
