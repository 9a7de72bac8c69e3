"""App access for readers: per-device app passwords, ClientLogin tokens and Fever keys.

* An **app password** is made on the account page, one per device ("Reeder on my phone"),
  shown once and stored as SHA-256; revoking it ends every token made with it. It is
  random (about 100 bits), so it also safely backs the Fever key, which the Fever protocol
  defines as an unsalted ``md5(username:password)`` (or ``email:password``): Fever works
  with app passwords only, never with the account password.
* **ClientLogin** accepts the username or e-mail with an app password or the account
  password (the account password goes through ``Accounts.authenticate``: argon2 and the
  same login throttling as the website; app passwords failing fall through to it, so they
  are throttled too). Each login makes a new random token (one per device), stored hashed.
  Tokens made with the account password end when that password changes; every token can
  be revoked on the account page.
* Tokens and passwords are never logged and never put in URLs.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from ..errors import NotFound
from ..storage import accounts as account_store
from ..storage import appauth
from ..storage.db import Database
from . import AuthError, CommunityError
from .accounts import Accounts, User, user_from_row
from .common import new_token, token_hash, utcnow

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"      # no 0/o, 1/l/i: easy to type on a phone
NAME_LIMIT = 60


@dataclass
class Device:
    """Who is calling the API: the reader, and the app password (None: account password)."""
    user: User
    password_id: int | None
    token_hash: str | None = None


def new_app_password() -> str:
    """Four groups of five characters (20 * log2(31) = 99 bits)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(20))
    return "-".join(chars[i:i + 5] for i in range(0, 20, 5))


def fever_key(login: str, password: str) -> str:
    return hashlib.md5(f"{login}:{password}".encode("utf-8")).hexdigest()


class AppAccess:
    def __init__(self, db: Database, accounts: Accounts):
        self.db = db
        self.accounts = accounts

    # ----------------------------------------------------------------- app passwords
    def create_password(self, user: User, name: str) -> str:
        """A new app password for ``user`` (returned once, never stored)."""
        name = " ".join((name or "").split())[:NAME_LIMIT]
        if not name:
            raise CommunityError("name the device, e.g. \"Reeder on my phone\"")
        if len(appauth.list_passwords(self.db, user.id)) >= 50:
            raise CommunityError("you have 50 app passwords already: revoke some first")
        password = new_app_password()
        appauth.add_password(self.db, user.id, name, token_hash(password),
                             fever_key(user.username, password),
                             fever_key(user.email, password) if user.email else None, utcnow())
        return password

    def passwords(self, user: User) -> list[dict]:
        return appauth.list_passwords(self.db, user.id)

    def password_devices(self, user: User) -> list[dict]:
        """Devices signed in with the account password."""
        return appauth.list_tokens(self.db, user.id)

    def revoke_password(self, user: User, password_id: int) -> None:
        if not appauth.delete_password(self.db, user.id, password_id):
            raise NotFound(f"no app password {password_id} of yours")

    def revoke_device(self, user: User, device_id: str) -> None:
        if not appauth.delete_token(self.db, user.id, device_id):
            raise NotFound("no such device of yours")

    # ----------------------------------------------------------------- logging in
    def client_login(self, login: str, password: str, ip: str | None, client: str = "") -> str:
        """A new token for these credentials (username or e-mail; app password or account
        password), or ``AuthError`` / ``RateLimited``."""
        login, password = (login or "").strip()[:254], (password or "").strip()
        user = self._find(login)
        password_id = None
        if user is not None and password:
            password_id = appauth.password_by_hash(self.db, user.id, token_hash(password))
        if password_id is None:   # the account password (argon2, throttled), or a failure
            user = self.accounts.authenticate(user.username if user else login, password, ip)
        elif user.status != "active":
            raise AuthError("wrong username or password")
        token, now = new_token(32), utcnow()
        appauth.add_token(self.db, token_hash(token), user.id, password_id, client, now)
        if password_id is not None:
            appauth.touch(self.db, None, password_id, now)
        return token

    def _find(self, login: str) -> User | None:
        with self.db.read() as conn:
            row = account_store.user_by_login(conn, login.lower())
        return user_from_row(row) if row else None

    def device_for_token(self, token: str | None) -> Device | None:
        """The caller of a token; None when unknown, revoked, outdated by a password
        change, or the account is not active."""
        if not token or len(token) > 200:
            return None
        hashed = token_hash(token)
        owner = appauth.token_owner(self.db, hashed)
        if owner is None:
            return None
        changed = owner["password_changed_at"]
        if owner["password_id"] is None and changed and owner["created_at"] < changed:
            return None
        try:
            user = self.accounts.get(owner["user_id"])
        except NotFound:
            return None
        if user.status != "active":
            return None
        now = utcnow()
        last = owner["last_used_at"]
        if last is None or now - last > timedelta(seconds=appauth.TOUCH_EVERY):
            appauth.touch(self.db, hashed, owner["password_id"], now)
        return Device(user, owner["password_id"], hashed)

    def device_for_fever_key(self, key: str | None) -> Device | None:
        key = (key or "").strip().lower()
        if len(key) != 32 or any(c not in "0123456789abcdef" for c in key):
            return None
        found = appauth.user_by_fever_key(self.db, key)
        if found is None:
            return None
        user = self.accounts.get(found[0])
        if user.status != "active":
            return None
        appauth.touch(self.db, None, found[1], utcnow())
        return Device(user, found[1])

    # ----------------------------------------------------------------- what apps see
    def item_mode(self, user: User) -> str:
        return appauth.item_mode(self.db, user.id)

    def set_item_mode(self, user: User, mode: str) -> None:
        if mode not in appauth.ITEM_MODES:
            raise CommunityError("apps show either one item per story or every article")
        appauth.set_item_mode(self.db, user.id, mode)
