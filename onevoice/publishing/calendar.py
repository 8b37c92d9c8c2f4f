"""The committee's calendar (1.: what goes out on the official channels, and when): month and
week grids and the agenda, in the viewer's own time zone; moving a scheduled post to another
time, and taking it off the calendar (back to approved).

A post is placed at the time it went out (published_at) once published, otherwise at its
scheduled time. Only a scheduled post whose publishing has not started may be moved: once the
publisher has claimed it (or tried it once and will retry), the platform may already hold it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from onevoice import audit
from onevoice.errors import Conflict, Forbidden, InvalidInput, NotFound
from onevoice.governance.permissions import Action, Actor, allowed
from onevoice.store.models import Channel, Draft, OutboxEntry, utcnow

from . import workflow
from .states import next_state

SHOWN = ("scheduled", "publishing", "published", "failed", "retracted")
STATE_LABELS = {"scheduled": "scheduled", "paused": "paused: crisis mode", "publishing": "publishing",
                "published": "published", "failed": "failed", "retracted": "retracted"}
EXCERPT_WORDS = 8
PAST_GRACE = timedelta(minutes=1)  # as workflow.schedule: "now" typed a few seconds ago is not the past


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def excerpt(text: str, words: int = EXCERPT_WORDS) -> str:
    parts = (text or "").split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


@dataclass(frozen=True)
class Entry:
    """One post on the calendar, as the viewer sees it."""
    draft_id: int
    channel_id: int
    author_id: int
    state: str             # the badge: scheduled | paused | publishing | published | failed | retracted
    at: datetime           # aware UTC
    local: datetime        # the same instant in the viewer's zone
    text: str
    movable: bool          # scheduled, publishing not started: may be moved or unscheduled
    note: str = ""         # e.g. "a retry is pending"

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def words(self) -> str:
        return excerpt(self.text)


@dataclass
class Day:
    day: date
    in_range: bool  # in the month shown (the grid's leading and trailing days are not)
    today: bool
    entries: list[Entry] = field(default_factory=list)


@dataclass
class Grid:
    view: str              # month | week
    anchor: date           # the first of the month, or the week's Monday
    zone: str
    weeks: list[list[Day]]
    prev: date
    next: date

    @property
    def days(self) -> list[Day]:
        return [d for w in self.weeks for d in w]

    @property
    def count(self) -> int:
        return sum(len(d.entries) for d in self.days)


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def today_in(zone: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone_of(zone)).date()


def _local_midnight(d: date, z: ZoneInfo) -> datetime:
    return datetime.combine(d, time(0), tzinfo=z).astimezone(timezone.utc)


def _placed_at(d: Draft) -> datetime | None:
    """Where a draft sits on the calendar: its publication time once published, else its scheduled
    time; None for a draft that is neither (an approved draft waiting for a time is not shown)."""
    return d.published_at if d.state in ("published", "retracted") and d.published_at else d.scheduled_at


def _visible(q: Select[Any], actor: Actor) -> Select[Any]:
    """The committee sees every channel's posts; anyone else only their own (as with drafts)."""
    if not (allowed(actor, Action.DRAFT_VIEW_ALL) or actor.is_system):
        q = q.where(Draft.author_id == actor.member_id)
    return q


def _pending_entries(session: Session, draft_ids: list[int]) -> dict[int, OutboxEntry]:
    if not draft_ids:
        return {}
    rows = session.scalars(select(OutboxEntry).where(OutboxEntry.draft_id.in_(draft_ids),
                                                     OutboxEntry.action == "publish",
                                                     OutboxEntry.status.in_(("pending", "sending"))))
    return {e.draft_id: e for e in rows}


