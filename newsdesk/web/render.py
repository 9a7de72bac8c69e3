"""What every page family shares: the Jinja2 environment (autoescape, compiled templates
cached), "one view, two formats" (HTML for browsers, JSON for API clients), time
formatting, path references like ``12.json`` and query-parameter parsing that answers bad
input with a clear 400 instead of a 500.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..storage.reading import decode_cursor, encode_cursor

HERE = Path(__file__).parent
MAX_ID = 2**63 - 1
FEED_FORMATS = {"rss": "rss", "atom": "atom", "feed.json": "jsonfeed"}


# ----------------------------------------------------------------- formats
def split_ref(ref: str, allowed: tuple[str, ...] = ("json",)) -> tuple[str, str]:
    """``"12"`` -> ("12", "html"); ``"12.json"`` -> ("12", "json"); ``"x.feed.json"`` ->
    ("x", "jsonfeed"). An extension not in ``allowed`` is a 404 with a clear message."""
    for ext, name in (("feed.json", "jsonfeed"), ("json", "json"), ("rss", "rss"), ("atom", "atom")):
        if ref.endswith("." + ext) and len(ref) > len(ext) + 1:
            if name not in allowed:
                break
            return ref[: -len(ext) - 1], name
    if "." in ref:
        ext = ref.rsplit(".", 1)[1]
        if ext.isalpha() and len(ext) <= 8:
            shown = ", ".join(["html"] + [a.replace("jsonfeed", "feed.json") for a in allowed])
            raise HTTPException(404, f"unknown format {ext[:8]!r}; this page is available as {shown}")
    return ref, "html"


def parse_id(value: str, what: str) -> int:
    if not value.isdigit() or int(value) > MAX_ID or len(value) > 19:
        raise HTTPException(404, f"no {what} {value[:40]!r}")
    return int(value)


def wants_json(request: Request, fmt: str = "html") -> bool:
    if fmt == "json":
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def cursor_param(value: str | None, shape: str) -> tuple | None:
    if not value:
        return None
    try:
        key = decode_cursor(value, shape)
    except ValueError:
        raise HTTPException(400, "invalid cursor: use the 'next' link of the previous page") from None
    if "s" in shape and key[shape.index("s")] not in ("a", "s"):
        raise HTTPException(400, "invalid cursor: use the 'next' link of the previous page")
    return key


def text_param(value: str | None, name: str, max_len: int = 100) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > max_len:
        raise HTTPException(400, f"parameter {name!r} is longer than {max_len} characters")
    return value.strip()


def int_param(value: str | None, name: str, lo: int = 0, hi: int = MAX_ID) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 19 or not lo <= int(value) <= hi:
        raise HTTPException(400, f"parameter {name!r} must be a whole number from {lo} to {hi}")
    return int(value)


def filters_from(category: str | None, language: str | None, outlet: str | None) -> dict:
    """The list filters of the front page, search and their feeds, from the query string."""
    return {"category": text_param(category, "category"),
            "language": text_param(language, "language", 16),
            "outlet": int_param(outlet, "outlet")}


# ----------------------------------------------------------------- time and text
def ago(when: datetime | None, now: datetime | None = None) -> str:
    if when is None:
        return "date unknown"
    now = now or datetime.now(timezone.utc)
    seconds = int((now - when).total_seconds())
    future, seconds = seconds < 0, abs(seconds)
    for unit, size in (("year", 31536000), ("month", 2592000), ("day", 86400), ("hour", 3600),
                       ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            span = f"{n} {unit}{'s' if n != 1 else ''}"
            return f"in {span}" if future else f"{span} ago"
    return "just now"


def exact(when: datetime | None) -> str:
    return when.astimezone(timezone.utc).strftime("%d %B %Y, %H:%M UTC") if when else ""


RECENT = timedelta(days=7)  # older than this, "4 years ago" says less than the date


def when_label(when: datetime, now: datetime | None = None) -> str:
    """"11 hours ago" within a week of now, else the day ("9 Mar 2022")."""
    now = now or datetime.now(timezone.utc)
    if abs(now - when) < RECENT:
        return ago(when, now)
    day = when.astimezone(timezone.utc)
    return f"{day.day} {day:%b %Y}"


def time_tag(when: datetime | None, relative: bool = True) -> Markup:
    """``<time datetime=ISO title="exact">11 hours ago</time>`` (the day when older than
    ``RECENT``; the exact time when not ``relative``)."""
    if when is None:
        return Markup('<span class="muted">date unknown</span>')
    label = when_label(when) if relative else exact(when)
    return Markup(f'<time datetime="{escape(when.isoformat())}" title="{escape(exact(when))}">'
                  f'{escape(label)}</time>')


def cited_paragraphs(text: str | None) -> list[list[tuple[int, str]]]:
    """Paragraphs of (sentence index, sentence), numbered exactly as the AI features
    number stored sentences, so a citation ``#s12`` lands on sentence 12."""
    from ..sentences import split_paragraphs
    out, index = [], 0
    for sentences in split_paragraphs(text or ""):
        out.append([(index + i, s) for i, s in enumerate(sentences)])
        index += len(sentences)
    return out


def highlight(snippet: str) -> Markup:
    """Escape a search snippet, then turn the database's \\x02/\\x03 markers into <mark>."""
    return Markup(str(escape(snippet)).replace("\x02", "<mark>").replace("\x03", "</mark>"))


def outlet_line(outlet: dict) -> str:
    return f"{outlet['name']} ({outlet['label']})" if outlet.get("label") else outlet["name"]


# ----------------------------------------------------------------- JSON
def _default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return None
    if isinstance(value, Markup):
        return str(value)
    raise TypeError(type(value).__name__)


def json_response(data: Any, status: int = 200, headers: dict | None = None,
                  media_type: str = "application/json") -> Response:
    body = json.dumps(data, default=_default, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status_code=status, media_type=media_type, headers=headers)


# ----------------------------------------------------------------- templates
class Renderer:
    def __init__(self, site_name: str = "newsdesk"):
        self.env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                               autoescape=select_autoescape(["html", "xml"]),
                               auto_reload=False, trim_blocks=True, lstrip_blocks=True,
                               cache_size=200)
        self.env.globals.update(site_name=site_name, time_tag=time_tag, ago=ago, exact=exact,
                                outlet_line=outlet_line, encode_cursor=encode_cursor)
        self.env.filters.update(highlight=highlight, cited_paragraphs=cited_paragraphs)

    def page(self, request: Request, template: str, context: dict, status: int = 200,
             cache: int = 0) -> HTMLResponse:
        ctx = dict(context, request=request, path=request.url.path,
                   session=request.scope.get("newsdesk.session") or {})
        html = self.env.get_template(template).render(ctx)
        headers = {"Cache-Control": f"public, max-age={cache}" if cache else "no-cache"}
        return HTMLResponse(html, status_code=status, headers=headers)


def page_link(request: Request, **changes: Any) -> str:
    """The current URL with some query parameters changed (None removes one)."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    from urllib.parse import urlencode
    query = urlencode(params)
    return request.url.path + ("?" + query if query else "")
