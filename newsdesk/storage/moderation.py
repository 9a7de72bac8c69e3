"""The SQL of moderation (``community/moderation.py`` keeps the rules: who may do what,
reasons): the queue, the log, and the actions' statements. Each function runs over the
caller's connection; an action and its log entry share the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .db import as_utc, db_time

QUEUE = """SELECT c.id, c.subject_type, c.subject_id, c.user_id, u.username, u.status AS user_status,
 c.body, c.html, c.status, c.spam_score, c.spam_reasons, c.report_count, c.created_at
 FROM comments c LEFT JOIN users u ON u.id = c.user_id
 WHERE c.status = 'pending' OR (c.status = 'visible' AND EXISTS (SELECT 1 FROM
 comment_reports r WHERE r.comment_id = c.id AND r.resolved_at IS NULL))
 ORDER BY c.id LIMIT :n"""


def log_action(conn: Connection, at: datetime, moderator_id: int, moderator_name: str,
               action: str, target_type: str, target_id: int, reason: str) -> None:
    conn.execute(text("INSERT INTO moderation_log (at, moderator_id, moderator_name, action, "
                      "target_type, target_id, reason) VALUES (:at, :m, :name, :a, :tt, :tid, :r)"),
                 {"at": db_time(conn.dialect.name, at), "m": moderator_id, "name": moderator_name,
                  "a": action, "tt": target_type, "tid": target_id, "r": reason})


def queue(conn: Connection, limit: int) -> list[dict]:
    """Pending comments and visible ones with unresolved reports, oldest first, each with
    ``reports`` (reason, by whom) in the order they were made."""
    rows = conn.execute(text(QUEUE), {"n": limit}).all()
    items = [dict(r._mapping, created_at=as_utc(r.created_at), reports=[]) for r in rows]
    by_id = {i["id"]: i for i in items}
    if by_id:
        reports = conn.execute(text(
            "SELECT r.comment_id, r.reason, u.username FROM comment_reports r LEFT JOIN users u "
            "ON u.id = r.user_id WHERE r.resolved_at IS NULL ORDER BY r.id")).all()
        for r in reports:
            if r.comment_id in by_id:
                by_id[r.comment_id]["reports"].append({"reason": r.reason, "by": r.username})
    return items


def log_entries(conn: Connection, limit: int) -> list[dict]:
    rows = conn.execute(text("SELECT id, at, moderator_id, moderator_name, action, target_type, "
                             "target_id, reason FROM moderation_log ORDER BY id DESC LIMIT :n"),
                        {"n": limit}).all()
    return [dict(r._mapping, at=as_utc(r.at)) for r in rows]


def comment_status(conn: Connection, comment_id: int) -> str | None:
    return conn.execute(text("SELECT status FROM comments WHERE id = :id"),
                        {"id": comment_id}).scalar()


def set_comment_status(conn: Connection, comment_id: int, status: str, now: datetime) -> None:
    """Set the comment's status and resolve its open reports."""
    conn.execute(text("UPDATE comments SET status = :s WHERE id = :id"),
                 {"s": status, "id": comment_id})
    conn.execute(text("UPDATE comment_reports SET resolved_at = :now WHERE comment_id = :id "
                      "AND resolved_at IS NULL"),
                 {"now": db_time(conn.dialect.name, now), "id": comment_id})


def ban(conn: Connection, user_id: int) -> None:
    """Ban the user, end their sessions, hide their pending comments."""
    conn.execute(text("UPDATE users SET status = 'banned' WHERE id = :id"), {"id": user_id})
    conn.execute(text("DELETE FROM user_sessions WHERE user_id = :id"), {"id": user_id})
    conn.execute(text("UPDATE comments SET status = 'hidden' WHERE user_id = :id "
                      "AND status = 'pending'"), {"id": user_id})


def unban(conn: Connection, user_id: int) -> bool:
    """False when the user is not banned (or does not exist)."""
    return bool(conn.execute(text("UPDATE users SET status = 'active' WHERE id = :id "
                                  "AND status = 'banned'"), {"id": user_id}).rowcount)
