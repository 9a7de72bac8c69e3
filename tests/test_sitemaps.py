"""parse_sitemap: urlset, sitemap index, Google News extensions, gzip, plain text."""

from __future__ import annotations

import gzip
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsdesk.errors import FeedError
from newsdesk.ingest.sitemaps import parse_sitemap

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
BASE = "https://www.dailyplanet.example/sitemaps/news.xml"


def load(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_news_sitemap():
    result = parse_sitemap(load("news_sitemap.xml"), BASE)
    assert result.child_sitemaps == []
    assert (result.publication, result.language) == ("The Daily Planet", "en")
    assert len(result.entries) == 2  # the repeated <loc> is kept once
    summit, rates = result.entries
    assert summit.url == "https://www.dailyplanet.example/world/2024/06/01/summit-ends-without-deal"
    assert summit.guid is None
    assert summit.title == "Summit ends without a deal on emissions"
    assert summit.published == utc(2024, 6, 1, 14, 5)
    assert summit.updated == utc(2024, 6, 1, 18, 40)
    assert summit.language == "en"
    assert summit.categories == ["climate", "summit", "diplomacy"]
    assert summit.image == "https://cdn.dailyplanet.example/img/summit.jpg"
    assert rates.title == "Central bank holds rates & signals patience"
    assert rates.published == utc(2024, 6, 1) and rates.updated is None


def test_plain_urlset_has_lastmod_and_no_titles():
    result = parse_sitemap(load("sitemap_plain.xml"), BASE)
    assert [(e.url.rsplit("/", 1)[-1], e.title, e.updated) for e in result.entries] == [
        ("bridge-reopens", "", utc(2024, 5, 30, 7, 0)),
        ("library-extends-hours", "", utc(2024, 5, 29)),
        ("new-tram-line", "", None),
    ]
    assert result.publication is None and result.language is None


def test_sitemap_index_lists_children_once_with_lastmod():
    result = parse_sitemap(load("sitemap_index.xml"), "https://www.dailyplanet.example/sitemap.xml")
    assert result.entries == []
    assert result.child_sitemaps == ["https://www.dailyplanet.example/sitemaps/news.xml",
                                     "https://www.dailyplanet.example/sitemaps/2024-05.xml.gz"]
    assert result.lastmods["https://www.dailyplanet.example/sitemaps/2024-05.xml.gz"] == utc(2024, 5, 31)


def test_gzip_sitemap_file():
    gz = load("sitemap_2024-05.xml.gz")
    assert gz[:2] == b"\x1f\x8b"
    result = parse_sitemap(gz, "https://www.dailyplanet.example/sitemaps/2024-05.xml.gz")
    assert result.entries == parse_sitemap(load("sitemap_plain.xml"), BASE).entries


def test_multi_member_gzip_is_read_whole():
    raw = load("sitemap_plain.xml")
    body = gzip.compress(raw[:200]) + gzip.compress(raw[200:])
    assert parse_sitemap(body, BASE).entries == parse_sitemap(raw, BASE).entries


def test_gzip_bomb_is_refused():
    member = gzip.compress(b" " * (1024 * 1024), compresslevel=9)  # 1 MB of spaces, ~1 KB
    bomb = gzip.compress(b"<urlset>") + member * 51 + gzip.compress(b"</urlset>")
    assert len(bomb) < 100_000
    with pytest.raises(FeedError, match="expands past 50 MB"):
        parse_sitemap(bomb, BASE)


def test_corrupt_gzip():
    with pytest.raises(FeedError, match="corrupt gzip"):
        parse_sitemap(b"\x1f\x8b\x08\x00garbage", BASE)


def test_old_namespace_and_no_namespace_still_read():
    body = (b'<?xml version="1.0"?><urlset xmlns="http://www.google.com/schemas/sitemap/0.84">'
            b"<url><loc>https://a.example/1</loc></url></urlset>")
    assert [e.url for e in parse_sitemap(body, "https://a.example/s.xml").entries] == [
        "https://a.example/1"]
    bare = b"<urlset><url><loc>/2</loc></url><url><loc>javascript:x()</loc></url></urlset>"
    assert [e.url for e in parse_sitemap(bare, "https://a.example/s.xml").entries] == [
        "https://a.example/2"]


def test_plain_text_sitemap():
    body = b"https://a.example/one\nhttps://a.example/two\n\n"
    assert [e.url for e in parse_sitemap(body, "https://a.example/s.txt").entries] == [
        "https://a.example/one", "https://a.example/two"]


@pytest.mark.parametrize("body, message", [
    (b"", "empty response body"),
    (b"<urlset><url><loc>https://a.example/</loc></url>", "malformed sitemap XML"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', r"not a sitemap: root element is <rss>"),
    (b"hello world", "malformed sitemap XML"),
])
def test_errors(body, message):
    with pytest.raises(FeedError, match=message):
        parse_sitemap(body, BASE)


def test_billion_laughs_and_external_entities_are_refused_fast():
    dtd = load("billion_laughs.xml").split(b"<rss")[0]
    body = dtd + b"<urlset><url><loc>https://x.example/&lol9;</loc></url></urlset>"
    started = time.monotonic()
    with pytest.raises(FeedError, match="malformed sitemap XML"):
        parse_sitemap(body, BASE)
    assert time.monotonic() - started < 1.0
    xxe = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b"<urlset><url><loc>https://x.example/a</loc><news><title>&x;</title></news></url></urlset>")
    entry = parse_sitemap(xxe, BASE).entries[0]
    assert "root:" not in entry.title
