"""Signing in: passwords with a growing delay, web sessions, and API tokens (hashed at rest, revocable).

The delay is per account and stored in the database (it survives restarts and holds across API
processes): after `max_failures` wrong passwords in a row, each further attempt must wait
1 s, 2 s, 4 s, ... (at most `lockout_seconds`) after the last one. Attempts during the wait are
refused without being counted, so guessing faster gains nothing and cannot stretch the wait; the
right password after the wait signs in. Every refusal reads the same and costs one password hash,
whether the account is unknown, disabled, waiting or the password wrong: neither the answer nor
its timing tells which accounts exist. A per-address limiter in the web adapter slows down
guessing across many accounts.

Password sign-in can be turned off (ONEVOICE_PASSWORD_SIGNIN=off, when single sign-on is the way in,
governance/sso.py): then only the break-glass admin's password works, the one member named by
ONEVOICE_BREAK_GLASS_ADMIN who also holds the admin role. Every other attempt, and a wrong password of
that admin too, reads "password sign-in is off", so the answer does not tell who the break-glass
admin is; their wrong passwords still count towards the delay.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from onevoice.store.models import ApiToken, Member, RoleGrant, WebSession, utcnow

from .members import actor_from_grants
from .passwords import hash_password, needs_rehash, verify_password
from .permissions import (Action, Actor, Role, Scope, parse_scopes, require, role_allowed_scopes, scope_words,
                          with_token_scopes)

TOKEN_PREFIX = "ov_"


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lockout_seconds: int = 900  # the longest wait
    first_delay_seconds: int = 1
    passwords: bool = True  # False: only the break-glass admin signs in with a password
    break_glass: str = ""   # that admin's e-mail

    def delay(self, failures: int) -> timedelta | None:
        """How long sign-in waits after this many wrong passwords in a row (None: not at all)."""
        over = failures - self.max_failures
        if over < 0:
            return None
        return timedelta(seconds=min(self.lockout_seconds, self.first_delay_seconds * 2 ** min(over, 30)))


SIGN_IN_REFUSED = "wrong e-mail or password"
PASSWORDS_OFF = "password sign-in is off: sign in with single sign-on"


def is_break_glass(member: Member, policy: LoginPolicy) -> bool:
    return bool(policy.break_glass) and member.email == policy.break_glass and any(
        g.role == Role.ADMIN.value and g.channel_id is None for g in member.roles)


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a sign-in attempt. A failure is returned, not raised, because the failure
    count must be committed: the caller commits the transaction, then raises `error`."""

    member: Member | None
    error: Exception | None = None


def waiting(member: Member, now: datetime | None = None) -> bool:
    """Whether the member's next sign-in attempt must still wait (see LoginPolicy)."""
    return member.locked_until is not None and member.locked_until > (now or utcnow())


def count_failure(session: Session, member: Member, policy: LoginPolicy, now: datetime | None = None,
                  step: str = "password") -> None:
    """One more wrong password (or wrong code, `step`) in a row; after too many, the next attempt waits."""
    now = now or utcnow()
    member.failed_logins += 1
    wait = policy.delay(member.failed_logins)
    if wait is not None:
        member.locked_until = now + wait
        audit.record(session, member.email, "member.sign_in_delayed", "member", member.id,
                     detail={"failures": member.failed_logins, "seconds": int(wait.total_seconds()), "step": step})


def authenticate(session: Session, email: str, password: str, policy: LoginPolicy = LoginPolicy()) -> LoginOutcome:
    """Check e-mail and password; count wrong ones and make the next attempt wait after too many.

    For a member with two-factor sign-in the count is not cleared here but after the right code
    (two_factor.check_code, which counts wrong codes the same way): a right password must not
    reset the count of wrong codes, or guessing codes would never have to wait."""
    member = session.scalar(select(Member).where(Member.email == (email or "").strip().lower()))
    now = utcnow()
    # Hashed first, whatever the account's state, so that every refusal takes as long.
    ok = verify_password(member.password_hash if member else None, password or "")
    refused = LoginOutcome(None, Unauthenticated(SIGN_IN_REFUSED if policy.passwords else PASSWORDS_OFF))
    if not policy.passwords and (member is None or not is_break_glass(member, policy)):
        return refused
    if member is None or waiting(member, now):
        return refused
    if not ok or not member.active:
        count_failure(session, member, policy, now)
        return refused
    if member.totp_enabled_at is None:
        member.failed_logins = 0
        member.locked_until = None
    if needs_rehash(member.password_hash):
        member.password_hash = hash_password(password)
    if not policy.passwords:
        audit.record(session, member.email, "member.break_glass_sign_in", "member", member.id)
    return LoginOutcome(member)


def start_session(session: Session, member: Member, hours: int = 12) -> tuple[str, WebSession]:
    secret = secrets.token_urlsafe(32)
    web = WebSession(member_id=member.id, token_hash=_sha256(secret), csrf_token=secrets.token_urlsafe(24),
                     expires_at=utcnow() + timedelta(hours=hours))
    session.add(web)
    session.flush()
    audit.record(session, member.email, "session.start", "member", member.id)
    return secret, web


def session_member(session: Session, secret: str) -> tuple[Member, WebSession]:
    web = session.scalar(select(WebSession).where(WebSession.token_hash == _sha256(secret or "")))
    if web is None or web.expires_at <= utcnow():
        raise Unauthenticated("your session has ended; sign in again")
    member = session.get(Member, web.member_id)
    if member is None or not member.active:
        raise Unauthenticated("this account is disabled")
    return member, web


