"""A restricted markdown subset for comments, rendered to HTML and then sanitized.

Supported: paragraphs (blank line), line breaks, ``**bold**``, ``*italic*``/``_italic_``,
```` `code` ````, fenced code blocks (```` ``` ````), ``> quotes``, ``- lists`` and ``1. lists``,
``[text](https://link)`` and bare http(s) links. Nothing else: no images, no headings, no
raw HTML (it is shown as text).

The input is HTML-escaped first, the few constructs above are turned into tags, and the
result goes through ``nh3`` (an allow-list sanitizer) last, which also forces
``rel="nofollow ugc noopener"`` on every link and drops any scheme but http, https and
mailto. Escape first, sanitize last: even a bug in the regular expressions below cannot
produce markup the allow-list does not accept.
"""

from __future__ import annotations

import html
import re

import nh3

TAGS = {"p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
ATTRIBUTES = {"a": {"href"}}
SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

_CODE = re.compile(r"`([^`\n]{1,500})`")
_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\(((?:https?://|mailto:)[^\s()<>]{1,2000})\)")
_BARE = re.compile(r"(?<![\w/])(https?://[^\s<>()\[\]]{1,2000})")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])|(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_UNSAFE = re.compile("[\ud800-\udfff\x01-\x08\x0b\x0c\x0e-\x1f]")
_PH = re.compile("\ufff0(\\d+)\ufff1")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+")
_NUMBER = re.compile(r"^\s{0,3}\d{1,9}[.)]\s+")


def render(source: str) -> str:
    """Markdown subset -> sanitized HTML (a string safe to insert into a page)."""
    text = (source or "").replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\ufff0", "").replace("\ufff1", "").replace("\x00", "")
    text = _UNSAFE.sub("", text)  # nh3 cannot encode lone surrogates (JSON can carry them)
    return sanitize("".join(_blocks(text.split("\n"))))


def sanitize(markup: str) -> str:
    return nh3.clean(markup, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                     link_rel=LINK_REL, strip_comments=True)


def _blocks(lines: list[str]):
    i, para = 0, []
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("```"):
            yield from _flush(para)
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            yield "<pre><code>" + html.escape("\n".join(body)) + "</code></pre>"
            i += 1
            continue
        if line.lstrip().startswith(">"):
            yield from _flush(para)
            quote = []
            while i < len(lines) and lines[i].lstrip().startswith(">"):
                quote.append(lines[i].lstrip()[1:].removeprefix(" "))
                i += 1
            yield "<blockquote>" + "".join(_paragraphs(quote)) + "</blockquote>"
            continue
        for pattern, tag in ((_BULLET, "ul"), (_NUMBER, "ol")):
            if pattern.match(line):
                yield from _flush(para)
                items = []
                while i < len(lines) and pattern.match(lines[i]):
                    items.append("<li>" + inline(pattern.sub("", lines[i], count=1)) + "</li>")
                    i += 1
                yield f"<{tag}>" + "".join(items) + f"</{tag}>"
                break
        else:
            if line.strip():
                para.append(line)
            else:
                yield from _flush(para)
            i += 1
    yield from _flush(para)


def _paragraphs(lines: list[str]):
    para: list[str] = []
    for line in lines:
        if line.strip():
            para.append(line)
        else:
            yield from _flush(para)
    yield from _flush(para)


def _flush(para: list[str]):
    if para:
        yield "<p>" + "<br>".join(inline(line.strip()) for line in para) + "</p>"
        para.clear()


def inline(line: str) -> str:
    """Escape one line, then turn code spans, links, bold and italics into tags."""
    saved: list[str] = []

    def keep(markup: str) -> str:
        saved.append(markup)
        return f"\ufff0{len(saved) - 1}\ufff1"

    text = html.escape(line, quote=True)
    text = _CODE.sub(lambda m: keep(f"<code>{m.group(1)}</code>"), text)
    text = _LINK.sub(lambda m: keep(f'<a href="{m.group(2)}">{_emphasis(m.group(1))}</a>'), text)
    text = _BARE.sub(lambda m: _bare(m.group(1), keep), text)
    text = _emphasis(text)
    for _ in range(3):   # links may hold emphasis, never placeholders of their own
        text = _PH.sub(lambda m: saved[int(m.group(1))], text)
    return text


def _bare(url: str, keep) -> str:
    trail = ""
    while url and url[-1] in ".,;:!?'\"":
        trail = url[-1] + trail
        url = url[:-1]
    if url.endswith("&quot") or url.endswith("&#x27"):
        url, trail = url.rsplit("&", 1)[0], "&" + url.rsplit("&", 1)[1] + trail
    return keep(f'<a href="{url}">{url}</a>') + trail


def _emphasis(text: str) -> str:
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    return _ITALIC.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", text)
