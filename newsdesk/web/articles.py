"""The article page, in the order readers expect and without the seed site's flaws:
headline, outlet with its label, authors, dates, lead image, clean body, attribution and
"Read at the source"; then hashtags (only when there are some), the AI panel, comments
and related coverage (outlet, time, title, first lines), each with an honest empty state.
JSON twin at ``/articles/{id}.json``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..ingest.sanitize import absolute_url
from ..storage import reading
from .ai_panel import safe_panel
from .render import json_response, parse_id, safe_html, split_ref, wants_json

router = APIRouter(tags=["pages"])


def body_html(article: dict):
    """The stored sanitized HTML (sanitized again, cached), or None to use the text."""
    html = article.get("html")
    if html and html.strip():
        cleaned = safe_html(html, article.get("canonical_url") or article.get("url"))
        if cleaned.strip():
            return cleaned
    return None


@router.get("/articles/{ref}", summary="One article (append .json for JSON)")
async def article_page(request: Request, ref: str):
    state = request.app.state
    stem, fmt = split_ref(ref)
    article_id = parse_id(stem, "article")
    ctx = reading.article_context(state.db, article_id)
    article = ctx["article"]
    article["lead_image"] = absolute_url(article.get("lead_image"))
    source_url = absolute_url(article.get("canonical_url") or article.get("url"))
    panel = safe_panel(state.ai_panel, dict(article, kind="article"))
    if wants_json(request, fmt):
        data = dict(ctx, source_url=source_url, ai=panel,
                    comments={"enabled": False, "items": []})
        data["article"] = {k: v for k, v in article.items() if k not in ("entry_hash",)}
        return json_response(data, headers={"Cache-Control": "public, max-age=60"})
    byline_dates = article["updated_at"] if (article["updated_at"] and article["published_at"]
                                             and article["updated_at"] > article["published_at"]) else None
    return state.renderer.page(request, "article.html", dict(
        ctx, body=body_html(article), source_url=source_url, ai=panel, updated=byline_dates,
        json_url=f"/articles/{article_id}.json"), cache=60)
