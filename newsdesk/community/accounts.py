"""Reader accounts: sign up, log in (throttled), sessions, password change and reset,
roles, account deletion.

* Passwords are hashed with argon2id (``argon2-cffi``); hashes made with older parameters
  are upgraded at the next successful login. An unknown username still costs one hash
  verification, so timing does not tell which accounts exist.
* A session is a random token; the cookie carries it (signed by the web layer), the
  database keeps only its SHA-256 with an expiry, so logging out, changing the password or
  a ban ends sessions for real.
* Login throttling: failed attempts are counted per account and per IP address in
  sliding windows (``ratelimit.py``); over either limit, logins are refused (even with the
  right password) until the window moves on. A success clears the account's count.
* Password reset: a single-use token, stored hashed, valid for an hour; the caller mails
  it (``mail.py``) or prints it (``newsdesk reset-password``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ..errors import NotFound
from ..storage.db import Database
from . import AuthError, CommunityError, Conflict, Forbidden
from .common import from_db, new_token, to_db, token_hash, utcnow
from .ratelimit import RateLimiter

ROLES = ("reader", "moderator", "admin")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,29}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")
USER_COLS = "id, username, email, role, status, feed_token, created_at"
BUILTIN_ADMIN = "_admin"      # see Accounts.builtin_admin
NO_PASSWORD = "!"             # not a hash: no password verifies against it


@dataclass
class User:
    id: int
    username: str
    email: str | None
    role: str
    status: str
    feed_token: str
    created_at: datetime | None

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin") and self.status == "active"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin" and self.status == "active"

# session_user's lookup: the USER_COLS of the user (in that order), then the expiry
_SESSION_SQL = (f"SELECT {', '.join('u.' + c.strip() for c in USER_COLS.split(','))}, s.expires_at "
                "FROM user_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = :t")


def user_from_row(row) -> User:
    m = row._mapping
    return User(m["id"], m["username"], m["email"], m["role"], m["status"], m["feed_token"],
                from_db(m["created_at"]))


def update_role(conn: Connection, user_id: int, role: str) -> None:
    """Within the caller's transaction (moderation logs it in the same one)."""
    if role not in ROLES:
        raise CommunityError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if not conn.execute(text("UPDATE users SET role = :r WHERE id = :id"),
                        {"r": role, "id": user_id}).rowcount:
        raise NotFound(f"no user {user_id}")


