"""The append-only, hash-chained audit log.

Every state change records an event in the same transaction as the change itself: who (actor),
what (action), on which object, when, and SHA-256 digests of the object before and after. Each
event's hash covers its own fields and the previous event's hash, so editing or deleting any row
breaks the chain from there on, and `verify` says where.

The chain is keyed: event hashes are HMAC-SHA256 with the audit key (settings.audit_key), which
is kept outside the database, so someone who can write to the database but does not hold the key
cannot edit an event and recompute the chain after it. The head row (last seq and hash) is sealed
with the same key, so the end of the log cannot be cut and the head rewritten to match, and it must
exist: `onevoice init` creates it and every installation has events from then on, so a missing head
means the log was emptied. Appending refuses a head whose seal is broken rather than sealing over it.

What the key cannot stop (someone holding it, or putting back a head copied earlier) the anchors
do: `anchor` is the head (seq:hash) and `send_anchor` e-mails it to the committee on a schedule;
`verify(session, anchor)` then checks that the anchored event is still there, unchanged, and that
the chain from it to the head holds.

Installations from before the key: their events stay as they were (plain SHA-256, which `verify`
still checks), and `seal`, run by `onevoice init` on upgrade, records the boundary (`keyed_from`,
the first keyed event) in the sealed head and appends an `audit.keyed` event, so from then on the
old part is pinned by the first keyed event's link. Someone who can write to the database and makes
the operator run `init` again after rewriting the whole log as plain hashes and unsealing the head
would pass `verify`; an anchor kept from before shows it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterator

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onevoice.errors import Conflict, InvalidInput
from onevoice.store import Database
from onevoice.store.models import AuditEvent, AuditHead, Member, utcnow

GENESIS = "0" * 64
KEY = "audit_key"  # the session.info entry that holds the key (set by System through Database)
ANCHOR_ACTION = "audit.anchor"
MAX_PROBLEMS = 100  # a rewritten log of a million events must not make a million messages


def digest(state: Any) -> str | None:
    """A stable SHA-256 of an object's state (a dict of plain values), or None for 'absent'."""
    if state is None:
        return None
    return hashlib.sha256(_canonical(state).encode()).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _key(session: Session) -> bytes:
    key = session.info.get(KEY)
    if not key:
        # an empty key would make the chain one anybody can recompute: refuse instead
        raise RuntimeError("the audit log needs its key: open the database through System "
                           "(settings.audit_key, ONEVOICE_AUDIT_KEY or ONEVOICE_HOME/audit.key)")
    return key.encode()


def _event_hash(key: bytes | None, prev_hash: str, seq: int, at: datetime, actor: str, action: str,
                object_type: str, object_id: str, before: str | None, after: str | None, detail: dict) -> str:
    """HMAC-SHA256 with the key; plain SHA-256 (key None) for the events of before the key."""
    body = _canonical([seq, at.isoformat(), actor, action, object_type, object_id, before, after, detail])
    message = (prev_hash + body).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _head_mac(key: bytes, seq: int, last_hash: str, keyed_from: int) -> str:
    # starts with '[', never with a hex digit like an event's message: the two cannot be swapped
    return hmac.new(key, _canonical(["audit-head", seq, last_hash, keyed_from]).encode(), hashlib.sha256).hexdigest()


def _sealed(key: bytes, head: AuditHead | tuple) -> bool:
    seq, last_hash, keyed_from, mac = ((head.seq, head.hash, head.keyed_from, head.mac)
                                       if isinstance(head, AuditHead) else head)
    return (keyed_from is not None and mac is not None
            and hmac.compare_digest(mac, _head_mac(key, seq, last_hash, keyed_from)))


