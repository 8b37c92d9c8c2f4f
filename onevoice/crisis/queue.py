"""Queued intake, for running at scale (ONEVOICE_INTAKE=queued): comments pushed by a webhook or
an import are checked and stored as one batch row at once, and the caller gets 202 Accepted; a
worker then triages and routes the batch (3.) exactly as the inline path does.

Why: triage and incident routing are the slow part of intake. Queued, the API processes only
check and store, and any number of workers (Celery, or the in-process scheduler) do the rest in
parallel. Batches are claimed with SKIP LOCKED on PostgreSQL, a few at a time, and deleted in
the same transaction that stores their comments: a worker that dies mid-way rolls back and
another takes the batches again. Duplicate platform ids are skipped as on the inline path, so
replays are harmless.

Each item is checked on its own when the batch is accepted, so a bad item is reported to the
sender and never queued. A batch that fails anyway is tried again at the next runs; after
MAX_ATTEMPTS its items are stored one by one, and those that still fail stay behind as a
dead letter with their errors, which the admin sees (`failed`) and retries or discards.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Collection, Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from onevoice import audit
from onevoice.errors import InvalidInput, NotFound
from onevoice.governance.permissions import Action, Actor, require
from onevoice.store import Database
from onevoice.store.models import Channel, InboundBatch, utcnow

from . import intake

log = logging.getLogger("onevoice.crisis.queue")
MAX_ATTEMPTS = 5  # a batch that fails this often stays in the table, with its error, for a person to look at
MAX_ERROR = 2000


def accept(db: Database, channel_id: int, raw_items: Iterable[dict], source: str) -> dict:
    """Check the items and store the good ones as one batch; bad items are reported, not stored."""
    items, errors, received = [], [], 0
    for n, raw in enumerate(raw_items, 1):
        received += 1
        try:
            items.append(_to_json(intake.normalize_item(raw, f"item {n}")))
        except InvalidInput as exc:
            errors.append(exc.detail)
    batch_id = None
    with db.transaction() as s:
        if s.get(Channel, channel_id) is None:
            raise InvalidInput(f"no channel {channel_id}")
        if items:
            batch = InboundBatch(channel_id=channel_id, source=source, items=items, received_at=utcnow())
            s.add(batch)
            s.flush()
            batch_id = batch.id
    return {"received": received, "accepted": len(items), "queued": True, "batch": batch_id, "errors": errors}


def drain(db: Database, settings=None, triage: Callable | None = None, max_batches: int = 200) -> int:
    """Triage and route waiting batches, a few at a time in one transaction; returns how many were
    stored. A group that fails is taken again one batch at a time, so only the bad batch is set
    aside; a batch that failed waits for the next run, so its attempts are not spent in a moment."""
    triage = triage or intake._default_triage()
    done, clashes, alone = 0, 0, 0  # alone: how many claims to come take a single batch
    failing: set[int] = set()  # failed in this run: left for the next one
    while done < max_batches:
        claimed: list[int] = []
        try:
            with db.transaction() as s:
                batches = _claim(s, 1 if alone else GROUP, failing)
                if not batches:
                    return done
                claimed = [b.id for b in batches]
                for (channel_id, source), items in _by_channel(batches).items():
                    intake.store_batch(s, channel_id, items, source, triage, settings, utcnow(), intake.IntakeResult())
                for b in batches:
                    s.delete(b)
            done, clashes, alone = done + len(claimed), 0, max(0, alone - 1)
        except Exception as exc:  # noqa: BLE001 — one bad batch must not stop the queue behind it
            if not claimed:
                raise  # the database itself failed: the job runs again next round
            if isinstance(exc, IntegrityError) and clashes < 2:
                clashes += 1  # another worker stored some of the same comments just now: take them again
                continue
            clashes = 0
            if len(claimed) > 1:
                alone = len(claimed)
                continue
            alone = max(0, alone - 1)
            failing.add(claimed[0])
            log.warning("inbound batch %s failed: %s", claimed[0], exc)
            _count_failure(db, claimed[0], exc, triage, settings)
    return done


def _count_failure(db: Database, batch_id: int, exc: Exception, triage: Callable, settings) -> None:
    """One more failed attempt. On the last one, the items are stored one at a time, so one bad
    item does not keep the others out: only those that fail stay, as the dead letter."""
    with db.transaction() as s:
        batch = s.get(InboundBatch, batch_id)
        if batch is None:
            return
        batch.attempts += 1
        batch.last_error = _describe(exc)
        if batch.attempts < MAX_ATTEMPTS or len(batch.items) < 2:
            return
        channel_id, source, items = batch.channel_id, batch.source, list(batch.items)
    left, errors = [], []  # the batch is past MAX_ATTEMPTS: no other worker claims it meanwhile
    for n, item in enumerate(items, 1):
        try:
            with db.transaction() as s:
                intake.store_batch(s, channel_id, [_from_json(item)], source, triage, settings, utcnow(),
                                   intake.IntakeResult())
        except Exception as item_exc:  # noqa: BLE001 — kept, with its error, for the admin
            left.append(item)
            errors.append(f"item {n}: {_describe(item_exc)}")
    with db.transaction() as s:
        batch = s.get(InboundBatch, batch_id)
        if not left:
            s.delete(batch)
        else:
            batch.items, batch.last_error = left, "; ".join(errors)[:MAX_ERROR]


def _describe(exc: Exception) -> str:
    """The error for the admin: the database's own message, not the statement and its parameters
    (those hold the comments' text, which is the committee's to read, not the admin's)."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {exc.orig}"[:MAX_ERROR]
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR]


