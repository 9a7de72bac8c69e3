"""Readers: accounts and sessions, threaded comments with moderation, follows and read state.

    accounts.py     sign up, log in (throttled), sessions, password change/reset, delete
    comments.py     post, edit, delete, report, threads, counts
    markdown.py     the restricted markdown subset -> sanitized HTML (nh3, last)
    spam.py         a spam score: links, repetition, shouting, banned words
    moderation.py   the queue; approve, hide, ban -- each with a reason in the audit log
    ratelimit.py    DB-backed sliding windows (per user, per IP)
    follows.py      follow stories, tags, outlets; read state; "My news"; the personal feed
    mail.py         SMTP (smtplib) for password-reset mail

Errors (all ``NewsdeskError``; the web layer maps ``status`` to the HTTP status)::

    CommunityError (400)        bad input: empty or oversized comment, control characters...
    ├── AuthError (401)         not logged in, wrong password, session expired
    ├── Forbidden (403)         logged in but not allowed (banned, not the author, not a moderator)
    ├── Conflict (409)          the username or e-mail is taken
    └── RateLimited (429)       too many attempts; ``retry_after`` seconds
"""

from __future__ import annotations

from ..errors import NewsdeskError


class CommunityError(NewsdeskError):
    status = 400


class AuthError(CommunityError):
    status = 401


class Forbidden(CommunityError):
    status = 403


class Conflict(CommunityError):
    status = 409


class RateLimited(CommunityError):
    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
