"""The policy pack as the organization edits it: every saved version is kept, one is active."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import NotFound
from onevoice.governance.permissions import Action, Actor, require
from onevoice.store.models import PolicyPackVersion

from .pack import PolicyPackError, parse_pack


def versions(session: Session) -> list[PolicyPackVersion]:
    return list(session.scalars(select(PolicyPackVersion).order_by(PolicyPackVersion.id.desc())))


def active_version(session: Session) -> PolicyPackVersion | None:
    return session.scalar(select(PolicyPackVersion).where(PolicyPackVersion.active.is_(True)))


def save_version(session: Session, actor: Actor, source: str) -> PolicyPackVersion:
    """Validate and store an edited pack as the new active version (a bad pack changes nothing)."""
    require(actor, Action.POLICY_EDIT)
    try:
        pack = parse_pack(source, source="edited pack")
    except PolicyPackError as exc:
        from onevoice.errors import InvalidInput

        raise InvalidInput(str(exc)) from None
    for old in session.scalars(select(PolicyPackVersion).where(PolicyPackVersion.active.is_(True))):
        old.active = False
    session.flush()
    row = PolicyPackVersion(name=pack.name, version=pack.version, source=source, active=True,
                            created_by=actor.member_id)
    session.add(row)
    session.flush()
    audit.record(session, actor.label, "policy.save", "policy_pack", row.id, None,
                 {"name": pack.name, "version": pack.version, "rules": len(pack.rules)})
    return row


def activate(session: Session, actor: Actor, version_id: int) -> PolicyPackVersion:
    require(actor, Action.POLICY_EDIT)
    row = session.get(PolicyPackVersion, version_id)
    if row is None:
        raise NotFound(f"no policy version {version_id}")
    for old in session.scalars(select(PolicyPackVersion).where(PolicyPackVersion.active.is_(True))):
        old.active = False
    session.flush()
    row.active = True
    audit.record(session, actor.label, "policy.activate", "policy_pack", row.id, detail={"version": row.version})
    return row
