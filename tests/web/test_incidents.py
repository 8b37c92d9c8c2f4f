"""The incident board and page (3.) through the web app: owner picker, acknowledge countdown,
the timeline in sentences, crisis mode and the chair's fast track, with what became of the response."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from onevoice.crisis import intake, playbooks
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import outbox, workflow
from onevoice.store.models import AuditEvent, Comment, Incident
from onevoice.web.pages.committee import countdown
from tests.policy_helpers import acknowledge_in

from .signin import signed_in_client

PASSWORD = "a long password 1"
HTML = {"accept": "text/html"}
BREACH = "Your post yesterday showed a child's X-ray with the name visible. This is a serious privacy breach."


@pytest.fixture
def mastodon(snac):
    """The organization's and alice's accounts on a real Mastodon-API server (snac2)."""
    org, alice = snac.new_account("ipala"), snac.new_account("alice")
    return SimpleNamespace(url=snac.url, server=snac, org=org, org_token=snac.token(org), alice=alice,
                           alice_token=snac.token(alice))


@pytest.fixture
def crisis(sqlite_system, mastodon):
    """A Mastodon channel, a committee, and alice's comment that opened a crisis incident."""
    system = sqlite_system
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala", base_url=mastodon.url,
                                  credentials={"access_token": mastodon.org_token})
        members.add_member(s, SYSTEM, "chair@example.org", "Carla Chair", PASSWORD, ("chair",))
        members.add_member(s, SYSTEM, "cm@example.org", "Rui Reviewer", PASSWORD, ("committee",))
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.grant_role(s, SYSTEM, "chair@example.org", "authorized", ch)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        channel_id = ch.id
    posted = mastodon.server.http.post(f"{mastodon.url}/api/v1/statuses", data={"status": BREACH}, timeout=10,
                                       headers={"Authorization": f"Bearer {mastodon.alice_token}"})
    posted.raise_for_status()
    parent = posted.json()
    [incident_id] = intake.ingest(system.db, channel_id, [{"id": parent["id"], "text": BREACH, "author": "@alice",
                                                           "author_followers": 25000}], "import").incidents
    return system, channel_id, incident_id, parent




def post(c, path, **data):
    page = c.get(path.rsplit("/", 1)[0], headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return c.post(path, data={"csrf_token": token, **data}, headers=HTML, follow_redirects=False)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def member_id(system, email):
    with system.db.reader() as s:
        return members.get_member(s, email).id


def test_countdown_reads_due_and_overdue():
    now = datetime(2026, 12, 2, 16, 0, tzinfo=timezone.utc)
    assert countdown(now + timedelta(minutes=14, seconds=30), now) == "due in 14 min"
    assert countdown(now - timedelta(minutes=5, seconds=10), now) == "overdue by 5 min"
    assert countdown(now + timedelta(seconds=20), now) == "due now"
    assert countdown((now + timedelta(hours=3)).isoformat(), now) == "due in 3 h"


def test_owner_countdown_and_timeline_in_sentences(crisis):
    system, _, iid, _ = crisis
    chair = signed_in_client(system, "chair@example.org")
    board = text(chair.get("/incidents", headers=HTML).text)
    assert f"#{iid}" in board and "Owner: nobody yet" in board and re.search(r"Acknowledge: due in 1[45] min", board)
    page = chair.get(f"/incidents/{iid}", headers=HTML).text
    assert re.search(r'<time class="countdown" datetime="[^"]+">due in 1[45] min</time>', page)
    assert '<script src="/static/incidents.js" defer></script>' in page
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page.split('id="owner_id"')[1].split("</select>")[0])
    assert [name for _, name in options] == ["Carla Chair", "Rui Reviewer"]  # the committee, not Ana

    refused = post(chair, f"/incidents/{iid}/assign", owner_id=str(member_id(system, "ana@example.org")))
    assert refused.status_code == 422 and "the owner of an incident must be on the committee" in refused.text
    done = post(chair, f"/incidents/{iid}/assign", owner_id=str(member_id(system, "cm@example.org")))
    assert done.status_code == 303
    assert "Owner: Rui Reviewer" in text(chair.get("/incidents", headers=HTML).text)
    with system.db.reader() as s:
        assert s.get(Incident, iid).owner_id == member_id(system, "cm@example.org")
        assert s.scalar(select(AuditEvent.action).where(AuditEvent.action == "incident.assign")) == "incident.assign"

    assert post(chair, f"/incidents/{iid}/acknowledge").status_code == 303
    page = chair.get(f"/incidents/{iid}", headers=HTML).text
    assert 'class="countdown' not in page and "Acknowledged " in page and "(UTC)" in page  # the countdown stops
    assert "Acknowledge:" not in text(chair.get("/incidents", headers=HTML).text)
    assert post(chair, f"/incidents/{iid}/crisis_on").status_code == 303
    timeline = text(chair.get(f"/incidents/{iid}", headers=HTML).text).split("Timeline")[1]
    for sentence in ["onevoice opened the incident", "Escalated to the chair: Carla Chair",
                     "Carla Chair made Rui Reviewer the owner", "Carla Chair acknowledged the incident",
                     "Carla Chair turned crisis mode on for @ipala: its scheduled posts are paused"]:
        assert sentence in timeline, (sentence, timeline)
    assert re.search(r"\w{3} \d+ \w{3}, \d\d:\d\d \(UTC\) Carla Chair acknowledged", timeline)


