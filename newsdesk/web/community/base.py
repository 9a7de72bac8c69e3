"""Shared plumbing of the community pages: the services (``build``; ``mount.install``
puts them on ``app.state.community``), the signed-in reader, bounded form reading with
the CSRF check, private pages (``page``, ``form_page``), and the comments block the
article and story pages embed.

Sessions reuse ``web/security.py``: the signed cookie holds ``{"csrf", "reader"}``, where
``reader`` is a session token that the database knows (``community/accounts.py``) -- so
logging out, a password change or a ban ends a session for real, and an expired
session is told apart from no session at all.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qsl

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ...community import AuthError, CommunityError
from ...community.accounts import BUILTIN_ADMIN, Accounts, User
from ...community.apps import AppAccess
from ...community.saved import SavedSearches
from ...community.comments import Comments
from ...community.follows import Follows
from ...community.mail import Mailer
from ...community.moderation import Moderation
from ...community.spam import SpamFilter
from ...settings import Settings
from ...storage.db import Database
from ..render import wants_json  # noqa: F401  (the route modules take it from here)
from ..security import admin_session_ok, check_csrf, read_capped, session_of

FORM_LIMIT = 128 * 1024     # bytes of one form: a 10,000-character comment fits, 1 MB does not


@dataclass
class Community:
    settings: Settings
    db: Database
    accounts: Accounts
    comments: Comments
    moderation: Moderation
    follows: Follows
    mailer: Mailer | None
    apps: AppAccess | None = None
    saved: SavedSearches | None = None


def build(settings: Settings, db: Database, *, accounts: Accounts | None = None,
          comments: Comments | None = None, mailer: Mailer | None = None) -> Community:
    """The services, configured from settings where the settings exist (``getattr`` with
    defaults until the community settings are added to ``settings.py``)."""
    opt = lambda name, default: getattr(settings, name, default)  # noqa: E731
    if mailer is None and settings.smtp_host:
        mailer = Mailer.from_settings(settings)
    spam = SpamFilter(opt("banned_words", ""), float(opt("spam_threshold", 3.0)))
    accounts = accounts or Accounts(db)
    return Community(
        settings, db, accounts,
        comments or Comments(db, spam=spam, edit_window=int(opt("comment_edit_window", 900)),
                             premoderate_new_accounts=bool(opt("premoderate_new_accounts", False))),
        Moderation(db), Follows(db), mailer, AppAccess(db, accounts), SavedSearches(db))


def svc(request: Request) -> Community:
    return request.app.state.community


# ----------------------------------------------------------------- who is here
def current_user(request: Request) -> User | None:
    """The signed-in reader. The built-in admin account (opened by the admin_password
    login) counts only beside a valid server-side admin session, so logging out of the
    admin or changing admin_password ends it too."""
    if "reader" not in request.state._state:
        token = session_of(request).get("reader")
        user = svc(request).accounts.session_user(token) if token else None
        if user is not None and user.username == BUILTIN_ADMIN and not admin_session_ok(request):
            user = None
        request.state.reader = user
    return request.state.reader


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        if session_of(request).get("reader"):
            raise AuthError("your session has expired; log in again")
        raise AuthError("log in first")
    return user


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"


def csrf_token(request: Request) -> str:
    """This visitor's CSRF token, making a session for it if there is none yet (the
    response must then carry the cookie: ``save_session``)."""
    session = session_of(request)
    if not session.get("csrf"):
        session = dict(session, csrf=secrets.token_urlsafe(24))
        request.scope["newsdesk.session"] = session
        request.state.new_session = True
    return session["csrf"]


def save_session(request: Request, response: Response) -> Response:
    if getattr(request.state, "new_session", False):
        request.app.state.sessions.save(request, response, session_of(request))
    return response


# ----------------------------------------------------------------- pages
def page(request: Request, template: str, ctx: dict, status: int = 200) -> Response:
    """A community page: private to its reader (never cached), the session saved."""
    response = request.app.state.renderer.page(request, f"community/{template}", ctx, status=status)
    response.headers["Cache-Control"] = "private, no-store"
    return save_session(request, response)


def form_page(request: Request, template: str, ctx: dict, status: int = 200,
              notices: dict[str, str] | None = None) -> Response:
    """``page`` for a page with forms: the CSRF token, the reader, and the notice that
    ``?done=`` names in ``notices``."""
    ctx = dict(ctx, csrf=csrf_token(request), viewer=current_user(request),
               notice=(notices or {}).get(request.query_params.get("done", "")))
    return page(request, template, ctx, status)


# ----------------------------------------------------------------- forms
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")   # C0 controls but tab, CR, LF


async def read_form(request: Request, limit: int = FORM_LIMIT) -> dict[str, str]:
    """The submitted form (urlencoded or multipart, at most ``limit`` bytes), after the
    CSRF check. Oversized, non-UTF-8 or malformed forms get a clear 4xx."""
    body = await read_capped(request, limit, lambda: HTTPException(
        413, f"the form is larger than {limit // 1024} KB; comments are limited to 10,000 characters"))
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("", "application/x-www-form-urlencoded"):
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict",
                              max_num_fields=30)
        except UnicodeError:
            raise CommunityError("the form is not valid UTF-8 text") from None
        except ValueError:
            raise CommunityError("the form has too many fields") from None
        data = dict(pairs)
    elif kind == "multipart/form-data":
        request._body = body
        form = await request.form(max_files=0, max_fields=30, max_part_size=limit)
        data = {}
        for k, v in form.items():
            if not isinstance(v, str):
                raise CommunityError("files cannot be uploaded here")
            data[k] = v
    else:
        raise HTTPException(415, "send the form as application/x-www-form-urlencoded")
    if any(CONTROL.search(key) or CONTROL.search(value) for key, value in data.items()):
        # PostgreSQL refuses NUL in text: a NUL anywhere in a form was a 500 there
        raise CommunityError("the form may not contain NUL or other control characters")
    check_csrf(request, data.get("csrf"))
    return data


def safe_next(value: str | None, default: str) -> str:
    """A same-site path to go back to (never another host)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value \
            and len(value) < 500 and not any(c in value for c in "\r\n"):
        return value
    return default


