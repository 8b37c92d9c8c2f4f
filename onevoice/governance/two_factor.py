"""Two-factor sign-in: a time-based one-time code (TOTP, RFC 6238) after the password.

A member sets it up from their account page: a secret (shown as text and as an otpauth:// address
for an authenticator app), active once confirmed with a first code. They then get ten one-time
recovery codes, shown once and stored hashed like passwords, for when the phone is gone. At
sign-in a code of the current 30-second step or the one before or after is accepted, but never a
step already used (`totp_last_step`), so a code seen over a shoulder cannot be used again. Wrong
codes are counted with wrong passwords and make the next attempt wait the same way
(auth.LoginPolicy, ONEVOICE_LOGIN_MAX_FAILURES / _LOCKOUT_SECONDS).

The admin can require two-factor sign-in of the committee, chair and admin roles (an organization
setting in the database, audited). Such a member who has not set it up may, once signed in with
their password, do nothing but set it up. API tokens keep working: they are credentials of their
own, made by a member who was signed in, and can be limited by scope and expiry.

The secret is sealed with the installation's credential box (like channel credentials).
"""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from onevoice.store.models import Member, OrgSetting, RecoveryCode, WebSession, utcnow

from .auth import LoginPolicy, count_failure, waiting
from .channels import CredentialBox
from .members import get_member
from .permissions import TWO_FACTOR_ROLES, Action, Actor, Role, effective_roles, require

ISSUER = "onevoice"
REQUIRED = "two_factor_required"  # the OrgSetting key: "1" or "0"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 10  # about 49 bits; shown as two groups of five
# Recovery codes are hashed with Argon2id like passwords, with a lighter cost: they are random
# (about 49 bits, where a password may be guessable) and up to ten are checked per attempt.
_codes_hasher = PasswordHasher(time_cost=1, memory_cost=16 * 1024, parallelism=1)
CODE_REFUSED = "that code is not right (or was already used); try the next one"


def clock() -> datetime:
    """Now; tests move it to reach the next 30-second step."""
    return utcnow()


# --- the organization's setting -----------------------------------------------------------------


def is_required(session: Session) -> bool:
    return session.scalar(select(OrgSetting.value).where(OrgSetting.key == REQUIRED)) == "1"


def set_required(session: Session, actor: Actor, required: bool) -> bool:
    """Require (or stop requiring) two-factor sign-in of the committee, chair and admin roles."""
    require(actor, Action.TWO_FACTOR_REQUIRE)
    row = session.get(OrgSetting, REQUIRED)
    before = row is not None and row.value == "1"
    if row is None:
        row = OrgSetting(key=REQUIRED, value="0")
        session.add(row)
    row.value, row.updated_at, row.updated_by = ("1" if required else "0"), utcnow(), actor.member_id
    session.flush()
    audit.record(session, actor.label, "settings.two_factor_required", "org_setting", REQUIRED,
                 {REQUIRED: before}, {REQUIRED: bool(required)})
    return bool(required)


def role_requires(member: Member) -> bool:
    """Whether the member holds a role two-factor sign-in can be required for."""
    return bool(effective_roles({Role(g.role) for g in member.roles}) & TWO_FACTOR_ROLES)


def required_for(session: Session, member: Member) -> bool:
    return role_requires(member) and is_required(session)


def must_enrol(session: Session, member: Member) -> bool:
    """Required of this member and not set up yet: signed in, they may only set it up."""
    return member.totp_enabled_at is None and required_for(session, member)


# --- setting it up ------------------------------------------------------------------------------


def enabled(member: Member) -> bool:
    return member.totp_enabled_at is not None


def _secret(member: Member, box: CredentialBox) -> str | None:
    return box.open(member.totp_secret).get("totp") if member.totp_secret else None


def otpauth_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def pending(member: Member, box: CredentialBox) -> tuple[str, str] | None:
    """The secret being set up and its otpauth:// address, until confirmed."""
    secret = None if enabled(member) else _secret(member, box)
    return (secret, otpauth_uri(secret, member.email)) if secret else None


def _me(session: Session, actor: Actor) -> Member:
    require(actor, Action.TWO_FACTOR_OWN)
    if actor.member_id is None:
        raise InvalidInput("two-factor sign-in belongs to a member")
    return get_member(session, actor.member_id)


def begin(session: Session, actor: Actor, box: CredentialBox) -> tuple[str, str]:
    """A new secret for the acting member (replacing one not yet confirmed): (secret, otpauth URI)."""
    member = _me(session, actor)
    if enabled(member):
        raise Conflict("two-factor sign-in is already on; turn it off first to set up another app")
    secret = pyotp.random_base32()
    member.totp_secret = box.seal({"totp": secret})
    member.totp_last_step = None
    audit.record(session, actor.label, "member.two_factor_begin", "member", member.id)
    return secret, otpauth_uri(secret, member.email)


