"""Authorizations that end (1.: only authorized members use a channel, and the committee decides
who stays authorized): a per-channel authorization gets an end date when it is granted
(ONEVOICE_AUTHORIZATION_MONTHS, 12 by default; 0: none). Fourteen days before it, the member and
the committee are reminded once through the notification outbox; after it, the member can no
longer submit drafts or replies to that channel (drafts already approved still go out: the
publishing path never looks at the end date). An administrator renews it by setting a new end date.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import AuthorizationExpired, InvalidInput, NotFound
from onevoice.store.models import Channel, Member, RoleGrant, utcnow

from .members import channel_words, get_member, holders
from .permissions import Action, Actor, Role, require

AUTHORIZATION_MONTHS = "authorization_months"  # the session.info entry (set by System from the settings)
DEFAULT_MONTHS = 12
REMIND_DAYS = 14    # the reminder goes out this long before the end
EXPIRING_DAYS = 30  # what the committee's list shows
REMINDER_ACTION = "authorization.reminder"


def add_months(when: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it is shorter: 31 Jan + 1 = 28/29 Feb)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    return when.replace(year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1]))


def default_end(session: Session, now: datetime | None = None) -> datetime | None:
    """When an authorization granted now ends, by the installation's setting; None: it does not."""
    months = session.info.get(AUTHORIZATION_MONTHS, DEFAULT_MONTHS)
    return add_months(now or utcnow(), months) if months else None


def _aware(when: datetime | None) -> datetime | None:
    return when if when is None or when.tzinfo else when.replace(tzinfo=timezone.utc)


def renewers(session: Session) -> str:
    """Who renews an authorization, by name: the administrators (and the chair, who is told)."""
    admins = [m.name for m in holders(session, Role.ADMIN)]
    chair = [m.name for m in holders(session, Role.CHAIR)]
    who = f"an administrator ({', '.join(admins)})" if admins else "an administrator"
    return who + (f"; the committee chair ({', '.join(chair)}) can ask for it" if chair else "")


def _grant_of(member: Member, channel_id: int) -> RoleGrant | None:
    return next((g for g in member.roles if g.role == Role.AUTHORIZED.value and g.channel_id == channel_id), None)


def check_current(session: Session, actor: Actor, channel_id: int, now: datetime | None = None) -> None:
    """Refuse a submission to a channel whose authorization has ended, saying when and who renews it."""
    if actor.member_id is None:
        return
    member = session.get(Member, actor.member_id)
    grant = _grant_of(member, channel_id) if member is not None else None
    ends = _aware(grant.expires_at) if grant is not None else None
    if ends is None or ends > (now or utcnow()):
        return
    channel = session.get(Channel, channel_id)
    raise AuthorizationExpired(
        f"your authorization on {channel_words(channel)} ended on {ends:%Y-%m-%d}, so you cannot submit to it: "
        f"{renewers(session)} renews it (1.: only authorized members use the channel)")


@dataclass(frozen=True)
class Expiring:
    grant_id: int
    member_id: int
    member: str
    email: str
    channel_id: int
    channel: str
    ends: datetime
    expired: bool
    reminded: bool


def expiring(session: Session, actor: Actor, within_days: int = EXPIRING_DAYS,
             now: datetime | None = None) -> list[Expiring]:
    """The authorizations ending within `within_days` (and those already ended), soonest first."""
    require(actor, Action.MEMBER_LIST)
    now = now or utcnow()
    rows = session.execute(
        select(RoleGrant, Member, Channel).join(Member, Member.id == RoleGrant.member_id)
        .join(Channel, Channel.id == RoleGrant.channel_id)
        .where(RoleGrant.role == Role.AUTHORIZED.value, RoleGrant.expires_at.is_not(None),
               RoleGrant.expires_at <= now + timedelta(days=within_days), Member.active.is_(True))
        .order_by(RoleGrant.expires_at, RoleGrant.id)).all()
    return [Expiring(g.id, m.id, m.name, m.email, c.id, channel_words(c), _aware(g.expires_at),
                     _aware(g.expires_at) <= now, g.reminded_at is not None) for g, m, c in rows]


def renew(session: Session, actor: Actor, member_ref: int | str, channel: Channel, ends: datetime | None,
          now: datetime | None = None) -> RoleGrant:
    """Set a new end date on a member's authorization (None: it no longer ends). Audited; the
    reminder is sent again before the new date."""
    require(actor, Action.AUTHORIZATION_RENEW)
    member = get_member(session, member_ref)
    grant = _grant_of(member, channel.id)
    if grant is None:
        raise NotFound(f"{member.email} is not authorized on {channel_words(channel)}")
    if ends is not None:
        if ends.tzinfo is None:
            raise InvalidInput("the end date must carry its time zone")
        if ends <= (now or utcnow()):
            raise InvalidInput("the new end date must be in the future")
    before = {"expires_at": _iso(grant.expires_at)}
    grant.expires_at, grant.reminded_at = ends, None
    session.flush()
    audit.record(session, actor.label, "authorization.renew", "member", member.id, before,
                 {"expires_at": _iso(ends)}, {"channel_id": channel.id})
    return grant


def _iso(when: datetime | None) -> str | None:
    return _aware(when).isoformat() if when else None


def send_reminders(db, base_url: str = "", now: datetime | None = None) -> int:
    """The periodic job: for each authorization ending within REMIND_DAYS and not yet reminded for
    that end date, one e-mail to the member and one to each committee member, marked sent in the
    same transaction (run it twice, or on two workers: each grant is reminded once). Returns how
    many grants were reminded."""
    from onevoice import notify

    now = now or utcnow()
    done = 0
    with db.transaction() as s:
        due = list(s.scalars(
            select(RoleGrant).join(Member, Member.id == RoleGrant.member_id)
            .where(RoleGrant.role == Role.AUTHORIZED.value, RoleGrant.expires_at.is_not(None),
                   RoleGrant.expires_at > now, RoleGrant.expires_at <= now + timedelta(days=REMIND_DAYS),
                   RoleGrant.reminded_at.is_(None), Member.active.is_(True))
            .order_by(RoleGrant.id).with_for_update()))
        if not due:
            return 0
        committee = sorted({m.email for role in (Role.CHAIR, Role.VICE_CHAIR, Role.COMMITTEE) for m in holders(s, role)})
        link = f"{base_url.rstrip('/')}/committee/authorizations"
        for grant in due:
            member, channel = grant.member, s.get(Channel, grant.channel_id)
            ends = _aware(grant.expires_at)
            where = channel_words(channel)
            subject = f"[onevoice] Authorization on {where} ends on {ends:%Y-%m-%d}"
            body = (f"{member.name}'s authorization on {where} ends on {ends:%Y-%m-%d %H:%M} UTC.\n"
                    f"After it, they cannot submit drafts or replies to the channel. {renewers(s)} renews it "
                    f"(a new end date) at {link}.\n— onevoice, for 1. Authorized use of the social media policy")
            for email in [member.email, *[e for e in committee if e != member.email]]:
                notify.enqueue(s, "email", email, subject, body, related=("member", member.id), now=now)
            grant.reminded_at = now
            audit.record(s, "scheduler", REMINDER_ACTION, "member", member.id,
                         detail={"channel_id": channel.id, "expires_at": ends.isoformat(),
                                 "recipients": 1 + len([e for e in committee if e != member.email])})
            done += 1
    return done
