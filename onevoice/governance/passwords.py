"""Passwords: the rules a new password must meet, and hashing with Argon2id (argon2-cffi's
defaults follow RFC 9106's recommendations)."""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from onevoice.errors import InvalidInput

MIN_LENGTH = 10
# Sign-in forms and bodies accept at most this much, so a longer password could never be typed in.
MAX_LENGTH = 1_000

_hasher = PasswordHasher()
# Verifying against this when the e-mail is unknown makes a failed sign-in take as long either
# way, so response time does not reveal which e-mails have accounts.
_DUMMY = _hasher.hash("onevoice-timing-equalizer")


def check_new_password(password: str, email: str, current: str | None = None) -> None:
    """Refuse a password a member should not choose. `current` is the password being replaced:
    keeping it would make a forced change of a one-time password a no-op."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_LENGTH} characters")
    if not password.strip():
        raise InvalidInput("a password cannot be only spaces")
    if password.strip().lower() == email.strip().lower():
        raise InvalidInput("a password cannot be your e-mail address")
    if current is not None and password == current:
        raise InvalidInput("the new password must differ from the current one")


def one_time_password() -> str:
    """A password for a member to sign in with once and then replace (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
