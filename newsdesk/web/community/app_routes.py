"""The account page's "Apps" section: app passwords (one per device, shown once), the
devices signed in with the account password, and what apps show (one item per story, or
every article).

    POST /account/apps/passwords                 name -> a new app password (shown once)
    POST /account/apps/passwords/{id}/revoke     revoke it and sign out its devices
    POST /account/apps/devices/{id}/revoke       sign out a device signed in with the password
    POST /account/apps/items                     items=stories|articles
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse

from ...community import CommunityError
from ..render import parse_id
from .base import form_page, read_form, require_user, svc, threadpool

router = APIRouter(tags=["accounts"], include_in_schema=False)

NOTICES = {"revoked": "The app password was revoked; its devices are signed out.",
           "signed-out": "That device is signed out.",
           "items": "Saved: apps show what you chose from their next sync."}


def apps_context(request: Request, user) -> dict:
    """What the account page shows about apps and saved searches (blocking: call in a
    thread)."""
    access = svc(request).apps
    base = request.app.state.settings.site_url
    return {"app_passwords": access.passwords(user), "app_devices": access.password_devices(user),
            "app_items": access.item_mode(user), "api_base": base,
            "app_notice": NOTICES.get(request.query_params.get("apps", "")),
            "saved_searches": svc(request).saved.searches(user)}


@router.post("/account/apps/passwords")
async def create_password(request: Request):
    data = await read_form(request, 4096)
    user = require_user(request)
    try:
        password = await threadpool(svc(request).apps.create_password, user, data.get("name", ""))
    except CommunityError as exc:
        ctx = await threadpool(apps_context, request, user)
        return form_page(request, "account.html", dict(ctx, user=user, error=str(exc)), exc.status)
    return form_page(request, "app_password.html", {
        "user": user, "password": password, "name": " ".join(data.get("name", "").split())[:60],
        "api_base": request.app.state.settings.site_url})


@router.post("/account/apps/passwords/{ref}/revoke")
async def revoke_password(request: Request, ref: str):
    await read_form(request, 4096)
    user = require_user(request)
    await threadpool(svc(request).apps.revoke_password, user, parse_id(ref, "app password"))
    return RedirectResponse("/account?apps=revoked#apps", status_code=303)


@router.post("/account/apps/devices/{ref}/revoke")
async def revoke_device(request: Request, ref: str):
    await read_form(request, 4096)
    user = require_user(request)
    await threadpool(svc(request).apps.revoke_device, user, ref[:16])
    return RedirectResponse("/account?apps=signed-out#apps", status_code=303)


@router.post("/account/apps/items")
async def item_mode(request: Request):
    data = await read_form(request, 4096)
    user = require_user(request)
    await threadpool(svc(request).apps.set_item_mode, user, data.get("items", ""))
    return RedirectResponse("/account?apps=items#apps", status_code=303)
