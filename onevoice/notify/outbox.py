"""The durable notification outbox.

`enqueue` adds a pending row in the caller's transaction: an escalation and its notifications
commit together or not at all. `deliver_due` (a periodic job) sends what is due:

1. claim: in a short transaction, one row at a time, `attempts += 1` and `due_at = now + lease`,
   only if it is still pending and due -- two workers never send the same row at once, and a
   worker that dies mid-send leaves a pending row that is tried again once the lease runs out;
2. send, outside any transaction (no database lock is held while a server is slow);
3. record: in a second short transaction, `sent` (with sent_at), or back to pending with
   `last_error` and exponential backoff, or `failed` after `max_attempts` tries or a permanent
   refusal -- or at once when the channel is not configured at all (no SMTP server): waiting
   would only hide that nobody can be told. The error text is kept on the row either way, and
   `undelivered` sums it up for the banner the chair and the admin see on every page.

Nothing is lost if the process dies at any point: a row only leaves `pending` after the send
has been answered. (Delivery is at least once; the channels dedupe repeats where they can: the
e-mail Message-ID, the webhook's X-Onevoice-Notification header, the Matrix transaction id.)
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from onevoice.store import Database
from onevoice.store.models import Notification, utcnow

from . import email, matrix, webhook
from .config import NotifyConfig
from .errors import PermanentError

log = logging.getLogger(__name__)

CHANNELS = ("email", "webhook", "matrix")
SENDERS: dict[str, Callable[[Notification, NotifyConfig], None]] = {
    "email": email.send, "webhook": webhook.send, "matrix": matrix.send}


@dataclass(frozen=True)
class ChatTarget:
    channel: str
    target: str


def enqueue(session: Session, channel: str, target: str, subject: str, body: str,
            related: tuple[str, Any] | None = None, now: datetime | None = None) -> Notification:
    """Add a pending notification inside the caller's transaction (nothing is sent here).

    Targets: an e-mail address; a webhook URL, optionally "slack:" or "teams:" first; a Matrix
    room id or alias. `related` is ("incident", id) or similar, for the incident's timeline."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown notification channel {channel!r}")
    if not target:
        raise ValueError("a notification needs a target")
    now = now or utcnow()
    n = Notification(channel=channel, target=target, subject=subject[:300], body=body, status="pending",
                     attempts=0, due_at=now, created_at=now,
                     related_type=related[0] if related else None,
                     related_id=str(related[1]) if related else None)
    session.add(n)
    session.flush()  # the id is known to the caller (and to the Matrix transaction id)
    return n


def chat_targets(settings: Any = None) -> list[ChatTarget]:
    """The chat destinations every escalation also goes to (ONEVOICE_CHAT_WEBHOOKS, ONEVOICE_MATRIX_ROOM)."""
    config = NotifyConfig.resolve(settings)
    targets = [ChatTarget("webhook", url) for url in config.chat_webhooks]
    if config.matrix_room:
        targets.append(ChatTarget("matrix", config.matrix_room))
    return targets


def _claim(db: Database, nid: int, now: datetime, config: NotifyConfig) -> Notification | None:
    with db.transaction() as s:
        claimed = s.execute(
            update(Notification)
            .where(Notification.id == nid, Notification.status == "pending", Notification.due_at <= now)
            .values(attempts=Notification.attempts + 1, due_at=now + timedelta(seconds=config.lease))
            .execution_options(synchronize_session=False)
        ).rowcount
        return s.get(Notification, nid) if claimed == 1 else None


