"""The calendar pages through the sign-in form: month, week and agenda in the viewer's zone,
rescheduling with the date-time field or a dropped day, unscheduling after a confirmation, and the
refusals shown on the page."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import workflow
from onevoice.store.models import Draft, Member, OutboxEntry, utcnow
from tests.policy_helpers import acknowledge_in

from .signin import csrf, signed_in_client

PASSWORD = "a long password 1"
UTC = timezone.utc


@pytest.fixture
def org(sqlite_system):
    system = sqlite_system
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala", name="IPALA (Mastodon)",
                                  base_url="https://mastodon.example")
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.add_member(s, SYSTEM, "rui@example.org", "Rui Reviewer", PASSWORD, ("committee",))
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", ch)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        s.scalar(select(Member).where(Member.email == "rui@example.org")).timezone = "Europe/Lisbon"
        channel_id = ch.id
    with system.db.reader() as s:
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        rui = members.actor_for(members.get_member(s, "rui@example.org"))

    def post(at: datetime, text: str = "Join our airway webinar next week, with time for your questions.") -> int:
        with system.db.transaction() as s:
            d = workflow.create_draft(s, ana, channel_id, text).id
            workflow.submit(s, ana, d, system.screening)
            workflow.review(s, rui, d, "approve")
            workflow.schedule(s, ana, d, at)
        return d

    return system, post


def client(system, email="rui@example.org"):
    return signed_in_client(system, email)




def lisbon_now():
    from zoneinfo import ZoneInfo
    return utcnow().astimezone(ZoneInfo("Europe/Lisbon"))


def test_the_month_opens_on_today_in_the_viewers_zone_with_its_posts(org):
    system, post = org
    at = (utcnow() + timedelta(days=2)).replace(hour=22, minute=30, second=0, microsecond=0)
    d = post(at)
    c = client(system)
    page = c.get("/calendar")
    assert page.status_code == 200
    today = lisbon_now()
    assert f"<h2 id=\"cal-title\">{today.strftime('%B %Y')}</h2>" in page.text
    assert 'Times in Europe/Lisbon — <a href="/account">change</a>' in page.text
    local = at.astimezone(lisbon_now().tzinfo)
    cell = re.search(rf'data-day="{local.date().isoformat()}">(.*?)</li>\s*<li class="cal-day', page.text, re.S)
    if cell is None:  # the post's day is in next month's grid (near the end of a month)
        page = c.get(f"/calendar?view=month&date={local.date().isoformat()}")
        cell = re.search(rf'data-day="{local.date().isoformat()}">(.*?)</li>\s*<li class="cal-day', page.text, re.S)
    assert f'href="/drafts/{d}"' in cell.group(1) and local.strftime("%H:%M") in cell.group(1)
    assert 'cal-badge-scheduled">scheduled<' in cell.group(1) and f'data-draft="{d}"' in cell.group(1)
    assert "Legend" in page.text and "IPALA (Mastodon)" in page.text
    for label in ("Previous month", "Today", "Next month"):
        assert label in page.text
    assert c.get("/calendar?view=month&date=2027-02-10").text.count('<li class="cal-day') == 28  # Mon 1 to Sun 28


def test_week_and_agenda_views_and_navigation(org):
    system, post = org
    d = post(datetime(2027, 3, 3, 9, 15, tzinfo=UTC))  # a Wednesday; Lisbon is on UTC then
    c = client(system)
    week = c.get("/calendar?view=week&date=2027-03-04")
    assert "Week of Mon 1 March 2027" in week.text
    assert 'href="/calendar?view=week&amp;date=2027-02-22" rel="prev"' in week.text
    assert 'href="/calendar?view=week&amp;date=2027-03-08" rel="next"' in week.text
    assert f'href="/drafts/{d}"' in week.text and "09:15" in week.text
    assert f'/calendar/posts/{d}?back=' in week.text  # the keyboard's way to move it
    agenda = c.get("/calendar?view=agenda")
    assert "Upcoming posts" in agenda.text and f'id="at-{d}"' in agenda.text
    assert 'value="2027-03-03T09:15"' in agenda.text and "Show past posts" in agenda.text
    bad = c.get("/calendar?date=soon")
    assert bad.status_code == 200 and "is not a date like 2026-12-01" in bad.text


def test_reschedule_with_the_date_field_and_by_dropping_on_a_day(org):
    system, post = org
    d = post(datetime(2027, 3, 25, 9, tzinfo=UTC))  # 09:00 in Lisbon, winter time
    c = client(system)
    agenda = c.get("/calendar?view=agenda")
    moved = c.post(f"/calendar/posts/{d}/reschedule", data={"at": "2027-03-26T14:30", "back": "/calendar?view=agenda",
                                                            "csrf_token": csrf(agenda.text)}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"].startswith("/calendar?view=agenda&flash=")
    with system.db.reader() as s:
        assert s.get(Draft, d).scheduled_at == datetime(2027, 3, 26, 14, 30, tzinfo=UTC)
    dropped = c.post(f"/calendar/posts/{d}/reschedule",
                     data={"day": "2027-04-01", "back": "/calendar?view=month&date=2027-03-01",
                           "csrf_token": csrf(agenda.text)})
    assert dropped.status_code == 200 and "moved to Thu 1 Apr 2027, 14:30 (Europe/Lisbon)" in dropped.text
    with system.db.reader() as s:  # same time of day in Lisbon, now on summer time
        assert s.get(Draft, d).scheduled_at == datetime(2027, 4, 1, 13, 30, tzinfo=UTC)
        assert s.scalar(select(OutboxEntry.due_at).where(OutboxEntry.draft_id == d)) == s.get(Draft, d).scheduled_at
    # the page says why a move is refused, and offers the field again
    past = c.post(f"/calendar/posts/{d}/reschedule", data={"at": "2020-01-01T10:00", "csrf_token": csrf(agenda.text)})
    assert past.status_code == 422 and "that time is in the past" in past.text and 'value="2020-01-01T10:00"' in past.text
    nonsense = c.post(f"/calendar/posts/{d}/reschedule", data={"day": "someday", "csrf_token": csrf(agenda.text)})
    assert nonsense.status_code == 422 and "is not a day like" in nonsense.text
    outside = c.post(f"/calendar/posts/{d}/reschedule", data={"at": "2027-05-01T10:00", "back": "https://evil.example/",
                                                              "csrf_token": csrf(agenda.text)}, follow_redirects=False)
    assert outside.headers["location"].startswith("/calendar?flash=")  # only back to this site's calendar
    forged = c.post(f"/calendar/posts/{d}/reschedule", data={"at": "2027-05-02T10:00"}, follow_redirects=False)
    assert forged.status_code == 403


def test_unschedule_asks_first_then_the_post_is_approved_again(org):
    system, post = org
    d = post(datetime(2027, 3, 25, 9, tzinfo=UTC))
    c = client(system)
    confirm = c.get(f"/calendar/posts/{d}/unschedule?back=/calendar?view=agenda")
    assert confirm.status_code == 200 and f"Unschedule draft {d}?" in confirm.text and "Keep it scheduled" in confirm.text
    with system.db.reader() as s:
        assert s.get(Draft, d).state == "scheduled"  # asking changed nothing
    done = c.post(f"/calendar/posts/{d}/unschedule", data={"back": "/calendar?view=agenda",
                                                           "csrf_token": csrf(confirm.text)})
    assert done.status_code == 200 and "unscheduled: it is approved again" in done.text
    assert f'href="/drafts/{d}"' not in done.text
    with system.db.reader() as s:
        assert s.get(Draft, d).state == "approved"
        assert s.scalar(select(OutboxEntry.status).where(OutboxEntry.draft_id == d)) == "cancelled"
    again = c.post(f"/calendar/posts/{d}/unschedule", data={"csrf_token": csrf(confirm.text)})
    assert again.status_code == 409 and "only a scheduled post can be unscheduled" in again.text


def test_a_member_sees_only_their_own_posts_and_may_move_them(org):
    system, post = org
    d = post(datetime(2027, 3, 25, 9, tzinfo=UTC))
    c = client(system, "ana@example.org")
    page = c.get("/calendar?view=month&date=2027-03-01")
    assert "Calendar: your posts" in page.text and f'href="/drafts/{d}"' in page.text
    assert "Times in UTC" in page.text  # no zone chosen
    card = c.get(f"/calendar/posts/{d}")
    assert card.status_code == 200 and 'value="2027-03-25T09:00"' in card.text
