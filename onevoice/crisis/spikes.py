"""Spike detection (3.): a rise in negative comments on a channel over its own baseline.

The last hour's count of escalated comments is compared with the channel's hourly counts over
the previous week. It is a spike when it reaches all of: MIN_COUNT, three times the baseline
mean, and the mean plus three standard deviations. Quiet channels need MIN_COUNT comments, so a
handful of complaints never looks like a crisis; busy channels need a real departure from normal.
"""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import Comment, Incident

WINDOW = timedelta(hours=1)
BASELINE = timedelta(days=7)
MIN_COUNT = 5


def threshold(hourly: list[int]) -> float:
    mean = statistics.fmean(hourly) if hourly else 0.0
    std = statistics.pstdev(hourly) if len(hourly) > 1 else 0.0
    return max(MIN_COUNT, 3 * mean, mean + 3 * std)


def hourly_counts(session: Session, channel_id: int, start: datetime, end: datetime) -> list[int]:
    """Escalated comments per hour in [start, end), zeros included."""
    hours = int((end - start) / WINDOW)
    counts = [0] * hours
    rows = session.scalars(select(Comment.received_at).where(
        Comment.channel_id == channel_id, Comment.escalate.is_(True),
        Comment.received_at >= start, Comment.received_at < end))
    for at in rows:
        idx = int((at - start) / WINDOW)
        if 0 <= idx < hours:
            counts[idx] += 1
    return counts


def check_channel(session: Session, channel_id: int, now: datetime, settings=None) -> int | None:
    """Open a spike incident for the channel if the last hour is a spike and none is open."""
    # first, because it is one indexed look-up: during a spike every batch stops here
    already = session.scalar(select(Incident.id).where(Incident.channel_id == channel_id, Incident.type == "spike",
                                                       Incident.state != "resolved").limit(1))
    if already is not None:
        return None
    current = session.scalar(select(func.count(Comment.id)).where(
        Comment.channel_id == channel_id, Comment.escalate.is_(True),
        Comment.received_at > now - WINDOW, Comment.received_at <= now))
    if current < MIN_COUNT:
        return None
    baseline = hourly_counts(session, channel_id, now - WINDOW - BASELINE, now - WINDOW)
    limit = threshold(baseline)
    if current < limit:
        return None
    from .incidents import open_incident

    severity = 3 if current >= 2 * limit else 2
    incident = open_incident(session, SYSTEM, type="spike", severity=severity,
                             title=f"Negative spike: {current} escalated comments in the last hour "
                                   f"(baseline threshold {limit:.1f})", channel_id=channel_id, settings=settings, now=now)
    ids = session.scalars(select(Comment.id).where(Comment.channel_id == channel_id, Comment.escalate.is_(True),
                                                   Comment.received_at > now - WINDOW))
    for cid in ids:
        c = session.get(Comment, cid)
        if c.incident_id is None:
            c.incident_id = incident.id
    return incident.id
