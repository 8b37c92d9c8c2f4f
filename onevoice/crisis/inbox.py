"""The inbox (3.): the triaged comments and mentions a member may read, and what the committee
does with each one from there: reply (a reply draft through the normal approval, 1.), assign it to
a committee member, snooze it, mark it handled or reopen it.

Who sees what: the committee watches every channel; an authorized member watches the channels
they are authorized on, and only those (the rule is `permissions.visible_channels`, shared with
the incident views). A comment outside the viewer's channels is "not found", never "forbidden",
so the inbox does not tell which channels have comments.

Who does what: assigning, snoozing and marking handled are the committee's work (3.: the
committee develops the procedures for handling negative comments; `incident.manage`). Replying
is posting on the channel: only an authorized member of it may write the reply (1.), and the reply
goes to the review queue like any post, for the committee to approve.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, Forbidden, InvalidInput, NotFound
from onevoice.governance.permissions import Action, Actor, Role, allowed, require, visible_channels
from onevoice.store.models import Channel, Comment, Incident, IncidentEvent, Member, utcnow
from onevoice.triage import CATEGORIES

# The inbox's views of its comments. "open" is what still needs someone: not handled, not snoozed.
STATES = {
    "open": "Open (not handled, not snoozed)",
    "mine": "Assigned to me",
    "snoozed": "Snoozed",
    "handled": "Handled",
    "escalated": "Escalated to the chair",
    "all": "All comments",
}
SEVERITIES = {0: "none", 1: "minor", 2: "serious", 3: "crisis"}
SNOOZES = {"1h": "for 1 hour", "4h": "for 4 hours", "tomorrow": "until tomorrow 09:00"}
MORNING = time(9, 0)
LONGEST_SNOOZE = timedelta(days=30)  # longer, and a comment is forgotten: mark it handled instead
# The inbox counts at most this many matching rows (and pages through them): a bounded query
# whatever the table's size. Older comments are reached by narrowing the filters.
MAX_ROWS = 10_000


@dataclass(frozen=True)
class Filters:
    """What the inbox shows: the comments of one channel (or all one may see), of one category, of
    at least a severity, in one state."""

    state: str = "open"
    channel_id: int | None = None
    category: str | None = None
    min_severity: int | None = None

    @classmethod
    def parse(cls, state: str | None = None, channel: str | int | None = None, category: str | None = None,
              severity: str | int | None = None) -> "Filters":
        """From a form's or a query's strings; an empty value means "any"."""
        state = (state or "open").strip()
        if state not in STATES:
            raise InvalidInput(f"the state (Show) must be one of: {', '.join(STATES)}")
        channel_id = _number(channel, "channel")
        category = (category or "").strip() or None
        if category is not None and category not in CATEGORIES:
            raise InvalidInput(f"category must be one of: {', '.join(CATEGORIES)}")
        min_severity = _number(severity, "severity")
        if min_severity is not None and min_severity not in (1, 2, 3):
            raise InvalidInput("the lowest severity must be 1, 2 or 3")
        return cls(state, channel_id, category, min_severity)

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters, for links that keep them (the pages of the list)."""
        out = {"state": self.state}
        if self.channel_id is not None:
            out["channel"] = str(self.channel_id)
        if self.category:
            out["category"] = self.category
        if self.min_severity is not None:
            out["severity"] = str(self.min_severity)
        return out


def _number(value, what: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int):
        return value
    if not value.strip().isdigit() or len(value.strip()) > 10:
        raise InvalidInput(f"{what} must be a number")
    return int(value)


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


