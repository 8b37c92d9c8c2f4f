"""Members and their roles. Every change is audited in the caller's transaction."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, InvalidInput, NotFound
from onevoice.store.models import Channel, Member, RoleGrant

from .passwords import hash_password
from .permissions import Action, Actor, Role, effective_roles, require

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def member_state(m: Member) -> dict:
    """What the audit log digests about a member (never the password hash itself)."""
    return {"id": m.id, "email": m.email, "name": m.name, "active": m.active,
            "roles": sorted(f"{g.role}:{g.channel_id or ''}" for g in m.roles),
            "password_set": bool(m.password_hash), "employer_pack": m.employer_pack}


def actor_for(member: Member) -> Actor:
    return actor_from_grants(member.id, member.email, [(g.role, g.channel_id) for g in member.roles])


def actor_from_grants(member_id: int, email: str, grants: list[tuple[str, int | None]]) -> Actor:
    granted = {Role(role) for role, _ in grants}
    channels = frozenset(ch for role, ch in grants if role == Role.AUTHORIZED.value and ch)
    return Actor(member_id=member_id, label=email, roles=effective_roles(granted), channels=channels)


def get_member(session: Session, ref: int | str) -> Member:
    """A member by id or e-mail."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        member = session.get(Member, int(ref))
    else:
        member = session.scalar(select(Member).where(Member.email == ref.strip().lower()))
    if member is None:
        raise NotFound(f"no member {ref!r}")
    return member


def add_member(session: Session, actor: Actor, email: str, name: str, password: str | None = None,
               roles: tuple[str, ...] = ()) -> tuple[Member, str | None]:
    """Add a member. Without a password a one-time password is generated and returned
    (the member must change it at first sign-in)."""
    require(actor, Action.MEMBER_ADD)
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address")
    name = (name or "").strip()
    if not name:
        raise InvalidInput("a member needs a name")
    if session.scalar(select(Member.id).where(Member.email == email)) is not None:
        raise Conflict(f"a member with e-mail {email} already exists")
    one_time = None
    if password is None:
        one_time = secrets.token_urlsafe(12)
        password = one_time
    elif len(password) < 10:
        raise InvalidInput("a password needs at least 10 characters")
    member = Member(email=email, name=name, password_hash=hash_password(password),
                    must_change_password=one_time is not None, active=True, failed_logins=0)
    session.add(member)
    session.flush()
    for role in roles:
        _grant(session, actor, member, role, None)
    session.flush()
    audit.record(session, actor.label, "member.add", "member", member.id, None, member_state(member))
    return member, one_time


def list_members(session: Session, actor: Actor) -> list[Member]:
    require(actor, Action.MEMBER_LIST)
    return list(session.scalars(select(Member).order_by(Member.id)))


def _parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}; roles are {', '.join(r.value for r in Role)}") from None


def _grant(session: Session, actor: Actor, member: Member, role: str, channel: Channel | None) -> RoleGrant:
    parsed = _parse_role(role)
    if parsed is Role.MEMBER:
        raise InvalidInput("every account is a member; grant a more specific role")
    if (parsed is Role.AUTHORIZED) != (channel is not None):
        raise InvalidInput("the role 'authorized' needs a channel, and only it takes one")
    channel_id = channel.id if channel else None
    if any(g.role == parsed.value and g.channel_id == channel_id for g in member.roles):
        raise Conflict(f"{member.email} already holds {parsed.value}" + (f" on channel {channel_id}" if channel_id else ""))
    grant = RoleGrant(role=parsed.value, channel_id=channel_id, granted_by=actor.member_id)
    member.roles.append(grant)
    return grant


def grant_role(session: Session, actor: Actor, member_ref: int | str, role: str,
               channel: Channel | None = None) -> Member:
    require(actor, Action.ROLE_GRANT)
    member = get_member(session, member_ref)
    before = member_state(member)
    _grant(session, actor, member, role, channel)
    session.flush()
    audit.record(session, actor.label, "role.grant", "member", member.id, before, member_state(member),
                 {"role": role, "channel_id": channel.id if channel else None})
    return member


def revoke_role(session: Session, actor: Actor, member_ref: int | str, role: str,
                channel: Channel | None = None) -> Member:
    require(actor, Action.ROLE_REVOKE)
    member = get_member(session, member_ref)
    parsed = _parse_role(role)
    channel_id = channel.id if channel else None
    grant = next((g for g in member.roles if g.role == parsed.value and g.channel_id == channel_id), None)
    if grant is None:
        raise NotFound(f"{member.email} does not hold {parsed.value}" + (f" on channel {channel_id}" if channel_id else ""))
    if parsed is Role.ADMIN and actor.member_id == member.id:
        raise InvalidInput("an administrator cannot revoke their own admin role")
    before = member_state(member)
    member.roles.remove(grant)
    session.flush()
    audit.record(session, actor.label, "role.revoke", "member", member.id, before, member_state(member),
                 {"role": role, "channel_id": channel_id})
    return member


def holders(session: Session, role: Role) -> list[Member]:
    """Active members holding a role (e.g. the chair, for escalation)."""
    return list(session.scalars(
        select(Member).join(RoleGrant, RoleGrant.member_id == Member.id)
        .where(RoleGrant.role == role.value, Member.active.is_(True)).order_by(Member.id)).unique())