class Accounts:
    def __init__(self, db: Database, *, hasher: PasswordHasher | None = None,
                 session_lifetime: int = 7 * 86400, reset_lifetime: int = 3600,
                 min_password: int = 10, login_limit_user: tuple[int, int] = (5, 900),
                 login_limit_ip: tuple[int, int] = (20, 900), signup_limit_ip: tuple[int, int] = (5, 3600),
                 reset_limit: tuple[int, int] = (3, 3600)):
        self.db = db
        self.hasher = hasher or PasswordHasher()
        self.session_lifetime, self.reset_lifetime = session_lifetime, reset_lifetime
        self.min_password = min_password
        self.login_limit_user, self.login_limit_ip = login_limit_user, login_limit_ip
        self.signup_limit_ip, self.reset_limit = signup_limit_ip, reset_limit
        self.limiter = RateLimiter(db.dialect)
        self._dummy = self.hasher.hash("not a real password, used for timing only")

    def _ts(self, when: datetime):
        return to_db(self.db.dialect, when)

    # ----------------------------------------------------------------- reading
    def get(self, user_id: int, conn: Connection | None = None) -> User:
        sql = text(f"SELECT {USER_COLS} FROM users WHERE id = :id")
        if conn is not None:
            row = conn.execute(sql, {"id": user_id}).first()
        else:
            with self.db.read() as c:
                row = c.execute(sql, {"id": user_id}).first()
        if row is None:
            raise NotFound(f"no user {user_id}")
        return user_from_row(row)

    def by_name(self, username: str) -> User:
        with self.db.read() as conn:
            row = conn.execute(text(f"SELECT {USER_COLS} FROM users WHERE username_key = :k"),
                               {"k": _key(username)}).first()
        if row is None:
            raise NotFound(f"no user {username[:40]!r}")
        return user_from_row(row)

    def count_admins(self) -> int:
        with self.db.read() as conn:
            return conn.execute(text("SELECT count(*) FROM users WHERE role = 'admin' "
                                     "AND status = 'active'")).scalar() or 0

    # ----------------------------------------------------------------- sign up
    def check_password_rules(self, password: str, username: str = "") -> None:
        if not isinstance(password, str) or len(password) < self.min_password:
            raise CommunityError(f"the password must have at least {self.min_password} characters")
        if len(password) > 1000:
            raise CommunityError("the password is longer than 1000 characters")
        if username and password.lower() == username.lower():
            raise CommunityError("the password must not be the username")

    def signup(self, username: str, password: str, email: str | None = None, *,
               role: str = "reader", ip: str | None = None) -> User:
        username = unicodedata.normalize("NFKC", (username or "").strip())
        if not USERNAME.match(username):
            raise CommunityError("the username must be 2-30 letters, digits, '.', '_' or '-', "
                                 "starting with a letter or digit")
        email = (email or "").strip().lower() or None
        if email and not EMAIL.match(email):
            raise CommunityError("that e-mail address does not look right")
        if role not in ROLES:
            raise CommunityError(f"unknown role {role!r}")
        self.check_password_rules(password, username)
        hashed = self.hasher.hash(password)
        now = utcnow()
        try:
            with self.db.write() as conn:
                if ip:
                    self.limiter.hit(conn, f"signup:ip:{ip}", *self.signup_limit_ip,
                                     what="too many new accounts from your address")
                user_id = conn.execute(text(
                    "INSERT INTO users (username, username_key, email, password_hash, role, status, "
                    "feed_token, created_at, password_changed_at) VALUES (:u, :k, :e, :h, :r, "
                    "'active', :f, :now, :now) RETURNING id"),
                    {"u": username, "k": _key(username), "e": email, "h": hashed, "r": role,
                     "f": new_token(24), "now": self._ts(now)}).scalar()
        except IntegrityError:
            raise Conflict("that username or e-mail address is taken") from None
        return self.get(user_id)

    # ----------------------------------------------------------------- log in
    def authenticate(self, username: str, password: str, ip: str | None = None) -> User:
        """The user for these credentials, or ``AuthError``; ``RateLimited`` when this
        account or this address has failed too often lately."""
        key = _key(username or "")[:40]
        user_bucket, ip_bucket = f"login-fail:user:{key}", f"login-fail:ip:{ip or '-'}"
        with self.db.write() as conn:
            self.limiter.check(conn, user_bucket, *self.login_limit_user,
                               what="too many failed logins for this account")
            self.limiter.check(conn, ip_bucket, *self.login_limit_ip,
                               what="too many failed logins from your address")
            row = conn.execute(text(f"SELECT {USER_COLS}, password_hash FROM users "
                                    "WHERE username_key = :k"), {"k": key}).first()
        ok = self._verify(row._mapping["password_hash"] if row else self._dummy, password or "")
        if not ok or row is None:
            with self.db.write() as conn:
                self.limiter.record(conn, user_bucket)
                self.limiter.record(conn, ip_bucket)
            raise AuthError("wrong username or password")
        user = user_from_row(row)
        if user.status == "banned":
            raise Forbidden("this account is banned")
        with self.db.write() as conn:
            self.limiter.clear(conn, user_bucket)
            if self.hasher.check_needs_rehash(row._mapping["password_hash"]):
                conn.execute(text("UPDATE users SET password_hash = :h WHERE id = :id"),
                             {"h": self.hasher.hash(password), "id": user.id})
        return user

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    # ----------------------------------------------------------------- sessions
    def create_session(self, user: User, ip: str | None = None) -> str:
        token, now = new_token(), utcnow()
        with self.db.write() as conn:
            conn.execute(text("INSERT INTO user_sessions (token_hash, user_id, created_at, expires_at, ip) "
                              "VALUES (:t, :u, :now, :exp, :ip)"),
                         {"t": token_hash(token), "u": user.id, "now": self._ts(now),
                          "exp": self._ts(now + timedelta(seconds=self.session_lifetime)),
                          "ip": (ip or "")[:64]})
        return token

    def session_user(self, token: str | None) -> User | None:
        """The active user of a session token; None when unknown, expired or banned."""
        if not token or not isinstance(token, str) or len(token) > 200:
            return None
        with self.db.read() as conn:
            rows = self.db.fetch(conn, _SESSION_SQL, {"t": token_hash(token)})
        if not rows or from_db(rows[0][7]) <= utcnow():
            return None
        m = rows[0]
        user = User(m[0], m[1], m[2], m[3], m[4], m[5], from_db(m[6]))
        return user if user.status == "active" else None

    def end_session(self, token: str | None) -> None:
        if token:
            with self.db.write() as conn:
                conn.execute(text("DELETE FROM user_sessions WHERE token_hash = :t"),
                             {"t": token_hash(token)})

    def end_all_sessions(self, conn: Connection, user_id: int, keep: str | None = None) -> None:
        conn.execute(text("DELETE FROM user_sessions WHERE user_id = :u AND token_hash <> :k"),
                     {"u": user_id, "k": token_hash(keep) if keep else ""})

    # ----------------------------------------------------------------- passwords
    def change_password(self, user: User, old: str, new: str, keep_session: str | None = None) -> None:
        with self.db.read() as conn:
            hashed = conn.execute(text("SELECT password_hash FROM users WHERE id = :id"),
                                  {"id": user.id}).scalar()
        if hashed is None or not self._verify(hashed, old or ""):
            raise AuthError("the current password is wrong")
        self._set_password(user.id, new, user.username, keep_session)

    def _set_password(self, user_id: int, new: str, username: str, keep_session: str | None) -> None:
        self.check_password_rules(new, username)
        hashed = self.hasher.hash(new)
        with self.db.write() as conn:
            conn.execute(text("UPDATE users SET password_hash = :h, password_changed_at = :now "
                              "WHERE id = :id"), {"h": hashed, "now": self._ts(utcnow()), "id": user_id})
            self.end_all_sessions(conn, user_id, keep=keep_session)

    def start_reset(self, identifier: str, ip: str | None = None) -> tuple[User, str] | None:
        """A reset token for the account with this username or e-mail, or None when there
        is none (the caller answers the same either way)."""
        ident = (identifier or "").strip().lower()[:254]
        with self.db.write() as conn:
            self.limiter.hit(conn, f"reset:ip:{ip or '-'}", self.reset_limit[0] * 3,
                             self.reset_limit[1], what="too many reset requests from your address")
            row = conn.execute(text(f"SELECT {USER_COLS} FROM users WHERE (username_key = :i "
                                    "OR email = :i) AND status = 'active'"), {"i": ident}).first()
            if row is None:
                return None
            user = user_from_row(row)
            self.limiter.hit(conn, f"reset:user:{user.id}", *self.reset_limit,
                             what="too many reset requests for this account")
            token, now = new_token(), utcnow()
            conn.execute(text("INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) "
                              "VALUES (:t, :u, :now, :exp)"),
                         {"t": token_hash(token), "u": user.id, "now": self._ts(now),
                          "exp": self._ts(now + timedelta(seconds=self.reset_lifetime))})
        return user, token

    def finish_reset(self, token: str, new_password: str) -> User:
        with self.db.read() as conn:
            row = conn.execute(text("SELECT user_id, expires_at, used_at FROM password_resets "
                                    "WHERE token_hash = :t"), {"t": token_hash(token or "")}).first()
        if row is None or row.used_at is not None or from_db(row.expires_at) <= utcnow():
            raise AuthError("this reset link is invalid, used or expired; ask for a new one")
        user = self.get(row.user_id)
        self.check_password_rules(new_password, user.username)
        with self.db.write() as conn:
            used = conn.execute(text("UPDATE password_resets SET used_at = :now WHERE token_hash = :t "
                                     "AND used_at IS NULL"),
                                {"now": self._ts(utcnow()), "t": token_hash(token)}).rowcount
            if used != 1:
                raise AuthError("this reset link was used already")
        self._set_password(user.id, new_password, user.username, None)
        return user

    # ----------------------------------------------------------------- roles, deletion
    def builtin_admin(self) -> User:
        """The account that stands for whoever logs in with ``admin_password`` at
        /admin/login, so that person is a real admin everywhere (moderation, audit log).
        Its name cannot be signed up (USERNAME starts with a letter or digit) and it has no
        password of its own: only the admin login opens it."""
        try:
            return self.by_name(BUILTIN_ADMIN)
        except NotFound:
            pass
        now = self._ts(utcnow())
        try:
            with self.db.write() as conn:
                conn.execute(text(
                    "INSERT INTO users (username, username_key, email, password_hash, role, status, "
                    "feed_token, created_at, password_changed_at) VALUES (:u, :k, NULL, :h, 'admin', "
                    "'active', :f, :now, :now)"),
                    {"u": BUILTIN_ADMIN, "k": _key(BUILTIN_ADMIN), "h": NO_PASSWORD,
                     "f": new_token(24), "now": now})
        except IntegrityError:  # made by a concurrent login
            pass
        return self.by_name(BUILTIN_ADMIN)

    def set_role(self, user_id: int, role: str) -> User:
        with self.db.write() as conn:
            update_role(conn, user_id, role)
        return self.get(user_id)

    def delete_account(self, user: User, password: str, comments: str = "anonymise") -> None:
        """Delete the account: its comments stay without a name ("anonymise") or are
        removed ("remove"); follows, read state and sessions go with the account."""
        if comments not in ("anonymise", "remove"):
            raise CommunityError("choose whether your comments are anonymised or removed")
        with self.db.read() as conn:
            hashed = conn.execute(text("SELECT password_hash FROM users WHERE id = :id"),
                                  {"id": user.id}).scalar()
        if hashed is None or not self._verify(hashed, password or ""):
            raise AuthError("the password is wrong; the account was not deleted")
        with self.db.write() as conn:
            if comments == "remove":
                conn.execute(text("UPDATE comments SET status = 'deleted', body = '', html = '' "
                                  "WHERE user_id = :u"), {"u": user.id})
            conn.execute(text("UPDATE comments SET user_id = NULL WHERE user_id = :u"), {"u": user.id})
            conn.execute(text("UPDATE comment_reports SET user_id = NULL WHERE user_id = :u"),
                         {"u": user.id})
            conn.execute(text("DELETE FROM users WHERE id = :u"), {"u": user.id})


def _key(username: str) -> str:
    return unicodedata.normalize("NFKC", username.strip()).lower()
