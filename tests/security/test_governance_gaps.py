"""Two governance gaps (1.): the chair set aside a block on the chair's own draft, and a member whose
authorization was revoked still had an approved draft scheduled and published. An override is
another person's judgement, and a post goes out only while its author is authorized on the channel."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from onevoice.errors import Forbidden
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import outbox, workflow
from onevoice.store.models import Channel, Draft, OutboxEntry
from tests.publishing.workflow_helpers import approved_and_scheduled, cast
from tests.policy_helpers import acknowledge_in

PHONE = "Questions? Call our membership officer on her private mobile 555-0143."
CLEAN = "Registration for the spring airway webinar is open: https://ipala.org/webinars"


def revoke_author(system, c) -> None:
    with system.db.transaction() as s:
        members.revoke_role(s, SYSTEM, "author@example.org", "authorized", s.get(Channel, c.channel_id))


def test_the_chair_does_not_override_a_block_on_the_chairs_own_draft(system):
    c = cast(system)
    with system.db.transaction() as s:
        members.grant_role(s, SYSTEM, "chair@example.org", "authorized", s.get(Channel, c.channel_id))
        acknowledge_in(s)  # the members have read the policy in force (1.)
        chair = members.actor_for(members.get_member(s, "chair@example.org"))
        d = workflow.create_draft(s, chair, c.channel_id, PHONE).id
        assert workflow.submit(s, chair, d, system.screening).screening["decision"] == "block"
    with pytest.raises(Forbidden, match="own draft"):
        with system.db.transaction() as s:
            workflow.override_block(s, chair, d, "The officer asked us to publish this number; consent on file.")
    with system.db.reader() as s:
        assert s.get(Draft, d).override_reason is None


def test_a_revoked_author_cannot_have_an_approved_draft_scheduled(system):
    c = cast(system)
    with system.db.transaction() as s:
        d = workflow.create_draft(s, c.author, c.channel_id, CLEAN).id
        workflow.submit(s, c.author, d, system.screening)
        workflow.review(s, c.reviewer, d, "approve")
    revoke_author(system, c)
    for who in (c.author, c.reviewer):  # nor by a committee member on the author's behalf
        with pytest.raises(Forbidden, match="no longer an authorized member of ipala"):
            with system.db.transaction() as s:
                workflow.schedule(s, who, d, None)
    with system.db.reader() as s:
        assert s.get(Draft, d).state == "approved" and s.scalar(select(func.count(OutboxEntry.id))) == 0


def test_a_revoked_authors_scheduled_post_is_not_published(system, snac):
    org = snac.new_account("ipala")  # a real Mastodon-API server (snac2); counted on the server below
    c = cast(system, "mastodon", base_url=snac.url, credentials={"access_token": snac.token(org)})
    kept = approved_and_scheduled(system, c, "Still authorized: this one goes out.")
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, "leaver@example.org", "Leaver")
        members.grant_role(s, SYSTEM, "leaver@example.org", "authorized", s.get(Channel, c.channel_id))
        acknowledge_in(s)  # the members have read the policy in force (1.)
        leaver = members.actor_for(members.get_member(s, "leaver@example.org"))
        d = workflow.create_draft(s, leaver, c.channel_id, "Scheduled before I left the channel.").id
        workflow.submit(s, leaver, d, system.screening)
        workflow.review(s, c.reviewer, d, "approve")
        workflow.schedule(s, leaver, d, None)
        members.revoke_role(s, SYSTEM, "leaver@example.org", "authorized", s.get(Channel, c.channel_id))
    outcomes = {o.draft_id: o for o in outbox.publish_due(system.db, system.connector_for)}
    assert outcomes[kept].status == "sent"
    assert outcomes[d].status == "failed" and "no longer an authorized member" in outcomes[d].detail
    texts = [st["text"] for st in snac.statuses(org)]
    assert texts == ["Still authorized: this one goes out."]
    with system.db.reader() as s:
        draft = s.get(Draft, d)
        assert draft.state == "failed" and "no longer an authorized member of ipala" in draft.error
