"""Turn the bytes of an HTML page into text, whatever the page claims its encoding is.

Order of trust, first that applies wins:

1. a byte-order mark (UTF-8, UTF-16, UTF-32);
2. the charset declared by HTTP (``Content-Type``), if the body decodes with it cleanly;
3. the charset declared in the page (``<meta charset>``, ``http-equiv``, ``<?xml encoding>``),
   if the body decodes with it cleanly;
4. UTF-8, if the body is valid UTF-8;
5. a statistical guess (charset_normalizer), then windows-1252 with replacement characters.

Declarations of a single-byte Western charset (ISO-8859-1, windows-1252, ASCII) are a
common server default rather than a statement about the page, and such charsets accept any
bytes. So when the body is valid UTF-8 and contains non-ASCII bytes, UTF-8 wins over them:
multi-byte UTF-8 sequences practically never occur by accident in Latin-1 text.
As browsers do (WHATWG Encoding standard), ISO-8859-1 and ASCII are read as windows-1252.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# labels browsers map to another decoder (WHATWG); utf-16 in an 8-bit page means utf-8
_ALIASES = {
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "utf-16": "utf-8",
    "utf-16le": "utf-8",
    "utf-16be": "utf-8",
    "unicode": "utf-8",
    "utf8": "utf-8",
}
_SINGLE_BYTE_WESTERN = {"cp1252", "cp1254"}
_SNIFF_BYTES = 8192
_MIN_EVIDENCE = 16  # non-ASCII bytes needed before trusting a statistical guess

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""", re.I)


def decode_html(body: bytes, declared_charset: str | None = None) -> str:
    """Decode an HTML body to text; never raises on odd bytes (worst case: U+FFFD)."""
    if not body:
        return ""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(encoding, errors="replace")

    is_utf8 = _is_utf8(body)
    for label in (declared_charset, sniff_meta_charset(body)):
        encoding = normalize_charset(label)
        if encoding is None:
            continue
        if encoding in _SINGLE_BYTE_WESTERN and is_utf8 and not body.isascii():
            return body.decode("utf-8")
        if encoding == "utf-8" and is_utf8:
            return body.decode("utf-8")
        try:
            return body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue

    if is_utf8:
        return body.decode("utf-8")
    # a handful of non-ASCII bytes is too little for a statistical guess: read them as
    # windows-1252, the most common legacy charset of the web
    if sum(byte > 0x7F for byte in body[:200_000]) < _MIN_EVIDENCE:
        return body.decode("cp1252", errors="replace")
    guess = charset_normalizer.from_bytes(body[:200_000]).best()
    if guess is not None and guess.encoding:
        encoding = normalize_charset(guess.encoding) or guess.encoding
        try:
            return body.decode(encoding, errors="replace")
        except LookupError:
            pass
    return body.decode("cp1252", errors="replace")


def normalize_charset(label: str | bytes | None) -> str | None:
    """Map a charset label to a Python codec name, or None when it is unknown."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", errors="ignore")
    label = label.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _ALIASES.get(name, name)


def sniff_meta_charset(body: bytes) -> str | None:
    """The charset a page declares in its first bytes (meta tag or XML declaration)."""
    head = body[:_SNIFF_BYTES]
    match = _META_CHARSET.search(head) or _XML_DECL.search(head)
    return match.group(1).decode("ascii", errors="ignore") if match else None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_DECL_ENCODING = re.compile(r"""\A(\s*<\?xml[^>]*?encoding\s*=\s*["'])([^"']*)""")
_WIDE_LABELS = ("utf-16", "utf16", "utf-32", "utf32", "ucs-2", "ucs2", "ucs-4", "unicode")


def wide_xml_as_utf8(body: bytes) -> bytes:
    """XML in UTF-16/32 without a byte-order mark, or 8-bit XML whose declaration claims
    UTF-16/32, as UTF-8 with a declaration saying so; any other body unchanged.

    XML 1.0 Appendix F: ASCII markup in two- or four-byte units (``<\\0?\\0``) is UTF-16
    or UTF-32 even without a BOM; and a body whose first characters read as ASCII cannot be
    UTF-16, whatever its declaration says. The parsers read neither (the first was "not a
    feed", the second "not well-formed"), so both lost every entry."""
    head = body[:4]
    codec = None
    if len(head) == 4 and 0 < head[0] < 0x80 and head[1:] == b"\0\0\0":
        codec = "utf-32-le"
    elif len(head) == 4 and head[:3] == b"\0\0\0" and 0 < head[3] < 0x80:
        codec = "utf-32-be"
    elif len(head) == 4 and head[1] == head[3] == 0 and 0 < head[0] < 0x80 and 0 < head[2] < 0x80:
        codec = "utf-16-le"
    elif len(head) == 4 and head[0] == head[2] == 0 and 0 < head[1] < 0x80 and 0 < head[3] < 0x80:
        codec = "utf-16-be"
    if codec is not None:
        text = body.decode(codec, errors="replace")
        return _DECL_ENCODING.sub(r"\g<1>utf-8", text, count=1).encode("utf-8")
    match = _XML_DECL.match(body)
    if match and match.group(1).decode("ascii").lower().startswith(_WIDE_LABELS):
        return body[:match.start(1)] + b"utf-8" + body[match.end(1):]
    return body