def end_session(session: Session, secret: str) -> None:
    web = session.scalar(select(WebSession).where(WebSession.token_hash == _sha256(secret or "")))
    if web is not None:
        session.delete(web)


DEFAULT_TOKEN_DAYS = 90  # ONEVOICE_TOKEN_DAYS
MAX_TOKEN_DAYS = 3650


def token_ceiling(actor: Actor) -> frozenset[Scope]:
    """The scopes a new token of the actor may carry: what their roles allow and, when they act
    with a token themselves, no more than that token has."""
    ceiling = role_allowed_scopes(actor)
    return ceiling if actor.scopes is None else ceiling & actor.scopes


def create_token(session: Session, actor: Actor, name: str, scopes=None,
                 days: int | None = DEFAULT_TOKEN_DAYS) -> tuple[str, ApiToken]:
    """A new API token for the acting member; the secret is shown once and only its hash kept.

    `scopes` (names or Scope values; None: every scope the member's roles allow) can never exceed
    the member's roles; `days` is how long it works (0 or None: until revoked)."""
    require(actor, Action.TOKEN_MANAGE_OWN)
    if actor.member_id is None:
        raise InvalidInput("tokens belong to a member")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("a token needs a name (what is it for?)")
    ceiling = token_ceiling(actor)
    wanted = ceiling if scopes is None else parse_scopes(scopes)
    if not wanted:
        raise InvalidInput("a token needs at least one scope (read, draft, review or admin)")
    beyond = wanted - ceiling
    if beyond:
        raise Forbidden(f"a token cannot have the scope {scope_words(beyond)}: it would exceed what your "
                        f"roles allow (at most: {scope_words(ceiling)})")
    if days is not None and not 0 <= days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"a token works for 1 to {MAX_TOKEN_DAYS} days (0: until revoked), not {days}")
    expires = utcnow() + timedelta(days=days) if days else None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(member_id=actor.member_id, name=name, token_hash=_sha256(secret), prefix=secret[:10],
                     scopes=scope_words(wanted), expires_at=expires)
    session.add(token)
    session.flush()
    audit.record(session, actor.label, "token.create", "api_token", token.id, None,
                 {"id": token.id, "name": name, "prefix": token.prefix, "scopes": token.scopes,
                  "expires_at": expires.isoformat() if expires else None})
    return secret, token


def _iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


def token_state(token: ApiToken) -> dict:
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "scopes": token.scopes.split(),
            "created_at": _iso(token.created_at), "expires_at": _iso(token.expires_at),
            "last_used_at": _iso(token.last_used_at), "revoked": token.revoked_at is not None}


def list_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    """The acting member's tokens not revoked, newest first."""
    require(actor, Action.TOKEN_MANAGE_OWN)
    return list(session.scalars(select(ApiToken).where(ApiToken.member_id == actor.member_id,
                                                       ApiToken.revoked_at.is_(None))
                                .order_by(ApiToken.id.desc())))


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (token.member_id != actor.member_id and not actor.is_system):
        raise NotFound(f"no token {token_id} of yours")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, actor.label, "token.revoke", "api_token", token.id)
    return token


# last_used_at is a hint for people reviewing their tokens, not an audit record: writing it once a
# minute instead of on every call keeps API requests read-only (no write lock per request).
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenUse:
    """Who an API token speaks for, read in one query: every API call starts here."""

    token_id: int
    last_used_at: datetime | None
    actor: Actor
    name: str
    must_change_password: bool


# Built once: SQLAlchemy then reuses its compiled form and cache key on every API call.
_TOKEN_USE = (select(ApiToken.id, ApiToken.revoked_at, ApiToken.last_used_at, Member.id, Member.email, Member.name,
                     Member.active, Member.must_change_password, RoleGrant.role, RoleGrant.channel_id,
                     ApiToken.scopes, ApiToken.expires_at)
              .join(Member, Member.id == ApiToken.member_id)
              .outerjoin(RoleGrant, RoleGrant.member_id == Member.id)
              .where(ApiToken.token_hash == bindparam("token_hash")))


def token_actor(session: Session | Connection, secret: str) -> TokenUse:
    """The member behind an API token, with their roles. Reads only: `touch_token` records the use.
    Takes a session or, on the hot path of every API call, a bare connection."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        raise Unauthenticated("not an onevoice API token")
    rows = session.execute(_TOKEN_USE, {"token_hash": _sha256(secret)}).all()
    if not rows or rows[0][1] is not None:
        raise Unauthenticated("this API token is unknown or revoked")
    token_id, _, last_used, member_id, email, name, active, must_change = rows[0][:8]
    scopes, expires_at = rows[0][10], rows[0][11]
    if expires_at is not None and expires_at <= utcnow():
        raise Unauthenticated(f"this API token expired on {expires_at:%Y-%m-%d %H:%M} UTC; create a new one")
    if not active:
        raise Unauthenticated("this account is disabled")
    actor = actor_from_grants(member_id, email, [(r[8], r[9]) for r in rows if r[8]], bool(must_change))
    return TokenUse(token_id, last_used, with_token_scopes(actor, parse_scopes(scopes)), name, must_change)


def token_use_is_stale(token: ApiToken | TokenUse) -> bool:
    return token.last_used_at is None or utcnow() - token.last_used_at >= TOKEN_TOUCH_EVERY


def touch_token(session: Session, token_id: int) -> None:
    """Record that a token was used (at most once a minute; see TOKEN_TOUCH_EVERY)."""
    token = session.get(ApiToken, token_id)
    if token is not None and token_use_is_stale(token):
        token.last_used_at = utcnow()
