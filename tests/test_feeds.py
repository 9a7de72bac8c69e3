"""parse_feed on real-looking feeds: every format lands in one ParsedFeed model."""

from __future__ import annotations

import gzip
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsdesk.errors import FeedError
from newsdesk.ingest.feeds import looks_like_feed, parse_date, parse_feed

FEEDS = Path(__file__).parent / "fixtures" / "feeds"


def load(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- RSS
def test_rss_091_with_netscape_doctype():
    feed = parse_feed(load("rss091.xml"), "http://writetheweb.com/rss.xml")
    assert (feed.kind, feed.title, feed.site_url, feed.language) == (
        "rss", "WriteTheWeb", "http://writetheweb.com", "en-us")
    assert [e.url for e in feed.entries] == [
        "http://writetheweb.com/read.php?item=24",
        "http://writetheweb.com/read.php?item=23",
        "http://writetheweb.com/read.php?item=22&utm_source=rss",  # as published; identity strips it
    ]
    first = feed.entries[0]
    assert first.guid is None and first.title == "Giving the world a pluggable Gnutella"
    assert first.summary.startswith("WorldOS is a framework")
    assert first.content_html is None and first.published is None
    assert first.language == "en-us"  # inherited from the channel


def test_rss_10_rdf_with_dublin_core():
    feed = parse_feed(load("rss10_rdf.xml"), "https://science.example.org/rss/")
    assert (feed.kind, feed.title, feed.language) == ("rdf", "Science Daily Notes", "en-gb")
    comet, vents = feed.entries
    assert comet.guid == comet.url == "https://science.example.org/2024/03/comet-returns"
    assert comet.authors == ["Priya Raman"]
    assert comet.categories == ["Astronomy"]
    assert comet.published == utc(2024, 3, 14, 8, 30)  # dc:date, +01:00 converted to UTC
    assert comet.content_html is None
    assert vents.content_html == ("<p>An expedition mapped <b>three</b> previously unknown "
                                  "hydrothermal fields.</p>")


def test_rss_20_content_encoded_dc_creator_and_relative_links():
    feed = parse_feed(load("rss20_content.xml"), "https://harbourgazette.example/feed/")
    assert (feed.kind, feed.title, feed.language) == ("rss", "The Harbour Gazette", "en-NZ")
    assert len(feed.entries) == 3  # the item with no link, guid or title is dropped
    ferry, tides, guid_only = feed.entries

    assert ferry.guid == "https://harbourgazette.example/?p=4411"
    assert ferry.url.startswith("https://harbourgazette.example/2024/03/05/council-approves")
    assert ferry.authors == ["Aroha Ngata"]
    assert ferry.categories == ["Local", "Transport"]  # case-insensitive duplicates removed
    assert ferry.published == utc(2024, 3, 5, 5, 0)  # 18:00 +1300
    assert ferry.published.tzinfo is timezone.utc
    assert ferry.summary == "The council voted 9-2 to fund the terminal. [&#8230;]"
    assert "<strong>9&ndash;2</strong>" in ferry.content_html
    # relative src resolved against the feed URL; HTML not sanitized at this stage
    assert 'src="https://harbourgazette.example/wp-content/uploads/2024/03/terminal.jpg"' in ferry.content_html
    assert "<script>" in ferry.content_html
    assert ferry.image == "https://harbourgazette.example/wp-content/uploads/2024/03/terminal-150x150.jpg"

    assert tides.url == "https://harbourgazette.example/2024/03/04/tide-tables-march/"
    assert tides.authors == ["Harbour Desk", "Sam Porter"]
    assert tides.image == "https://harbourgazette.example/wp-content/uploads/2024/03/tides.png"
    assert tides.content_html is None

    assert guid_only.title == ""
    assert guid_only.url == "https://harbourgazette.example/2024/03/03/guid-only/"  # isPermaLink


def test_html_titles_become_plain_text():
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
            b"<title>1 &lt; 2 &amp; AT&amp;amp;T &lt;b&gt;bold&lt;/b&gt;</title>"
            b"<link>https://x.example/1</link></item></channel></rss>")
    assert parse_feed(body, "https://x.example/rss").entries[0].title == "1 < 2 & AT&T bold"


