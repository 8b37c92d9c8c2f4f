"""The calendar service: each post on its day in the viewer's zone (across daylight-saving
changes and midnights), the agenda's order, and moving or unscheduling a post with its rules."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from onevoice import audit
from onevoice.errors import Conflict, Forbidden, InvalidInput, NotFound
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import calendar as cal, workflow
from onevoice.store.models import AuditEvent, Channel, Draft, OutboxEntry

from .workflow_helpers import cast

UTC = timezone.utc


def scheduled(system, c, at: datetime, text: str = "Join our airway webinar on 3 May! https://ipala.org/webinars") -> int:
    with system.db.transaction() as s:
        d = workflow.create_draft(s, c.author, c.channel_id, text).id
        workflow.submit(s, c.author, d, system.screening)
        workflow.review(s, c.reviewer, d, "approve")
        workflow.schedule(s, c.author, d, at)
    return d


def placed(g: cal.Grid) -> dict[int, date]:
    return {e.draft_id: d.day for d in g.days for e in d.entries}


@pytest.fixture
def c(sqlite_system):
    return cast(sqlite_system)


def test_posts_land_on_the_viewers_day_across_a_daylight_saving_change(sqlite_system, c):
    # Lisbon moves from UTC+0 to UTC+1 at 01:00 UTC on Sunday 28 March 2027
    before = scheduled(sqlite_system, c, datetime(2027, 3, 27, 23, 30, tzinfo=UTC))  # Sat 23:30 in Lisbon
    after = scheduled(sqlite_system, c, datetime(2027, 3, 28, 23, 30, tzinfo=UTC))   # Mon 00:30 in Lisbon
    with sqlite_system.db.reader() as s:
        lisbon = cal.grid(s, c.reviewer, "month", date(2027, 3, 10), "Europe/Lisbon")
        utc = cal.grid(s, c.reviewer, "month", date(2027, 3, 10), "UTC")
        tokyo = cal.grid(s, c.reviewer, "week", date(2027, 3, 24), "Asia/Tokyo")
    assert placed(lisbon) == {before: date(2027, 3, 27), after: date(2027, 3, 29)}
    [late] = [e for d in lisbon.days for e in d.entries if e.draft_id == after]
    assert late.local.strftime("%H:%M") == "00:30" and late.state == "scheduled" and late.movable
    assert placed(utc) == {before: date(2027, 3, 27), after: date(2027, 3, 28)}
    # the week of Mon 22 March holds only the first one in Tokyo (Sun 28 08:30); the second is Mon 29
    assert tokyo.anchor == date(2027, 3, 22) and placed(tokyo) == {before: date(2027, 3, 28)}
    # weeks start on Monday: March 2027 begins on a Monday and ends on a Wednesday
    assert [len(w) for w in lisbon.weeks] == [7] * 5
    assert lisbon.weeks[0][0].day == date(2027, 3, 1) and lisbon.weeks[-1][-1].day == date(2027, 4, 4)
    assert lisbon.prev == date(2027, 2, 1) and lisbon.next == date(2027, 4, 1)


def test_the_grid_is_bounded_by_the_visible_days_in_the_viewers_zone(sqlite_system, c):
    # the month of April 2027 shows Mon 29 March to Sun 2 May
    edge_in = scheduled(sqlite_system, c, datetime(2027, 3, 28, 23, 30, tzinfo=UTC))   # Lisbon: Mon 29 Mar 00:30
    edge_out = scheduled(sqlite_system, c, datetime(2027, 5, 2, 23, 30, tzinfo=UTC))   # Lisbon: Mon 3 May 00:30
    with sqlite_system.db.reader() as s:
        lisbon = cal.grid(s, c.reviewer, "month", date(2027, 4, 15), "Europe/Lisbon")
        utc = cal.grid(s, c.reviewer, "month", date(2027, 4, 15), "UTC")
    assert placed(lisbon) == {edge_in: date(2027, 3, 29)}
    assert not lisbon.days[0].in_range and lisbon.days[3].day == date(2027, 4, 1) and lisbon.days[3].in_range
    assert placed(utc) == {edge_out: date(2027, 5, 2)}  # in UTC the first is on Sun 28 March, before the grid


def test_a_crisis_pauses_scheduled_posts_except_the_fast_tracked_response(sqlite_system, c):
    normal = scheduled(sqlite_system, c, datetime(2027, 1, 5, 10, tzinfo=UTC))
    fast = scheduled(sqlite_system, c, datetime(2027, 1, 5, 11, tzinfo=UTC), text="We are looking into this now.")
    with sqlite_system.db.transaction() as s:
        s.get(Channel, c.channel_id).crisis_mode = True
        s.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == fast)).fast_track = True
    with sqlite_system.db.reader() as s:
        g = cal.grid(s, c.reviewer, "week", date(2027, 1, 5), "UTC")
    states = {e.draft_id: (e.state, e.label) for d in g.days for e in d.entries}
    assert states == {normal: ("paused", "paused: crisis mode"), fast: ("scheduled", "scheduled")}


def test_people_outside_the_committee_see_only_their_own_posts(sqlite_system, c):
    mine = scheduled(sqlite_system, c, datetime(2027, 1, 5, 10, tzinfo=UTC))
    with sqlite_system.db.reader() as s:
        assert placed(cal.grid(s, c.author, "week", date(2027, 1, 5), "UTC")) == {mine: date(2027, 1, 5)}
        assert placed(cal.grid(s, c.outsider, "week", date(2027, 1, 5), "UTC")) == {}


def test_the_agenda_puts_the_soonest_first_and_the_past_after_it_on_request(sqlite_system, c):
    later = scheduled(sqlite_system, c, datetime(2027, 2, 1, 9, tzinfo=UTC))
    sooner = scheduled(sqlite_system, c, datetime(2027, 1, 1, 9, tzinfo=UTC))
    old, older = scheduled(sqlite_system, c, datetime(2027, 1, 2, 9, tzinfo=UTC)), \
        scheduled(sqlite_system, c, datetime(2027, 1, 3, 9, tzinfo=UTC))
    with sqlite_system.db.transaction() as s:  # two posts that went out in the past
        for did, at in ((old, datetime(2026, 11, 20, 9, tzinfo=UTC)), (older, datetime(2026, 10, 1, 9, tzinfo=UTC))):
            d = s.get(Draft, did)
            d.state, d.scheduled_at, d.published_at = "published", at, at
    with sqlite_system.db.reader() as s:
        upcoming = [d.id for d in s.scalars(cal.agenda_query(c.reviewer))]
        everything = [d.id for d in s.scalars(cal.agenda_query(c.reviewer, past=True))]
    assert upcoming == [sooner, later]
    assert everything == [sooner, later, old, older]


def test_rescheduling_moves_the_post_and_its_outbox_entry_and_is_audited(sqlite_system, c):
    d = scheduled(sqlite_system, c, datetime(2027, 3, 25, 9, tzinfo=UTC))  # 09:00 in Lisbon (winter time)
    with sqlite_system.db.transaction() as s:
        cal.move_to_day(s, c.reviewer, d, date(2027, 3, 30), "Europe/Lisbon")  # summer time: still 09:00 there
    with sqlite_system.db.reader() as s:
        draft = s.get(Draft, d)
        entry = s.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == d))
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "draft.reschedule"))
        assert audit.verify(s).ok
    assert draft.scheduled_at == datetime(2027, 3, 30, 8, tzinfo=UTC) == entry.due_at
    assert draft.state == "scheduled" and entry.status == "pending"
    assert event.actor == c.reviewer.label and event.detail["to"] == "2027-03-30T08:00:00+00:00"
    with sqlite_system.db.transaction() as s:
        cal.reschedule(s, c.author, d, datetime(2027, 4, 2, 15, 45, tzinfo=UTC))  # the author may too
    with sqlite_system.db.reader() as s:
        assert s.get(Draft, d).scheduled_at == datetime(2027, 4, 2, 15, 45, tzinfo=UTC)


def test_moving_is_refused_in_the_past_to_others_and_once_publishing_started(sqlite_system, c):
    d = scheduled(sqlite_system, c, datetime(2027, 3, 25, 9, tzinfo=UTC))
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "admin@example.org", "Admin", roles=("admin",))
    with sqlite_system.db.reader() as s:
        admin = members.actor_for(members.get_member(s, "admin@example.org"))
    refusals = [
        (InvalidInput, "in the past", lambda s: cal.reschedule(s, c.reviewer, d, datetime(2020, 1, 1, tzinfo=UTC))),
        (InvalidInput, "in the past", lambda s: cal.move_to_day(s, c.reviewer, d, date(2026, 1, 1), "UTC")),
        # an administrator sees every post but does not approve them (1.), so does not move them
        (Forbidden, "author or a committee member", lambda s: cal.reschedule(
            s, admin, d, datetime(2027, 4, 1, tzinfo=UTC))),
        (Forbidden, "author or a committee member", lambda s: cal.unschedule(s, admin, d)),
        (NotFound, "no draft", lambda s: cal.unschedule(s, c.outsider, d)),  # not even told it exists
    ]
    for kind, words, fn in refusals:
        with pytest.raises(kind, match=words):
            with sqlite_system.db.transaction() as s:
                fn(s)
    with sqlite_system.db.transaction() as s:  # the publisher tried once and will retry
        s.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == d)).attempts = 1
    for fn in (lambda s: cal.reschedule(s, c.reviewer, d, datetime(2027, 4, 1, tzinfo=UTC)),
               lambda s: cal.unschedule(s, c.reviewer, d)):
        with pytest.raises(Conflict, match="already started"):
            with sqlite_system.db.transaction() as s:
                fn(s)
    with sqlite_system.db.transaction() as s:  # claimed by the publisher: sending
        entry = s.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == d))
        entry.attempts, entry.status = 0, "sending"
    with pytest.raises(Conflict, match="already started"):
        with sqlite_system.db.transaction() as s:
            cal.reschedule(s, c.reviewer, d, datetime(2027, 4, 1, tzinfo=UTC))
    with sqlite_system.db.transaction() as s:
        s.get(Draft, d).state = "published"
    for fn in (lambda s: cal.reschedule(s, c.reviewer, d, datetime(2027, 4, 1, tzinfo=UTC)),
               lambda s: cal.unschedule(s, c.reviewer, d)):
        with pytest.raises(Conflict, match="this one is published"):
            with sqlite_system.db.transaction() as s:
                fn(s)
    with sqlite_system.db.reader() as s:
        assert s.get(Draft, d).scheduled_at == datetime(2027, 3, 25, 9, tzinfo=UTC)  # nothing moved


def test_unscheduling_returns_the_post_to_approved_and_it_can_be_scheduled_again(sqlite_system, c):
    d = scheduled(sqlite_system, c, datetime(2027, 3, 25, 9, tzinfo=UTC))
    with sqlite_system.db.transaction() as s:
        cal.unschedule(s, c.chair, d)
    with sqlite_system.db.reader() as s:
        draft = s.get(Draft, d)
        [entry] = s.scalars(select(OutboxEntry).where(OutboxEntry.draft_id == d))
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "draft.unschedule")).actor == c.chair.label
        assert cal.grid(s, c.reviewer, "month", date(2027, 3, 1), "UTC").count == 0
    assert draft.state == "approved" and draft.scheduled_at is None and entry.status == "cancelled"
    with sqlite_system.db.transaction() as s:  # the approval stands: it is scheduled again without a review
        workflow.schedule(s, c.author, d, datetime(2027, 4, 1, 9, tzinfo=UTC))
    with sqlite_system.db.reader() as s:
        statuses = sorted(e.status for e in s.scalars(select(OutboxEntry).where(OutboxEntry.draft_id == d)))
        assert statuses == ["cancelled", "pending"] and s.get(Draft, d).state == "scheduled"
    with sqlite_system.db.transaction() as s:
        cal.unschedule(s, c.reviewer, d)
    with pytest.raises(Conflict, match="only a scheduled post can be unscheduled; this one is approved"):
        with sqlite_system.db.transaction() as s:
            cal.unschedule(s, c.reviewer, d)


def test_excerpt_keeps_the_first_words():
    assert cal.excerpt("one two three four five six seven eight nine ten") == "one two three four five six seven eight…"
    assert cal.excerpt("short post") == "short post"
