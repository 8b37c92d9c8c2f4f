"""Queued intake, for running at scale (ONEVOICE_INTAKE=queued): comments pushed by a webhook or
an import are checked and stored as one batch row at once, and the caller gets 202 Accepted; a
worker then triages and routes the batch (3.) exactly as the inline path does.

Why: triage and incident routing are the slow part of intake. Queued, the API processes only
check and store, and any number of workers (Celery, or the in-process scheduler) do the rest in
parallel. A batch is claimed with SKIP LOCKED on PostgreSQL and deleted in the same transaction
that stores its comments: a worker that dies mid-batch rolls back and another takes the batch
again. Duplicate platform ids are skipped as on the inline path, so replays are harmless.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable, Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from onevoice.errors import InvalidInput
from onevoice.store import Database
from onevoice.store.models import Channel, InboundBatch, utcnow

from . import intake

log = logging.getLogger("onevoice.crisis.queue")
MAX_ATTEMPTS = 5  # a batch that fails this often stays in the table, with its error, for a person to look at


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
    """Triage and route waiting batches, one transaction each; returns how many were stored."""
    triage = triage or intake._default_triage()
    done, clashes = 0, 0
    while done < max_batches:
        batch_id = None
        try:
            with db.transaction() as s:
                q = (select(InboundBatch).where(InboundBatch.attempts < MAX_ATTEMPTS)
                     .order_by(InboundBatch.id).limit(1))
                if s.bind.dialect.name == "postgresql":
                    q = q.with_for_update(skip_locked=True)
                batch = s.scalar(q)
                if batch is None:
                    return done
                batch_id = batch.id
                items = [_from_json(i) for i in batch.items]
                intake.store_batch(s, batch.channel_id, items, batch.source, triage, settings, utcnow(),
                                   intake.IntakeResult())
                s.delete(batch)
            done, clashes = done + 1, 0
        except Exception as exc:  # noqa: BLE001 — one bad batch must not stop the queue behind it
            if batch_id is None:
                raise  # the database itself failed: the job runs again next round
            if isinstance(exc, IntegrityError) and clashes < 2:
                clashes += 1  # another worker stored some of the same comments just now: take it again
                continue
            clashes = 0
            log.warning("inbound batch %s failed: %s", batch_id, exc)
            with db.transaction() as s:
                failed = s.get(InboundBatch, batch_id)
                if failed is not None:
                    failed.attempts += 1
                    failed.last_error = str(exc)[:2000]
    return done


def waiting(db: Database) -> dict:
    """How many batches wait, and how many have failed too often to be tried again."""
    with db.reader() as s:
        pending = s.scalar(select(func.count()).select_from(InboundBatch).where(InboundBatch.attempts < MAX_ATTEMPTS))
        stuck = s.scalar(select(func.count()).select_from(InboundBatch).where(InboundBatch.attempts >= MAX_ATTEMPTS))
    return {"batches_waiting": pending, "batches_failed": stuck}


def _to_json(item: dict) -> dict:
    posted = item.get("posted_at")
    return {**item, "posted_at": posted.isoformat() if posted else None}


def _from_json(item: dict) -> dict:
    posted = item.get("posted_at")
    return {**item, "posted_at": datetime.fromisoformat(posted) if posted else None}
