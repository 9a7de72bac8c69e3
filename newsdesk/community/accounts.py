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
  it (``mail.py``) or prints it (``newsdesk reset-password``). Any password change (by
  reset or in the account page) revokes every reset token of the account. Asking for a
  reset answers the same whether or not the account exists: the per-account limit drops
  the request silently instead of saying "too many requests for this account".
* The SQL is ``storage/accounts.py``; the transactions (what is atomic) are chosen here.
* Login throttling is atomic: an attempt takes its slot in the limiter's window before
  the password is checked (``RateLimiter.hit``), and a success gives the account's back;
  so concurrent guesses cannot all pass the last free slot.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from ..errors import ConstraintError, NotFound
from ..storage import accounts as store
from ..storage.db import Database
from . import AuthError, CommunityError, Conflict, Forbidden, RateLimited
from .common import from_db, new_token, token_hash, utcnow
from .ratelimit import RateLimiter

ROLES = ("reader", "moderator", "admin")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,29}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")
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



def user_from_row(row) -> User:
    m = row._mapping
    return User(m["id"], m["username"], m["email"], m["role"], m["status"], m["feed_token"],
                from_db(m["created_at"]))


def update_role(conn, user_id: int, role: str) -> None:
    """Within the caller's transaction (moderation logs it in the same one)."""
    if role not in ROLES:
        raise CommunityError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if not store.set_role(conn, user_id, role):
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
        self.limiter = RateLimiter()
        self._dummy = self.hasher.hash("not a real password, used for timing only")

    # ----------------------------------------------------------------- reading
    def get(self, user_id: int, conn=None) -> User:
        if conn is not None:
            row = store.user_by_id(conn, user_id)
        else:
            with self.db.read() as c:
                row = store.user_by_id(c, user_id)
        if row is None:
            raise NotFound(f"no user {user_id}")
        return user_from_row(row)

    def by_name(self, username: str) -> User:
        with self.db.read() as conn:
            row = store.user_by_key(conn, _key(username))
        if row is None:
            raise NotFound(f"no user {username[:40]!r}")
        return user_from_row(row)

    def count_admins(self) -> int:
        with self.db.read() as conn:
            return store.count_admins(conn)

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
                user_id = store.insert_user(conn, username, _key(username), email, hashed, role,
                                            new_token(24), now)
        except ConstraintError:
            raise Conflict("that username or e-mail address is taken") from None
        return self.get(user_id)

    # ----------------------------------------------------------------- log in
    def authenticate(self, username: str, password: str, ip: str | None = None) -> User:
        """The user for these credentials, or ``AuthError``; ``RateLimited`` when this
        account or this address has failed too often lately."""
        key = _key(username or "")[:40]
        user_bucket, ip_bucket = f"login-fail:user:{key}", f"login-fail:ip:{ip or '-'}"
        with self.db.write() as conn:  # the attempt takes its slots first (atomic), then is judged
            self.limiter.hit(conn, user_bucket, *self.login_limit_user,
                             what="too many failed logins for this account")
            self.limiter.hit(conn, ip_bucket, *self.login_limit_ip,
                             what="too many failed logins from your address")
            row = store.user_by_key(conn, key, with_hash=True)
        ok = self._verify(row._mapping["password_hash"] if row else self._dummy, password or "")
        if not ok or row is None:
            raise AuthError("wrong username or password")
        user = user_from_row(row)
        with self.db.write() as conn:  # a success is no failure: both slots are given back
            self.limiter.clear(conn, user_bucket)
            self.limiter.release(conn, ip_bucket)
        if user.status == "banned":
            raise Forbidden("this account is banned")
        with self.db.write() as conn:
            if self.hasher.check_needs_rehash(row._mapping["password_hash"]):
                store.rehash_password(conn, user.id, self.hasher.hash(password))
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
            store.insert_session(conn, token_hash(token), user.id, now,
                                 now + timedelta(seconds=self.session_lifetime), (ip or "")[:64])
        return token

    def session_user(self, token: str | None) -> User | None:
        """The active user of a session token; None when unknown, expired or banned."""
        if not token or not isinstance(token, str) or len(token) > 200:
            return None
        m = store.session_row(self.db, token_hash(token))
        if m is None or from_db(m[7]) <= utcnow():
            return None
        user = User(m[0], m[1], m[2], m[3], m[4], m[5], from_db(m[6]))
        return user if user.status == "active" else None

    def end_session(self, token: str | None) -> None:
        if token:
            with self.db.write() as conn:
                store.delete_session(conn, token_hash(token))

    def end_all_sessions(self, conn, user_id: int, keep: str | None = None) -> None:
        store.delete_sessions(conn, user_id, token_hash(keep) if keep else "")

    # ----------------------------------------------------------------- passwords
    def change_password(self, user: User, old: str, new: str, keep_session: str | None = None) -> None:
        with self.db.read() as conn:
            hashed = store.password_hash(conn, user.id)
        if hashed is None or not self._verify(hashed, old or ""):
            raise AuthError("the current password is wrong")
        self._set_password(user.id, new, user.username, keep_session)

    def _set_password(self, user_id: int, new: str, username: str, keep_session: str | None) -> None:
        self.check_password_rules(new, username)
        hashed = self.hasher.hash(new)
        with self.db.write() as conn:
            store.change_password(conn, user_id, hashed, utcnow())
            self.end_all_sessions(conn, user_id, keep=keep_session)
            # a reset link mailed before the change must not set the password again
            store.delete_resets(conn, user_id)

    def start_reset(self, identifier: str, ip: str | None = None) -> tuple[User, str] | None:
        """A reset token for the account with this username or e-mail, or None when there
        is none or it had ``reset_limit`` tokens lately (the caller answers the same in
        every case; only the per-address limit, the same for all, raises)."""
        ident = (identifier or "").strip().lower()[:254]
        with self.db.write() as conn:
            self.limiter.hit(conn, f"reset:ip:{ip or '-'}", self.reset_limit[0] * 3,
                             self.reset_limit[1], what="too many reset requests from your address")
            row = store.active_user_by_ident(conn, ident)
            if row is None:
                return None
            user = user_from_row(row)
            try:
                self.limiter.hit(conn, f"reset:user:{user.id}", *self.reset_limit,
                                 what="too many reset requests for this account")
            except RateLimited:
                return None  # silently: saying so would tell that the account exists
            token, now = new_token(), utcnow()
            store.insert_reset(conn, token_hash(token), user.id, now,
                               now + timedelta(seconds=self.reset_lifetime))
        return user, token

    def finish_reset(self, token: str, new_password: str) -> User:
        with self.db.read() as conn:
            row = store.reset_row(conn, token_hash(token or ""))
        if row is None or row.used_at is not None or from_db(row.expires_at) <= utcnow():
            raise AuthError("this reset link is invalid, used or expired; ask for a new one")
        user = self.get(row.user_id)
        self.check_password_rules(new_password, user.username)
        with self.db.write() as conn:
            if not store.use_reset(conn, token_hash(token), utcnow()):
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
        try:
            with self.db.write() as conn:
                store.insert_user(conn, BUILTIN_ADMIN, _key(BUILTIN_ADMIN), None, NO_PASSWORD,
                                  "admin", new_token(24), utcnow())
        except ConstraintError:  # made by a concurrent login
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
            hashed = store.password_hash(conn, user.id)
        if hashed is None or not self._verify(hashed, password or ""):
            raise AuthError("the password is wrong; the account was not deleted")
        with self.db.write() as conn:
            store.delete_user(conn, user.id, remove_comments=comments == "remove")


def _key(username: str) -> str:
    return unicodedata.normalize("NFKC", username.strip()).lower()
