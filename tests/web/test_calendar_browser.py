"""The calendar in Chromium, as the committee uses it: the viewer picks a time zone on their account
page, the month opens on today in that zone, prev/next and the week view, a post dragged onto
another day keeps its time of day, the agenda's date field moves one, and unscheduling asks first."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import workflow
from onevoice.store.models import Draft, utcnow
from tests.policy_helpers import acknowledge_in

from .conftest import PASSWORD, sign_in
from .test_browser import shot

pytestmark = pytest.mark.slow
TOKYO = ZoneInfo("Asia/Tokyo")


def plan(system):
    """Two channels, a committee member, and a post due in nine days at 10:00 Tokyo time."""
    with system.db.transaction() as s:
        ours = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala", name="IPALA (Mastodon)",
                                    base_url="https://mastodon.example")
        sky = channels.add_channel(s, SYSTEM, system.box, "bluesky", "ipala.bsky.example", name="IPALA (Bluesky)")
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.add_member(s, SYSTEM, "rui@example.org", "Rui Reviewer", PASSWORD, ("committee",))
        for ch in (ours, sky):
            members.grant_role(s, SYSTEM, "ana@example.org", "authorized", ch)
            acknowledge_in(s)  # the members have read the policy in force (1.)
        ids = (ours.id, sky.id)
    with system.db.reader() as s:
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        rui = members.actor_for(members.get_member(s, "rui@example.org"))
    day = (utcnow().astimezone(TOKYO) + timedelta(days=9)).replace(hour=10, minute=0, second=0, microsecond=0)
    posts = []
    for channel_id, text in zip(ids, ("Our airway webinar opens for registration today.",
                                      "Registration for the airway webinar is open.")):
        with system.db.transaction() as s:
            d = workflow.create_draft(s, ana, channel_id, text).id
            workflow.submit(s, ana, d, system.screening)
            workflow.review(s, rui, d, "approve")
            workflow.schedule(s, ana, d, day)
        posts.append(d)
    return posts, day


def test_the_committee_plans_the_month_in_its_own_time_zone(live, new_page):
    (first, second), day = plan(live.system)
    page = new_page()
    sign_in(page, live, "rui@example.org", PASSWORD)

    page.goto(f"{live.url}/account")  # the zone picker lists the IANA zones; the choice is remembered
    page.get_by_label("Your time zone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save time zone").click()
    page.goto(f"{live.url}/calendar")
    today = utcnow().astimezone(TOKYO).date()
    assert page.locator("#cal-title").inner_text() == today.strftime("%B %Y")
    assert page.locator(".cal-day.cal-today").get_attribute("data-day") == today.isoformat()
    assert "Times in Asia/Tokyo" in page.locator(".cal-zone").inner_text()

    # the post's month (next month near the end of this one)
    if page.locator(f'.cal-day[data-day="{day.date().isoformat()}"]').count() == 0:
        page.get_by_role("link", name="Next month →").click()
    cell = page.locator(f'.cal-day[data-day="{day.date().isoformat()}"]')
    post = cell.locator(f'.cal-post[data-draft="{first}"]')
    assert post.locator("time").inner_text() == "10:00"  # 01:00 UTC, shown in the viewer's zone
    # one colour per channel, the state in words
    classes = [cell.locator(f'.cal-post[data-draft="{d}"]').get_attribute("class") for d in (first, second)]
    assert len({c.split()[1] for c in classes}) == 2 and all("cal-state-scheduled" in c for c in classes)
    assert post.locator(".cal-badge").inner_text() == "scheduled"
    shot(page, "calendar-month", full_page=False)

    # dragged onto the next day: it moves there and keeps its time of day
    target_day = day.date() + timedelta(days=1)
    target = page.locator(f'.cal-day[data-day="{target_day.isoformat()}"]')
    if target.count() == 0:  # the next day is in the next month's grid
        target_day = day.date() - timedelta(days=1)
        target = page.locator(f'.cal-day[data-day="{target_day.isoformat()}"]')
    post.drag_to(target)
    page.wait_for_load_state()
    page.locator(f'.cal-day[data-day="{target_day.isoformat()}"] .cal-post[data-draft="{first}"]').wait_for()
    with live.system.db.reader() as s:
        moved = s.get(Draft, first).scheduled_at.astimezone(TOKYO)
    assert moved.date() == target_day and (moved.hour, moved.minute) == (10, 0)

    # week view, and back and forth
    page.get_by_role("link", name="Week", exact=True).click()
    assert page.locator("#cal-title").inner_text().startswith("Week of ")
    page.get_by_role("link", name="Next week →").click()
    page.get_by_role("link", name="← Previous week").click()
    page.get_by_role("link", name="Today").click()
    assert page.locator(".cal-day.cal-today").count() == 1

    # the agenda: the date field moves a post, unscheduling asks first
    page.get_by_role("link", name="Agenda", exact=True).click()
    field = page.locator(f"#at-{second}")
    new_time = (day + timedelta(days=2)).replace(hour=16, minute=45)
    field.fill(new_time.strftime("%Y-%m-%dT%H:%M"))
    page.locator(f"#at-{second} ~ button").click()
    assert "moved to" in page.locator("[role=status], .flash").first.inner_text()
    with live.system.db.reader() as s:
        assert s.get(Draft, second).scheduled_at.astimezone(TOKYO).replace(tzinfo=None) == new_time.replace(tzinfo=None)
    shot(page, "calendar-agenda", full_page=False)
    page.get_by_role("link", name=f"Unschedule draft {second}").click()
    assert page.get_by_role("heading", name=f"Unschedule draft {second}?").is_visible()
    page.get_by_role("button", name="Unschedule").click()
    assert page.locator(f'#at-{second}').count() == 0
    with live.system.db.reader() as s:
        assert s.get(Draft, second).state == "approved"

    phone = new_page(390, 844)
    sign_in(phone, live, "rui@example.org", PASSWORD)
    phone.goto(f"{live.url}/calendar?view=month&date={target_day.isoformat()}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator(f'.cal-post[data-draft="{first}"]').is_visible()
    shot(phone, "phone-calendar", full_page=False)