def inbox_query(actor: Actor, filters: Filters, now: datetime | None = None) -> Select:
    """The comments the filters select among those the actor may see, newest first. The order
    follows the received_at index, so a page is read from the index rather than sorted: SQLite
    keeps the id in every index entry, and PostgreSQL breaks ties with an incremental sort.
    "mine" is every comment of mine not yet handled, snoozed or not; "escalated" keeps the
    handled ones too (the record of what reached the chair)."""
    scope = visible_channels(actor, Action.COMMENT_VIEW)
    now = now or utcnow()
    q = select(Comment).order_by(Comment.received_at.desc(), Comment.id.desc())
    if scope is not None:
        q = q.where(Comment.channel_id.in_(sorted(scope)))
    if filters.channel_id is not None:
        q = q.where(Comment.channel_id == filters.channel_id)
    if filters.category:
        q = q.where(Comment.category == filters.category)
    if filters.min_severity is not None:
        q = q.where(Comment.severity >= filters.min_severity)
    awake = or_(Comment.snoozed_until.is_(None), Comment.snoozed_until <= now)
    if filters.state == "open":
        q = q.where(Comment.handled.is_(False), awake)
    elif filters.state == "mine":
        q = q.where(Comment.handled.is_(False), Comment.assigned_to == actor.member_id)
    elif filters.state == "snoozed":
        q = q.where(Comment.handled.is_(False), Comment.snoozed_until > now)
    elif filters.state == "handled":
        q = q.where(Comment.handled.is_(True))
    elif filters.state == "escalated":
        q = q.where(Comment.escalate.is_(True))
    return q


@dataclass(frozen=True)
class InboxPage:
    comments: list[Comment]
    total: int          # matching rows, counted up to MAX_ROWS + 1
    number: int         # the page shown, 1-based
    size: int

    @property
    def more_than_counted(self) -> bool:
        return self.total > MAX_ROWS


def find(session: Session, actor: Actor, filters: Filters, page: int = 1, size: int = 50,
         now: datetime | None = None) -> InboxPage:
    """One page of the inbox. The count stops at MAX_ROWS + 1 rows and pages stop at MAX_ROWS,
    so neither the count nor the offset grows with the table."""
    q = inbox_query(actor, filters, now)
    total = session.scalar(select(func.count()).select_from(q.order_by(None).limit(MAX_ROWS + 1).subquery())) or 0
    pages = max(1, -(-min(total, MAX_ROWS) // size))
    number = max(1, min(page, pages))
    offset = (number - 1) * size
    rows = list(session.scalars(q.limit(min(size, MAX_ROWS - offset)).offset(offset)))
    return InboxPage(rows, total, number, size)


@dataclass(frozen=True)
class Context:
    """What a page of comments shows beside each one: its channel, its assignee's name and its
    incident, read in three small queries for the whole page."""

    channels: dict[int, Channel]
    names: dict[int, str]
    incidents: dict[int, Incident]


def context_for(session: Session, comments: list[Comment]) -> Context:
    channels = {c.id: c for c in session.scalars(select(Channel))}
    assignees = sorted({c.assigned_to for c in comments if c.assigned_to})
    names = (dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(assignees))).all())
             if assignees else {})
    incident_ids = sorted({c.incident_id for c in comments if c.incident_id})
    incidents = ({i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(incident_ids)))}
                 if incident_ids else {})
    return Context(channels, names, incidents)


def committee_members(session: Session) -> list[Member]:
    """Who a comment may be assigned to: the active committee, chair and vice-chair included."""
    from onevoice.governance.members import holders

    seen: dict[int, Member] = {}
    for role in (Role.CHAIR, Role.VICE_CHAIR, Role.COMMITTEE):
        for m in holders(session, role):
            seen.setdefault(m.id, m)
    return sorted(seen.values(), key=lambda m: (m.name.lower(), m.id))


def viewer_channels(session: Session, actor: Actor) -> list[Channel]:
    """The channels the actor's inbox may be filtered by."""
    scope = visible_channels(actor, Action.COMMENT_VIEW)
    q = select(Channel).order_by(Channel.handle)
    if scope is not None:
        q = q.where(Channel.id.in_(sorted(scope)))
    return list(session.scalars(q))


def incident_comments(session: Session, incident_id: int) -> list[Comment]:
    """The comments grouped into an incident; whoever may view the incident may read them (they
    come from the incident's channel)."""
    return list(session.scalars(select(Comment).where(Comment.incident_id == incident_id).order_by(Comment.id)))


# --- what the committee does with a comment --------------------------------------------------


