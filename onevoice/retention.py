"""Data retention: drafts and comments older than the retention period are deleted.

The audit log keeps its events: they hold digests, never the texts themselves, so the chain
stays verifiable after the rows it describes are gone, and the purge itself is an audit event.
Drafts still waiting for review or publication are never purged, nor comments of an open incident.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from onevoice import audit
from onevoice.store import Database
from onevoice.store.models import Comment, Draft, Incident, OutboxEntry, Review, utcnow

FINAL_STATES = ("published", "rejected", "retracted", "failed", "draft", "changes_requested")


def purge(db: Database, days: int, now: datetime | None = None) -> dict:
    if days < 1:
        raise ValueError("retention must be at least one day")
    cutoff = (now or utcnow()) - timedelta(days=days)
    with db.transaction() as s:
        draft_ids = list(s.scalars(select(Draft.id).where(Draft.updated_at < cutoff, Draft.state.in_(FINAL_STATES))))
        if draft_ids:
            s.execute(delete(OutboxEntry).where(OutboxEntry.draft_id.in_(draft_ids)))
            s.execute(delete(Review).where(Review.draft_id.in_(draft_ids)))
            s.execute(delete(Draft).where(Draft.id.in_(draft_ids)))
        open_incidents = select(Incident.id).where(Incident.state != "resolved")
        comment_ids = list(s.scalars(select(Comment.id).where(
            Comment.received_at < cutoff,
            (Comment.incident_id.is_(None)) | (Comment.incident_id.not_in(open_incidents)))))
        if comment_ids:
            s.execute(delete(Comment).where(Comment.id.in_(comment_ids)))
        result = {"drafts": len(draft_ids), "comments": len(comment_ids), "cutoff": cutoff.isoformat()}
        audit.record(s, "retention", "retention.purge", "installation", "-", detail=result)
    return result