def entries(session: Session, actor: Actor, drafts: list[Draft], zone: str) -> list[Entry]:
    """Calendar entries for these drafts: the badge (a scheduled post on a channel in crisis mode is
    paused, unless it is the chair's fast-tracked response) and whether it may still be moved."""
    z = zone_of(zone)
    crisis = {c.id for c in session.scalars(select(Channel).where(Channel.crisis_mode.is_(True)))}
    pending = _pending_entries(session, [d.id for d in drafts if d.state == "scheduled"])
    out = []
    for d in drafts:
        at = _placed_at(d)
        if at is None:
            continue
        state, movable, note = d.state, False, ""
        if d.state == "scheduled":
            entry = pending.get(d.id)
            started = entry is None or entry.status != "pending" or entry.attempts > 0
            movable = not started
            if entry is not None and entry.attempts > 0:
                note = "a retry is pending"
            if d.channel_id in crisis and not (entry is not None and entry.fast_track):
                state = "paused"
        out.append(Entry(d.id, d.channel_id, d.author_id, state, at, at.astimezone(z), d.text, movable, note))
    return out


def _between(session: Session, actor: Actor, start: datetime, end: datetime) -> list[Draft]:
    """The posts placed in [start, end): the query is bounded by the visible range on both columns
    a post can be placed by."""
    q = _visible(select(Draft).where(Draft.state.in_(SHOWN),
                                     or_(and_(Draft.scheduled_at >= start, Draft.scheduled_at < end),
                                         and_(Draft.published_at >= start, Draft.published_at < end))), actor)
    placed = [(at, d) for d in session.scalars(q) if (at := _placed_at(d)) is not None and start <= at < end]
    return [d for _, d in sorted(placed, key=lambda p: (p[0], p[1].id))]


def grid(session: Session, actor: Actor, view: str, day: date, zone: str, now: datetime | None = None) -> Grid:
    """The month (weeks from Monday, with the days of the neighbouring months that fill them) or
    the week that holds `day`, each post on its day in the viewer's zone."""
    z = zone_of(zone)
    if view == "week":
        anchor = monday(day)
        first, last = anchor, anchor + timedelta(days=6)
        prev, nxt = anchor - timedelta(days=7), anchor + timedelta(days=7)
        in_range: Callable[[date], bool] = lambda d: True  # noqa: E731
    else:
        view, anchor = "month", day.replace(day=1)
        nxt = (anchor + timedelta(days=32)).replace(day=1)
        prev = (anchor - timedelta(days=1)).replace(day=1)
        first, last = monday(anchor), monday(nxt - timedelta(days=1)) + timedelta(days=6)
        in_range = lambda d: d.month == anchor.month  # noqa: E731
    today = today_in(z.key, now)
    days: dict[date, Day] = {}
    d = first
    while d <= last:
        days[d] = Day(d, in_range(d), d == today)
        d += timedelta(days=1)
    start, end = _local_midnight(first, z), _local_midnight(last + timedelta(days=1), z)
    for e in entries(session, actor, _between(session, actor, start, end), z.key):
        days[e.local.date()].entries.append(e)
    ordered = list(days.values())
    return Grid(view, anchor, z.key, [ordered[i:i + 7] for i in range(0, len(ordered), 7)], prev, nxt)


def agenda_query(actor: Actor, now: datetime | None = None, past: bool = False) -> Select[Any]:
    """The agenda: upcoming posts, soonest first; with `past`, then the past ones, latest first."""
    now = now or utcnow()
    at = case((Draft.state.in_(("published", "retracted")), func.coalesce(Draft.published_at, Draft.scheduled_at)),
              else_=Draft.scheduled_at)
    q = _visible(select(Draft).where(Draft.state.in_(SHOWN), Draft.scheduled_at.is_not(None)), actor)
    if not past:
        return q.where(at >= now).order_by(at, Draft.id)
    upcoming = at >= now
    return q.order_by(case((upcoming, 0), else_=1), case((upcoming, at)), at.desc(), Draft.id)


# --- moving posts

