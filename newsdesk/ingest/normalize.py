"""Every value from outside, made safe once, at the edge.

Feeds, pages and HTTP headers are written by strangers. Some values break the databases
(PostgreSQL refuses NUL in text; an unpaired surrogate cannot be encoded as UTF-8 for
either engine), some break arithmetic further on (a story window or an AI timeline that
starts in year 9999), and some are merely shown wrong (an author escaped twice,
``O&amp;#39;Brien``). ``parse_feed`` passes every entry through ``normalize_entry``, and
``extract_article`` its result through ``normalize_extracted``, before returning; the
rest of the code can then trust these rules:

    value                       rule
    --------------------------  -------------------------------------------------------
    every string                NUL, the other C0 controls but tab/newline/CR, unpaired
                                surrogates and U+FFFE/U+FFFF removed
    title, names, categories    plain text: entities decoded (a twice-escaped name too),
                                whitespace collapsed, length capped; tags removed from
                                names and categories
    guid, language              cleaned, capped (a language tag longer than 35 is dropped)
    URLs (link, image)          http(s) only, at most 4,096 characters, else dropped
    published                   from 1990-01-01 to one day after the fetch; outside that
                                it becomes the fetch time, with a note
    updated                     same range; outside it is dropped
    summary, content            capped (1 MB and 4 MB of text)
    an article's text           cut at 200,000 characters, with a note (``cut_text``)

What was changed is counted in a ``Notes`` object, which the refresh stores on the
source row so the operator sees it beside the source's health.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: feedmodel.py and extract.py import this module
    from .extract import Extracted
    from .feedmodel import FeedEntry

EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
FUTURE_SLACK = timedelta(days=1)   # clocks and time zones disagree by hours, never by days
MAX_TITLE = 1_000
MAX_NAME = 200                     # one author or category
MAX_NAMES = 50                     # authors or categories per entry
MAX_GUID = 2_048
MAX_URL = 4_096
MAX_LANGUAGE = 35                  # BCP 47 tags are shorter in practice
MAX_SUMMARY = 1_000_000
MAX_CONTENT = 4_000_000
MAX_HEADER = 1_024                 # an ETag or Last-Modified kept for the next request
# An article's stored text. Long reads run to 60,000 characters and full transcripts of
# long speeches to about 100,000; every later stage (duplicates, stories, tags, AI) reads
# the whole text, and tagging alone costs ~2 s per 100,000 characters on a loaded machine.
MAX_TEXT = 200_000

# C0 controls but \t \n \r; surrogate code points; the two non-characters XML forbids
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SPACES = re.compile(r"[ \t\r\n\u2028\u2029]+")


def clean_str(value: str | None, limit: int | None = None) -> str | None:
    """``value`` without the characters a database refuses or a page should never hold,
    cut to ``limit`` characters. None stays None."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    if _BAD_CHARS.search(value):
        if _SURROGATE.search(value):  # join valid pairs, drop the unpaired ones
            value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
        value = _BAD_CHARS.sub("", value)
    return value[:limit] if limit is not None else value


def plain_text(value: str | None, limit: int = MAX_TITLE, *, tags: bool = True) -> str:
    """A one-line plain-text value (a title, a name, a category): entities decoded, up to
    three times (names escaped twice by a CMS, then once more by a feed generator),
    whitespace collapsed, and with ``tags`` markup dropped (a name never holds any; a
    title may say "a <b> tag" in words). No-break spaces are kept (French typography)."""
    text = clean_str(value) or ""
    for _ in range(3):
        if "&" not in text or not _ENTITY.search(text):
            break
        text = html.unescape(text)
    if tags and "<" in text:
        text = _TAG.sub("", text)
    return clean_str(_SPACES.sub(" ", text).strip(), limit) or ""


def clean_url(value: str | None) -> str | None:
    """An absolute http(s) URL of sane length, or None."""
    url = clean_str(value)
    if not url:
        return None
    url = url.strip()
    if len(url) > MAX_URL or not url.lower().startswith(("http://", "https://")):
        return None
    return url


def clean_names(values, limit: int = MAX_NAMES) -> list[str]:
    """Plain-text names, empty and repeated ones dropped (case-insensitively)."""
    seen, out = set(), []
    for value in values or ():
        name = plain_text(value, MAX_NAME)
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
            if len(out) >= limit:
                break
    return out


