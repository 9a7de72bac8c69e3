"""Make article HTML safe to show: an explicit allow-list, applied last (see STYLE.md #3).

Everything not listed below is removed: tags outside ``TAGS`` are unwrapped (their text
kept), ``script``/``style``/``iframe``/``svg``/... are dropped with their content, and only
the attributes in ``ATTRIBUTES`` survive (no ``on*``, no ``style``, no ``class``/``id``).
URLs must be http, https or mailto; relative URLs are resolved against ``base_url`` and
removed when there is no base to resolve them against. Every link gets
``rel="nofollow noopener noreferrer"``.

Before nh3, markup that may hide something (``hidden.MAY_HIDE``) or is large enough to nest
deeply goes once through lxml: hidden elements are dropped with their content (nh3 would
strip the ``hidden`` attribute and so *show* their text), and lxml's parser caps the
nesting depth (nh3's cost grows with the square of the depth of nested blocks: 20,000
nested ``<div>`` take it a second, a 10 MB body of them hours).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree
from lxml import html as lxml_html

from .hidden import MAY_HIDE, drop_hidden
from .normalize import clean_str

TAGS = frozenset({
    "p", "br", "hr", "a", "em", "i", "strong", "b", "u", "s", "del", "ins", "mark", "small",
    "sub", "sup", "abbr", "cite", "q", "dfn", "time", "blockquote", "ul", "ol", "li", "dl",
    "dt", "dd", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "img", "table",
    "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "pre", "code", "kbd", "samp",
})

# dropped together with their content, not unwrapped
DROP_WITH_CONTENT = frozenset({
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math",
    "form", "button", "select", "textarea", "title", "head", "frame", "frameset", "applet",
})

ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
}

URL_SCHEMES = frozenset({"http", "https", "mailto"})
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
LINK_REL = "nofollow noopener noreferrer"
_EMPTY_IMG = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")  # images whose src was refused


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Return ``html`` reduced to the allow-list, with absolute http(s)/mailto URLs only."""
    html = clean_str(html) or ""  # nh3 and lxml refuse lone surrogates and NUL
    if not html.strip():
        return ""
    base = absolute_url(base_url)  # nh3 refuses a base it cannot parse (a port past 65535)
    if html.count("<") > MAX_FLAT_TAGS or MAY_HIDE.search(html):
        html = _through_tree(html)
    try:
        cleaned = _clean(html, base)
    except ValueError:  # nh3 refuses a base it cannot parse ("http://xn--/": not an IDN)
        cleaned = _clean(html, None)
    return _EMPTY_IMG.sub("", cleaned).strip()


def _clean(html: str, base: str | None) -> str:
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(URL_SCHEMES),
        url_relative=("rewrite_with_base", base) if base else "deny",
    )


MAX_FLAT_TAGS = 2_000  # fewer tags cannot nest deep enough to slow nh3 down


def _through_tree(html: str) -> str:
    """``html`` parsed by lxml (depth capped), hidden elements dropped, serialized again."""
    try:
        root = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):  # nothing but whitespace or comments
        return html if html.count("<") <= MAX_FLAT_TAGS else ""
    drop_hidden(root)
    return etree.tostring(root, encoding="unicode", method="html")


def absolute_url(url: str | None, base_url: str | None = None) -> str | None:
    """``url`` made absolute against ``base_url`` if it is (or becomes) http(s), else None."""
    if not url:
        return None
    url = url.strip()
    try:
        if base_url:
            url = urljoin(base_url, url)
        elif url.startswith("//"):
            url = "https:" + url
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError past 65535)
    except ValueError:  # "http://[::1" (unclosed IPv6), "http://x:99999999/": not a URL
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def _filter_attribute(tag: str, attr: str, value: str) -> str | None:
    if attr in _URL_ATTRIBUTES:
        stripped = "".join(value.split()).lower()
        # nh3 checks schemes too; this also catches entity/whitespace-obfuscated variants
        if stripped.startswith(("javascript:", "vbscript:", "data:")):
            return None
        if tag == "img" and not value.strip():
            return None
    if attr in ("width", "height") and not value.strip().isdigit():
        return None
    return value
