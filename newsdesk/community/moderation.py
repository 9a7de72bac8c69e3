"""Moderation: the queue, and the actions on it, each kept with its reason in
``moderation_log`` (who, when, what, on which comment or user, why).

The queue holds comments that are ``pending`` (spam score, pre-moderation, or reported
``report_threshold`` times) and visible comments with unresolved reports. ``approve``
shows a comment and resolves its reports; ``hide`` takes it off the page; ``ban`` stops a
user from logging in and posting, ends their sessions and hides their pending comments.
Moderators and admins may moderate; only admins may ban a moderator or change roles.
The SQL is ``storage/moderation.py``; each action and its log entry are one transaction.
"""

from __future__ import annotations

from ..errors import NotFound
from ..storage import accounts as account_store
from ..storage import moderation as store
from ..storage.db import Database
from . import CommunityError, Forbidden
from .accounts import User, update_role
from .common import utcnow


class Moderation:
    def __init__(self, db: Database):
        self.db = db

    def _check(self, moderator: User, reason: str) -> str:
        if not moderator.is_moderator:
            raise Forbidden("only moderators may do this")
        reason = (reason or "").strip()
        if not reason:
            raise CommunityError("give a reason: it is kept in the moderation log")
        if len(reason) > 1000:
            raise CommunityError("the reason is longer than 1000 characters")
        return reason

    def _log(self, conn, moderator: User, action: str, target_type: str,
             target_id: int, reason: str) -> None:
        store.log_action(conn, utcnow(), moderator.id, moderator.username, action, target_type,
                         target_id, reason)

    # ----------------------------------------------------------------- the queue
    def queue(self, moderator: User, limit: int = 100) -> list[dict]:
        if not moderator.is_moderator:
            raise Forbidden("only moderators may see the moderation queue")
        with self.db.read() as conn:
            return store.queue(conn, limit)

    def log(self, moderator: User, limit: int = 100) -> list[dict]:
        if not moderator.is_moderator:
            raise Forbidden("only moderators may read the moderation log")
        with self.db.read() as conn:
            return store.log_entries(conn, limit)

    # ----------------------------------------------------------------- actions
    def approve(self, moderator: User, comment_id: int, reason: str) -> None:
        self._set_status(moderator, comment_id, "visible", "approve", reason)

    def hide(self, moderator: User, comment_id: int, reason: str) -> None:
        self._set_status(moderator, comment_id, "hidden", "hide", reason)

    def _set_status(self, moderator: User, comment_id: int, status: str, action: str,
                    reason: str) -> None:
        reason = self._check(moderator, reason)
        with self.db.write() as conn:
            current = store.comment_status(conn, comment_id)
            if current is None:
                raise NotFound(f"no comment {comment_id}")
            if current == "deleted":
                raise CommunityError("the author deleted this comment")
            store.set_comment_status(conn, comment_id, status, utcnow())
            self._log(conn, moderator, action, "comment", comment_id, reason)

    def ban(self, moderator: User, user_id: int, reason: str) -> None:
        reason = self._check(moderator, reason)
        if user_id == moderator.id:
            raise CommunityError("you cannot ban yourself")
        with self.db.write() as conn:
            role = account_store.user_role(conn, user_id)
            if role is None:
                raise NotFound(f"no user {user_id}")
            if role != "reader" and not moderator.is_admin:
                raise Forbidden("only an admin may ban a moderator or an admin")
            store.ban(conn, user_id)
            self._log(conn, moderator, "ban", "user", user_id, reason)

    def unban(self, moderator: User, user_id: int, reason: str) -> None:
        reason = self._check(moderator, reason)
        with self.db.write() as conn:
            if not store.unban(conn, user_id):
                raise NotFound(f"no banned user {user_id}")
            self._log(conn, moderator, "unban", "user", user_id, reason)

    def set_role(self, admin: User, user_id: int, role: str, reason: str) -> None:
        reason = self._check(admin, reason)
        if not admin.is_admin:
            raise Forbidden("only an admin may change roles")
        with self.db.write() as conn:
            update_role(conn, user_id, role)
            self._log(conn, admin, f"role:{role}"[:16], "user", user_id, reason)
