"""The inbox in a real Chromium, over the demo organization, on a desktop and a phone: filter,
assign to a member, snooze, mark handled, reply (the draft lands in the review queue as a reply),
fast enough, WCAG 2.1 AA as axe-core measures it, and no sideways scrolling on a phone."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from onevoice.errors import NotFound
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import Channel, Comment, Draft
from tests.policy_helpers import acknowledge_in

from .conftest import PASSWORD
from .test_accessibility import axe_violations
from .test_browser import shot

pytestmark = pytest.mark.slow
RITA = "rita@example.org"
TEXT = "When does registration for the spring course open? I could not find it on the site."


def setup(system) -> tuple[int, str]:
    """Rita, on the committee and authorized on the demo's first channel (so she may reply on it),
    and a fresh comment there to work on, whatever the other tests did with the demo's own."""
    with system.db.transaction() as s:
        channel = s.scalar(select(Channel).order_by(Channel.id))
        try:
            members.get_member(s, RITA)
        except NotFound:
            members.add_member(s, SYSTEM, RITA, "Rita Responder", PASSWORD, ("committee",))
            members.grant_role(s, SYSTEM, RITA, "authorized", channel)
            acknowledge_in(s)  # the members have read the policy in force (1.)
        stamp = datetime.now(timezone.utc)
        c = Comment(channel_id=channel.id, platform_id=f"inbox-browser-{stamp.timestamp()}", kind="reply",
                    author="@nurse.example", author_followers=4200, text=TEXT, url=None, received_at=stamp,
                    source="import", category="question", severity=1, escalate=False, handled=False)
        s.add(c)
        s.flush()
        return c.id, c.platform_id


def test_the_committee_works_the_inbox_on_a_desktop_and_a_phone(demo_org, open_as):
    live, _, _ = demo_org
    cid, platform_id = setup(live.system)
    desk = open_as(live, RITA, 1280, 900)
    # every view answers on the demo organization (its speed is measured in bench/pages.py, not here)
    for path in ("/inbox", "/inbox?state=all", "/inbox?state=all&page=2", "/inbox?state=handled&severity=2"):
        assert desk.request.get(live.url + path).status == 200

    desk.get_by_role("link", name="Inbox", exact=True).click()
    desk.get_by_label("Show").select_option("all")
    desk.get_by_label("Category").select_option("question")
    assert "category=question" not in desk.url, "a filter waits for its button (WCAG 3.2.2)"
    desk.get_by_role("button", name="Filter").click()
    desk.wait_for_url(re.compile(r"state=all.*category=question"))
    cards = desk.locator("li.inbox-item")
    assert cards.count() > 1
    assert all("Category: question" in t for t in cards.all_inner_texts())
    card = desk.locator(f"#comment-{cid}")
    assert "4,200 followers" in card.inner_text() and "Severity 1 of 3: minor" in card.inner_text()
    card.locator("summary").click()  # what may be done with it, as the screenshot shows
    assert card.get_by_label(re.compile("Your reply")).is_visible()
    assert axe_violations(desk) == []
    shot(desk, "inbox", full_page=False)
    desk.reload()

    def act(button, *, fill=None, choose=None):
        card = desk.locator(f"#comment-{cid}")
        card.locator("summary").click()
        if fill:
            card.get_by_label(re.compile("Your reply")).fill(fill)
        if choose:
            card.get_by_label("Committee member").select_option(label=choose)
        card.get_by_role("button", name=button, exact=True).click()

    act("Assign", choose="Carla Chair")
    desk.wait_for_url(re.compile(r"flash="))
    assert "category=question" in desk.url, "the filters are kept after an action"
    assert "Assigned to: Carla Chair" in desk.locator(f"#comment-{cid}").inner_text()

    act("Snooze for 1 hour")
    desk.wait_for_url(re.compile(r"flash=.*1%20hour"))
    assert "Snoozed until" in desk.locator(f"#comment-{cid}").inner_text()
    desk.get_by_label("Show").select_option("open")
    desk.get_by_role("button", name="Filter").click()
    desk.wait_for_url(re.compile(r"state=open"))
    assert desk.locator(f"#comment-{cid}").count() == 0, "a snoozed comment leaves the open list"
    desk.get_by_label("Show").select_option("snoozed")
    desk.get_by_role("button", name="Filter").click()
    desk.wait_for_url(re.compile(r"state=snoozed"))

    act("Mark handled")
    desk.wait_for_url(re.compile(r"flash=.*handled"))
    assert desk.locator(f"#comment-{cid}").count() == 0, "a handled comment leaves the snoozed list"
    desk.goto(f"{live.url}/inbox?state=handled&category=question")
    assert "Handled" in desk.locator(f"#comment-{cid}").inner_text()

    act("Send reply for review", fill="Registration opens on Monday 7 December: ipala.org/courses has the form.")
    desk.wait_for_url(re.compile(r"/drafts/\d+\?flash="))
    draft_id = int(re.search(r"/drafts/(\d+)", desk.url).group(1))
    assert "review queue" in desk.get_by_role("status").inner_text()
    with live.system.db.reader() as s:
        d = s.get(Draft, draft_id)
        assert (d.kind, d.state, d.reply_to["id"]) == ("reply", "in_review", platform_id)
    desk.goto(f"{live.url}/review")
    assert desk.locator(f'a[href="/drafts/{draft_id}"]').count() >= 1, "the reply waits in the review queue"

    phone = open_as(live, RITA, 390, 844)
    phone.goto(f"{live.url}/inbox?state=handled&category=question")
    card = phone.locator(f"#comment-{cid}")
    card.locator("summary").click()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the inbox scrolls sideways on a phone ({width}px)"
    assert card.bounding_box()["width"] <= 390
    assert axe_violations(phone) == []
    phone.goto(f"{live.url}/inbox?state=all")
    phone.locator("li.inbox-item summary").first.click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.evaluate("document.getElementById('inbox-summary').scrollIntoView()")
    shot(phone, "phone-inbox", full_page=False)
    phone.goto(f"{live.url}/inbox?state=handled&category=question")
    card = phone.locator(f"#comment-{cid}")
    card.locator("summary").click()
    card.get_by_role("button", name="Reopen").click()
    phone.wait_for_url(re.compile(r"flash=.*Reopened"))
    with live.system.db.reader() as s:
        c = s.get(Comment, cid)
        assert c.handled is False and c.assigned_to is not None
