"""End-to-end in a real Chromium: what a member, a committee member and the chair see."""
from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from onevoice.crisis import intake
from onevoice.publishing import outbox
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from tests.policy_helpers import acknowledge_in

from .conftest import PASSWORD, sign_in

pytestmark = pytest.mark.slow
# The screenshots in docs/ are refreshed with ONEVOICE_SCREENSHOTS=docs; otherwise they go to a temp folder.
SHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots" if os.environ.get("ONEVOICE_SCREENSHOTS") == "docs"
         else Path(tempfile.gettempdir()) / "onevoice-screenshots")


def setup_org(system, channel_kwargs=None):
    kwargs = channel_kwargs or {"platform": "bluesky", "handle": "ipala.test"}
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, **kwargs)
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.add_member(s, SYSTEM, "rui@example.org", "Rui Reviewer", PASSWORD, ("committee",))
        members.add_member(s, SYSTEM, "chair@example.org", "Carla Chair", PASSWORD, ("chair",))
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", ch)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        return ch.id


def shot(page, name, full_page=True):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def write_flagged_draft_and_fix(page, live):
    """The member writes a draft with a private phone number, sees it highlighted, fixes it, submits."""
    sign_in(page, live, "ana@example.org", PASSWORD)
    page.get_by_role("link", name="New draft", exact=True).click()
    page.get_by_label("Text", exact=True).fill("Questions about renewals? Call our officer on her private mobile 555-0143.")
    mark = page.locator("#live-screening mark.sev-block")
    mark.wait_for(timeout=10_000)
    assert mark.inner_text() == "555-0143"
    assert "2.a Respect privacy and confidentiality" in page.locator("#live-screening").inner_text()
    shot(page, "draft-live-screening")
    # a block finding: submitting it needs the author to know it will need the chair's override
    page.get_by_label("I understand: submit it for the chair's override").check()
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url(re.compile(r"/drafts/\d+"))
    assert page.locator("section[aria-labelledby=text-h] .preview mark.sev-block").inner_text() == "555-0143"
    page.get_by_label("Edit the text").fill("Questions about renewals? Write to info@ipala.org and our office will help.")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(r"/drafts/\d+"))
    assert page.locator("section[aria-labelledby=text-h] .preview mark").count() == 0
    assert "pass" in page.locator("h2 .decision").inner_text()
    return int(re.search(r"/drafts/(\d+)", page.url).group(1))


def test_flagged_draft_fixed_approved_and_published_to_bluesky(live, new_page, bluesky_pds):
    account = bluesky_pds.create_account("ipala")
    setup_org(live.system, {"platform": "bluesky", "handle": account["handle"], "base_url": bluesky_pds.pds,
                            "credentials": {"identifier": account["handle"], "password": account["password"]}})
    author = new_page()
    draft_id = write_flagged_draft_and_fix(author, live)
    reviewer = new_page()
    sign_in(reviewer, live, "rui@example.org", PASSWORD)
    reviewer.get_by_role("link", name="Review queue").click()
    reviewer.get_by_role("link", name=str(draft_id), exact=True).click()
    shot(reviewer, "draft-review")
    reviewer.get_by_role("button", name="Approve").click()
    reviewer.wait_for_url(re.compile(r"flash="))
    assert "approved" in reviewer.locator("h1 .state").inner_text()
    reviewer.get_by_role("button", name="Schedule").click()  # no time given: as soon as possible
    reviewer.wait_for_url(re.compile(r"flash="))
    assert "scheduled" in reviewer.locator("h1 .state").inner_text()
    [outcome] = outbox.publish_due(live.system.db, live.system.connector_for)  # what the worker does
    assert outcome.status == "sent", outcome.detail
    reviewer.reload()
    assert "published" in reviewer.locator("h1 .state").inner_text()
    shot(reviewer, "draft-published")
    records = account["client"].com.atproto.repo.list_records(
        {"repo": account["did"], "collection": "app.bsky.feed.post"}).records
    assert [r.value.text for r in records] == [
        "Questions about renewals? Write to info@ipala.org and our office will help."]


