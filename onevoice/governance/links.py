"""One-time links sent by e-mail: an invitation to set a first password, and a password reset.

A link carries a random secret; only its SHA-256 is stored (MemberLink.token_hash), so a copy of
the database opens no account. A link works once and only before it expires: an invitation for
7 days, a reset for 1 hour. Sending a new link of the same kind withdraws the member's earlier
ones, so only the latest e-mail works. Using a link sets the member's own password and ends every
sign-in they had: whoever held the old password (or a forgotten session) is out.

"Forgot password?" answers the same whether the e-mail belongs to a member or not, and sends at
most RESETS_PER_HOUR links to one member an hour, so the form can neither tell who has an account
nor flood someone's mailbox. The e-mails go through the notification outbox (onevoice.notify) in
the caller's transaction: the link and its e-mail commit together or not at all.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, InvalidInput
from onevoice.notify import outbox
from onevoice.store.models import Channel, Member, MemberLink, utcnow

from . import members
from .passwords import check_new_password, hash_password
from .permissions import ROLE_TITLES, Action, Actor, Role, require

INVITE = "invite"
RESET = "reset"
PURPOSES = (INVITE, RESET)
LIFETIME = {INVITE: timedelta(days=7), RESET: timedelta(hours=1)}
PATHS = {INVITE: "/invite/", RESET: "/reset/"}
RESETS_PER_HOUR = 3
# One message for every link that cannot be used, so the page tells nothing about which links exist.
UNUSABLE = "This link has expired or was already used. Ask for a new one."


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def link_url(base_url: str, purpose: str, secret: str) -> str:
    return base_url.rstrip("/") + PATHS[purpose] + secret


def issue(session: Session, member: Member, purpose: str, now: datetime | None = None) -> str:
    """A new link of this kind for the member (the secret, to put in the e-mail); their earlier
    unused links of the same kind stop working."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    now = now or utcnow()
    _withdraw(session, member.id, purpose, now)
    secret = secrets.token_urlsafe(32)
    session.add(MemberLink(member_id=member.id, purpose=purpose, token_hash=_sha256(secret), created_at=now,
                           expires_at=now + LIFETIME[purpose]))
    session.flush()
    return secret