def _movable(session: Session, actor: Actor, draft_id: int, verb: str) -> tuple[Draft, OutboxEntry]:
    draft = workflow.get_draft(session, draft_id, for_update=True)
    if not workflow.can_view(actor, draft):
        raise NotFound(f"no draft {draft_id}")
    if draft.author_id != actor.member_id and not allowed(actor, Action.DRAFT_REVIEW):
        raise Forbidden(f"the author or a committee member {verb}s a scheduled post")
    if draft.state != "scheduled":
        raise Conflict(f"only a scheduled post can be {verb}d; this one is {draft.state.replace('_', ' ')}")
    q = select(OutboxEntry).where(OutboxEntry.draft_id == draft.id, OutboxEntry.action == "publish",
                                  OutboxEntry.status.in_(("pending", "sending")))
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()  # the publisher's claim locks the entry too: one of us waits
    entry = session.scalar(q.order_by(OutboxEntry.id.desc()).limit(1))
    if entry is None or entry.status != "pending" or entry.attempts > 0:
        # the platform may already hold the post (a timeout is retried with the same key): moving
        # or withdrawing it now could leave two posts, or one the calendar no longer shows
        raise Conflict("publishing of this post has already started; wait for it to be published or to fail")
    return draft, entry


def reschedule(session: Session, actor: Actor, draft_id: int, at: datetime, now: datetime | None = None) -> Draft:
    """Move a scheduled post to another time; its outbox entry's due time moves with it."""
    if at is None or at.tzinfo is None:
        raise InvalidInput("give the new date and time, with its time zone")
    draft, entry = _movable(session, actor, draft_id, "reschedule")
    now = now or utcnow()
    if at < now - PAST_GRACE:
        raise InvalidInput("that time is in the past; choose a time from now on")
    if not workflow.author_authorized(session, draft):
        raise Forbidden(f"the author of draft {draft.id} is no longer an authorized member of its channel, "
                        "so it is not published")
    before = workflow.draft_state(draft)
    was = draft.scheduled_at
    draft.scheduled_at = at.astimezone(timezone.utc)
    entry.due_at = draft.scheduled_at
    session.flush()
    audit.record(session, actor.label, "draft.reschedule", "draft", draft.id, before, workflow.draft_state(draft),
                 {"from": was.isoformat() if was else None, "to": draft.scheduled_at.isoformat()})
    return draft


def move_to_day(session: Session, actor: Actor, draft_id: int, day: date, zone: str,
                now: datetime | None = None) -> Draft:
    """Drag and drop: the post goes to `day` and keeps its time of day in the viewer's zone (a
    time that does not exist on that day, in a spring-forward gap, lands just after it)."""
    z = zone_of(zone)
    draft = workflow.get_draft(session, draft_id)
    if draft.scheduled_at is None:
        raise Conflict(f"draft {draft_id} is not scheduled")
    local = draft.scheduled_at.astimezone(z)
    at = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=z)
    return reschedule(session, actor, draft_id, at.astimezone(timezone.utc), now)


def unschedule(session: Session, actor: Actor, draft_id: int) -> Draft:
    """Take a scheduled post off the calendar: back to approved, its pending outbox entry
    cancelled. It keeps its approvals and is scheduled again from the draft."""
    draft, entry = _movable(session, actor, draft_id, "unschedule")
    before = workflow.draft_state(draft)
    was = draft.scheduled_at
    entry.status = "cancelled"
    # The entry was never sent (no attempt), so its idempotency key reached no platform: free it,
    # so that scheduling this revision again can use it (the key is unique in the outbox).
    entry.idempotency_key = f"{entry.idempotency_key}-unscheduled-e{entry.id}"
    draft.scheduled_at = None
    draft.state = next_state(draft.state, "unschedule")
    session.flush()
    audit.record(session, actor.label, "draft.unschedule", "draft", draft.id, before, workflow.draft_state(draft),
                 {"was": was.isoformat() if was else None})
    return draft