# Batches claimed together, up to this many comments: storing costs a fixed part per transaction
# (claim, duplicate check, incident look-ups, commit) that a webhook's one-comment batches would
# otherwise pay each time. Measured on PostgreSQL: 1.9 ms a comment in batches of 50, 1.5 in 250.
GROUP = 10
GROUP_ITEMS = 500


def _claim(session, limit: int, skip: Collection[int] = ()) -> list[InboundBatch]:
    q = select(InboundBatch).where(InboundBatch.attempts < MAX_ATTEMPTS).order_by(InboundBatch.id).limit(limit)
    if skip:
        q = q.where(InboundBatch.id.not_in(sorted(skip)))
    if session.bind.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    claimed, items = [], 0
    for batch in session.scalars(q):
        if claimed and items + len(batch.items) > GROUP_ITEMS:
            break  # the rest stay locked until this transaction ends, then wait for the next claim
        claimed.append(batch)
        items += len(batch.items)
    return claimed


def _by_channel(batches: list[InboundBatch]) -> dict[tuple[int, str], list[dict]]:
    grouped: dict[tuple[int, str], list[dict]] = {}
    for batch in batches:
        grouped.setdefault((batch.channel_id, batch.source), []).extend(_from_json(i) for i in batch.items)
    return grouped


def waiting(db: Database) -> dict:
    """How many batches wait, and how many have failed too often to be tried again."""
    with db.reader() as s:
        pending = s.scalar(select(func.count()).select_from(InboundBatch).where(InboundBatch.attempts < MAX_ATTEMPTS))
        stuck = s.scalar(select(func.count()).select_from(InboundBatch).where(InboundBatch.attempts >= MAX_ATTEMPTS))
    return {"batches_waiting": pending, "batches_failed": stuck}


def dead_letter_view(b: InboundBatch) -> dict:
    """What the admin sees of a dead letter: where it came from and why it failed, not the
    comments themselves (reading those is the committee's and the channel's members', 3.)."""
    return {"id": b.id, "channel_id": b.channel_id, "source": b.source, "received_at": b.received_at.isoformat(),
            "items": len(b.items), "attempts": b.attempts, "error": b.last_error}


def failed(session, actor: Actor) -> list[InboundBatch]:
    """The dead letters: batches that failed MAX_ATTEMPTS times, oldest first."""
    require(actor, Action.CHANNEL_MANAGE)
    return list(session.scalars(select(InboundBatch).where(InboundBatch.attempts >= MAX_ATTEMPTS)
                                .order_by(InboundBatch.id).limit(500)))


def retry(session, actor: Actor, batch_id: int) -> InboundBatch:
    """Queue a dead letter again (after its cause is fixed): it gets MAX_ATTEMPTS new attempts."""
    batch = _dead_letter(session, actor, batch_id)
    before = dead_letter_view(batch)
    batch.attempts = 0
    session.flush()
    audit.record(session, actor.label, "inbound.retry", "inbound_batch", batch.id, before, dead_letter_view(batch))
    return batch


def discard(session, actor: Actor, batch_id: int) -> None:
    """Give a dead letter up: its comments are not stored; the audit log keeps what it was."""
    batch = _dead_letter(session, actor, batch_id)
    before = dead_letter_view(batch)
    session.delete(batch)
    audit.record(session, actor.label, "inbound.discard", "inbound_batch", batch_id, before, None)


def _dead_letter(session, actor: Actor, batch_id: int) -> InboundBatch:
    require(actor, Action.CHANNEL_MANAGE)
    batch = session.scalar(select(InboundBatch).where(InboundBatch.id == batch_id).with_for_update())
    if batch is None or batch.attempts < MAX_ATTEMPTS:
        raise NotFound(f"no failed inbound batch {batch_id}")
    return batch


def _to_json(item: dict) -> dict:
    posted = item.get("posted_at")
    return {**item, "posted_at": posted.isoformat() if posted else None}


def _from_json(item: dict) -> dict:
    posted = item.get("posted_at")
    return {**item, "posted_at": datetime.fromisoformat(posted) if posted else None}
