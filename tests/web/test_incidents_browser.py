"""The chair's crisis in a real Chromium, over a real local Bluesky PDS: the banner says the
escalation e-mail could not be sent, the chair opens the incident from it, names an owner,
acknowledges (the countdown stops), turns on crisis mode, fast-tracks the pre-approved holding
statement and sees it sent as a reply to the comment, while crisis mode holds the other posts."""
from __future__ import annotations

import re

import pytest

from onevoice import notify
from onevoice.crisis import intake, playbooks
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.notify import NotifyConfig
from onevoice.publishing import outbox, workflow
from onevoice.store.models import Channel, Draft
from tests.servers import npm
from tests.policy_helpers import acknowledge_in

from .conftest import PASSWORD, sign_in
from .test_accessibility import AXE, axe_violations
from .test_browser import setup_org, shot

pytestmark = pytest.mark.slow
BREACH = "Your post yesterday showed a child's X-ray with the name visible. This is a serious privacy breach."


def crisis_org(system, bluesky_pds):
    org, fan = bluesky_pds.create_account("ipala"), bluesky_pds.create_account("nurse")
    channel_id = setup_org(system, {"platform": "bluesky", "handle": org["handle"], "base_url": bluesky_pds.pds,
                                    "credentials": {"identifier": org["handle"], "password": org["password"]}})
    with system.db.transaction() as s:
        members.grant_role(s, SYSTEM, "chair@example.org", "authorized", s.get(Channel, channel_id))
        acknowledge_in(s)  # the members have read the policy in force (1.)
    with system.db.transaction() as s:
        chair = members.actor_for(members.get_member(s, "chair@example.org"))
        proposal = playbooks.propose(s, chair, "crisis", "holding-statement", channel_id, system.screening).draft_id
    with system.db.transaction() as s:
        workflow.review(s, members.actor_for(members.get_member(s, "rui@example.org")), proposal, "approve")
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        planned = workflow.create_draft(s, ana, channel_id, "Our airway webinar is on 3 May: sign up now!").id
        workflow.submit(s, ana, planned, system.screening)
        workflow.review(s, members.actor_for(members.get_member(s, "rui@example.org")), planned, "approve")
        workflow.schedule(s, ana, planned, None)
    post = fan["client"].send_post(text=BREACH, profile_identify=fan["did"])
    [incident_id] = intake.ingest(system.db, channel_id, [{"id": post.uri, "text": BREACH, "author": f"@{fan['handle']}",
                                                           "author_followers": 25000}], "import").incidents
    notify.deliver_due(system.db, NotifyConfig())  # what the worker does, on a server with no SMTP configured
    return org, fan, post, incident_id, planned


def test_the_chair_handles_a_crisis_from_the_banner_to_the_reply(live, new_page, bluesky_pds):
    org, fan, post, incident_id, planned = crisis_org(live.system, bluesky_pds)
    axe = npm.installed("axe", AXE) / "node_modules" / "axe-core" / "axe.min.js"
    chair = new_page()
    chair.context.add_init_script(path=str(axe))
    chair.clock.install()  # the page's own clock, to watch the countdown move
    sign_in(chair, live, "chair@example.org", PASSWORD)

    alert = chair.locator(".alerts .alert")
    assert alert.inner_text().startswith("1 escalation could not be delivered: no e-mail server is configured")
    shot(chair, "alert-banner", full_page=False)
    alert.get_by_role("link", name=f"Open incident #{incident_id}").click()
    chair.wait_for_url(re.compile(rf"/incidents/{incident_id}$"))
    assert "The chair was not notified:" in chair.locator(".delivery-problem").inner_text()
    countdown = chair.locator(".deadline time.countdown")
    assert re.fullmatch(r"due in 1[45] min", countdown.inner_text())
    chair.clock.run_for("20:00")  # twenty minutes later, still open: the script counts on
    assert re.fullmatch(r"overdue by [56] min", countdown.inner_text())
    assert "overdue" in countdown.get_attribute("class")

    chair.get_by_label("Owner", exact=True).select_option(label="Rui Reviewer")
    chair.get_by_role("button", name="Save owner").click()
    chair.wait_for_url(re.compile(r"flash="))
    assert "owner Rui Reviewer" in chair.locator(".incident-summary").inner_text()
    chair.get_by_role("button", name="Acknowledge", exact=True).click()
    chair.wait_for_url(re.compile(r"flash="))
    assert chair.locator("time.countdown").count() == 0  # the countdown stops
    assert chair.locator(".deadline.done").inner_text().startswith("Acknowledged ")

    chair.locator("summary", has_text="Turn on crisis mode").click()
    chair.get_by_role("button", name=f"Yes, pause @{org['handle']}").click()
    chair.wait_for_url(re.compile(r"flash="))
    assert "crisis mode" in chair.locator(".incident-summary").inner_text()
    chair.locator("summary", has_text="Fast-track a pre-approved response").click()
    assert chair.get_by_label("In reply to").first.evaluate("e => e.selectedOptions[0].text").startswith(f"@{fan['handle']}")
    chair.get_by_role("button", name="Yes, send it now").click()
    chair.wait_for_url(re.compile(r"flash="))
    assert "Waiting to send" in chair.locator(".responses").inner_text()

    outcomes = outbox.publish_due(live.system.db, live.system.connector_for)  # what the worker does
    assert [o.status for o in outcomes] == ["sent"], outcomes
    chair.goto(f"{live.url}/incidents/{incident_id}")
    sent = chair.locator(".responses li").first.inner_text()
    assert re.search(rf"Sent as a reply to @{re.escape(fan['handle'])} \w{{3}} \d+ \w{{3}}, \d\d:\d\d \(UTC\)", sent), sent
    timeline = chair.locator("ol.timeline").inner_text()
    for sentence in ("Carla Chair made Rui Reviewer the owner", "Carla Chair acknowledged the incident",
                     f"Carla Chair turned crisis mode on for @{org['handle']}",
                     "Carla Chair fast-tracked the pre-approved response “holding-statement”"):
        assert sentence in timeline, timeline
    assert axe_violations(chair) == []
    shot(chair, "incident-page")
    [record] = [r.value for r in org["client"].com.atproto.repo.list_records(
        {"repo": org["did"], "collection": "app.bsky.feed.post"}).records]
    assert record.reply.parent.uri == post.uri  # a reply in the nurse's thread, not a new post
    with live.system.db.reader() as s:
        assert s.get(Draft, planned).state == "scheduled"  # everything else stays paused

    chair.goto(f"{live.url}/incidents")
    card = chair.locator("#col-acknowledged ~ article").first
    assert "Owner: Rui Reviewer" in card.inner_text()
    assert axe_violations(chair) == []
    shot(chair, "incidents-board")

    chair.set_viewport_size({"width": 390, "height": 844})
    chair.goto(f"{live.url}/incidents/{incident_id}")
    assert chair.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(chair) == []
    shot(chair, "phone-incident", full_page=False)
