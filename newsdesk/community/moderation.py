"""Moderation: the queue, and the actions on it, each kept with its reason in
``moderation_log`` (who, when, what, on which comment or user, why).

The queue holds comments that are ``pending`` (spam score, pre-moderation, or reported
``report_threshold`` times) and visible comments with unresolved reports. ``approve``
shows a comment and resolves its reports; ``hide`` takes it off the page; ``ban`` stops a
user from logging in and posting, ends their sessions and hides their pending comments.
Moderators and admins may moderate; only admins may ban a moderator or change roles.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..errors import NotFound
from ..storage.db import Database
from . import CommunityError, Forbidden
from .accounts import User, update_role
from .common import from_db, to_db, utcnow


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

    def _log(self, conn: Connection, moderator: User, action: str, target_type: str,
             target_id: int, reason: str) -> None:
        conn.execute(text("INSERT INTO moderation_log (at, moderator_id, moderator_name, action, "
                          "target_type, target_id, reason) VALUES (:at, :m, :name, :a, :tt, :tid, :r)"),
                     {"at": to_db(self.db.dialect, utcnow()), "m": moderator.id,
                      "name": moderator.username, "a": action, "tt": target_type, "tid": target_id,
                      "r": reason})

    # ----------------------------------------------------------------- the queue
    def queue(self, moderator: User, limit: int = 100) -> list[dict]:
        if not moderator.is_moderator:
            raise Forbidden("only moderators may see the moderation queue")
        with self.db.read() as conn:
            rows = conn.execute(text(
                "SELECT c.id, c.subject_type, c.subject_id, c.user_id, u.username, u.status AS user_status, "
                "c.body, c.html, c.status, c.spam_score, c.spam_reasons, c.report_count, c.created_at "
                "FROM comments c LEFT JOIN users u ON u.id = c.user_id "
                "WHERE c.status = 'pending' OR (c.status = 'visible' AND EXISTS (SELECT 1 FROM "
                "comment_reports r WHERE r.comment_id = c.id AND r.resolved_at IS NULL)) "
                "ORDER BY c.id LIMIT :n"), {"n": limit}).all()
            items = [dict(r._mapping, created_at=from_db(r.created_at), reports=[]) for r in rows]
            by_id = {i["id"]: i for i in items}
            if by_id:
                reports = conn.execute(text(
                    "SELECT r.comment_id, r.reason, u.username FROM comment_reports r LEFT JOIN users u "
                    "ON u.id = r.user_id WHERE r.resolved_at IS NULL ORDER BY r.id")).all()
                for r in reports:
                    if r.comment_id in by_id:
                        by_id[r.comment_id]["reports"].append({"reason": r.reason, "by": r.username})
        return items

    def log(self, moderator: User, limit: int = 100) -> list[dict]:
        if not moderator.is_moderator:
            raise Forbidden("only moderators may read the moderation log")
        with self.db.read() as conn:
            rows = conn.execute(text("SELECT id, at, moderator_id, moderator_name, action, target_type, "
                                     "target_id, reason FROM moderation_log ORDER BY id DESC LIMIT :n"),
                                {"n": limit}).all()
        return [dict(r._mapping, at=from_db(r.at)) for r in rows]

    # ----------------------------------------------------------------- actions
    def approve(self, moderator: User, comment_id: int, reason: str) -> None:
        self._set_status(moderator, comment_id, "visible", "approve", reason)

    def hide(self, moderator: User, comment_id: int, reason: str) -> None:
        self._set_status(moderator, comment_id, "hidden", "hide", reason)

    def _set_status(self, moderator: User, comment_id: int, status: str, action: str,
                    reason: str) -> None:
        reason = self._check(moderator, reason)
        with self.db.write() as conn:
            current = conn.execute(text("SELECT status FROM comments WHERE id = :id"),
                                   {"id": comment_id}).scalar()
            if current is None:
                raise NotFound(f"no comment {comment_id}")
            if current == "deleted":
                raise CommunityError("the author deleted this comment")
            conn.execute(text("UPDATE comments SET status = :s WHERE id = :id"),
                         {"s": status, "id": comment_id})
            conn.execute(text("UPDATE comment_reports SET resolved_at = :now WHERE comment_id = :id "
                              "AND resolved_at IS NULL"),
                         {"now": to_db(self.db.dialect, utcnow()), "id": comment_id})
            self._log(conn, moderator, action, "comment", comment_id, reason)

    def ban(self, moderator: User, user_id: int, reason: str) -> None:
        reason = self._check(moderator, reason)
        if user_id == moderator.id:
            raise CommunityError("you cannot ban yourself")
        with self.db.write() as conn:
            role = conn.execute(text("SELECT role FROM users WHERE id = :id"), {"id": user_id}).scalar()
            if role is None:
                raise NotFound(f"no user {user_id}")
            if role != "reader" and not moderator.is_admin:
                raise Forbidden("only an admin may ban a moderator or an admin")
            conn.execute(text("UPDATE users SET status = 'banned' WHERE id = :id"), {"id": user_id})
            conn.execute(text("DELETE FROM user_sessions WHERE user_id = :id"), {"id": user_id})
            conn.execute(text("UPDATE comments SET status = 'hidden' WHERE user_id = :id "
                              "AND status = 'pending'"), {"id": user_id})
            self._log(conn, moderator, "ban", "user", user_id, reason)

    def unban(self, moderator: User, user_id: int, reason: str) -> None:
        reason = self._check(moderator, reason)
        with self.db.write() as conn:
            if not conn.execute(text("UPDATE users SET status = 'active' WHERE id = :id "
                                     "AND status = 'banned'"), {"id": user_id}).rowcount:
                raise NotFound(f"no banned user {user_id}")
            self._log(conn, moderator, "unban", "user", user_id, reason)

    def set_role(self, admin: User, user_id: int, role: str, reason: str) -> None:
        reason = self._check(admin, reason)
        if not admin.is_admin:
            raise Forbidden("only an admin may change roles")
        with self.db.write() as conn:
            update_role(conn, user_id, role)
            self._log(conn, admin, f"role:{role}"[:16], "user", user_id, reason)