def comment_state(c: Comment) -> dict:
    """What the audit log digests about a comment's handling."""
    return {"id": c.id, "channel_id": c.channel_id, "handled": c.handled, "assigned_to": c.assigned_to,
            "snoozed_until": c.snoozed_until.isoformat() if c.snoozed_until else None,
            "incident_id": c.incident_id}


def get_comment(session: Session, actor: Actor, comment_id: int, *, for_update: bool = False) -> Comment:
    """A comment the actor may read; another channel's is "not found", like one that does not exist."""
    scope = visible_channels(actor, Action.COMMENT_VIEW)
    q = select(Comment).where(Comment.id == comment_id)
    if for_update:
        q = q.with_for_update()
    comment = session.scalar(q)
    if comment is None or (scope is not None and comment.channel_id not in scope):
        raise NotFound(f"no comment {comment_id}")
    return comment


def _change(session: Session, actor: Actor, comment: Comment, action: str, before: dict,
            detail: dict | None = None) -> None:
    session.flush()
    audit.record(session, actor.label, f"comment.{action}", "comment", comment.id, before, comment_state(comment),
                 detail)


def assign(session: Session, actor: Actor, comment_id: int, member_id: int | None, settings=None) -> Comment:
    """Give the comment to a committee member to answer (or to nobody, with None). The assignee
    hears of it by e-mail through the notification outbox, in the same transaction."""
    require(actor, Action.INCIDENT_MANAGE)
    comment = get_comment(session, actor, comment_id, for_update=True)
    assignee = None
    if member_id is not None:
        from onevoice.governance.members import actor_for

        assignee = session.get(Member, member_id)
        if assignee is None:
            raise NotFound(f"no member {member_id}")
        if not assignee.active or not allowed(actor_for(assignee), Action.INCIDENT_MANAGE):
            raise InvalidInput(f"{assignee.name} is not on the committee: a comment is assigned to a committee member")
    if comment.assigned_to == member_id:
        raise Conflict(f"the comment is already assigned to {assignee.name}" if assignee else
                       "the comment is assigned to nobody already")
    before = comment_state(comment)
    comment.assigned_to = member_id
    _change(session, actor, comment, "assign", before, {"to": assignee.email if assignee else None})
    if assignee is not None and assignee.id != actor.member_id:
        _tell_assignee(session, actor, comment, assignee, settings)
    return comment


def _tell_assignee(session: Session, actor: Actor, comment: Comment, assignee: Member, settings) -> None:
    from onevoice import notify
    from onevoice.notify.compose import excerpt_of

    channel = session.get(Channel, comment.channel_id)
    where = f"{channel.platform}:{channel.handle}" if channel else "a channel"
    base_url = (getattr(settings, "base_url", None) or "http://127.0.0.1:8000").rstrip("/")
    subject = f"[onevoice] A comment on {where} is yours to answer"
    body = "\n".join([
        f"{actor.label} assigned you a comment on {where} "
        f"({comment.category or 'uncategorized'}, severity {comment.severity} of 3).",
        f"Comment (personal details removed): \"{excerpt_of(comment.text)}\"",
        f"Open your inbox: {base_url}/inbox?state=mine",
        "— onevoice, for 3. Crisis management of the social media policy"])
    notify.enqueue(session, "email", assignee.email, subject, body, related=("comment", comment.id))


