"""Who may use the admin, and the admin's forms: shared by ``admin.py`` and
``admin_filters.py`` (neither imports the other's helpers)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from .community.base import CONTROL, current_user
from .security import admin_session_ok, check_csrf


def require_admin(request: Request) -> None:
    """The built-in admin login (admin_password), or a reader account with the admin role
    (made by ``newsdesk create-admin``)."""
    if hasattr(request.app.state, "community"):
        user = current_user(request)
        if user is not None and user.is_admin:
            return
    if not request.app.state.settings.admin_password:
        raise HTTPException(403, "The admin is disabled: set admin_password "
                                 "(NEWSDESK_ADMIN_PASSWORD) and restart the server.")
    if not admin_session_ok(request):
        raise HTTPException(401, "log in at /admin/login first")


async def admin_form(request: Request) -> dict:
    """A bounded admin form, its CSRF token checked; values stripped."""
    form = await request.form(max_files=0, max_fields=20, max_part_size=64 * 1024)
    data = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    if any(CONTROL.search(k) or CONTROL.search(v) for k, v in data.items()):
        raise HTTPException(400, "the form may not contain NUL or other control characters")
    check_csrf(request, data.get("csrf"))
    return data
