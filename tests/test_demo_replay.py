"""The demo corpus and its replay server, over real HTTP on 127.0.0.1.

The server replays real articles from four publishers: feeds in three formats, article
pages with boilerplate around them, robots.txt, sitemaps and OPML, with ETag and
Last-Modified. ``newsdesk demo`` ingests all of it through the real fetcher.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from html import escape
from urllib.robotparser import RobotFileParser

import feedparser
import httpx
import pytest

from newsdesk.demo.corpus import OUTLETS, load_articles
from newsdesk.demo.replay import ReplayServer
from newsdesk.errors import NotFound

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def server():
    with ReplayServer() as server:
        yield server


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=10) as client:
        yield client


def feed_links(client: httpx.Client, source: dict) -> list[str]:
    response = client.get(source["url"])
    assert response.status_code == 200
    if source["feed_format"] == "json":
        feed = json.loads(response.text)
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        return [item["url"] for item in feed["items"]]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == {"rss": "rss20", "atom": "atom10"}[source["feed_format"]]
    return [entry.link for entry in parsed.entries]


@pytest.fixture(scope="module")
def pages(server, client) -> dict[str, str]:
    """Every article page the feeds link to, fetched once."""
    fetched = {}
    for source in server.sources():
        for link in feed_links(client, source):
            response = client.get(link)
            assert response.status_code == 200, link
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            fetched[link] = response.text
    return fetched


# ---------------------------------------------------------------- the corpus
def test_corpus_has_several_outlets_over_several_days_with_shared_stories():
    articles = load_articles()
    assert len(articles) >= 150
    assert len({a.id for a in articles}) == len(articles)
    by_outlet = defaultdict(list)
    for a in articles:
        by_outlet[a.outlet_id].append(a)
        assert a.title and a.text and a.url.startswith("http") and a.published_at.tzinfo
        assert a.attribution and a.licence and a.licence_url
    assert set(by_outlet) == set(OUTLETS) and len(by_outlet) >= 3
    window = [a.published_at for a in articles if a.published.startswith("2022")]
    assert (max(window) - min(window)).days >= 20
    # the invasion of 24 February 2022, from three sides
    invasion = {a.outlet_id for a in articles if a.published.startswith("2022-02-24")}
    assert {"kremlin-en", "president-ua-en", "whitehouse"} <= invasion
    # the Biden-Putin call of 12 February, from both ends of the line
    call = [a for a in articles if a.published.startswith("2022-02-12")]
    assert any("Biden" in a.title for a in call if a.outlet_id == "kremlin-en")
    assert any("Putin" in a.title for a in call if a.outlet_id == "whitehouse")


def test_outlets_carry_truthful_labels():
    assert OUTLETS["kremlin-en"].label == "government source (Russia)"
    assert OUTLETS["president-ua-en"].label == "government source (Ukraine)"
    assert OUTLETS["whitehouse"].label == "government source (United States)"
    assert OUTLETS["globalvoices"].label == "citizen media"
    assert {o.feed_format for o in OUTLETS.values()} == {"rss", "atom", "json"}


# ------------------------------------------------------------ feeds and pages
def test_sources_describe_each_feed(server):
    sources = server.sources()
    assert [s["outlet_id"] for s in sources] == list(OUTLETS)
    for s in sources:
        assert s["url"].startswith(server.base_url) and s["site_url"].endswith(f"/{s['outlet_id']}/")
        assert s["category"] and s["language"] == "en" and s["outlet_label"] and s["attribution"]


def test_every_feed_lists_every_article_and_every_link_resolves(server, client, pages):
    for source in server.sources():
        served = server.articles(source["outlet_id"])
        links = feed_links(client, source)
        assert len(links) == len(served) == len(set(links))
    assert len(pages) == len(server.articles()) >= 150


def test_every_page_shows_attribution_and_canonical_original_url(server, pages):
    for article in server.articles():
        page = pages[server.article_url(article)]
        assert escape(article.attribution) in page
        assert f'rel="canonical" href="{escape(article.url)}"' in page
        if article.outlet_id != "globalvoices":   # GV pages are the publisher's real HTML
            assert f"<h1>{escape(article.title)}</h1>" in page
            assert f'<meta property="article:published_time" content="{article.published}">' in page
            assert '"@type": "NewsArticle"' in page and "No comments yet" in page


def test_home_pages_advertise_their_feed(server, client):
    for source in server.sources():
        page = client.get(source["site_url"]).text
        assert 'rel="alternate"' in page and f'href="{source["url"]}"' in page
    bare = client.get(server.sources()[0]["site_url"].rstrip("/"))
    assert bare.status_code == 301 and bare.headers["location"] == server.sources()[0]["site_url"]


def test_feeds_and_pages_answer_conditional_requests_with_304(server, client):
    feed = server.sources()[0]["url"]
    page = server.article_url(server.articles()[0])
    for url in (feed, page):
        first = client.get(url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
        changed = client.get(url, headers={"If-None-Match": '"stale"'})
        assert changed.status_code == 200 and changed.content == first.content


def test_bodies_are_compressed_when_asked_and_typed_with_charset(server, client):
    response = client.get(server.sources()[2]["url"])          # httpx asks for gzip
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == "application/feed+json; charset=utf-8"
    assert client.get(server.base_url + "/no/such/page").status_code == 404


# ------------------------------------------------------- robots, sitemaps, OPML
def test_robots_allows_everything_but_private(server, client):
    robots = RobotFileParser()
    robots.parse(client.get(server.base_url + "/robots.txt").text.splitlines())
    assert robots.can_fetch("newsdesk", server.article_url(server.articles()[0]))
    assert not robots.can_fetch("newsdesk", server.base_url + "/private/staff.html")
    assert robots.site_maps() == [server.base_url + "/sitemap.xml"]


def test_sitemap_index_points_to_one_news_sitemap_per_outlet(server, client):
    index = ET.fromstring(client.get(server.base_url + "/sitemap.xml").content)
    locs = [e.text for e in index.iter(SITEMAP + "loc")]
    assert len(locs) == len(OUTLETS)
    for loc, source in zip(locs, server.sources()):
        urlset = ET.fromstring(client.get(loc).content)
        urls = [e.text for e in urlset.iter(SITEMAP + "loc")]
        assert len(urls) == len(server.articles(source["outlet_id"]))
        assert "sitemap-news" in client.get(loc).text


def test_opml_lists_every_feed_by_category(server, client):
    response = client.get(server.base_url + "/opml")
    assert response.headers["content-type"].startswith("text/x-opml")
    feeds = {o.get("xmlUrl"): o for o in ET.fromstring(response.content).iter("outline")
             if o.get("xmlUrl")}
    for source in server.sources():
        assert feeds[source["url"]].get("category") == source["category"]


# ------------------------------------------------------ subsets and benchmarks
def test_limit_and_outlets_serve_a_subset():
    with ReplayServer(limit=5, outlets=["kremlin-en", "globalvoices"]) as server:
        assert [s["outlet_id"] for s in server.sources()] == ["kremlin-en", "globalvoices"]
        with httpx.Client() as client:
            gv = feedparser.parse(client.get(server.sources()[1]["url"]).content)
            assert len(gv.entries) == 5
            assert all(client.get(e.link).status_code == 200 for e in gv.entries)
    with pytest.raises(NotFound):
        ReplayServer(outlets=["nowhere"])


def test_multiply_serves_distinct_rewritten_copies():
    with ReplayServer(limit=4, multiply=3) as server, httpx.Client() as client:
        assert len(server.sources()) == 3 * len(OUTLETS)
        articles = server.articles()
        assert len(articles) == 3 * 4 * len(OUTLETS)
        for field in ("id", "url", "title"):
            assert len({getattr(a, field) for a in articles}) == len(articles)
        for source in server.sources():
            for link in feed_links(client, source):
                assert client.get(link).status_code == 200


# ---------------------------------------------------------------- the demo's SSRF guard
def test_the_demo_fetches_its_replay_origin_and_refuses_every_other_private_address(tmp_path):
    """``newsdesk demo`` no longer turns the guard off: a source on another loopback port,
    on the LAN or at the cloud metadata address, added beside the demo outlets, ends as a
    refused fetch while the outlets are ingested; the settings it serves with allow nothing
    private."""
    from newsdesk.demo.build import build_demo, replay_settings
    from newsdesk.ingest.fetch import Fetcher
    from newsdesk.settings import Settings
    from newsdesk.storage import sources as source_store
    from newsdesk.storage.db import Database

    from servers import LoopbackServer, Response
    settings = Settings(data_dir=str(tmp_path), database_url=f"sqlite:///{tmp_path / 'demo.db'}",
                        extract_processes=0, fetch_timeout=3.0, fetch_deadline=6.0)
    db = Database.open(settings)
    with LoopbackServer({"/feed": Response(body=b"<rss/>")}) as other:
        private = [other.url("/feed"), "http://10.0.0.1/feed",
                   "http://169.254.169.254/latest/meta-data/"]
        for url in private:
            source_store.add_source(db, url)
        report = build_demo(settings, db, limit=1)
        assert other.requests == []
    by_url = {s.url: s for s in source_store.list_sources(db)}
    assert report.articles >= 3 and report.errors == len(private)
    for url in private:
        assert by_url[url].last_error.startswith("refused: "), by_url[url].last_error
    assert all(s.last_error is None for u, s in by_url.items() if u not in private)
    db.close()
    with ReplayServer(limit=1) as server, LoopbackServer({"/x": Response(body=b"x")}) as lan:
        with Fetcher(replay_settings(settings, server.base_url)) as fetcher:
            assert fetcher.get(server.sources()[0]["url"]).status == 200
            with pytest.raises(Exception, match="refused"):
                fetcher.get(lan.url("/x"))
