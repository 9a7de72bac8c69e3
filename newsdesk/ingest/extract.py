"""The extract stage: raw page (bytes or text) -> main text, display HTML and metadata.

The page is decoded (``encoding.decode_html``, so mislabelled pages come out readable) and
parsed once; what its readers never see (``hidden``, ``aria-hidden``, ``display:none``,
``<template>``: ``hidden.drop_hidden``) is removed. On that tree:

1. one pass of trafilatura (balanced mode, its readability/justext comparison included)
   finds the main content;
2. boilerplate blocks are dropped from that content (``clean``: share/comment/related
   labels, calls to action, credits; everything after a "Comments"/"Related" heading) and
   short residue at the start and end of the text (dates, bylines, "Posted in..."), and
   runs of blocks that are each a link of the page (teaser lists, ``signals.link_runs``)
   and short rows made of the page's link and button labels (``signals.widget_rows``);
3. metadata comes from meta tags and JSON-LD, then the title/h1, byline markup and
   htmldate's fast (markup and URL) date search; canonical URL and language from <head>;
4. a first paragraph that repeats the headline is dropped (the title is shown apart);
5. the page's description, when the body shows it but the content lacks it, is put back
   as the lead paragraph (``signals.missing_lead``: extractors often skip the standfirst);
6. the display HTML is rendered from the same pruned content and sanitized last.

``extract_article`` returns None when the page has no main text; the caller then falls
back to the feed's content and records why. Its result leaves through
``normalize.normalize_extracted`` (strings the databases accept, a believable date).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lxml import etree
from lxml.html import HtmlElement
from htmldate import find_date
from trafilatura import bare_extraction
from trafilatura.htmlprocessing import convert_to_html
from trafilatura.metadata import (examine_meta, extract_meta_json, extract_metainfo,
                                  extract_sitename, extract_title)
from trafilatura.json_metadata import normalize_authors
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from ..words import runs
from .clean import clean_lines, cut_tail, is_boilerplate, normalize_whitespace, trim_edges
from .encoding import decode_html
from .hidden import drop_hidden
from .normalize import normalize_extracted
from .sanitize import absolute_url, sanitize_html
from .signals import label_runs, link_runs, missing_lead, page_labels, widget_rows

LOGGER = logging.getLogger(__name__)

# trafilatura settings, chosen on the evaluation corpus (bench/extraction_eval.py): the
# balanced default scored best; links/formatting in the tree cost recall in the text.
# Metadata is read by _metadata() below, a leaner subset of trafilatura's own.
_TRAFILATURA_OPTIONS = dict(
    include_comments=False,
    include_tables=True,
    include_formatting=False,
    include_links=False,
    include_images=False,
    with_metadata=False,
    output_format="txt",  # the body tree is all we read; "python" would also render its text
)
_MIN_PARAGRAPH = 40  # a page whose longest paragraph is shorter has no article text
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
# byline markup, a cheaper subset of trafilatura's author search (which copies the tree)
_BYLINE_XPATHS = [
    etree.XPath('//*[@rel="author" or @itemprop="author"]'),
    etree.XPath('//*[self::span or self::p or self::div or self::a][contains(@class, "byline") '
                'or contains(@class, "author-name") or @class="author"]'),
]
# page-level facts live in <head>: scoped paths avoid walking the whole tree
_CANONICAL = (etree.XPath('/html/head/link[@rel="canonical"]/@href'),
              etree.XPath('/html/head/meta[@property="og:url"]/@content'))
_LANGUAGE_META = etree.XPath('/html/head/meta[translate(@http-equiv, "CL", "cl")="content-language"]/@content'
                             '|/html/head/meta[@property="og:locale"]/@content')
_LANG = re.compile(r"^([a-zA-Z]{2})(?:[-_][a-zA-Z0-9]+)*$")


@dataclass
class Extracted:
    title: str | None
    text: str                  # clean plain text, paragraphs separated by "\n\n"
    html: str                  # sanitized HTML of the main content (for display)
    authors: list[str] = field(default_factory=list)
    date: datetime | None = None       # timezone-aware (UTC when the page gives no offset)
    language: str | None = None        # ISO 639-1
    lead_image: str | None = None      # absolute URL
    canonical_url: str | None = None   # absolute URL
    description: str | None = None
    sitename: str | None = None


def extract_article(html: str | bytes, url: str | None = None) -> Extracted | None:
    """Main text and metadata of an article page, or None when it has no main text."""
    if isinstance(html, (bytes, bytearray)):
        html = decode_html(bytes(html))
    if not html or not html.strip():
        return None
    tree = load_html(html)
    if tree is None:
        return None
    drop_hidden(tree)  # text readers never see is never article text
    try:
        document = bare_extraction(tree, url=url, **_TRAFILATURA_OPTIONS)  # works on a copy
    except Exception as exc:  # trafilatura bugs on odd markup must not stop ingest
        LOGGER.warning("trafilatura failed", extra={"url": url, "error": repr(exc)})
        return None
    if document is None or document.body is None:
        return None

    body, kept = _prune_body(document.body, tree)
    lines = trim_edges(normalize_whitespace(xmltotxt(body, False)).split("\n"))
    text = clean_lines(lines, known_good=kept)
    if not text or max(map(len, text.split("\n\n"))) < _MIN_PARAGRAPH:
        return None  # only labels left (navigation, a form): no main text
    meta = _metadata(tree, url)
    text = _drop_headline(body, text, meta.title, tree)
    if not text:
        return None
    text = _add_lead(body, text, missing_lead(tree, meta.description, " ".join(text.split())))
    canonical = _canonical_url(tree, url)
    base = canonical or url
    return normalize_extracted(Extracted(
        title=_clean_field(meta.title),
        text=text,
        html=_display_html(body, base),
        authors=_authors(meta.author),
        date=_parse_date(meta.date),
        language=_language(tree),
        lead_image=absolute_url(meta.image, base),
        canonical_url=canonical,
        description=_clean_field(meta.description),
        sitename=_clean_field(meta.sitename),
    ), datetime.now(timezone.utc))


def _prune_body(body: etree._Element, page: HtmlElement) -> tuple[etree._Element, set[str]]:
    """Remove the blocks that are boilerplate (or follow a "Comments"/"Related" heading)
    and the runs of teaser links (list items counted one by one) from the extracted tree,
    so the display HTML and the text agree. Returns the pruned tree and the texts of the
    blocks judged to be content (not checked again)."""
    blocks = list(body)
    texts = [_words(block) for block in blocks]
    kept_count = len(cut_tail(texts))
    widgets = widget_rows(page, texts)
    labels = page_labels(page)
    good: set[str] = set()
    for index, (block, words) in enumerate(zip(blocks, texts)):
        if index >= kept_count or index in widgets or (words and is_boilerplate(words)):
            body.remove(block)
        else:
            good.add(_cut_label_runs(block, labels) if index < kept_count else words)
    units = [unit for block in body for unit in (list(block) if block.tag == "list" else [block])]
    unit_texts = [_words(unit) for unit in units]
    for index in link_runs(page, unit_texts):
        parent = units[index].getparent()
        parent.remove(units[index])
        good.discard(unit_texts[index])
        if parent is not body and len(parent) == 0:
            body.remove(parent)
    return body, good


def _cut_label_runs(block: etree._Element, labels: list[str]) -> str:
    """Remove rows of link/button labels glued into the block's text (``signals.label_runs``)
    from each of its text nodes; the block's words afterwards."""
    for element in block.iter():
        for attr in ("text", "tail") if element is not block else ("text",):
            value = getattr(element, attr)
            spans = label_runs(labels, value) if value else []
            for start, end in reversed(spans):
                value = value[:start].rstrip() + " " + value[end:].lstrip()
            if spans:
                setattr(element, attr, value.strip() if element is block else value)
    return _words(block)


