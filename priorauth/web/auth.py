"""Sign-in: accounts with argon2 password hashes, sessions in the store, CSRF tokens, roles.

Sign-in is on as soon as the store has an account (``priorauth users add``); then every page
and API call needs a session, the reviewer's name in every record is the session's, and every
state-changing request must carry the session's CSRF token (``X-CSRF-Token`` header or a
``csrf_token`` form field). The session cookie is ``Secure; HttpOnly; SameSite=Strict``; only
the SHA-256 of its token is stored. A session idle for longer than the idle time-out ends.
Without any account the page keeps its old behaviour: loopback only, the name typed in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request

from priorauth.web.store import Store

__all__ = ["COOKIE", "ROLES", "Auth", "User", "hash_password"]

COOKIE = "priorauth_session"
SIGNIN_COOKIE = "priorauth_signin"
ROLES = ("nurse", "physician")
_hasher = PasswordHasher()
#: A hash to verify against when the account does not exist (same time either way).
_DUMMY = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    return _hasher.hash(password)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class User:
    name: str
    role: str
    csrf: str


class Auth:
    """Sessions of one app.

    Args:
        store: Where accounts and sessions are kept.
        idle_seconds: A session unused for this long ends.
    """

    def __init__(self, store: Store, *, idle_seconds: float = 30 * 60) -> None:
        self.store = store
        self.idle_seconds = idle_seconds

    @property
    def enabled(self) -> bool:
        return self.store.user_count() > 0

    def sign_in(self, name: str, password: str) -> tuple[str, User] | None:
        """A new session token and its user, or ``None`` for a wrong name or password."""
        found = self.store.user(name.strip())
        try:
            _hasher.verify(found[2] if found else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        if found is None:
            return None
        if _hasher.check_needs_rehash(found[2]):
            self.store.set_password_hash(found[0], _hasher.hash(password))
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        self.store.add_session(token_hash(token), found[0], csrf, time.time())
        return token, User(found[0], found[1], csrf)

    def user(self, request: Request) -> User | None:
        """The signed-in user of a request (and its session's clock moved on), or ``None``."""
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        digest = token_hash(token)
        found = self.store.session(digest)
        if found is None:
            return None
        clock = time.time()
        if clock - found[3] > self.idle_seconds:
            self.store.end_session(digest)
            return None
        if clock - found[3] > 15:  # write at most every 15 s per session
            self.store.touch_session(digest, clock)
        return User(found[0], found[1], found[2])

    def sign_out(self, request: Request) -> None:
        token = request.cookies.get(COOKIE)
        if token:
            self.store.end_session(token_hash(token))


def check_csrf(user: User, supplied: str | None) -> None:
    """Refuse (403) a state-changing request whose CSRF token is not the session's."""
    if not supplied or not hmac.compare_digest(supplied.encode(), user.csrf.encode()):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
