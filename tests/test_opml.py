"""OPML import and export."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from newsdesk.errors import FeedError
from newsdesk.ingest.opml import OpmlOutline, build_opml, parse_opml

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def subscriptions() -> list[OpmlOutline]:
    return parse_opml((FEEDS / "subscriptions.opml").read_bytes())


def test_nested_outlines_take_the_parent_folder_as_category():
    assert subscriptions() == [
        OpmlOutline("https://hn.example/rss", "Hacker Newsletter", "https://hn.example/", None),
        OpmlOutline("https://www.dailyplanet.example/feeds/world.xml", "The Daily Planet",
                    "https://www.dailyplanet.example/world/", "World"),
        # xmlURL / HTMLURL: attribute names are matched case-insensitively
        OpmlOutline("https://malaga.example/rss", "Gazeta de Málaga", "https://malaga.example/", "World"),
        OpmlOutline("https://lwn.example/headlines/rss", "LWN-ish", None, "Open source"),
        OpmlOutline("https://smallblog.example/index.xml", "Small Blog", None, "Tech"),
        # the duplicate of hn.example inside "Tech" is dropped
        OpmlOutline("https://loose.example/feed", "Loose with category attribute", None, "Space"),
    ]


def test_round_trip_through_build_opml():
    outlines = subscriptions()
    data = build_opml([vars(o) for o in outlines])
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert parse_opml(data) == outlines


def test_build_groups_by_category_and_accepts_objects():
    sources = [
        {"url": "https://a.example/rss", "title": "A", "site_url": "https://a.example/", "category": "News"},
        {"url": "https://b.example/rss", "title": None, "site_url": None, "category": None},
        OpmlOutline("https://c.example/rss", "C & Co", None, "News"),
        {"url": "", "title": "no url: skipped"},
    ]
    data = build_opml(sources, title="My list")
    assert b"<title>My list</title>" in data
    assert b'text="C &amp; Co"' in data
    assert parse_opml(data) == [
        OpmlOutline("https://a.example/rss", "A", "https://a.example/", "News"),
        OpmlOutline("https://c.example/rss", "C & Co", None, "News"),
        OpmlOutline("https://b.example/rss", "https://b.example/rss", None, None),  # untitled: the URL
    ]


@pytest.mark.parametrize("data, message", [
    (b"", "empty OPML"),
    (b"<opml><body><outline xmlUrl='x'></body>", "not well-formed XML"),
    (b"<html><body/></html>", "root element is not <opml>"),
    (b"<opml version='2.0'><head/></opml>", "no <body>"),
])
def test_invalid_opml(data, message):
    with pytest.raises(FeedError, match=message):
        parse_opml(data)


def test_billion_laughs_and_xxe_are_refused_fast():
    dtd = (FEEDS / "billion_laughs.xml").read_bytes().split(b"<rss")[0]
    started = time.monotonic()
    with pytest.raises(FeedError, match="not well-formed XML"):
        parse_opml(dtd + b'<opml><body><outline text="&lol9;" xmlUrl="https://x.example/"/></body></opml>')
    assert time.monotonic() - started < 1.0
    xxe = (b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<opml><body><outline title="&x;" xmlUrl="https://a.example/"/></body></opml>')
    with pytest.raises(FeedError, match="not well-formed XML"):
        parse_opml(xxe)


def test_import_skips_outlines_that_are_not_web_feeds_and_caps_their_text(db):
    """A hostile OPML file: ``javascript:``, ``file:``, relative, unclosed-IPv6 and 3 MB
    URLs were stored as sources (the last one raised ValueError and stopped the import);
    a 3 MB title and a 100,000-character folder name were stored whole."""
    from newsdesk.ingest.subscribe import import_opml
    from newsdesk.storage.sources import list_sources
    outlines = ["<outline text='j' xmlUrl='javascript:alert(1)'/>",
                "<outline text='f' xmlUrl='file:///etc/passwd'/>",
                "<outline text='r' xmlUrl='/feed.xml'/>", "<outline xmlUrl='http://'/>",
                "<outline xmlUrl='http://[::1'/>",
                f"<outline text='h' xmlUrl='https://h.example/{'a' * 3_000_000}'/>",
                f"<outline text='{'T' * 3_000_000}' xmlUrl='https://t.example/feed'/>",
                f"<outline text='{'C' * 100_000}'><outline text='in &lt;b&gt;folder&lt;/b&gt;' "
                f"xmlUrl='https://c.example/feed' htmlUrl='javascript:alert(2)'/></outline>"]
    data = f"<opml version='2.0'><body>{''.join(outlines)}</body></opml>".encode()
    added, skipped = import_opml(db, data)
    assert [s.url for s in added] == ["https://t.example/feed", "https://c.example/feed"]
    assert len(skipped) == 6 and all("not an absolute http(s) URL" in s and len(s) < 300
                                     for s in skipped)
    stored = {s.url: s for s in list_sources(db)}
    assert set(stored) == {"https://t.example/feed", "https://c.example/feed"}
    assert len(stored["https://t.example/feed"].title) <= 1000
    folder = stored["https://c.example/feed"]
    assert len(folder.category) <= 200 and folder.title == "in folder" and folder.site_url is None


def test_a_large_import_goes_in_one_batch_and_skips_what_is_stored(db):
    """20,000 outlines took one transaction each (~31 s); now they go in together, and a
    feed already subscribed (or given twice) is skipped with its reason, the rest kept."""
    from newsdesk.ingest.subscribe import import_opml
    from newsdesk.storage.sources import add_source, add_sources, list_sources
    for n in range(0, 3000, 30):
        add_source(db, f"https://n{n}.example/feed", title=f"Already {n}")
    body = "".join(f"<outline text='Feed {n}' xmlUrl='https://n{n}.example/feed'/>" for n in range(3000))
    added, skipped = import_opml(db, f"<opml version='2.0'><body><outline text='Big'>{body}"
                                     "</outline></body></opml>".encode())
    assert [s.url for s in added] == [f"https://n{n}.example/feed" for n in range(3000) if n % 30]
    assert all(s.category == "Big" and s.title == f"Feed {s.url[9:-13]}" and s.enabled for s in added)
    assert len(skipped) == 100 and all("already exists" in why for why in skipped)
    stored = {s.url: s.title for s in list_sources(db)}
    assert len(stored) == 3000 and stored["https://n30.example/feed"] == "Already 30"
    again, refused = add_sources(db, [("https://x.example/feed", {"title": "X"}),
                                      ("https://x.example/feed", {"title": "Y"})])
    assert [s.title for s in again] == ["X"] and refused == [("https://x.example/feed",
                                                              "given twice; the first is added")]