def _words(element: etree._Element) -> str:
    return " ".join(" ".join(element.itertext()).split())


# what separates a headline from the site's name in a <title> ("Headline | Site")
_TITLE_PARTS = re.compile(r"\s+[|\-\u2013\u2014\u00b7:]{1,2}\s+")


def _drop_headline(body: etree._Element, text: str, title: str | None, page: HtmlElement) -> str:
    """Drop the headline from the start of the text. When the page's <article> holds its
    <h1>, the extracted text starts with the title, which is shown apart; summaries,
    timelines, related ledes and previews would all lead with it. Dropped: a first
    paragraph equal to the title, or to one part of a "Headline | Site" title (words
    compared without case and punctuation), with the tree's first block; and a title
    glued to the front of the first paragraph when the page shows it as a heading of its
    own (extraction merged the blocks; the display HTML keeps that block), never the start
    of a lede that repeats the headline."""
    first, _, rest = text.partition("\n\n")
    if not title:
        return text
    if rest and len(first) <= 2 * len(title) + 20 and _is_headline(first, title):
        if len(body) and _words(body[0]) == first:
            body.remove(body[0])
        return rest
    glued = _glued_headline(first, title, page)
    if glued is None:
        return text
    return glued + ("\n\n" + rest if rest else "")


def _is_headline(paragraph: str, title: str) -> bool:
    headline = _headline_key(paragraph)
    parts = [title] + [part for part in _TITLE_PARTS.split(title) if len(part.split()) >= 2]
    return bool(headline) and headline in {_headline_key(part) for part in parts}


