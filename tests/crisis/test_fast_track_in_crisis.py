"""In a crisis (3.), the chair's fast-tracked pre-approved response goes out while crisis mode
pauses every other scheduled post of the channel, and as a reply to the comment it answers.

Against a real Mastodon-API server, snac2 (tests/servers/snac.py), on both databases, and against
Bluesky's own reference PDS. Before the fix the publisher skipped every entry of a channel in crisis
mode, so the response waited as "scheduled" until crisis mode ended."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from onevoice.crisis import incidents, intake, playbooks
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import outbox, workflow
from onevoice.store.models import Channel, Comment, Draft, OutboxEntry
from tests.publishing.workflow_helpers import approved_and_scheduled, cast
from tests.policy_helpers import acknowledge_in

BREACH = "Your post yesterday showed a child's X-ray with the name visible. This is a serious privacy breach."


@pytest.fixture
def org(snac):
    """A fresh snac account for the channel (its statuses are its own to count), and its token."""
    name = snac.new_account("org")
    return name, snac.token(name)


def crisis_ready(system, c, comment: dict) -> tuple[int, int, object]:
    """The comment arrives and opens a crisis incident; the committee has pre-approved the
    holding statement on the channel; the chair is authorized on it. Returns (incident, comment, chair)."""
    result = intake.ingest(system.db, c.channel_id, [comment], "import", system.settings)
    [incident_id] = result.incidents
    with system.db.transaction() as s:
        members.grant_role(s, SYSTEM, "chair@example.org", "authorized", s.get(Channel, c.channel_id))
        acknowledge_in(s)  # the members have read the policy in force (1.)
    with system.db.transaction() as s:
        chair = members.actor_for(members.get_member(s, "chair@example.org"))
        proposal = playbooks.propose(s, chair, "crisis", "holding-statement", c.channel_id, system.screening).draft_id
    with system.db.transaction() as s:
        assert workflow.review(s, c.reviewer, proposal, "approve").state == "approved"
        comment_id = s.scalar(select(Comment.id).where(Comment.platform_id == comment["id"]))
    return incident_id, comment_id, chair


def entry_of(system, draft_id: int) -> OutboxEntry:
    with system.db.reader() as s:
        return s.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == draft_id))


def test_the_fast_tracked_response_goes_out_in_crisis_mode_as_a_reply(system, snac, org):
    name, token = org
    c = cast(system, "mastodon", base_url=snac.url, handle=name, credentials={"access_token": token})
    r = snac.http.post(f"{snac.url}/api/v1/statuses", data={"status": BREACH}, timeout=10,
                       headers={"Authorization": f"Bearer {snac.reader_token('alice')}"})
    r.raise_for_status()
    parent = r.json()
    incident_id, comment_id, chair = crisis_ready(system, c, {"id": parent["id"], "text": BREACH, "author": "@alice",
                                                              "author_followers": 25000, "url": parent["url"]})
    ordinary = approved_and_scheduled(system, c, "Join our airway webinar on 3 May!")
    with system.db.transaction() as s:
        incidents.set_crisis_mode(s, chair, incident_id, True)  # step 2 of the crisis playbook
        sent = incidents.fast_track(s, chair, incident_id, "holding-statement", system.screening, comment_id)

    outcomes = outbox.publish_due(system.db, system.connector_for)

    assert [(o.draft_id, o.status) for o in outcomes] == [(sent, "sent")], outcomes
    [reply] = snac.statuses(name)  # on the server: the one status of the channel's account
    assert reply["text"].startswith("We are aware") and reply["in_reply_to_id"] == parent["id"]
    with system.db.reader() as s:
        assert s.get(Draft, sent).state == "published"
        assert s.get(Draft, ordinary).state == "scheduled"  # everything else stays paused
        [response] = incidents.response_status(s, s.get(incidents.Incident, incident_id))
        assert (response["status"], response["reply_to"], response["fast_track"]) == ("sent", "@alice", True)
        assert response["at"] is not None
    assert entry_of(system, ordinary).status == "pending"

    with system.db.transaction() as s:
        incidents.set_crisis_mode(s, chair, incident_id, False)
    [outcome] = outbox.publish_due(system.db, system.connector_for)
    assert (outcome.draft_id, outcome.status) == (ordinary, "sent")
    assert snac.count(name, "Join our airway webinar on 3 May!") == 1


def test_only_the_fast_track_skips_the_pause(system, snac, org):
    """An ordinary response drafted in the incident and approved by the committee still waits."""
    name, token = org
    c = cast(system, "mastodon", base_url=snac.url, handle=name, credentials={"access_token": token})
    incident_id, comment_id, chair = crisis_ready(system, c, {"id": "999", "text": BREACH, "author": "@alice",
                                                              "author_followers": 25000})
    with system.db.transaction() as s:
        incidents.set_crisis_mode(s, chair, incident_id, True)
        d = incidents.draft_response(s, chair, incident_id, "We hear you, and we are looking into it.",
                                     system.screening)
        workflow.submit(s, chair, d, system.screening)
        workflow.review(s, c.reviewer, d, "approve")
        workflow.schedule(s, chair, d, None)
    assert outbox.publish_due(system.db, system.connector_for) == []
    assert entry_of(system, d).fast_track is False and snac.statuses(name) == []
    with system.db.reader() as s:
        [response] = incidents.response_status(s, s.get(incidents.Incident, incident_id))
        assert response["status"] == "paused"


@pytest.mark.slow
def test_on_bluesky_the_response_is_a_reply_in_the_commenters_thread(sqlite_system, bluesky_pds):
    system = sqlite_system
    org, fan = bluesky_pds.create_account("ipalacrisis"), bluesky_pds.create_account("fancrisis")
    c = cast(system, "bluesky", base_url=bluesky_pds.pds, handle=org["handle"],
             credentials={"identifier": org["handle"], "password": org["password"]})
    post = fan["client"].send_post(text=BREACH, profile_identify=fan["did"])
    incident_id, comment_id, chair = crisis_ready(system, c, {"id": post.uri, "text": BREACH,
                                                              "author": f"@{fan['handle']}", "author_followers": 25000})
    ordinary = approved_and_scheduled(system, c, "Join our airway webinar on 3 May!")
    with system.db.transaction() as s:
        incidents.set_crisis_mode(s, chair, incident_id, True)
        sent = incidents.fast_track(s, chair, incident_id, "holding-statement", system.screening, comment_id)

    outcomes = outbox.publish_due(system.db, system.connector_for)

    assert [(o.draft_id, o.status) for o in outcomes] == [(sent, "sent")], outcomes
    records = org["client"].com.atproto.repo.list_records({"repo": org["did"], "collection": "app.bsky.feed.post"}).records
    [record] = [r.value for r in records]
    assert record.text.startswith("We are aware of the concerns raised")
    assert record.reply.parent.uri == post.uri and record.reply.root.uri == post.uri
    with system.db.reader() as s:
        assert s.get(Draft, ordinary).state == "scheduled"