def _new_recovery_codes(session: Session, member: Member) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(member_id=member.id, code_hash=_codes_hasher.hash(c)) for c in codes)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def confirm(session: Session, actor: Actor, box: CredentialBox, code: str) -> list[str]:
    """Turn two-factor sign-in on with a first code from the app; the recovery codes, shown once."""
    member = _me(session, actor)
    if enabled(member):
        raise Conflict("two-factor sign-in is already on")
    if pending(member, box) is None:
        raise InvalidInput("start setting up two-factor sign-in first")
    if not _totp_matches(member, box, code):
        raise InvalidInput("that code is not right: check the app shows onevoice and the phone's clock is right")
    member.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(session, member)
    audit.record(session, actor.label, "member.two_factor_enable", "member", member.id,
                 {"two_factor": False}, {"two_factor": True})
    return codes


def regenerate_recovery_codes(session: Session, actor: Actor) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    member = _me(session, actor)
    if not enabled(member):
        raise Conflict("two-factor sign-in is off: there are no recovery codes to replace")
    codes = _new_recovery_codes(session, member)
    audit.record(session, actor.label, "member.recovery_codes_regenerate", "member", member.id)
    return codes


def disable(session: Session, actor: Actor, box: CredentialBox, code: str) -> Member:
    """Turn two-factor sign-in off, with a current code (or a recovery code)."""
    member = _me(session, actor)
    if not enabled(member):
        raise Conflict("two-factor sign-in is already off")
    if required_for(session, member):
        raise Forbidden("your role requires two-factor sign-in, so it cannot be turned off")
    if not verify(session, member, box, code):
        raise InvalidInput(CODE_REFUSED)
    member.totp_secret = member.totp_enabled_at = member.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member.id))
    audit.record(session, actor.label, "member.two_factor_disable", "member", member.id,
                 {"two_factor": True}, {"two_factor": False})
    return member


def reset(session: Session, actor: Actor, ref: int | str) -> Member:
    """The admin turns a member's two-factor sign-in off (phone and recovery codes lost): with a
    role that requires it, they set it up again at their next sign-in. Their sessions end."""
    require(actor, Action.MEMBER_PASSWORD_RESET)
    member = get_member(session, ref)
    if not enabled(member) and member.totp_secret is None:
        raise Conflict(f"{member.email} has no two-factor sign-in to reset")
    member.totp_secret = member.totp_enabled_at = member.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.member_id == member.id))
    session.execute(delete(WebSession).where(WebSession.member_id == member.id))
    audit.record(session, actor.label, "member.two_factor_reset", "member", member.id,
                 {"two_factor": True}, {"two_factor": False})
    return member


def recovery_codes_left(session: Session, member: Member) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(RecoveryCode.member_id == member.id,
                                                             RecoveryCode.used_at.is_(None))).all())


# --- checking a code ----------------------------------------------------------------------------


def _clean(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()[:40]


def _totp_matches(member: Member, box: CredentialBox, code: str) -> bool:
    """A code of the step before, now or after, never of a step already used; records the step."""
    code, secret = _clean(code), _secret(member, box)
    if not secret or len(code) != 6 or not code.isdigit():
        return False
    totp = pyotp.TOTP(secret)
    now = totp.timecode(clock())
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode(), code.encode()):
            if member.totp_last_step is not None and step <= member.totp_last_step:
                return False  # used already (or an older one after a newer)
            member.totp_last_step = step
            return True
    return False


def _code_is(stored: str, code: str) -> bool:
    try:
        return _codes_hasher.verify(stored, code)
    except (VerificationError, InvalidHashError):
        return False


def verify(session: Session, member: Member, box: CredentialBox, code: str) -> bool:
    """A current code from the app, or an unused recovery code (then used up)."""
    if _totp_matches(member, box, code):
        return True
    cleaned = _clean(code)
    if len(cleaned) != RECOVERY_LENGTH or cleaned.isdigit():
        return False
    for row in session.scalars(select(RecoveryCode).where(RecoveryCode.member_id == member.id,
                                                          RecoveryCode.used_at.is_(None))):
        if _code_is(row.code_hash, cleaned):
            row.used_at = utcnow()
            audit.record(session, member.email, "member.recovery_code_use", "member", member.id,
                         detail={"left": recovery_codes_left(session, member) - 1})
            return True
    return False


def check_sign_in_code(session: Session, member: Member, box: CredentialBox, code: str,
                       policy: LoginPolicy = LoginPolicy()) -> Exception | None:
    """The code step of signing in, counted like the password step: None when right, else the
    error to raise once the caller has committed the count."""
    refused = Unauthenticated(CODE_REFUSED)
    if not member.active or not enabled(member) or waiting(member):
        return refused
    if not verify(session, member, box, code):
        count_failure(session, member, policy, step="code")
        return refused
    member.failed_logins = 0
    member.locked_until = None
    return None


def qr_svg_data_uri(uri: str) -> str | None:
    """The otpauth:// address as a QR code (an SVG data: URI), or None without segno."""
    try:
        import segno
    except ImportError:  # pragma: no cover - segno is a dependency; the text secret always works
        return None
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)

