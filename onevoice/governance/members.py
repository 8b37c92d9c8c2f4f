"""Members, their roles and their accounts (passwords, deactivation). Every change is audited in
the caller's transaction."""
from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, Forbidden, InvalidInput, NotFound
from onevoice.store.models import ApiToken, Channel, Member, RoleGrant, WebSession, utcnow

from .passwords import check_new_password, hash_password, one_time_password, verify_password
from .permissions import Action, Actor, Role, effective_roles, require

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def member_state(m: Member) -> dict:
    """What the audit log digests about a member (never the password hash itself)."""
    return {"id": m.id, "email": m.email, "name": m.name, "active": m.active,
            "roles": sorted(f"{g.role}:{g.channel_id or ''}" for g in m.roles),
            "password_set": bool(m.password_hash), "must_change_password": bool(m.must_change_password),
            "employer_pack": m.employer_pack}


def actor_for(member: Member, signed_in: bool = False) -> Actor:
    """The member as an actor. A deactivated member may do nothing, whoever acts for them. With
    `signed_in` (the member came with their own session or token), a one-time password holds them
    to changing it; the CLI operator acting for a member is not held to that."""
    if not member.active:
        return Actor(member_id=member.id, label=member.email, roles=frozenset())
    return actor_from_grants(member.id, member.email, [(g.role, g.channel_id) for g in member.roles],
                             signed_in and bool(member.must_change_password))


def actor_from_grants(member_id: int, email: str, grants: list[tuple[str, int | None]],
                      must_change_password: bool = False) -> Actor:
    granted = {Role(role) for role, _ in grants}
    channels = frozenset(ch for role, ch in grants if role == Role.AUTHORIZED.value and ch)
    return Actor(member_id=member_id, label=email, roles=effective_roles(granted), channels=channels,
                 must_change_password=must_change_password)


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
               roles: tuple[str, ...] = (), without_password: bool = False) -> tuple[Member, str | None]:
    """Add a member. Without a password a one-time password is generated and returned
    (the member must change it at first sign-in). With `without_password` (an invitation, see
    links.invite) the account has no password at all until the member chooses one."""
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
    if without_password:
        password_hash = None
    elif password is None:
        one_time = password = one_time_password()
        password_hash = hash_password(password)
    else:
        check_new_password(password, email)
        password_hash = hash_password(password)
    member = Member(email=email, name=name, password_hash=password_hash,
                    must_change_password=one_time is not None, active=True, failed_logins=0)
    session.add(member)
    session.flush()
    for role in roles:
        _grant(session, actor, member, role, None)
    session.flush()
    audit.record(session, actor.label, "member.add", "member", member.id, None, member_state(member))
    return member, one_time


def channel_words(channel: Channel) -> str:
    """A channel as people name it: "@ipala (mastodon)"."""
    return f"@{channel.handle.lstrip('@')} ({channel.platform})"


ROLE_WORDS = {Role.COMMITTEE: "committee", Role.VICE_CHAIR: "vice-chair", Role.CHAIR: "chair", Role.ADMIN: "admin"}


def role_words(member: Member, channels: dict[int, Channel]) -> list[str]:
    """A member's roles in words ("authorized on @ipala (mastodon)", "committee"), in the order
    of the policy's roles; `channels` by id, for the channel-scoped role."""
    order = list(Role)
    words = []
    for g in sorted(member.roles, key=lambda g: (order.index(Role(g.role)), g.channel_id or 0)):
        if g.role == Role.AUTHORIZED.value:
            ch = channels.get(g.channel_id)
            words.append(f"authorized on {channel_words(ch)}" if ch else f"authorized on channel {g.channel_id}")
        else:
            words.append(ROLE_WORDS.get(Role(g.role), g.role))
    return words


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
    from .authorizations import default_end

    grant = RoleGrant(role=parsed.value, channel_id=channel_id, granted_by=actor.member_id,
                      expires_at=default_end(session) if parsed is Role.AUTHORIZED else None)
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
    if parsed is Role.ADMIN:
        _keep_an_active_admin(session, member)
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


# --- accounts: passwords and deactivation ---------------------------------------------------


@dataclass(frozen=True)
class Ended:
    """The sign-ins a change ended: web sessions deleted, API tokens revoked."""

    sessions: int
    tokens: int

    def detail(self) -> dict:
        return {"sessions_ended": self.sessions, "tokens_revoked": self.tokens}


def end_sign_ins(session: Session, member: Member, keep_session: int | None = None,
                 keep_token: int | None = None) -> Ended:
    """End a member's web sessions and revoke their API tokens, except the one sign-in named."""
    sessions = delete(WebSession).where(WebSession.member_id == member.id)
    if keep_session is not None:
        sessions = sessions.where(WebSession.id != keep_session)
    tokens = (update(ApiToken).where(ApiToken.member_id == member.id, ApiToken.revoked_at.is_(None))
              .values(revoked_at=utcnow()))
    if keep_token is not None:
        tokens = tokens.where(ApiToken.id != keep_token)
    session.flush()
    return Ended(session.execute(sessions).rowcount, session.execute(tokens).rowcount)