def snooze_until(choice: str, zone_name: str | None, now: datetime | None = None) -> datetime:
    """When a snooze chosen on the page ends: in 1 or 4 hours, or tomorrow at 09:00 in the
    viewer's own time zone (their morning, not the server's)."""
    now = (now or utcnow()).astimezone(timezone.utc)
    if choice == "1h":
        return now + timedelta(hours=1)
    if choice == "4h":
        return now + timedelta(hours=4)
    if choice == "tomorrow":
        try:
            zone = ZoneInfo(zone_name or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        return datetime.combine(tomorrow, MORNING, tzinfo=zone).astimezone(timezone.utc)
    raise InvalidInput(f"snooze {', '.join(SNOOZES.values())}")


def snooze(session: Session, actor: Actor, comment_id: int, until: datetime | None,
           now: datetime | None = None) -> Comment:
    """Put the comment out of the open list until `until` (None wakes it now)."""
    require(actor, Action.INCIDENT_MANAGE)
    comment = get_comment(session, actor, comment_id, for_update=True)
    now = now or utcnow()
    if comment.handled:
        raise Conflict("the comment is handled: reopen it before snoozing it")
    if until is not None:
        until = (until if until.tzinfo else until.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        if until <= now:
            raise InvalidInput("a snooze must end in the future")
        if until > now + LONGEST_SNOOZE:
            raise InvalidInput("a comment is snoozed for 30 days at most; mark it handled if nothing more is "
                               "to be done")
    elif comment.snoozed_until is None or comment.snoozed_until <= now:
        raise Conflict("the comment is not snoozed")
    before = comment_state(comment)
    comment.snoozed_until = until
    _change(session, actor, comment, "snooze" if until else "wake", before)
    return comment


def set_handled(session: Session, actor: Actor, comment_id: int, handled: bool = True) -> Comment:
    """Mark the comment handled (nothing more to do), or reopen it."""
    require(actor, Action.INCIDENT_MANAGE)
    comment = get_comment(session, actor, comment_id, for_update=True)
    if comment.handled == handled:
        raise Conflict("the comment is handled already" if handled else "the comment is open already")
    before = comment_state(comment)
    comment.handled = handled
    if handled:
        comment.snoozed_until = None
    _change(session, actor, comment, "handled" if handled else "reopen", before)
    return comment


def draft_reply(session: Session, actor: Actor, comment_id: int, text: str, engine) -> int:
    """A reply to the comment, written from the inbox: a reply draft to the comment's platform
    post, submitted at once, so it waits in the review queue for the committee's approval (1.:
    every reply is approved). Only an authorized member of the comment's channel writes it."""
    comment = get_comment(session, actor, comment_id)
    if not allowed(actor, Action.DRAFT_SUBMIT, channel_id=comment.channel_id):
        channel = session.get(Channel, comment.channel_id)
        raise Forbidden(f"only an authorized member of {channel.handle if channel else 'this channel'} replies on it "
                        "(1.); ask an administrator to authorize you on that channel, or assign the comment to "
                        "someone who is")
    if not (text or "").strip():
        raise InvalidInput("write the reply first")
    from onevoice.publishing import workflow

    draft = workflow.create_draft(session, actor, comment.channel_id, text.strip(), kind="reply",
                                  reply_to={"id": comment.platform_id, "url": comment.url},
                                  incident_id=comment.incident_id)
    workflow.submit(session, actor, draft.id, engine)
    if comment.incident_id is not None:  # the incident's timeline shows its responses, as draft_response does
        session.add(IncidentEvent(incident_id=comment.incident_id, actor=actor.label, kind="response_draft",
                                  text=f"draft {draft.id}"))
    audit.record(session, actor.label, "comment.reply", "comment", comment.id, detail={"draft_id": draft.id})
    return draft.id


def comment_view(c: Comment) -> dict:
    """A comment as the API and the CLI show it."""
    return {"id": c.id, "channel_id": c.channel_id, "platform_id": c.platform_id, "kind": c.kind, "author": c.author,
            "author_followers": c.author_followers, "text": c.text, "url": c.url,
            "received_at": c.received_at.isoformat(), "category": c.category, "severity": c.severity,
            "escalate": c.escalate, "triage": c.triage, "incident_id": c.incident_id, "handled": c.handled,
            "assigned_to": c.assigned_to, "snoozed_until": c.snoozed_until.isoformat() if c.snoozed_until else None}


__all__ = ["Filters", "InboxPage", "MAX_ROWS", "SEVERITIES", "SNOOZES", "STATES", "assign", "comment_view",
           "committee_members", "context_for", "draft_reply", "find", "get_comment", "inbox_query",
           "incident_comments", "list_comments", "set_handled", "snooze", "snooze_until", "viewer_channels"]