# -------------------------------------------------------------------------- Atom
def test_atom_with_xml_base_and_relative_links():
    feed = parse_feed(load("atom_xmlbase.xml"), "https://blog.example.fr/journal/atom.xml")
    assert (feed.kind, feed.title, feed.language) == ("atom", "Carnet de route", "fr")
    assert feed.site_url == "https://blog.example.fr/"
    lyon, turin = feed.entries

    assert lyon.url == "https://blog.example.fr/journal/2024/02/lyon-neige.html"
    assert lyon.guid == "tag:blog.example.fr,2024:/journal/2024/02/lyon-neige"
    assert lyon.authors == ["Camille Durand"]  # the feed's author applies to the entry
    assert lyon.published == utc(2024, 2, 19, 7, 0)
    assert lyon.updated == utc(2024, 2, 20, 9, 30)
    assert lyon.categories == ["voyage", "hiver"]
    assert lyon.summary == "Une matinée blanche sur la Presqu'île."
    assert 'href="https://blog.example.fr/journal/photos/"' in lyon.content_html
    assert lyon.image == "https://blog.example.fr/media/lyon.jpg"
    assert lyon.language == "fr"

    assert turin.url == "https://blog.example.fr/archives/turin.html"  # entry-level xml:base
    assert turin.title == "Notes & sketches from Turin"
    assert turin.authors == ["Luca Bianchi"]
    assert turin.summary is None  # feedparser copies content into summary; we do not
    assert turin.content_html == ('<p>Porticoes, coffee and '
                                  '<a href="https://blog.example.fr/archives/map.html">a map</a>.</p>')
    assert turin.published == turin.updated == utc(2024, 1, 5, 16, 45)  # only <updated>
    assert turin.language == "en"


# --------------------------------------------------------------------- JSON Feed
def test_json_feed_10_single_author_and_content_text():
    feed = parse_feed(load("jsonfeed_10.json"), "https://tinypods.example/feed.json",
                      "application/json")
    assert (feed.kind, feed.title, feed.site_url) == (
        "jsonfeed", "Tiny Podcasts Weekly", "https://tinypods.example/")
    episode, roundup = feed.entries
    assert episode.guid == "2041"  # numeric ids become strings
    assert episode.authors == ["Dana Whitfield"]  # the feed's author
    assert episode.content_html == ("<p>We test six USB microphones.</p>"
                                    "<p>The cheapest one wins &lt;sort of&gt;.</p>")
    assert episode.summary == "Six USB microphones, one winner."
    assert episode.published == utc(2024, 4, 2, 21, 0)
    assert episode.categories == ["audio", "gear"]
    assert roundup.url == "https://elsewhere.example/great-article"  # external_url fallback
    assert roundup.authors == ["Guest Writer"]


def test_json_feed_11_authors_language_and_relative_urls():
    # no content type: detected by the leading "{"
    feed = parse_feed(load("jsonfeed_11.json"), "https://datos.example.es/feed.json")
    assert (feed.kind, feed.title, feed.language) == ("jsonfeed", "Bitácora de Datos", "es-ES")
    assert len(feed.entries) == 2  # the item without id, url or title is dropped
    mapa, portal = feed.entries
    assert mapa.url == "https://datos.example.es/2024/05/10/elecciones-mapa/"
    assert mapa.image == "https://datos.example.es/img/mapa.png"
    assert mapa.authors == ["Marc Puig"]
    assert mapa.categories == ["elecciones", "mapas"]
    assert mapa.published == utc(2024, 5, 10, 18, 15)
    assert mapa.updated == utc(2024, 5, 11, 6, 0)
    assert mapa.language == "es-ES"
    assert portal.authors == ["Lucía Ortega", "Marc Puig"]  # top-level authors inherited
    assert portal.language == "en"
    assert portal.published == utc(2024, 5, 8)  # date only: midnight UTC


def test_json_that_is_not_a_json_feed():
    with pytest.raises(FeedError, match="not a JSON Feed"):
        parse_feed(b'{"posts": []}', "https://x.example/api", "application/json")
    with pytest.raises(FeedError, match="invalid JSON"):
        parse_feed(b'{"items": [', "https://x.example/feed.json")


