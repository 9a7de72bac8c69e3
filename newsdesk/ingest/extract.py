"""The extract stage: raw page (bytes or text) -> main text, display HTML and metadata.

One pass of trafilatura does the heavy lifting (main-content detection and metadata, on a
tree we parse once); we then

1. decode bytes ourselves (``encoding.decode_html``), so mislabelled pages come out readable;
2. read the cheap page-level facts trafilatura does not return in the form we want
   (``<html lang>``, canonical link, lead image);
3. drop boilerplate paragraphs (``clean``) and short non-sentence residue at the start and
   end of the text (dates, bylines, "Posted in..." lines);
4. sanitize the display HTML last (``sanitize``).

``extract_article`` returns None when the page has no main text; the caller then falls
back to the feed's content and records why.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from lxml import etree
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.htmlprocessing import convert_to_html
from trafilatura.utils import load_html
from trafilatura.xml import xmltotxt

from .clean import clean_text, cut_tail, is_boilerplate, normalize_whitespace, trim_edges
from .encoding import decode_html
from .sanitize import absolute_url, sanitize_html

LOGGER = logging.getLogger(__name__)

# trafilatura settings, chosen on the evaluation corpus (bench/extraction_eval.py)
_TRAFILATURA_OPTIONS = dict(
    include_comments=False,
    include_tables=True,
    include_formatting=False,
    include_links=False,
    include_images=False,
    with_metadata=True,
)
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
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
    canonical = _canonical_url(tree, url)
    try:
        document = bare_extraction(
            tree,
            url=url,
            date_extraction_params={"original_date": True, "extensive_search": False,
                                    "outputformat": _DATE_FORMAT,
                                    "max_date": datetime.now(timezone.utc).strftime("%Y-%m-%d")},
            **_TRAFILATURA_OPTIONS,
        )
    except Exception as exc:  # trafilatura bugs on odd markup must not stop ingest
        LOGGER.warning("trafilatura failed", extra={"url": url, "error": repr(exc)})
        return None
    if document is None or document.body is None:
        return None

    body = _prune_body(document.body)
    text = clean_text("\n".join(trim_edges(xmltotxt(body, False).split("\n"))))
    if not text:
        return None
    base = canonical or url
    return Extracted(
        title=_clean_field(document.title),
        text=text,
        html=sanitize_html(etree.tostring(convert_to_html(body), encoding="unicode"), base),
        authors=_authors(document.author),
        date=_parse_date(document.date),
        language=_language(tree),
        lead_image=absolute_url(document.image, base),
        canonical_url=canonical,
        description=_clean_field(document.description),
        sitename=_clean_field(document.sitename),
    )


def _prune_body(body: etree._Element) -> etree._Element:
    """Remove the block elements ``clean_text`` would drop, so text and HTML agree."""
    blocks = list(body)
    kept = cut_tail([normalize_whitespace(" ".join(b.itertext())) for b in blocks])
    for index, block in enumerate(blocks):
        words = normalize_whitespace(" ".join(block.itertext()))
        if index >= len(kept) or (words and is_boilerplate(words)):
            body.remove(block)
    return body


def _canonical_url(tree: HtmlElement, url: str | None) -> str | None:
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        for value in tree.xpath(xpath):
            found = absolute_url(value, url)
            if found:
                return found
    return None


def _language(tree: HtmlElement) -> str | None:
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    candidates += tree.xpath('//meta[@http-equiv="content-language" or @http-equiv="Content-Language"]/@content')
    candidates += tree.xpath('//meta[@property="og:locale"]/@content')
    for value in candidates:
        match = _LANG.match((value or "").strip().split(",")[0].strip())
        if match:
            return match.group(1).lower()
    return None


def _authors(value: str | None) -> list[str]:
    if not value:
        return []
    names = [name.strip() for name in re.split(r";|\band\b|\bund\b|&", value)]
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