def test_the_chair_fast_tracks_a_reply_in_crisis_mode_and_sees_it_sent(crisis, mastodon):
    system, channel_id, iid, parent = crisis
    with system.db.transaction() as s:
        chair_actor = members.actor_for(members.get_member(s, "chair@example.org"))
        proposal = playbooks.propose(s, chair_actor, "crisis", "holding-statement", channel_id, system.screening).draft_id
    with system.db.transaction() as s:
        workflow.review(s, members.actor_for(members.get_member(s, "cm@example.org")), proposal, "approve")
        comment_id = s.scalar(select(Comment.id).where(Comment.platform_id == parent["id"]))

    committee = signed_in_client(system, "cm@example.org").get(f"/incidents/{iid}", headers=HTML).text
    assert "Fast-track a pre-approved response" not in committee  # the chair's alone
    chair = signed_in_client(system, "chair@example.org")
    page = chair.get(f"/incidents/{iid}", headers=HTML).text
    assert '<details class="confirm">' in page and "Turn on crisis mode…" in page  # each asks to confirm
    assert f'<option value="{comment_id}" selected>@alice:' in page  # the reply goes to the comment by default
    assert post(chair, f"/incidents/{iid}/crisis_on").status_code == 303
    sent = post(chair, f"/incidents/{iid}/fast_track", response="holding-statement", comment_id=str(comment_id))
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"/incidents/{iid}?flash=")
    assert "as a reply to the comment" in chair.get(sent.headers["location"], headers=HTML).text
    assert "Waiting to send" in text(chair.get(f"/incidents/{iid}", headers=HTML).text)

    [outcome] = outbox.publish_due(system.db, system.connector_for)  # what the worker does
    assert outcome.status == "sent", outcome.detail
    responses = text(chair.get(f"/incidents/{iid}", headers=HTML).text).split("Responses")[1].split("Timeline")[0]
    assert re.search(r"\(fast-tracked\): Sent as a reply to @alice \w{3} \d+ \w{3}, \d\d:\d\d \(UTC\)", responses), responses
    [reply] = [st for st in mastodon.server.statuses(mastodon.org) if st["text"].startswith("We are aware")]
    assert reply["in_reply_to_id"] == parent["id"]
    timeline = text(chair.get(f"/incidents/{iid}", headers=HTML).text).split("Timeline")[1]
    assert "Carla Chair fast-tracked the pre-approved response “holding-statement”" in timeline


def test_a_failed_response_says_why(crisis, mastodon):
    system, channel_id, iid, _ = crisis
    with system.db.transaction() as s:
        chair_actor = members.actor_for(members.get_member(s, "chair@example.org"))
        from onevoice.crisis import incidents

        d = incidents.draft_response(s, chair_actor, iid, "We hear you and are looking into it.", system.screening)
        workflow.submit(s, chair_actor, d, system.screening)
        workflow.review(s, members.actor_for(members.get_member(s, "cm@example.org")), d, "approve")
        workflow.schedule(s, chair_actor, d, None)
    mastodon.server.revoke(mastodon.org_token)  # the platform refuses the channel's token from now on
    [outcome] = outbox.publish_due(system.db, system.connector_for)
    assert outcome.status == "failed"
    responses = text(signed_in_client(system, "chair@example.org").get(f"/incidents/{iid}", headers=HTML).text)
    assert "Failed: " in responses and "token is invalid" in responses


def test_the_incident_pages_stay_with_the_committee(crisis):
    system, _, iid, _ = crisis
    ana = signed_in_client(system, "ana@example.org")
    assert ana.get("/incidents", headers=HTML).status_code == 403
    assert ana.get(f"/incidents/{iid}", headers=HTML).status_code == 403