# ---------------------------------------------------------------------- sitemaps
def test_news_sitemap_through_parse_feed():
    feed = parse_feed(load("news_sitemap.xml"), "https://www.dailyplanet.example/news-sitemap.xml")
    assert (feed.kind, feed.title, feed.language) == ("sitemap", "The Daily Planet", "en")
    assert [e.title for e in feed.entries] == [
        "Summit ends without a deal on emissions", "Central bank holds rates & signals patience"]


def test_sitemap_index_through_parse_feed_lists_children():
    feed = parse_feed(load("sitemap_index.xml"), "https://www.dailyplanet.example/sitemap.xml")
    assert feed.kind == "sitemap" and feed.entries == []
    assert feed.child_sitemaps == ["https://www.dailyplanet.example/sitemaps/news.xml",
                                   "https://www.dailyplanet.example/sitemaps/2024-05.xml.gz"]


def test_gzip_body_is_decompressed():
    feed = parse_feed(load("sitemap_2024-05.xml.gz"), "https://www.dailyplanet.example/s.xml.gz")
    assert len(feed.entries) == 3
    rss = parse_feed(gzip.compress(load("rss091.xml")), "http://writetheweb.com/rss.xml")
    assert len(rss.entries) == 3


# --------------------------------------------------------------------- encodings
def test_windows_1252_feed():
    feed = parse_feed(load("rss20_windows1252.xml"), "https://cafe.example/rss", "text/xml")
    assert feed.title == "Café Société"
    entry = feed.entries[0]
    assert entry.title == "\u201cLe menu d\u2019\u00e9t\u00e9\u201d \u2013 prix \u00e0 12\u00a0\u20ac"
    assert entry.summary == "Crème brûlée, naïveté et œufs."


def test_wrongly_declared_encoding_falls_back():
    feed = parse_feed(load("rss20_wrong_declared_encoding.xml"), "https://malaga.example/rss")
    assert feed.title == "Gazeta de Málaga"
    assert feed.entries[0].title == "Se inaugura el nuevo mercado de Atarazanas en España"
    assert feed.entries[0].summary == "La reforma duró dos años."


def test_koi8r_and_utf16_feeds():
    ru = parse_feed(load("rss20_koi8r.xml"), "https://gorod.example/rss")
    assert (ru.title, ru.entries[0].title) == ("Новости города", "Открылся новый мост")
    jp = parse_feed(load("atom_utf16.xml"), "https://nihongo.example/atom.xml")
    assert (jp.kind, jp.title, jp.entries[0].title) == ("atom", "日本語ブログ", "新年あけまして")
    assert jp.entries[0].updated == utc(2023, 12, 31, 15, 0)


def test_http_charset_wins_over_wrong_declaration():
    body = load("rss20_wrong_declared_encoding.xml")
    feed = parse_feed(body, "https://malaga.example/rss", "text/xml; charset=ISO-8859-1")
    assert feed.title == "Gazeta de Málaga"


def test_wrong_http_charset_on_a_utf8_feed_is_ignored():
    body = load("atom_xmlbase.xml")
    feed = parse_feed(body, "https://blog.example.fr/journal/atom.xml", "text/xml; charset=ISO-8859-1")
    assert feed.entries[0].summary == "Une matinée blanche sur la Presqu'île."


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize("body", [b"", b"   \n\t "])
def test_empty_body(body):
    with pytest.raises(FeedError, match="^empty response body"):
        parse_feed(body, "https://x.example/feed")


@pytest.mark.parametrize("name", ["news_page.html", "no_alternates.html"])
def test_html_page_is_not_a_feed(name):
    with pytest.raises(FeedError) as info:
        parse_feed(load(name), "https://harbourgazette.example/", "text/html; charset=utf-8")
    assert str(info.value) == ("this is an HTML page, not a feed: "
                               "try adding it by site URL for discovery")


def test_malformed_feed_without_entries():
    with pytest.raises(FeedError, match="^malformed feed with no entries: .*no element found"):
        parse_feed(load("malformed.xml"), "https://broken.example/rss")


def test_malformed_feed_whose_only_item_is_empty():
    with pytest.raises(FeedError, match="^malformed feed with no entries: .*unclosed token"):
        parse_feed(b"<rss><channel><item><title>broken</channel", "https://x.example/rss")