def parse_int(value: str | None, what: str) -> int:
    if not value or not value.isdigit() or len(value) > 18:
        raise CommunityError(f"{what} must be a number")
    return int(value)


threadpool = run_in_threadpool


def follow_state(request: Request, kind: str, target) -> dict | None:
    """For a follow button: None for anonymous readers (no button), else whether the reader
    follows ``target`` and the CSRF token for the form."""
    user = current_user(request)
    if user is None:
        return None
    following = svc(request).follows.is_following(user, kind, str(target))
    return {"following": following, "csrf": csrf_token(request)}


# ----------------------------------------------------------------- the embeddable block
def block_context(request: Request, subject_type: str, subject_id: int, after: int = 0,
                  limit: int = 10, empty: bool = False) -> dict:
    """``empty``: the caller already knows there are no comments (skip the query)."""
    community = svc(request)
    viewer = current_user(request)
    comments, more = ([], None) if empty else community.comments.thread(
        subject_type, subject_id, viewer, after=after, limit=limit)
    return {"subject_type": subject_type, "subject_id": subject_id, "comments": comments,
            "more_after": more, "viewer": viewer,
            "csrf": csrf_token(request) if viewer else "",  # anonymous readers get no session
            "next_path": request.url.path, "edit_window": community.comments.edit_window,
            "idem": secrets.token_urlsafe(12), "max_chars": community.comments.max_chars}


def comments_block(request: Request, subject_type: str, subject_id: int, limit: int = 10,
                   empty: bool = False) -> Markup:
    """The rendered comments section for an article or story page. When it made a new
    CSRF session, the page's response must pass through ``save_session`` -- and pages
    carrying it must not be cached publicly (``Cache-Control: private, no-cache``)."""
    env = request.app.state.renderer.env
    html = env.get_template("community/block.html").render(
        block_context(request, subject_type, subject_id, limit=limit, empty=empty), request=request)
    return Markup(html)