def _withdraw(session: Session, member_id: int, purpose: str | None, now: datetime) -> None:
    q = update(MemberLink).where(MemberLink.member_id == member_id, MemberLink.used_at.is_(None))
    if purpose is not None:
        q = q.where(MemberLink.purpose == purpose)
    session.execute(q.values(used_at=now).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class Usable:
    """A link that may be used now, and whose it is."""

    link: MemberLink
    member: Member


def check(session: Session, secret: str, purpose: str, now: datetime | None = None) -> Usable:
    """The link behind this secret if it is of this kind, unused, unexpired and its member active;
    otherwise InvalidInput(UNUSABLE)."""
    now = now or utcnow()
    link = session.scalar(select(MemberLink).where(MemberLink.token_hash == _sha256(secret or "")))
    member = session.get(Member, link.member_id) if link is not None else None
    if (link is None or member is None or link.purpose != purpose or link.used_at is not None
            or link.expires_at <= now or not member.active):
        raise InvalidInput(UNUSABLE)
    return Usable(link, member)


def set_password(session: Session, secret: str, purpose: str, new: str, repeat: str | None = None,
                 now: datetime | None = None) -> Member:
    """Use a link: the member's password becomes `new`, the link (and any other unused link of
    theirs) is spent, and every web session and API token of theirs ends. The caller then signs
    this browser in."""
    now = now or utcnow()
    usable = check(session, secret, purpose, now)
    member = usable.member
    if repeat is not None and new != repeat:
        raise InvalidInput("the two passwords differ")
    check_new_password(new or "", member.email)
    before = members.member_state(member)
    member.password_hash = hash_password(new)
    member.must_change_password = False
    member.failed_logins = 0
    member.locked_until = None
    usable.link.used_at = now
    _withdraw(session, member.id, None, now)
    ended = members.end_sign_ins(session, member)
    action = "member.invite_accept" if purpose == INVITE else "member.password_reset_by_link"
    audit.record(session, member.email, action, "member", member.id, before, members.member_state(member),
                 {"link_id": usable.link.id, **ended.detail()})
    return member


# --- invitations ------------------------------------------------------------------------------


def _role_words(role: str | None, channel: Channel | None) -> str:
    if not role:
        return ""
    if channel is not None:
        return f"an authorized member of {members.channel_words(channel)}"
    return ROLE_TITLES[Role(role)].lower() if role in {r.value for r in Role} else role


def _invitation_mail(session: Session, member: Member, secret: str, base_url: str, inviter: str,
                     role_words: str) -> None:
    days = LIFETIME[INVITE].days
    body = (f"Hello {member.name},\n\n"
            f"{inviter} invites you to onevoice, where IPALA's official social media posts are written, "
            "screened against the social media policy and approved by the Communications & Technical "
            "Standing Committee.\n"
            + (f"You will be {role_words}.\n" if role_words else "")
            + f"\nChoose your password here (the link works once, for {days} days):\n"
            f"{link_url(base_url, INVITE, secret)}\n\n"
            "If you did not expect this e-mail, ignore it: nothing happens until the link is used.\n")
    outbox.enqueue(session, "email", member.email, "[onevoice] You are invited to onevoice", body,
                   related=("member", member.id))


def invite(session: Session, actor: Actor, email: str, name: str, base_url: str, role: str | None = None,
           channel: Channel | None = None) -> Member:
    """Add a member without a password and e-mail them a one-time link to choose one. The role
    (and, for "authorized", its channel) is granted at once; the account has no password, so
    nobody can sign in to it until the link is used."""
    require(actor, Action.MEMBER_ADD)
    if role:
        require(actor, Action.ROLE_GRANT)
    member, _ = members.add_member(session, actor, email, name, password=None, without_password=True)
    if role:
        members.grant_role(session, actor, member.id, role, channel)
    secret = issue(session, member, INVITE)
    _invitation_mail(session, member, secret, base_url, _inviter(session, actor), _role_words(role, channel))
    audit.record(session, actor.label, "member.invite", "member", member.id, None, members.member_state(member),
                 {"expires_in_days": LIFETIME[INVITE].days})
    return member


def _inviter(session: Session, actor: Actor) -> str:
    who = session.get(Member, actor.member_id) if actor.member_id else None
    return who.name if who else "The onevoice administrator"


def pending(member: Member) -> bool:
    """Invited and not yet accepted: the account has no password of its own yet."""
    return member.active and not member.password_hash


def resend_invitation(session: Session, actor: Actor, member_ref: int | str, base_url: str) -> Member:
    """A new invitation e-mail (the earlier link stops working), for a member who has not accepted."""
    require(actor, Action.MEMBER_ADD)
    member = members.get_member(session, member_ref)
    if not pending(member):
        raise Conflict(f"{member.name} has already chosen a password" if member.active
                       else f"{member.name} is deactivated; reactivate them first")
    secret = issue(session, member, INVITE)
    _invitation_mail(session, member, secret, base_url, _inviter(session, actor), "")
    audit.record(session, actor.label, "member.invite_resend", "member", member.id,
                 detail={"expires_in_days": LIFETIME[INVITE].days})
    return member


# --- password resets --------------------------------------------------------------------------


def _reset_mail(session: Session, member: Member, secret: str, base_url: str, by_admin: bool) -> None:
    minutes = int(LIFETIME[RESET].total_seconds() // 60)
    why = ("An administrator asked onevoice to send you a link to choose a new password."
           if by_admin else "Someone (you, we hope) asked to reset your onevoice password.")
    body = (f"Hello {member.name},\n\n{why}\n\n"
            f"Choose a new password here (the link works once, for {minutes} minutes):\n"
            f"{link_url(base_url, RESET, secret)}\n\n"
            "Choosing a new password signs you out everywhere else. If you did not ask for this, ignore this "
            "e-mail: your password stays as it is.\n")
    outbox.enqueue(session, "email", member.email, "[onevoice] Choose a new password", body,
                   related=("member", member.id))


def request_reset(session: Session, email: str, base_url: str, now: datetime | None = None) -> None:
    """"Forgot password?": e-mail a reset link if the address is an active member's and they had
    fewer than RESETS_PER_HOUR links in the last hour. Returns nothing either way: the page says
    the same to everyone."""
    now = now or utcnow()
    member = session.scalar(select(Member).where(Member.email == (email or "").strip().lower()))
    if member is None or not member.active:
        return
    recent = session.scalar(select(func.count(MemberLink.id)).where(
        MemberLink.member_id == member.id, MemberLink.purpose == RESET,
        MemberLink.created_at > now - timedelta(hours=1))) or 0
    if recent >= RESETS_PER_HOUR:
        audit.record(session, member.email, "member.password_reset_throttled", "member", member.id,
                     detail={"links_last_hour": recent})
        return
    secret = issue(session, member, RESET, now)
    _reset_mail(session, member, secret, base_url, by_admin=False)
    audit.record(session, member.email, "member.password_reset_requested", "member", member.id,
                 detail={"expires_in_minutes": int(LIFETIME[RESET].total_seconds() // 60)})


def send_reset(session: Session, actor: Actor, member_ref: int | str, base_url: str) -> Member:
    """An administrator e-mails a member a reset link. The member's password and sign-ins stay
    until the link is used."""
    require(actor, Action.MEMBER_PASSWORD_RESET)
    member = members.get_member(session, member_ref)
    if actor.member_id == member.id:
        raise InvalidInput("change your own password on your account page instead")
    if not member.active:
        raise Conflict(f"{member.name} is deactivated; reactivate them first")
    if pending(member):
        raise Conflict(f"{member.name} has not accepted the invitation yet; resend it instead")
    secret = issue(session, member, RESET)
    _reset_mail(session, member, secret, base_url, by_admin=True)
    audit.record(session, actor.label, "member.password_reset_link", "member", member.id,
                 detail={"expires_in_minutes": int(LIFETIME[RESET].total_seconds() // 60)})
    return member
