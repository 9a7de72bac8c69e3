"""discover_feeds: what a page advertises, best first, comment feeds last."""

from __future__ import annotations

from pathlib import Path

from newsdesk.ingest.discover import DiscoveredFeed, discover_feeds

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
PAGE = "https://harbourgazette.example/2024/03/"


def load(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def test_page_with_several_alternates():
    found = discover_feeds(load("news_page.html"), PAGE)
    assert found == [
        DiscoveredFeed("https://harbourgazette.example/feed/", "The Harbour Gazette » Feed", "rss"),
        DiscoveredFeed("https://harbourgazette.example/feed/atom/", "The Harbour Gazette (Atom)", "atom"),
        DiscoveredFeed("https://harbourgazette.example/feed/json/", "The Harbour Gazette (JSON)", "json"),
        # weaker: <a href> links that look like feeds
        DiscoveredFeed("https://feeds.feedburner.example/HarbourGazette", "Subscribe via FeedBurner", "rss"),
        DiscoveredFeed("https://harbourgazette.example/category/sport/feed/", "Sport feed", "rss"),
        # the comments feed, although first in the page, comes last
        DiscoveredFeed("https://harbourgazette.example/comments/feed/",
                       "The Harbour Gazette » Comments Feed", "rss"),
    ]
    # not feeds: the WordPress REST link, the hreflang alternate, /feed-the-ducks-day/,
    # /podcast.xml, javascript: links; the upper-case/fragment duplicate of /feed/ is merged.


def test_str_and_bytes_give_the_same_answer():
    html = load("news_page.html")
    assert discover_feeds(html.decode("utf-8"), PAGE) == discover_feeds(html, PAGE)


def test_anchor_fallback_when_no_link_alternates():
    found = discover_feeds(load("no_alternates.html"), "https://smallblog.example/posts/")
    assert [(f.url, f.type) for f in found] == [
        ("https://smallblog.example/index.xml", "rss"),
        ("https://smallblog.example/atom.xml", "atom"),
        ("https://smallblog.example/posts/feed.json", "json"),  # relative to the page
        ("https://smallblog.example/comments/feed/", "rss"),
    ]
    assert found[0].title == "RSS"


def test_base_href_and_generic_types():
    html = """<html><head><base href="https://cdn.example/site/">
      <link rel="alternate" type="application/xml" href="rss.xml" title="Generic XML feed">
      <link rel="alternate" type="application/json" href="/wp-json/wp/v2/posts/7">
      <link rel="feed" href="/blog/feed/" title="hAtom-style feed link">
      <link rel="alternate nofollow" type="application/atom+xml; charset=utf-8" href="feed:https://x.example/a.atom">
      </head><body></body></html>"""
    found = discover_feeds(html, "https://www.example/page")
    assert [(f.url, f.type, f.title) for f in found] == [
        ("https://cdn.example/site/rss.xml", "rss", "Generic XML feed"),
        ("https://cdn.example/blog/feed/", "rss", "hAtom-style feed link"),
        ("https://x.example/a.atom", "atom", None),
    ]


def test_xhtml_with_xml_declaration_as_str():
    page = ('<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
            '<head><link rel="alternate" type="application/atom+xml" href="/atom"/></head></html>')
    assert discover_feeds(page, "https://x.example/p") == [
        DiscoveredFeed("https://x.example/atom", None, "atom")]


def test_nothing_to_find():
    assert discover_feeds("", "https://x.example/") == []
    assert discover_feeds(b"<html><body><p>No feeds here</p></body></html>", "https://x.example/") == []
