"""Policy acknowledgement (1.): before submitting a draft or a reply, a member reads the ACTIVE
policy version in full and confirms "I have read and will follow this policy". A new version
(saved or activated) asks again. Who acknowledged which version when is audited and listed for
the committee, with who has not yet."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, InvalidInput, PolicyNotAcknowledged
from onevoice.governance.permissions import Action, Actor, require
from onevoice.store.models import Member, PolicyAcknowledgement, PolicyPackVersion, utcnow

from .pack import PolicyPack, parse_pack
from .versions import active_version

CONFIRMATION = "I have read and will follow this policy"


def version_words(row: PolicyPackVersion) -> str:
    return f"{row.name} {row.version} (version {row.id})"


def clauses_of(row: PolicyPackVersion) -> PolicyPack:
    """The version's pack, for its clauses to be shown in full."""
    return parse_pack(row.source, source=f"{row.name}@{row.version}")


def acknowledged_at(session: Session, member_id: int, version_id: int) -> datetime | None:
    return session.scalar(select(PolicyAcknowledgement.acknowledged_at).where(
        PolicyAcknowledgement.member_id == member_id, PolicyAcknowledgement.policy_version_id == version_id))


def needs_acknowledgement(session: Session, actor: Actor) -> PolicyPackVersion | None:
    """The active version the member has not acknowledged yet, or None (acknowledged, no active
    version, or the installation itself acting)."""
    if actor.member_id is None:
        return None
    row = active_version(session)
    if row is None or acknowledged_at(session, actor.member_id, row.id) is not None:
        return None
    return row


def require_acknowledged(session: Session, actor: Actor) -> None:
    """Refuse a submission until the member has acknowledged the active version."""
    row = needs_acknowledgement(session, actor)
    if row is not None:
        raise PolicyNotAcknowledged(
            f"you have not yet acknowledged the active policy, {version_words(row)}: read it and confirm "
            f"\"{CONFIRMATION}\" at {PolicyNotAcknowledged.link} before you submit a draft or a reply "
            "(1.: authorized use)", row.id)


def acknowledge(session: Session, actor: Actor, version_id: int, confirmed: bool,
                now: datetime | None = None) -> PolicyAcknowledgement:
    """The member acknowledges the version they were shown, which must still be the active one."""
    require(actor, Action.POLICY_ACKNOWLEDGE)
    if actor.member_id is None:
        raise InvalidInput("policy acknowledgements belong to members; act as one")
    if not confirmed:
        raise InvalidInput(f"confirm \"{CONFIRMATION}\" to acknowledge the policy (tick the box; --yes in the CLI)")
    row = active_version(session)
    if row is None:
        raise Conflict("there is no active policy version to acknowledge")
    if row.id != version_id:
        raise Conflict(f"the policy changed while you read it: the active version is now {version_words(row)}; "
                       "read it and confirm again")
    if acknowledged_at(session, actor.member_id, row.id) is not None:
        raise Conflict(f"you have already acknowledged {version_words(row)}")
    ack = PolicyAcknowledgement(member_id=actor.member_id, policy_version_id=row.id, acknowledged_at=now or utcnow())
    session.add(ack)
    session.flush()
    audit.record(session, actor.label, "policy.acknowledge", "policy_pack", row.id, None,
                 {"member_id": actor.member_id, "version": row.version, "at": ack.acknowledged_at.isoformat()},
                 {"member_id": actor.member_id, "confirmation": CONFIRMATION})
    return ack


@dataclass(frozen=True)
class Standing:
    member_id: int
    name: str
    email: str
    acknowledged_at: datetime | None


def standings(session: Session, actor: Actor) -> tuple[PolicyPackVersion | None, list[Standing]]:
    """The active version and, for every active member, when they acknowledged it (None: not yet);
    those who have not come first."""
    require(actor, Action.MEMBER_LIST)
    row = active_version(session)
    if row is None:
        return None, []
    acks = dict(session.execute(select(PolicyAcknowledgement.member_id, PolicyAcknowledgement.acknowledged_at)
                                .where(PolicyAcknowledgement.policy_version_id == row.id)).all())
    people = session.scalars(select(Member).where(Member.active.is_(True)).order_by(Member.name, Member.id))
    rows = [Standing(m.id, m.name, m.email, acks.get(m.id)) for m in people]
    return row, sorted(rows, key=lambda r: (r.acknowledged_at is not None, r.name.lower(), r.member_id))
