"""Property-based fuzzing (hypothesis) of the parsers that read strangers' bytes and the
renderers that turn them into HTML: the feed parser, the date parser, the normaliser, the
HTML sanitizer (with hidden content) and the comment markdown.

The properties: no exception escapes but the documented ones (``FeedError``), nothing
the databases refuse comes out, dates stay in range, and no live markup is produced. The
number of examples per test comes from the hypothesis profile in conftest.py ("ci":
200; ``HYPOTHESIS_PROFILE=long`` for 5,000), the costlier feed tests run a quarter of it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

from hypothesis import example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from newsdesk.community import markdown
from newsdesk.errors import FeedError
from newsdesk.ingest import sanitize as sanitizer
from newsdesk.ingest.build import html_to_text
from newsdesk.ingest.feeds import parse_date, parse_feed
from newsdesk.ingest.normalize import EARLIEST, MAX_TITLE, clean_str, plain_text

from markup import BAD_CHARS, live_markup

FEW = max(10, hsettings.default.max_examples // 4)  # parsing a whole feed costs more

# strings as strangers write them: any code point (surrogates and NUL included), entity
# soup, markup fragments, very long runs
HOSTILE_BITS = ["\x00", "\ud800", "\udfff", "\ufffe", "\x1b", "&amp;amp;", "&#0;", "&#xD800;",
                "&lt;script&gt;", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                "javascript:alert(1)", "]]>", "<![CDATA[", "<!--", "&", "<", "\u202e", "😀"]
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
hostile_text = st.lists(st.one_of(st.text(any_char, max_size=30), st.sampled_from(HOSTILE_BITS)),
                        max_size=8).map("".join)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text)
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)), max_leaves=12)
JSON_KEYS = ["id", "url", "external_url", "title", "content_html", "content_text", "summary",
             "image", "banner_image", "date_published", "date_modified", "authors", "author",
             "tags", "language"]


def check_feed(feed) -> None:
    """What every parsed feed must satisfy, whatever its input."""
    now = datetime.now(timezone.utc)
    for entry in feed.entries:
        assert entry.url or entry.guid or entry.title
        strings = [entry.guid, entry.url, entry.title, entry.summary, entry.content_html,
                   entry.image, entry.language, *entry.authors, *entry.categories]
        for value in strings:
            assert value is None or not BAD_CHARS.search(value), repr(value)
            if value is not None:
                value.encode("utf-8")  # raises on anything a database could not store
        assert len(entry.title) <= MAX_TITLE
        for url in (entry.url, entry.image):
            assert url is None or url.startswith(("http://", "https://"))
        for when in (entry.published, entry.updated):
            assert when is None or (when.tzinfo and EARLIEST <= when <= now + timedelta(days=2))


def parse_or_feed_error(body: bytes, content_type: str | None = None):
    try:
        feed = parse_feed(body, "http://example.org/feed", content_type)
    except FeedError as exc:
        assert str(exc) and "\n" not in str(exc)
        return None
    check_feed(feed)
    return feed


# ---------------------------------------------------------------------- the feed parser
@hsettings(max_examples=FEW)
@given(st.binary(max_size=3000), st.sampled_from([None, "application/rss+xml", "application/json",
                                                  "text/html", "text/xml; charset=utf-16"]))
def test_any_bytes_parse_to_a_checked_feed_or_a_feed_error(body, content_type):
    parse_or_feed_error(body, content_type)


@hsettings(max_examples=FEW)
@given(st.lists(st.one_of(st.dictionaries(st.sampled_from(JSON_KEYS), json_value, max_size=10),
                          json_value), max_size=6),
       st.dictionaries(st.sampled_from(["title", "home_page_url", "language", "authors"]),
                       json_value, max_size=3))
def test_json_feeds_with_any_values_in_any_field(items, top):
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", **top, "items": items})
    feed = parse_or_feed_error(body.encode())
    assert feed is not None  # a JSON object with an "items" list is always a JSON Feed
    good = [i for i in items if isinstance(i, dict) and isinstance(i.get("url"), str)
            and i["url"].strip().startswith("http://x.org/")]
    assert len(feed.entries) >= len(good)  # an entry with a usable link is never lost


def _rss_item(fields: dict, raw: bool) -> str:
    put = (lambda v: v) if raw else escape
    return "<item>" + "".join(f"<{k}>{put(v)}</{k}>" for k, v in fields.items()) + "</item>"


@hsettings(max_examples=FEW)
@given(st.lists(st.dictionaries(st.sampled_from(["title", "link", "guid", "description",
                                                 "pubDate", "author", "category",
                                                 "dc:creator"]), hostile_text, max_size=6),
                max_size=5),
       st.booleans())
def test_rss_with_any_text_in_any_element(items, raw):
    body = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
            "xmlns:dc='http://purl.org/dc/elements/1.1/'><channel><title>t</title>"
            + "".join(_rss_item(i, raw) for i in items)
            + "<item><title>Survivor</title><link>http://x.org/s</link></item></channel></rss>")
    feed = parse_or_feed_error(body.encode("utf-8", "surrogatepass"))
    if not raw and feed is not None:  # well-formed: the good entry is always kept
        assert any(e.title == "Survivor" for e in feed.entries)


# ------------------------------------------------------------------------ dates
stamps = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                      timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=14)),
                                                 timezone(timedelta(hours=-12, minutes=-59))]))


@given(st.one_of(hostile_text, stamps.map(lambda d: d.isoformat()),
                 stamps.map(format_datetime), stamps.map(lambda d: d.isoformat()[:10]),
                 st.from_regex(r"\A[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}(T[0-9:]{1,9})?([+-][0-9:]{1,6}|Z)?\Z")))
def test_the_date_parser_returns_a_utc_datetime_or_none(text):
    when = parse_date(text)
    assert when is None or when.utcoffset() == timedelta(0)


@given(hostile_text)
def test_clean_strings_hold_nothing_a_database_refuses(text):
    cleaned = clean_str(text)
    assert not BAD_CHARS.search(cleaned) and cleaned.encode("utf-8") is not None
    assert clean_str(cleaned) == cleaned
    plain = plain_text(text)
    assert not BAD_CHARS.search(plain) and "\n" not in plain and len(plain) <= MAX_TITLE


# --------------------------------------------------------------------- the sanitizer
TAGS = ["p", "div", "a", "img", "script", "style", "iframe", "svg", "math", "table", "td",
        "form", "object", "embed", "base", "meta", "link", "template", "noscript", "b", "span",
        "xmp", "textarea", "title", "select", "option", "video", "source", "details"]
ATTRS = ["href", "src", "onerror", "onclick", "onload", "style", "hidden", "aria-hidden",
         "srcset", "action", "formaction", "xlink:href", "data", "class", "rel", "title"]
VALUES = ["javascript:alert(1)", " jAvAsCrIpT:alert(1)", "jav&#x09;ascript:alert(1)",
          "java\x00script:alert(1)", "data:text/html,<script>alert(1)</script>",
          "vbscript:x", "http://x.org/a", "/relative", "x\" onerror=\"alert(1)", "display:none",
          "true", "", "&#106;avascript:alert(1)"]
element = st.recursive(
    st.one_of(hostile_text.map(escape), hostile_text, st.sampled_from(HOSTILE_BITS)),
    lambda inner: st.builds(
        lambda tag, attrs, kids, close: (
            f"<{tag}" + "".join(f" {a}=\"{v}\"" if v else f" {a}" for a, v in attrs)
            + ">" + "".join(kids) + (f"</{tag}>" if close else "")),
        st.sampled_from(TAGS), st.lists(st.tuples(st.sampled_from(ATTRS), st.sampled_from(VALUES)),
                                        max_size=3),
        st.lists(inner, max_size=4), st.booleans()),
    max_leaves=20)


@given(element, st.sampled_from([None, "http://x.org/a/", "javascript:alert(1)"]))
def test_the_sanitizer_never_lets_live_markup_through(markup, base):
    out = sanitizer.sanitize_html(markup, base)
    assert live_markup(out) == []
    from lxml import html as lxml_html
    if out:
        for el in lxml_html.fragment_fromstring(BAD_CHARS.sub("", out), create_parent="div").iter():
            if isinstance(el.tag, str) and el.tag != "div":
                assert el.tag in sanitizer.TAGS, el.tag
                # nh3 adds rel to links and keeps its generic lang/title (text only)
                allowed = sanitizer.ATTRIBUTES.get(el.tag, set()) | {"rel", "lang", "title"}
                assert set(el.attrib) <= allowed, (el.tag, el.attrib)


# Around the hider, only markup a browser parses as elements: a stray "<![CDATA[" or an
# unclosed "<textarea" before it would turn the hider into text a browser shows.
word = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
well_formed = st.recursive(
    word.map(escape),
    lambda inner: st.builds(
        lambda tag, attrs, kids: (f"<{tag}" + "".join(f' {a}="{escape(v, {chr(34): "&quot;"})}"'
                                                      for a, v in attrs)
                                  + ">" + "".join(kids) + f"</{tag}>"),
        st.sampled_from(["p", "div", "span", "b", "a", "ul", "li", "blockquote", "section"]),
        st.lists(st.tuples(st.sampled_from(["class", "href", "title", "onclick"]),
                           st.sampled_from(VALUES)), max_size=2),
        st.lists(inner, max_size=3)),
    max_leaves=12)
MARK = "PLANTED-INSTRUCTION"
hiders = st.sampled_from(['<p hidden>{}</p>', '<div aria-hidden="true">{}</div>',
                          '<span style="color:red;display: none">{}</span>',
                          '<template><p>{}</p></template>', '<div HIDDEN="hidden"><b>{}</b></div>'])


@given(well_formed, hiders, well_formed)
def test_hidden_content_never_becomes_text_or_display_html(before, hider, after):
    markup = before + hider.format(MARK) + after
    assert MARK not in sanitizer.sanitize_html(markup, "http://x.org/")
    assert MARK not in html_to_text(markup)


# -------------------------------------------------------------------- comment markdown
md_bits = st.sampled_from(["**", "*", "_", "`", "```\n", "> ", "- ", "1. ", "[x](", ")",
                           "](javascript:alert(1))", "https://x.org/a", "<script>", "\n\n",
                           "[a](https://x.org/\"onmouseover=alert(1))", "&lt;", "<b>"])


@example("http://\x7f")  # a link nh3 cannot keep: an <a> without href, inert
@given(st.lists(st.one_of(hostile_text, md_bits), max_size=30).map("".join))
def test_comment_markdown_renders_no_live_markup(source):
    out = markdown.render(source)
    assert live_markup(out) == []
    from lxml import html as lxml_html
    if out.strip():
        for el in lxml_html.fragment_fromstring(BAD_CHARS.sub("", out), create_parent="div").iter():
            if isinstance(el.tag, str) and el.tag != "div":
                assert el.tag in markdown.TAGS, el.tag
                if el.tag == "a" and el.get("href") is not None:  # nh3 drops a bad href
                    assert el.get("href").startswith(("http://", "https://", "mailto:"))