def clean_language(value: str | None) -> str | None:
    text = (clean_str(value) or "").strip()
    return text if 0 < len(text) <= MAX_LANGUAGE else None


def in_range(when: datetime | None, fetched_at: datetime) -> bool:
    """Is ``when`` a believable publication time for something fetched at ``fetched_at``?"""
    if when is None:
        return True
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return EARLIEST <= when <= fetched_at + FUTURE_SLACK


@dataclass
class Notes:
    """What normalisation changed or skipped during one fetch, counted per kind, with the
    first example of each; ``lines()`` is what the source's health shows."""

    counts: dict[str, list] = field(default_factory=dict)  # message -> [count, example]

    def add(self, message: str, example: str | None = None) -> None:
        entry = self.counts.setdefault(message, [0, None])
        entry[0] += 1
        if entry[1] is None and example:
            entry[1] = plain_text(example, 80)

    def __bool__(self) -> bool:
        return bool(self.counts)

    def lines(self) -> list[str]:
        out = []
        for message, (count, example) in self.counts.items():
            line = f"{count} × {message}" if count > 1 else message
            out.append(f"{line} (first: {example})" if example else line)
        return out

    def text(self, limit: int = 2_000) -> str | None:
        joined = "; ".join(self.lines())
        return joined[:limit] if joined else None


DATE_NOTE = "publication date out of range (before 1990 or after tomorrow): the fetch time is used"


def normalize_entry(entry: "FeedEntry", fetched_at: datetime, notes: Notes) -> "FeedEntry":
    """A copy of ``entry`` that follows the rules in the module docstring."""
    label = entry.title or entry.url or entry.guid or ""
    published = entry.published
    if not in_range(published, fetched_at):
        notes.add(DATE_NOTE, f"{label[:50]}: {published.isoformat()}")
        published = fetched_at
    updated = entry.updated if in_range(entry.updated, fetched_at) else None
    return replace(
        entry,
        guid=(clean_str(entry.guid, MAX_GUID) or "").strip() or None,
        url=clean_url(entry.url),
        title=plain_text(entry.title, tags=False),
        summary=clean_str(entry.summary, MAX_SUMMARY),
        content_html=clean_str(entry.content_html, MAX_CONTENT),
        authors=clean_names(entry.authors),
        published=published,
        updated=updated,
        categories=clean_names(entry.categories),
        image=clean_url(entry.image),
        language=clean_language(entry.language),
    )


def normalize_extracted(found: "Extracted", fetched_at: datetime) -> "Extracted":
    """A copy of a page's extraction result that follows the same rules (a page date out
    of range is dropped: the feed's date or the fetch time takes its place)."""
    return replace(
        found,
        title=plain_text(found.title, tags=False) or None,
        text=clean_str(found.text, MAX_CONTENT) or "",
        html=clean_str(found.html, MAX_CONTENT) or "",
        authors=clean_names(found.authors),
        date=found.date if in_range(found.date, fetched_at) else None,
        language=clean_language(found.language),
        lead_image=clean_url(found.lead_image),
        canonical_url=clean_url(found.canonical_url),
        description=clean_str(found.description, MAX_SUMMARY),
        sitename=plain_text(found.sitename, MAX_NAME) or None,
    )


def cut_text(text: str, limit: int = MAX_TEXT) -> tuple[str, str | None]:
    """``text`` cut to ``limit`` characters at the last paragraph (else sentence, else
    word) boundary before it, and a note saying so; unchanged texts get no note."""
    if len(text) <= limit:
        return text, None
    head = text[:limit]
    for mark in ("\n\n", ". ", " "):
        at = head.rfind(mark)
        if at > limit // 2:
            head = head[:at + (1 if mark == ". " else 0)]
            break
    return head.rstrip(), f"text cut at {limit:,} characters (it had {len(text):,})"


def header_value(value: str | None) -> str | None:
    """An HTTP header value we store and send back (ETag, Last-Modified), or None when it
    is too long or holds characters a header may not carry."""
    if not value or len(value) > MAX_HEADER or clean_str(value) != value:
        return None
    return value