def record(session: Session, actor: str, action: str, object_type: str, object_id: Any,
           before: Any = None, after: Any = None, detail: dict | None = None) -> AuditEvent:
    """Append one event inside the caller's transaction."""
    key = _key(session)
    head = session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash, AuditHead.keyed_from, AuditHead.mac)
    ).first()
    if head is None:
        raise Conflict("the audit log has no head: run `onevoice init`; on an installation that was "
                       "initialized, the log has been emptied (see `onevoice audit verify`)")
    seq, prev, keyed_from, mac = head
    if keyed_from is None and mac is None:
        raise Conflict("the audit log is not sealed with its key yet: run `onevoice init` after upgrading")
    if not _sealed(key, (seq - 1, prev, keyed_from, mac)):
        # sealing over it would make a cut or rewritten log look intact
        raise Conflict("the audit head does not match its seal (the log has been tampered with, or the "
                       "audit key is not the one it was written with): nothing more is recorded until it "
                       "is looked into; see `onevoice audit verify`")
    at = utcnow()
    detail = json.loads(_canonical(detail or {}))
    event = AuditEvent(seq=seq, at=at, actor=actor, action=action, object_type=object_type,
                       object_id=str(object_id), before_digest=digest(before), after_digest=digest(after),
                       detail=detail, prev_hash=prev)
    event.hash = _event_hash(key, prev, seq, at, actor, action, object_type, event.object_id,
                             event.before_digest, event.after_digest, detail)
    session.add(event)
    session.execute(update(AuditHead).where(AuditHead.id == 1)
                    .values(hash=event.hash, mac=_head_mac(key, seq, event.hash, keyed_from)))
    return event


def seal(session: Session) -> None:
    """Make sure the head exists and is sealed with the key (run by `onevoice init`, idempotent):
    a new installation gets an empty sealed head; one from before the key keeps its events as
    they are and is keyed from the next event on, which is `audit.keyed`."""
    key = _key(session)
    head = session.get(AuditHead, 1, with_for_update=True)
    if head is None:
        has_events = session.scalar(select(AuditEvent.seq).limit(1)) is not None
        if has_events or session.scalar(select(Member.id).limit(1)) is not None:
            # an initialized installation always has a head: starting a new one would bless the emptying
            raise Conflict("the audit log's head is missing on an initialized installation: the log has been "
                           "tampered with (see `onevoice audit verify`)")
        session.add(AuditHead(id=1, seq=0, hash=GENESIS, keyed_from=1, mac=_head_mac(key, 0, GENESIS, 1)))
        session.flush()
        return
    if head.keyed_from is None and head.mac is None:
        legacy = head.seq
        head.keyed_from = legacy + 1
        head.mac = _head_mac(key, head.seq, head.hash, head.keyed_from)
        session.flush()
        record(session, "system", "audit.keyed", "audit_log", "-", detail={"unkeyed_events": legacy})


@dataclass(frozen=True)
class Anchor:
    """The head at one moment, kept outside the database (an e-mail, a printout): `seq:hash`."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> "Anchor":
        match = re.fullmatch(r"(\d{1,18}):([0-9a-f]{64})", (text or "").strip().lower())
        if match is None:
            raise InvalidInput("an anchor is the event number and its 64-character hash, as "
                               "`onevoice audit anchor` prints it: SEQ:HASH")
        return cls(int(match.group(1)), match.group(2))


def anchor(session: Session) -> Anchor:
    """The current head, to keep elsewhere; refused when the head is missing or its seal broken,
    which would anchor a tampered log."""
    head = session.get(AuditHead, 1)
    if head is None or not _sealed(_key(session), head):
        raise Conflict("the audit head is missing or does not match its seal: nothing to anchor "
                       "(see `onevoice audit verify`)")
    return Anchor(head.seq, head.hash)


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    problems: tuple[str, ...]


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.more = 0

    def add(self, problem: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(problem)
        else:
            self.more += 1

    def result(self) -> tuple[str, ...]:
        return tuple(self.items + ([f"... and {self.more} more problems"] if self.more else []))


def _check_head(key: bytes, head: AuditHead | None, problems: _Problems) -> int:
    """Report a missing or broken head; returns the first keyed event's seq."""
    if head is None:
        problems.add("the audit head row is missing (the log has been emptied, or the installation "
                     "was never initialized)")
        return 1
    if head.keyed_from is None or head.mac is None:
        problems.add("the audit head is not sealed with the audit key (run `onevoice init` after "
                     "upgrading; if that was done, the head has been tampered with)")
        return head.keyed_from or head.seq + 1
    if not _sealed(key, head):
        problems.add("the audit head does not match its seal (rewritten without the audit key, e.g. to "
                     "hide events cut from the end; or the audit key is not the one the log was written with)")
    return head.keyed_from