def test_incident_escalation_seen_by_the_chair(live, new_page):
    cid = setup_org(live.system)
    intake.ingest(live.system.db, cid, [{"id": "c1", "text": "Your post yesterday showed a child's X-ray with the "
                                                             "name visible. This is a serious privacy breach.",
                                         "author_followers": 25000}], "import", live.system.settings)
    chair = new_page()
    sign_in(chair, live, "chair@example.org", PASSWORD)
    chair.get_by_role("link", name="Incidents", exact=True).click()
    card = chair.locator("#col-open ~ article").first
    assert "severity 3" in card.inner_text()
    shot(chair, "incidents-board")
    card.get_by_role("link").click()
    assert "Crisis" in chair.locator("h2#check-h").inner_text()
    chair.get_by_role("button", name="Acknowledge", exact=True).click()
    chair.wait_for_url(re.compile(r"flash="))
    chair.locator("ol.checklist button").first.click()
    chair.wait_for_url(re.compile(r"flash="))
    assert chair.locator("ol.checklist button.done").count() == 1
    shot(chair, "incident-page")


def test_pages_work_on_a_phone_and_with_the_keyboard(live, new_page):
    setup_org(live.system)
    phone = new_page(width=390, height=844)
    sign_in(phone, live, "ana@example.org", PASSWORD)
    phone.goto(f"{live.url}/drafts/new")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    shot(phone, "phone-new-draft")
    # every form control has a label, and Tab reaches the text box
    unlabeled = phone.evaluate("""[...document.querySelectorAll('input:not([type=hidden]), textarea, select')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
    assert unlabeled == []
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.className") == "skip"


def test_the_pages_policy_refuses_inline_script_and_breaks_nothing(demo_org, new_page):
    """Chromium enforces the Content-Security-Policy: script added inline does not run, and the
    pages themselves (the live screening, the charts, the error page's Go back) still work."""
    live, draft_id, _ = demo_org
    chair = new_page()
    refused = []
    chair.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in(chair, live, "chair@example.org", PASSWORD)
    ran = chair.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.injected = true'; document.body.append(s); return window.injected === true }""")
    assert ran is False and refused, "an inline script ran"
    refused.clear()
    chair.goto(f"{live.url}/metrics?period={datetime.now(timezone.utc).year}")
    bar = chair.locator("svg.bar rect.part-engagement").first
    assert bar.evaluate("e => getComputedStyle(e).fill") == "rgb(11, 92, 173)"  # the charts keep their colours
    chair.goto(f"{live.url}/drafts/new")
    chair.get_by_label("Text", exact=True).fill("Call me on 555-0143.")
    chair.locator("#live-screening mark.sev-block").wait_for(timeout=10_000)
    chair.goto(f"{live.url}/drafts/{draft_id}")
    chair.goto(f"{live.url}/drafts/99999999")
    chair.get_by_role("link", name="Go back").click()
    chair.wait_for_url(f"{live.url}/drafts/{draft_id}")
    assert refused == []


@pytest.mark.slow
def test_a_new_member_replaces_the_one_time_password_first(live, new_page, tmp_path):
    """The first sign-in with a one-time password, in Chromium: the password page comes first,
    then the home page; the pages before it are out of reach."""
    from onevoice.governance import members
    from onevoice.governance.permissions import SYSTEM

    with live.system.db.transaction() as s:
        _, one_time = members.add_member(s, SYSTEM, "first@example.org", "First Member")
    page = new_page()
    page.goto(f"{live.url}/login")
    page.get_by_label("E-mail").fill("first@example.org")
    page.get_by_label("Password").fill(one_time)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/password")
    assert "one-time password" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "password.png"), full_page=True)
    page.goto(f"{live.url}/check")
    page.wait_for_url(f"{live.url}/password")
    page.get_by_label("Current password").fill(one_time)
    page.get_by_label("New password (at least 10 characters)").fill("my own passphrase 7")
    page.get_by_label("New password again").fill("my own passphrase 7")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(f"{live.url}/?flash=*")
    assert "password is changed" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    page.goto(f"{live.url}/check")
    assert page.url == f"{live.url}/check"
