"""Escalation to the committee chair (3.), with acknowledgement deadlines and a ladder.

Level 0 notifies the chair; if nobody acknowledges the incident by its deadline, level 1 adds
the vice-chair, and level 2 the whole committee. Each level is notified by e-mail and on the
configured chat channels (webhooks, Matrix). Notifications are written to the notification
outbox in the same transaction as the escalation, so a crash or an SMTP outage delays them but
never loses them.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.governance.members import holders
from onevoice.governance.permissions import Role
from onevoice.store import Database
from onevoice.store.models import Channel, Comment, Incident, IncidentEvent, utcnow

# How long the chair has to acknowledge, by severity (3 = crisis).
DEADLINES = {3: timedelta(minutes=15), 2: timedelta(hours=2), 1: timedelta(hours=24)}
LADDER = ((Role.CHAIR,), (Role.CHAIR, Role.VICE_CHAIR), (Role.CHAIR, Role.VICE_CHAIR, Role.COMMITTEE))
LEVEL_NAMES = ("chair", "vice-chair", "whole committee")
WORKER = "escalation"


def ack_deadline(severity: int, now: datetime) -> datetime:
    return now + DEADLINES.get(severity, DEADLINES[1])


def recipients(session: Session, level: int) -> list[str]:
    emails: list[str] = []
    for role in LADDER[min(level, len(LADDER) - 1)]:
        for m in holders(session, role):
            if m.email not in emails:
                emails.append(m.email)
    return emails


def escalate(session: Session, incident: Incident, level: int, settings=None, now: datetime | None = None) -> list[str]:
    """Notify everyone at `level` of the ladder about the incident; returns the e-mails notified."""
    from onevoice import notify

    now = now or utcnow()
    comment = session.scalar(select(Comment).where(Comment.incident_id == incident.id).order_by(Comment.id))
    channel = session.get(Channel, incident.channel_id) if incident.channel_id else None
    base_url = (getattr(settings, "base_url", None) or "http://127.0.0.1:8000").rstrip("/")
    subject, body = notify.compose_escalation(
        incident_id=incident.id, category=incident.type, severity=incident.severity,
        channel=f"{channel.platform}:{channel.handle}" if channel else "-",
        link=f"{base_url}/incidents/{incident.id}", excerpt=comment.text if comment else incident.title,
        level=LEVEL_NAMES[min(level, len(LEVEL_NAMES) - 1)], deadline=incident.ack_deadline)
    emails = recipients(session, level)
    related = ("incident", incident.id)
    for email in emails:
        notify.enqueue(session, "email", email, subject, body, related=related)
    for target in notify.chat_targets(settings):
        notify.enqueue(session, target.channel, target.target, subject, body, related=related)
    session.add(IncidentEvent(incident_id=incident.id, actor=WORKER, kind="escalate",
                              text=f"level {level} ({LEVEL_NAMES[min(level, 2)]}): {', '.join(emails) or 'nobody holds the role'}"))
    audit.record(session, WORKER, "incident.escalate", "incident", incident.id,
                 detail={"level": level, "recipients": len(emails)})
    return emails


def check_deadlines(db: Database, settings=None, now: datetime | None = None) -> list[int]:
    """Re-escalate every unacknowledged incident whose deadline has passed (a periodic job)."""
    now = now or utcnow()
    moved = []
    with db.transaction() as s:
        q = select(Incident).where(Incident.state == "open", Incident.ack_deadline <= now)
        if s.bind.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        for incident in s.scalars(q):
            if incident.escalation_level >= len(LADDER) - 1:
                # the whole committee has been told; remind them at the same interval
                incident.ack_deadline = ack_deadline(incident.severity, now)
                escalate(s, incident, incident.escalation_level, settings, now)
            else:
                incident.escalation_level += 1
                incident.ack_deadline = ack_deadline(incident.severity, now)
                escalate(s, incident, incident.escalation_level, settings, now)
            moved.append(incident.id)
    return moved


# -- escalations that did not reach anybody -----------------------------------------------------

# Who is told, in the app, that an escalation could not be delivered: the chair (whom the
# escalation was for) and the admin (who can fix the settings).
TOLD_OF_FAILURES = (Role.CHAIR, Role.ADMIN)


def sees_failures(actor) -> bool:
    return actor.is_system or any(r in actor.roles for r in TOLD_OF_FAILURES)


def delivery(session: Session, incident_id: int) -> dict:
    """How the incident's escalation went: {"sent": [targets], "failed": [(target, error)],
    "waiting": [(target, error or None)]}, from the notification outbox."""
    from onevoice.store.models import Notification

    out: dict = {"sent": [], "failed": [], "waiting": []}
    for n in session.scalars(select(Notification).where(Notification.related_type == "incident",
                                                        Notification.related_id == str(incident_id))
                             .order_by(Notification.id)):
        if n.status == "sent":
            out["sent"].append(n.target)
        elif n.status == "failed":
            out["failed"].append((n.target, n.last_error or "unknown error"))
        else:
            out["waiting"].append((n.target, n.last_error))
    return out


def retry_undelivered(session: Session, actor, incident_id: int | None = None) -> int:
    """Put the failed notifications (of one incident, or all) back in the queue, e.g. once the
    SMTP settings are fixed. The chair or the admin does it; returns how many."""
    from onevoice import notify
    from onevoice.errors import Forbidden
    from onevoice.store.models import Notification

    if not sees_failures(actor):
        raise Forbidden("the chair or an administrator retries undelivered notifications")
    ids = None
    if incident_id is not None:
        ids = list(session.scalars(select(Notification.id).where(
            Notification.status == "failed", Notification.related_type == "incident",
            Notification.related_id == str(incident_id))))
    count = notify.retry_failed(session, ids)
    audit.record(session, actor.label, "notifications.retry", "incident" if incident_id else "notifications",
                 incident_id or "all", detail={"requeued": count})
    return count
