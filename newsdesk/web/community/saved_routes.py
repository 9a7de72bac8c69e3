"""Saved searches: save one from the search page, follow or stop following it, delete it,
open it from "My news" (its new matches then count as seen).

    POST /my/searches                      q, category, language, outlet, name: save and follow
    POST /my/searches/{id}/follow          following=1|0
    POST /my/searches/{id}/delete
    GET  /my/searches/{id}                 open: mark the matches seen, then show the search
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse

from ..render import json_response, parse_id
from .base import current_user, read_form, require_user, safe_next, svc, threadpool, wants_json

router = APIRouter(tags=["follows"], include_in_schema=False)


def search_url(search: dict) -> str:
    params = {"q": search["query"], "sort": "date"}
    params.update({k: search[k] for k in ("category", "language", "outlet") if search.get(k)})
    return "/search?" + urlencode(params)


@router.post("/my/searches")
async def save(request: Request):
    data = await read_form(request, 4096)
    user = require_user(request)
    outlet = data.get("outlet", "")
    saved = await threadpool(svc(request).saved.save, user, data.get("q", ""), data.get("category"),
                             data.get("language"), int(outlet) if outlet.isdigit() and len(outlet) < 12
                             else None, data.get("name"))
    if wants_json(request):
        return json_response({"saved": saved}, status=201)
    return RedirectResponse(safe_next(data.get("next"), "/my#searches"), status_code=303)


@router.post("/my/searches/{ref}/follow")
async def follow(request: Request, ref: str):
    data = await read_form(request, 4096)
    user = require_user(request)
    await threadpool(svc(request).saved.follow, user, parse_id(ref, "saved search"),
                     data.get("following") == "1")
    return RedirectResponse(safe_next(data.get("next"), "/account#searches"), status_code=303)


@router.post("/my/searches/{ref}/delete")
async def delete(request: Request, ref: str):
    data = await read_form(request, 4096)
    user = require_user(request)
    await threadpool(svc(request).saved.delete, user, parse_id(ref, "saved search"))
    return RedirectResponse(safe_next(data.get("next"), "/account#searches"), status_code=303)


@router.get("/my/searches/{ref}", summary="Open a saved search (its new matches count as seen)")
async def open_search(request: Request, ref: str):
    search_id = parse_id(ref, "saved search")
    user = current_user(request)
    if user is None:
        return RedirectResponse(f"/login?next=/my/searches/{search_id}", status_code=303)
    search = await threadpool(svc(request).saved.open, user, search_id)
    return RedirectResponse(search_url(search), status_code=303)
