"""Turn one new feed entry into an article row: fetch the page, extract, clean, sanitize
(sanitizing is the last step, miniflux's rule); fall back to the feed's own content when
the page cannot be fetched or yields no text, and record why.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from lxml import etree
from lxml import html as lxml_html

from ..errors import ExtractionError, FetchError
from ..models import Source
from ..storage.sources import now
from .clean import clean_text
from .encoding import decode_html
from .extract import Extracted
from .feeds import FeedEntry
from .fetch import Fetcher, FetchResult
from .hidden import drop_hidden
from .identity import canonical_url, content_hash
from .normalize import clean_str, cut_text
from .sanitize import sanitize_html

log = logging.getLogger(__name__)

PAGE_TYPES = ("text/html", "application/xhtml+xml")


def build_article(fetcher: Fetcher, extract: Callable[[str, str | None], Extracted | None],
                  source: Source, entry: FeedEntry, key: str,
                  page: FetchResult | None = None) -> dict[str, Any] | None:
    """The article row of ``entry``. ``page``: its page, already fetched (a revision check
    fetches it itself, conditionally)."""
    extracted, note = None, None
    if source.full_text and entry.url:
        try:
            page = page or fetcher.get(entry.url, check_robots=True,
                                       accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
            if page.content_type and page.content_type not in PAGE_TYPES:
                note = f"page is {page.content_type}, not HTML"
            else:
                extracted = extract(decode_html(page.body, page.charset), page.url)
                if extracted is None or not extracted.text.strip():
                    extracted, note = None, "no article text found on the page"
        except FetchError as exc:
            note = f"page not fetched: {exc}"
        except ExtractionError as exc:
            note = f"extraction failed: {exc}"
        except Exception as exc:  # a hostile page must not take the source down
            log.exception("extraction failed", extra={"source_id": source.id, "url": entry.url})
            note = f"extraction failed: {type(exc).__name__}"
    elif not source.full_text:
        note = "full text off for this source"
    else:
        note = "entry has no link"
    if extracted is not None:
        return _row_from_page(source, entry, key, extracted)
    return _row_from_feed(source, entry, key, note)


def _row_from_page(source: Source, entry: FeedEntry, key: str, ex: Extracted) -> dict[str, Any]:
    text = ex.text
    note = None
    raw = entry.content_html or ""  # only full content can beat the page (never a summary)
    if len(raw) > 2 * len(text):    # cheap bound first: markup only makes raw longer
        feed_text = _feed_text(entry)
        if len(text) < 0.5 * len(feed_text):  # the page lost most of what the feed carried
            text, note = feed_text, "page text shorter than the feed's content; feed content kept"
    return _row(source, entry, key, text=text, html=ex.html if note is None else _feed_html(entry),
                extraction="page" if note is None else "feed", note=note,
                title=entry.title or ex.title, authors=entry.authors or ex.authors,
                published=entry.published or ex.date, language=ex.language or entry.language or source.language,
                image=ex.lead_image or entry.image,
                canonical=ex.canonical_url or entry.url)


def _row_from_feed(source: Source, entry: FeedEntry, key: str, note: str | None) -> dict[str, Any] | None:
    text = _feed_text(entry)
    if not text and not entry.title:
        return None
    return _row(source, entry, key, text=text or entry.title, html=_feed_html(entry),
                extraction="feed", note=note, title=entry.title, authors=entry.authors,
                published=entry.published, language=entry.language or source.language,
                image=entry.image, canonical=entry.url)


def _feed_text(entry: FeedEntry) -> str:
    raw = entry.content_html or entry.summary or ""
    return clean_text(html_to_text(raw)) if raw.strip() else ""


def _feed_html(entry: FeedEntry) -> str:
    raw = entry.content_html or entry.summary or ""
    return sanitize_html(raw, entry.url) if raw else ""


BLOCKS = {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "tr",
          "section", "article", "figcaption", "dd", "dt"}


def html_to_text(raw: str) -> str:
    """Plain text of a feed's HTML content: one paragraph per block element; scripts,
    styles and hidden elements (``hidden.drop_hidden``) say nothing."""
    raw = clean_str(raw) or ""  # lxml refuses NUL and control characters
    if "<" not in raw:
        return raw
    try:
        root = lxml_html.fragment_fromstring(raw, create_parent="div")
    except (ValueError, etree.ParserError):
        return raw
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    drop_hidden(root)
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in BLOCKS:
            el.tail = "\n\n" + (el.tail or "")
            el.text = "\n\n" + (el.text or "")
    return root.text_content()


def _row(source: Source, entry: FeedEntry, key: str, *, text: str, html: str, extraction: str,
         note: str | None, title: str | None, authors: list[str], published, language,
         image, canonical) -> dict[str, Any]:
    text, cut = cut_text(text.strip())
    if cut:
        note = f"{note}; {cut}" if note else cut
    return {
        "source_id": source.id, "entry_hash": key, "guid": entry.guid, "url": entry.url,
        "canonical_url": canonical_url(canonical) if canonical else None,
        "title": (title or text[:80] or "(untitled)").strip(),
        "summary": clean_text(html_to_text(entry.summary)) if entry.summary else None,
        "text": text, "html": html,
        "authors": authors or [], "categories": entry.categories or [],
        "published_at": published, "updated_at": entry.updated, "fetched_at": now(),
        "language": language, "lead_image": image, "extraction": extraction,
        "extraction_note": note, "word_count": len(text.split()),
        "content_hash": content_hash(text),
    }
