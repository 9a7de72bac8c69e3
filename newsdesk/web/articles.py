"""The article page, in the order readers expect and without the seed site's flaws:
headline, outlet with its label, authors, dates, lead image, clean body, attribution and
"Read at the source"; then hashtags (only when there are some), the AI panel, comments
and related coverage (outlet, time, title, first lines), each with an honest empty state.
JSON twin at ``/articles/{id}.json``."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from ..ingest.sanitize import absolute_url
from ..storage import reading
from .ai_panel import AIPanel, fragment, no_store_if_pending, safe_panel
from .asking import ask, ask_form, comments_json, since_options
from .community import comments_block
from .community.base import save_session
from .render import json_response, parse_id, split_ref, wants_json
from .versions import revision_summary

router = APIRouter(tags=["pages"])


@router.get("/articles/{ref}", summary="One article (append .json for JSON)")
async def article_page(request: Request, ref: str):
    state = request.app.state
    stem, fmt = split_ref(ref)
    article_id = parse_id(stem, "article")
    ctx = reading.article_context(state.db, article_id)
    article = ctx["article"]
    article["lead_image"] = absolute_url(article.get("lead_image"))
    source_url = absolute_url(article.get("canonical_url") or article.get("url"))
    revisions = revision_summary(state.db, article_id)
    panel = await _panel(request, ctx)
    if wants_json(request, fmt):
        data = dict(ctx, source_url=source_url, ai=panel, revisions=revisions,
                    comments=comments_json(request, "article", article_id))
        data["article"] = {k: v for k, v in article.items() if k not in ("entry_hash",)}
        return no_store_if_pending(json_response(data, headers={"Cache-Control": "public, max-age=60"}), panel)
    byline_dates = article["updated_at"] if (article["updated_at"] and article["published_at"]
                                             and article["updated_at"] > article["published_at"]) else None
    response = state.renderer.page(request, "article.html", dict(
        ctx, source_url=source_url, ai=panel, updated=byline_dates, revisions=revisions,
        comments=comments_block(request, "article", article_id, empty=not ctx["has_comments"]),
        json_url=f"/articles/{article_id}.json"))
    return save_session(request, no_store_if_pending(response, panel))


async def _panel(request: Request, ctx: dict) -> dict | None:
    state, story = request.app.state, ctx.get("story") or {}
    return await run_in_threadpool(
        safe_panel, state.ai_panel, dict(ctx["article"], kind="article", story_id=story.get("id"),
                                         outlet=ctx.get("outlet")),
        **since_options(request, story, isinstance(state.ai_panel, AIPanel)))


@router.get("/articles/{article_id}/ai", summary="An article's AI panel alone (HTML), for pages filling it in")
async def article_ai(request: Request, article_id: str):
    ctx = reading.article_context(request.app.state.db, parse_id(article_id, "article"))
    return fragment(request, await _panel(request, ctx), "article", ctx["article"]["id"])


@router.get("/articles/{article_id}/ask", summary="The form to ask about an article's story")
async def ask_article_form(request: Request, article_id: str, q: str = Query("", max_length=2000)):
    article = reading.article_context(request.app.state.db, parse_id(article_id, "article"))["article"]
    return ask_form(request, q, article["title"], f"/articles/{article['id']}",
                    f"/articles/{article['id']}/ask")


@router.post("/articles/{article_id}/ask", summary="Ask a question about an article's story "
             "(form fields q and csrf)")
async def ask_article(request: Request, article_id: str):
    state = request.app.state
    ctx = reading.article_context(state.db, parse_id(article_id, "article"))
    story = ctx.get("story") or {}
    from ..ai.service import article_docs, story_docs
    ident = ctx["article"]["id"]
    load = ((lambda: story_docs(state.db, story["id"])) if story.get("id")
            else (lambda: article_docs(state.db, ident)))
    return await ask(request, load, ctx["article"]["title"], f"/articles/{ident}",
                     f"article:{ident}", f"/articles/{ident}/ask")
