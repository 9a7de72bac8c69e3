"""Admin: a source's keep-only and block rules (``ingest/filters.py``), what they dropped,
and re-checking the stored articles against them.

    POST /admin/sources/{id}/filters                 action, field, kind, pattern: add a rule
    POST /admin/sources/{id}/filters/{rule}/delete   remove a rule
    POST /admin/sources/{id}/recheck                 apply the rules to the stored articles
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from ..ingest.filters import FilterError, add_rule, recheck
from ..storage import source_filters
from ..storage import sources as source_store
from .admin_guard import admin_form, require_admin
from .render import parse_id

router = APIRouter(prefix="/admin", tags=["admin"], include_in_schema=False)

NOTICES = {"filter-added": "Filter added: new articles are screened by it from the next fetch. "
                           "Re-check to apply it to the stored ones.",
           "filter-removed": "Filter removed. What it dropped stays out until a re-check.",
           "rechecked": "Re-checked: {removed} of {checked} stored articles removed; "
                        "{forgotten} entries dropped earlier will be reconsidered at the next fetch."}


def notice(params) -> str | None:
    """The admin page's message about filters, from its query string."""
    text = NOTICES.get(params.get("done", ""))
    if text and "{" in text:
        numbers = {k: params.get(k, "0") for k in ("removed", "checked", "forgotten")}
        text = text.format(**{k: v if v.isdigit() else "0" for k, v in numbers.items()})
    return text


def context(db) -> dict:
    """Per source: its rules and what the filters hold back now (for the dashboard)."""
    rules: dict[int, list] = {}
    for rule in source_filters.rules(db):
        rules.setdefault(rule["source_id"], []).append(rule)
    return {"filters": rules, "filtered": source_filters.summary(db)}


def _back(source_id: int, done: str, error: str | None = None, **extra) -> RedirectResponse:
    from urllib.parse import urlencode
    query = {"done": done, **({"error": error[:300]} if error else {}), **extra}
    return RedirectResponse(f"/admin?{urlencode(query)}#source-{source_id}", status_code=303)


@router.post("/sources/{ref}/filters")
async def add(request: Request, ref: str):
    require_admin(request)
    data = await admin_form(request)
    source_id = parse_id(ref, "source")
    db = request.app.state.db
    source_store.get_source(db, source_id)          # 404 if unknown
    try:
        await run_in_threadpool(add_rule, db, source_id, data.get("action", ""), data.get("field", ""),
                                data.get("kind", ""), data.get("pattern", ""))
    except FilterError as exc:
        return _back(source_id, "filter-error", str(exc))
    return _back(source_id, "filter-added")


@router.post("/sources/{ref}/filters/{rule}/delete")
async def delete(request: Request, ref: str, rule: str):
    require_admin(request)
    await admin_form(request)
    source_id = parse_id(ref, "source")
    source_filters.delete_rule(request.app.state.db, parse_id(rule, "filter"), source_id)
    return _back(source_id, "filter-removed")


@router.post("/sources/{ref}/recheck")
async def recheck_source(request: Request, ref: str):
    require_admin(request)
    await admin_form(request)
    source_id = parse_id(ref, "source")
    state = request.app.state
    source_store.get_source(state.db, source_id)
    done = await run_in_threadpool(recheck, state.db, state.settings, source_id)
    return _back(source_id, "rechecked", **{k: str(v) for k, v in done.items()})