def _glued_headline(first: str, title: str | None, page: HtmlElement) -> str | None:
    """``first`` without the title at its front, when a heading of the page is the title
    and no single text of the page runs on from the title into what follows it (so the
    two were separate blocks that extraction glued); else None."""
    if not title or not first.startswith(title + " ") or len(title.split()) < 3:
        return None
    key = _headline_key(title)
    if not any(_headline_key(_words(h)) == key for h in page.iter("h1", "h2")):
        return None
    after = first[len(title):].split()[:3]
    probe = _headline_key(" ".join([title] + after))
    if any(probe in _headline_key(node) for node in page.xpath("//body//text()")
           if len(node) > len(title)):
        return None
    return first[len(title):].strip()


def _headline_key(text: str) -> str:
    return " ".join(runs(text.casefold()))


def _add_lead(body: etree._Element, text: str, lead: str | None) -> str:
    """Put the page's lead (see ``signals.missing_lead``) after the leading heading, in
    the tree and in the text, unless the text cleaning would drop it."""
    if not lead or is_boilerplate(lead):
        return text
    paragraphs = text.split("\n\n")
    at = 1 if len(body) and body[0].tag == "head" and paragraphs[0] == _words(body[0]) else 0
    element = etree.Element("p")
    element.text = lead
    body.insert(at, element)
    return "\n\n".join(paragraphs[:at] + [lead] + paragraphs[at:])


def _display_html(body: etree._Element, base_url: str | None) -> str:
    html = convert_to_html(body)
    for heading in html.iter("h1"):  # the title is shown apart; keep h2-h6 in the body
        heading.tag = "h2"
    return sanitize_html(etree.tostring(html, encoding="unicode"), base_url)


def _metadata(tree: HtmlElement, url: str | None):
    """Title, author, date, description, sitename and image, the cheap way: meta tags and
    JSON-LD first, then the page's title/h1, byline markup and htmldate's fast search."""
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:  # a handle, not a name
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # trafilatura's JSON-LD parser on malformed data
        LOGGER.debug("JSON-LD metadata unreadable", extra={"url": url})
    if not meta.title:
        meta.title = extract_title(tree)
    if not meta.author:
        byline = extract_metainfo(tree, _BYLINE_XPATHS, len_limit=120)
        meta.author = normalize_authors(None, byline) if byline else None
    if not meta.sitename:
        meta.sitename = extract_sitename(tree)
    # markup and URL only: htmldate's extensive search through the page text finds ~3% more
    # dates on the eval corpus but costs ~90 ms on each page without one (a third of the
    # extraction budget on average), so it is left out
    try:
        meta.date = find_date(tree, extensive_search=False, original_date=True,
                              outputformat=_DATE_FORMAT, url=url,
                              max_date=datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    except (ValueError, OverflowError, TypeError):  # htmldate on "+99:99" offsets and the like
        LOGGER.debug("page date unreadable", extra={"url": url})
        meta.date = None   # an unreadable date costs the date, not the page
    return meta


def _canonical_url(tree: HtmlElement, url: str | None) -> str | None:
    for xpath in _CANONICAL:
        for value in xpath(tree):
            if found := absolute_url(value, url):
                return found
    return None


def _language(tree: HtmlElement) -> str | None:
    for value in (tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")):
        if value and (match := _LANG.match(value.strip())):
            return match.group(1).lower()
    for value in _LANGUAGE_META(tree):
        if match := _LANG.match(value.split(",")[0].strip()):
            return match.group(1).lower()
    return None


def _authors(value: str | None) -> list[str]:
    if not value:
        return []
    names = [name.strip() for name in value.split(";")]
    return list(dict.fromkeys(name for name in names if name))


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.strptime(value, _DATE_FORMAT)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _clean_field(value: str | None) -> str | None:
    value = normalize_whitespace(value or "").replace("\n", " ")
    return value or None