def deliver_due(db: Database, settings: Any = None, now: datetime | None = None, limit: int = 100) -> dict:
    """Send up to `limit` due notifications; returns counts {"sent", "retried", "failed"}.

    `settings` is a NotifyConfig, or the application's Settings (or None): then the config is
    read from the environment (see onevoice.notify.config)."""
    config = NotifyConfig.resolve(settings)
    now = now or utcnow()
    with db.reader() as s:
        due = list(s.scalars(select(Notification.id)
                             .where(Notification.status == "pending", Notification.due_at <= now)
                             .order_by(Notification.due_at, Notification.id).limit(limit)))
    counts = {"sent": 0, "retried": 0, "failed": 0}
    for nid in due:
        n = _claim(db, nid, now, config)
        if n is None:  # another worker has it, or it was cancelled
            continue
        permanent, error = False, None
        try:
            SENDERS[n.channel](n, config)
        except PermanentError as exc:
            permanent, error = True, str(exc)
        except Exception as exc:  # noqa: BLE001 -- any failure of the far side is retried
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        with db.transaction() as s:
            row = s.get(Notification, nid)
            if row is None or row.status != "pending":
                continue
            if error is None:
                row.status, row.sent_at, row.last_error = "sent", now, None
                counts["sent"] += 1
                continue
            row.last_error = error[:1000]
            if permanent or row.attempts >= config.max_attempts:
                row.status = "failed"
                counts["failed"] += 1
                log.error("notification %s (%s to %s) failed after %s attempts: %s",
                          nid, row.channel, row.target, row.attempts, error)
            else:
                row.due_at = now + timedelta(seconds=config.backoff(row.attempts))
                counts["retried"] += 1
                log.warning("notification %s (%s) attempt %s failed, retrying at %s: %s",
                            nid, row.channel, row.attempts, row.due_at.isoformat(), error)
    return counts


def retry_failed(session: Session, ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Put failed notifications back in the queue (all of them, or those in `ids`), e.g. after
    fixing the SMTP settings. Returns how many were requeued."""
    q = (update(Notification).where(Notification.status == "failed")
         .values(status="pending", attempts=0, due_at=now or utcnow())
         .execution_options(synchronize_session=False))
    if ids is not None:
        q = q.where(Notification.id.in_(ids))
    return session.execute(q).rowcount


# A notification that has failed this many times in a row and is still being retried is shown
# too (the server has been refusing for a few minutes); one failed try is usually a blip.
STILL_FAILING_AFTER = 3


def _undelivered_filter():
    return or_(Notification.status == "failed",
               and_(Notification.status == "pending", Notification.last_error.is_not(None),
                    Notification.attempts >= STILL_FAILING_AFTER))


@dataclass(frozen=True)
class Undelivered:
    """What could not be delivered: counts, the most common reason, and the incidents concerned."""
    failed: int
    retrying: int
    escalations: int                 # of them, notifications about an incident
    reason: str                      # the most common last_error
    incident_ids: tuple[int, ...]    # the incidents concerned, newest first

    @property
    def total(self) -> int:
        return self.failed + self.retrying


def undelivered(session: Session) -> Undelivered | None:
    """One grouped query over the (indexed) status of the few rows not sent; None when all is well."""
    rows = session.execute(
        select(Notification.status, Notification.related_type, Notification.related_id, Notification.last_error,
               func.count(Notification.id))
        .where(_undelivered_filter())
        .group_by(Notification.status, Notification.related_type, Notification.related_id, Notification.last_error)
    ).all()
    if not rows:
        return None
    failed = sum(n for status, _, _, _, n in rows if status == "failed")
    reasons: dict[str, int] = {}
    incidents: set[int] = set()
    escalations = 0
    for _status, rtype, rid, error, n in rows:
        reasons[error or "unknown error"] = reasons.get(error or "unknown error", 0) + n
        if rtype == "incident" and rid and rid.isdigit():
            incidents.add(int(rid))
            escalations += n
    reason = max(reasons.items(), key=lambda kv: kv[1])[0]
    return Undelivered(failed=failed, retrying=sum(n for *_, n in rows) - failed, escalations=escalations,
                       reason=reason, incident_ids=tuple(sorted(incidents, reverse=True)))


def undelivered_list(session: Session, related: tuple[str, Any] | None = None, limit: int = 200) -> list[Notification]:
    """The notifications not delivered (failed, or still failing), newest first; of one object when given."""
    q = select(Notification).where(_undelivered_filter()).order_by(Notification.id.desc()).limit(limit)
    if related is not None:
        q = q.where(Notification.related_type == related[0], Notification.related_id == str(related[1]))
    return list(session.scalars(q))
