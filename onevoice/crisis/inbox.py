"""The inbox (3.): the triaged comments and mentions a member may read. The committee watches
every channel; an authorized member watches the channels they are authorized on, and only those
(the rule is `permissions.visible_channels`, shared with the incident views)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from onevoice.governance.permissions import Action, Actor, visible_channels
from onevoice.store.models import Comment


def list_comments(session: Session, actor: Actor, *, escalated: bool | None = None,
                  channel_id: int | None = None, limit: int = 100) -> list[Comment]:
    """Newest first. Asking for a channel outside the member's own gives an empty list, the same
    answer as a channel with no comments, so the inbox does not tell which channels have any."""
    scope = visible_channels(actor, Action.COMMENT_VIEW)
    q = select(Comment).order_by(Comment.received_at.desc(), Comment.id.desc()).limit(limit)
    if scope is not None:
        q = q.where(Comment.channel_id.in_(sorted(scope)))
    if channel_id is not None:
        q = q.where(Comment.channel_id == channel_id)
    if escalated is not None:
        q = q.where(Comment.escalate.is_(escalated))
    return list(session.scalars(q))


def incident_comments(session: Session, incident_id: int) -> list[Comment]:
    """The comments grouped into an incident; whoever may view the incident may read them (they
    come from the incident's channel)."""
    return list(session.scalars(select(Comment).where(Comment.incident_id == incident_id).order_by(Comment.id)))