def verify(session: Session, anchor: Anchor | None = None) -> Verification:
    """Recompute the whole chain; with an anchor, also check the log still holds the anchored event."""
    key = _key(session)
    problems = _Problems()
    head = session.get(AuditHead, 1)
    keyed_from = _check_head(key, head, problems)
    prev, expected_seq, count = GENESIS, 1, 0
    anchor_seen = anchor is not None and anchor.seq == 0 and anchor.hash == GENESIS  # the empty log's
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        count += 1
        if ev.seq != expected_seq:
            problems.add(f"events {expected_seq}..{ev.seq - 1} are missing (deleted)")
        if ev.prev_hash != prev:
            problems.add(f"event {ev.seq}: does not follow the previous event (chain broken)")
        recomputed = _event_hash(key if ev.seq >= keyed_from else None, ev.prev_hash, ev.seq, ev.at, ev.actor,
                                 ev.action, ev.object_type, ev.object_id, ev.before_digest, ev.after_digest,
                                 ev.detail)
        if not hmac.compare_digest(recomputed, ev.hash):
            problems.add(f"event {ev.seq}: content does not match its hash (edited)")
        if anchor is not None and ev.seq == anchor.seq:
            anchor_seen = True
            if not hmac.compare_digest(ev.hash, anchor.hash):
                problems.add(f"event {ev.seq} is not the one anchored (the log has been rewritten since)")
        prev, expected_seq = ev.hash, ev.seq + 1
    if head is not None and (head.seq != expected_seq - 1 or head.hash != prev):
        problems.add(f"the log ends at event {expected_seq - 1} but the head says {head.seq} "
                     "(events deleted from the end)")
    if anchor is not None and not anchor_seen:
        problems.add(f"the anchored event {anchor.seq} is not in the log (events deleted from the end)")
    found = problems.result()
    return Verification(ok=not found, events=count, problems=found)


def send_anchor(db: Database, hours: int, now: datetime | None = None) -> Anchor | None:
    """The scheduled job: e-mail the head to the committee (chair, vice-chair, committee) when the
    last anchor is `hours` old or there is none, and record that it was sent. Returns the anchor
    sent, or None when none was due."""
    from onevoice import notify
    from onevoice.governance.members import holders
    from onevoice.governance.permissions import Role

    if hours <= 0:
        return None
    now = now or utcnow()
    with db.transaction() as s:
        if s.get(AuditHead, 1, with_for_update=True) is None:  # two workers: the second sees the first's event
            return None  # not initialized yet; `verify` reports it if it should be
        last = s.scalar(select(AuditEvent.at).where(AuditEvent.action == ANCHOR_ACTION)
                        .order_by(AuditEvent.seq.desc()).limit(1))
        if last is not None and now - last < timedelta(hours=hours):
            return None
        mark = anchor(s)
        emails = sorted({m.email for role in (Role.CHAIR, Role.VICE_CHAIR, Role.COMMITTEE) for m in holders(s, role)})
        subject = f"[onevoice] Audit log anchor {mark.seq}"
        body = (f"The audit log's anchor as of {now:%Y-%m-%d %H:%M} UTC:\n\n  {mark}\n\n"
                "Keep this message outside onevoice. Anyone who can change the database, even with the audit "
                "key, cannot change the log up to this event without it showing: the operator checks with\n\n"
                f"  onevoice audit verify --anchor {mark}\n")
        for email in emails:
            notify.enqueue(s, "email", email, subject, body, related=("audit", mark.seq), now=now)
        record(s, "scheduler", ANCHOR_ACTION, "audit_log", mark.seq, detail={"anchor": str(mark), "recipients": len(emails)})
        return mark


def export(session: Session) -> Iterator[dict]:
    """Every event as a plain dict, oldest first (for JSONL export)."""
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).yield_per(1000):
        yield {"seq": ev.seq, "at": ev.at.isoformat(), "actor": ev.actor, "action": ev.action,
               "object_type": ev.object_type, "object_id": ev.object_id,
               "before_digest": ev.before_digest, "after_digest": ev.after_digest,
               "detail": ev.detail, "prev_hash": ev.prev_hash, "hash": ev.hash}