def test_well_formed_feed_without_items_is_fine():
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>'
            b"<link>https://quiet.example/</link></channel></rss>")
    feed = parse_feed(body, "https://quiet.example/rss")
    assert (feed.kind, feed.title, feed.entries) == ("rss", "Quiet", [])


def test_malformed_feed_with_entries_is_accepted():
    feed = parse_feed(load("bozo_with_entries.xml"), "https://sloppy.example/rss")
    assert [e.title for e in feed.entries] == ["Fish & chips shop wins award",
                                               "Road closures this weekend"]
    assert feed.entries[0].url == "https://sloppy.example/news?id=17&page=1"
    assert feed.entries[0].published == utc(2024, 2, 7, 15, 0)


@pytest.mark.parametrize("body, message", [
    (b"Service Unavailable", "neither XML nor JSON"),
    (b"\x00\x01\x02\xff\xfe garbage", "neither XML nor JSON"),
    (b'<?xml version="1.0"?><catalog><book id="1"/></catalog>', r"unrecognised document \(<catalog>\)"),
])
def test_garbage_is_rejected(body, message):
    with pytest.raises(FeedError, match=message):
        parse_feed(body, "https://x.example/feed")


def test_billion_laughs_parses_harmlessly_and_fast():
    started = time.monotonic()
    feed = parse_feed(load("billion_laughs.xml"), "https://lolz.example/rss")
    assert time.monotonic() - started < 1.0
    entry = feed.entries[0]
    assert len(entry.title) < 100 and "lollol" not in entry.title
    assert "root:" not in (entry.summary or "")  # the external entity was not read


def test_feedparser_crash_becomes_feed_error():
    # feedparser's DOCTYPE handling feeds entity values to re.sub as a template
    body = (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY path "C:\\other">\n]>\n'
            b'<rss version="2.0"><channel><title>&path;</title></channel></rss>')
    with pytest.raises(FeedError, match=r"^unreadable feed: error: bad escape \\o"):
        parse_feed(body, "https://x.example/rss")


def test_bytes_are_never_treated_as_a_file_path(tmp_path):
    # feedparser.parse(bytes) tries the bytes as a local path first; we never let it.
    secret = tmp_path / "secret.xml"
    secret.write_bytes(load("rss091.xml"))
    with pytest.raises(FeedError):
        parse_feed(str(secret).encode(), "https://x.example/feed")


# ------------------------------------------------------------------ small pieces
@pytest.mark.parametrize("name, content_type, expected", [
    ("rss091.xml", None, True), ("rss10_rdf.xml", None, True), ("atom_utf16.xml", None, True),
    ("jsonfeed_11.json", "application/feed+json", True), ("news_sitemap.xml", None, True),
    ("sitemap_2024-05.xml.gz", None, True), ("news_page.html", "text/html", False),
    ("news_page.html", "application/rss+xml", False),
])
def test_looks_like_feed(name, content_type, expected):
    assert looks_like_feed(load(name), content_type) is expected


def test_looks_like_feed_rejects_non_feed_json_and_empty():
    assert looks_like_feed(b'{"posts": []}', "application/json") is False
    assert looks_like_feed(b"", None) is False


@pytest.mark.parametrize("text, expected", [
    ("2024-06-01T16:05:00+02:00", utc(2024, 6, 1, 14, 5)),
    ("2024-06-01T16:05:00Z", utc(2024, 6, 1, 16, 5)),
    ("2024-06-01", utc(2024, 6, 1)),
    ("Sat, 01 Jun 2024 12:00:00 +0200", utc(2024, 6, 1, 10, 0)),
    ("yesterday", None), ("", None), (None, None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_mangled_fixtures_only_ever_raise_feed_error():
    """A small seeded fuzz: truncated and byte-flipped copies of every fixture either parse
    or raise FeedError, never anything else."""
    import random

    rng = random.Random(20240601)
    for path in sorted(FEEDS.iterdir()):
        original = path.read_bytes()
        for _ in range(15):
            body = bytearray(original[: rng.randint(0, len(original))])
            for _ in range(rng.randint(0, 4)):
                if body:
                    body[rng.randrange(len(body))] = rng.randrange(256)
            try:
                parse_feed(bytes(body), "https://fuzz.example/feed")
            except FeedError:
                pass