def change_password(session: Session, actor: Actor, current: str, new: str, keep_session: int | None = None,
                    keep_token: int | None = None) -> Member:
    """A member changes their own password, proving it with the current one. Every other sign-in
    ends, API tokens included: whoever learnt the old password could have made tokens with it.
    The session or token making the change (`keep_session`, `keep_token`) stays."""
    require(actor, Action.PASSWORD_CHANGE_OWN)
    if actor.member_id is None:
        raise InvalidInput("the operator has no password; reset a member's with `member reset-password`")
    member = get_member(session, actor.member_id)
    if not verify_password(member.password_hash, current or ""):
        raise Forbidden("the current password is wrong")
    check_new_password(new or "", member.email, current)
    before = member_state(member)
    member.password_hash = hash_password(new)
    member.must_change_password = False
    ended = end_sign_ins(session, member, keep_session, keep_token)
    audit.record(session, actor.label, "member.password_change", "member", member.id, before, member_state(member),
                 ended.detail())
    return member


def reset_password(session: Session, actor: Actor, member_ref: int | str) -> tuple[Member, str]:
    """An administrator gives a member a new one-time password (shown once). The member's
    sessions and tokens end, and at the next sign-in they must choose their own password."""
    require(actor, Action.MEMBER_PASSWORD_RESET)
    member = get_member(session, member_ref)
    if actor.member_id == member.id:
        raise InvalidInput("change your own password instead of resetting it")
    before = member_state(member)
    one_time = one_time_password()
    member.password_hash = hash_password(one_time)
    member.must_change_password = True
    ended = end_sign_ins(session, member)
    audit.record(session, actor.label, "member.password_reset", "member", member.id, before, member_state(member),
                 ended.detail())
    return member, one_time


def deactivate_member(session: Session, actor: Actor, member_ref: int | str) -> Member:
    """Someone leaves: they can no longer sign in, every session and token of theirs stops at
    once, and nobody acting for them can post or approve. Their drafts and reviews stay on record."""
    require(actor, Action.MEMBER_DEACTIVATE)
    member = get_member(session, member_ref)
    if actor.member_id == member.id:
        raise InvalidInput("an administrator cannot deactivate their own account")
    if not member.active:
        raise Conflict(f"{member.email} is already deactivated")
    _keep_an_active_admin(session, member)
    before = member_state(member)
    member.active = False
    ended = end_sign_ins(session, member)
    audit.record(session, actor.label, "member.deactivate", "member", member.id, before, member_state(member),
                 ended.detail())
    return member


def reactivate_member(session: Session, actor: Actor, member_ref: int | str) -> Member:
    """Give a deactivated member their account back, with the roles they held (no old sign-in
    comes back: deactivation ended them all)."""
    require(actor, Action.MEMBER_DEACTIVATE)
    member = get_member(session, member_ref)
    if member.active:
        raise Conflict(f"{member.email} is active")
    before = member_state(member)
    member.active = True
    audit.record(session, actor.label, "member.reactivate", "member", member.id, before, member_state(member))
    return member


def set_timezone(session: Session, actor: Actor, zone: str) -> Member:
    """A member chooses the time zone every page shows dates in (an IANA name, e.g. Europe/Lisbon;
    empty: back to UTC). Their own account only."""
    # a member's own account settings: whoever may change their own password may set these
    require(actor, Action.PASSWORD_CHANGE_OWN)
    if actor.member_id is None:
        raise InvalidInput("the operator has no account page; time zones belong to members")
    zone = (zone or "").strip()
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"{zone!r} is not a time zone; pick one from the list (e.g. Europe/Lisbon)") from None
        if zone not in available_timezones():
            raise InvalidInput(f"{zone!r} is not a time zone; pick one from the list (e.g. Europe/Lisbon)")
    member = get_member(session, actor.member_id)
    before = member.timezone
    member.timezone = zone or None
    audit.record(session, actor.label, "member.timezone", "member", member.id, {"timezone": before},
                 {"timezone": member.timezone})
    return member


def _keep_an_active_admin(session: Session, leaving: Member) -> None:
    """Refuse to take the last active administrator away: nobody could then manage members,
    channels or the policy pack from the web or the API.

    The active admins' rows are locked (PostgreSQL; SQLite's writers queue anyway), so two admins
    deactivating each other at the same time cannot both succeed."""
    if not leaving.active or not any(g.role == Role.ADMIN.value for g in leaving.roles):
        return
    admins = (select(Member.id).where(Member.active.is_(True), Member.id.in_(
        select(RoleGrant.member_id).where(RoleGrant.role == Role.ADMIN.value))).order_by(Member.id).with_for_update())
    if not [mid for mid in session.scalars(admins) if mid != leaving.id]:
        raise Conflict(f"{leaving.email} is the last active administrator; make someone else an admin first")
