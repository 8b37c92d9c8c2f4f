"""The append-only, hash-chained audit log.

Every state change records an event in the same transaction as the change itself: who (actor),
what (action), on which object, when, and SHA-256 digests of the object before and after. Each
event's hash covers its own fields and the previous event's hash, so editing or deleting any row
breaks the chain from there on, and `verify` says where. The head row also pins the last event,
so cutting events off the end is noticed too.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onevoice.store.models import AuditEvent, AuditHead, utcnow

GENESIS = "0" * 64


def digest(state: Any) -> str | None:
    """A stable SHA-256 of an object's state (a dict of plain values), or None for 'absent'."""
    if state is None:
        return None
    return hashlib.sha256(_canonical(state).encode()).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _event_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, object_type: str,
                object_id: str, before: str | None, after: str | None, detail: dict) -> str:
    body = _canonical([seq, at.isoformat(), actor, action, object_type, object_id, before, after, detail])
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def record(session: Session, actor: str, action: str, object_type: str, object_id: Any,
           before: Any = None, after: Any = None, detail: dict | None = None) -> AuditEvent:
    """Append one event inside the caller's transaction."""
    head = session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
    ).first()
    if head is None:
        session.add(AuditHead(id=1, seq=1, hash=GENESIS))
        session.flush()
        seq, prev = 1, GENESIS
    else:
        seq, prev = head
    at = utcnow()
    detail = json.loads(_canonical(detail or {}))
    event = AuditEvent(seq=seq, at=at, actor=actor, action=action, object_type=object_type,
                       object_id=str(object_id), before_digest=digest(before), after_digest=digest(after),
                       detail=detail, prev_hash=prev)
    event.hash = _event_hash(prev, seq, at, actor, action, object_type, event.object_id,
                             event.before_digest, event.after_digest, detail)
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=event.hash))
    return event


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    problems: tuple[str, ...]


def verify(session: Session) -> Verification:
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        count += 1
        if ev.seq != expected_seq:
            problems.append(f"events {expected_seq}..{ev.seq - 1} are missing (deleted)")
        if ev.prev_hash != prev:
            problems.append(f"event {ev.seq}: does not follow the previous event (chain broken)")
        recomputed = _event_hash(ev.prev_hash, ev.seq, ev.at, ev.actor, ev.action, ev.object_type,
                                 ev.object_id, ev.before_digest, ev.after_digest, ev.detail)
        if recomputed != ev.hash:
            problems.append(f"event {ev.seq}: content does not match its hash (edited)")
        prev, expected_seq = ev.hash, ev.seq + 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        problems.append(f"the log ends at event {expected_seq - 1} but the head says {head.seq} "
                        "(events deleted from the end)")
    if head is None and count:
        problems.append("the audit head row is missing")
    return Verification(ok=not problems, events=count, problems=tuple(problems))


def export(session: Session) -> Iterator[dict]:
    """Every event as a plain dict, oldest first (for JSONL export)."""
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        yield {"seq": ev.seq, "at": ev.at.isoformat(), "actor": ev.actor, "action": ev.action,
               "object_type": ev.object_type, "object_id": ev.object_id,
               "before_digest": ev.before_digest, "after_digest": ev.after_digest,
               "detail": ev.detail, "prev_hash": ev.prev_hash, "hash": ev.hash}
