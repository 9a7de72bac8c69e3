"""Bounds on what reaches feedparser, applied to the raw XML bytes before it parses them.

feedparser is pure Python and reads a document whole: its cost is about a millisecond per
entry on a loaded machine, and it keeps an entry's categories in a list that it searches
before each insert, so one entry with 30,000 ``<category>`` elements takes minutes. Both
are bounded here, with cheap byte scans that leave ordinary feeds untouched:

    MAX_ENTRIES      entries read from one document (feeds list newest first; the refresh
                     keeps ``max_entries_per_fetch`` of them anyway); the document is cut
                     before the next ``<item>``/``<entry>`` and closed again, so it stays
                     well-formed and is parsed once
    MAX_CATEGORIES   ``<category>``/``<dc:subject>`` elements kept per entry
    character refs   ``&#0;``, ``&#xD800;`` and the other references to characters XML
                     forbids are removed (feedparser's fallback parser fails on them,
                     which would lose the whole feed)

Each returns a note when it changed something; the refresh shows it on the source.
"""

from __future__ import annotations

import re

MAX_ENTRIES = 1_000
MAX_CATEGORIES = 100

_ENTRY = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
_CATEGORY_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:category|subject)[\s/>]")
_CATEGORY = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?(?:category|subject))(?:\s[^>]*)?"
                       rb"(?:/>|>.*?</\1\s*>)", re.S)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?(rss|feed|RDF)[\s>]")
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def cap_entries(body: bytes) -> tuple[bytes, str | None]:
    """The document cut after ``MAX_ENTRIES`` entries (and closed again)."""
    if body.count(b"<item") + body.count(b"<entry") <= MAX_ENTRIES:  # cheap, over-counts
        return body, None
    starts = _ENTRY.finditer(body)
    total, cut = 0, None
    for match in starts:
        total += 1
        if total == MAX_ENTRIES + 1:
            cut = match.start()
    if cut is None:
        return body, None
    root = _ROOT.search(body, 0, 4096)
    prefix = (root.group(1) or b"") if root else b""
    name = root.group(2) if root else b"rss"
    closing = {b"rss": b"</channel></rss>", b"feed": b"</" + prefix + b"feed>",
               b"RDF": b"</" + prefix + b"RDF>"}[name]
    return body[:cut] + closing, f"only the first {MAX_ENTRIES} of {total} entries read"


def cap_categories(body: bytes) -> tuple[bytes, str | None]:
    """At most ``MAX_CATEGORIES`` category elements per entry."""
    if len(_CATEGORY_OPEN.findall(body)) <= MAX_CATEGORIES:
        return body, None
    dropped = 0
    pieces = []
    edges = [m.start() for m in _ENTRY.finditer(body)] + [len(body)]
    pieces.append(body[:edges[0]])
    for start, end in zip(edges, edges[1:]):
        seen = 0

        def keep(match: re.Match) -> bytes:
            nonlocal seen, dropped
            seen += 1
            if seen > MAX_CATEGORIES:
                dropped += 1
                return b""
            return match.group(0)
        pieces.append(_CATEGORY.sub(keep, body[start:end]))
    if not dropped:
        return body, None
    return b"".join(pieces), f"{dropped} categories beyond {MAX_CATEGORIES} per entry dropped"


def _forbidden(code: int) -> bool:
    return (code < 0x20 and code not in (0x9, 0xA, 0xD)) or 0xD800 <= code <= 0xDFFF \
        or code in (0xFFFE, 0xFFFF) or code > 0x10FFFF


def drop_bad_char_refs(body: bytes) -> tuple[bytes, str | None]:
    """References to characters XML forbids (``&#0;``, ``&#xD800;``...) removed."""
    if b"&#" not in body:
        return body, None
    dropped = 0

    def fix(match: re.Match) -> bytes:
        nonlocal dropped
        code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        if _forbidden(code):
            dropped += 1
            return b""
        return match.group(0)
    fixed = _CHAR_REF.sub(fix, body)
    return (fixed, f"{dropped} references to characters XML forbids removed") if dropped \
        else (body, None)


def bounded(body: bytes) -> tuple[bytes, list[str]]:
    """All three bounds; returns the body feedparser may read and the notes."""
    notes = []
    for step in (cap_entries, cap_categories, drop_bad_char_refs):
        body, note = step(body)
        if note:
            notes.append(note)
    return body, notes
