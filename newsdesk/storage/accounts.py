"""The SQL of reader accounts (``community/accounts.py`` keeps the rules: validation,
password hashing, throttling, who may do what): users, sessions, password resets.

Each function runs over the caller's connection, so the caller's transaction decides
what is atomic (a sign-up with its rate-limit slot, a password change with the sessions
and reset tokens it ends). Tokens arrive here already hashed. Rows are returned as read
(``row.username``, ``row._mapping``); timestamps are converted on the way in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

from .db import Database, constraints, db_time

USER_COLS = "id, username, email, role, status, feed_token, created_at"
# session_row's lookup: the USER_COLS of the user (in that order), then the expiry
SESSION_SQL = (f"SELECT {', '.join('u.' + c.strip() for c in USER_COLS.split(','))}, s.expires_at "
               "FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = :t")


def _t(conn: Connection, when: datetime):
    return db_time(conn.dialect.name, when)


def _user_where(conn: Connection, where: str, params: dict, extra: str = ""):
    return conn.execute(text(f"SELECT {USER_COLS}{extra} FROM users WHERE {where}"), params).first()


# ----------------------------------------------------------------- users
def user_by_id(conn: Connection, user_id: int):
    return _user_where(conn, "id = :id", {"id": user_id})


def user_by_key(conn: Connection, key: str, *, with_hash: bool = False):
    """The user whose folded username is ``key`` (with ``password_hash`` when asked)."""
    return _user_where(conn, "username_key = :k", {"k": key}, ", password_hash" if with_hash else "")


def user_by_login(conn: Connection, login: str):
    """The user with this folded username or e-mail (app logins)."""
    return _user_where(conn, "username_key = :k OR email = :e", {"k": login, "e": login})


def active_user_by_ident(conn: Connection, ident: str):
    """The active user with this folded username or e-mail (password resets)."""
    return _user_where(conn, "(username_key = :i OR email = :i) AND status = 'active'", {"i": ident})


def active_user_by_feed_token(conn: Connection, token: str):
    return _user_where(conn, "feed_token = :t AND status = 'active'", {"t": token})


def count_admins(conn: Connection) -> int:
    return conn.execute(text("SELECT count(*) FROM users WHERE role = 'admin' "
                             "AND status = 'active'")).scalar() or 0


def user_role(conn: Connection, user_id: int) -> str | None:
    return conn.execute(text("SELECT role FROM users WHERE id = :id"), {"id": user_id}).scalar()


def insert_user(conn: Connection, username: str, key: str, email: str | None, password_hash: str,
                role: str, feed_token: str, now: datetime) -> int:
    """A new active user's id; ``ConstraintError`` when the username or e-mail is taken."""
    with constraints():
        return conn.execute(text(
            "INSERT INTO users (username, username_key, email, password_hash, role, status, "
            "feed_token, created_at, password_changed_at) VALUES (:u, :k, :e, :h, :r, "
            "'active', :f, :now, :now) RETURNING id"),
            {"u": username, "k": key, "e": email, "h": password_hash, "r": role,
             "f": feed_token, "now": _t(conn, now)}).scalar()


def set_role(conn: Connection, user_id: int, role: str) -> bool:
    """False when there is no such user."""
    return bool(conn.execute(text("UPDATE users SET role = :r WHERE id = :id"),
                             {"r": role, "id": user_id}).rowcount)


def set_feed_token(conn: Connection, user_id: int, token: str) -> None:
    conn.execute(text("UPDATE users SET feed_token = :t WHERE id = :u"), {"t": token, "u": user_id})


def delete_user(conn: Connection, user_id: int, *, remove_comments: bool) -> None:
    """Delete the user; their comments stay without a name (emptied first when
    ``remove_comments``), their reports likewise; the rest goes with the row."""
    if remove_comments:
        conn.execute(text("UPDATE comments SET status = 'deleted', body = '', html = '' "
                          "WHERE user_id = :u"), {"u": user_id})
    conn.execute(text("UPDATE comments SET user_id = NULL WHERE user_id = :u"), {"u": user_id})
    conn.execute(text("UPDATE comment_reports SET user_id = NULL WHERE user_id = :u"),
                 {"u": user_id})
    conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": user_id})


# ----------------------------------------------------------------- passwords
def password_hash(conn: Connection, user_id: int) -> str | None:
    return conn.execute(text("SELECT password_hash FROM users WHERE id = :id"),
                        {"id": user_id}).scalar()


def rehash_password(conn: Connection, user_id: int, hashed: str) -> None:
    """The same password under newer hash parameters (not a change: sessions stay)."""
    conn.execute(text("UPDATE users SET password_hash = :h WHERE id = :id"),
                 {"h": hashed, "id": user_id})


def change_password(conn: Connection, user_id: int, hashed: str, now: datetime) -> None:
    conn.execute(text("UPDATE users SET password_hash = :h, password_changed_at = :now "
                      "WHERE id = :id"), {"h": hashed, "now": _t(conn, now), "id": user_id})


def insert_reset(conn: Connection, token_hash: str, user_id: int, now: datetime,
                 expires: datetime) -> None:
    conn.execute(text("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) "
                      "VALUES (:t, :u, :now, :exp)"),
                 {"t": token_hash, "u": user_id, "now": _t(conn, now), "exp": _t(conn, expires)})


def reset_row(conn: Connection, token_hash: str):
    """(user_id, expires_at, used_at) of a reset token, or None."""
    return conn.execute(text("SELECT user_id, expires_at, used_at FROM password_resets "
                             "WHERE token_hash = :t"), {"t": token_hash}).first()


def use_reset(conn: Connection, token_hash: str, now: datetime) -> bool:
    """Mark the token used; False when it was used already (single use)."""
    return conn.execute(text("UPDATE password_resets SET used_at = :now WHERE token_hash = :t "
                             "AND used_at IS NULL"), {"now": _t(conn, now), "t": token_hash}).rowcount == 1


def delete_resets(conn: Connection, user_id: int) -> None:
    conn.execute(text("DELETE FROM password_resets WHERE user_id = :u"), {"u": user_id})


# ----------------------------------------------------------------- sessions
def insert_session(conn: Connection, token_hash: str, user_id: int, now: datetime,
                   expires: datetime, ip: str) -> None:
    conn.execute(text("INSERT INTO user_sessions (token_hash, user_id, created_at, expires_at, ip) "
                      "VALUES (:t, :u, :now, :exp, :ip)"),
                 {"t": token_hash, "u": user_id, "now": _t(conn, now), "exp": _t(conn, expires),
                  "ip": ip})


def session_row(db: Database, token_hash: str) -> tuple | None:
    """The session's user (USER_COLS, in order), then its expiry; None when unknown. On
    the page path of every logged-in request: one read on the driver (``Database.fetch``)."""
    with db.read() as conn:
        rows = db.fetch(conn, SESSION_SQL, {"t": token_hash})
    return rows[0] if rows else None


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(text("DELETE FROM user_sessions WHERE token_hash = :t"), {"t": token_hash})


def delete_sessions(conn: Connection, user_id: int, keep_hash: str = "") -> None:
    """End every session of the user but the one whose hash is ``keep_hash``."""
    conn.execute(text("DELETE FROM user_sessions WHERE user_id = :u AND token_hash <> :k"),
                 {"u": user_id, "k": keep_hash})
