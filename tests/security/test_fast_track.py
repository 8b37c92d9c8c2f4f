"""The chair's fast track (3.) does not bypass the committee (1.): a response is pre-approved only
by a draft of its exact text that went through screening and the channel's quorum, its approved
text is frozen, changing the playbook withdraws it, and the chair sends it only on a channel the
chair is authorized on. A `pre_approved: true` in YAML grants nothing."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from onevoice import safe_yaml
from onevoice.crisis import incidents, playbooks
from onevoice.errors import Conflict, Forbidden, InvalidInput
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM, Actor, PermissionDenied
from onevoice.publishing import workflow
from onevoice.store.models import AuditEvent, Channel, Draft, Playbook
from tests.policy_helpers import acknowledge_cli, acknowledge_in

RESPONSE = ("crisis", "holding-statement")


@dataclass
class Committee:
    channel_id: int
    other_channel_id: int
    chair: Actor
    proposer: Actor    # committee member, authorized on the channel
    reviewer: Actor
    reviewer2: Actor


def actor(system, email: str) -> Actor:
    with system.db.reader() as s:
        return members.actor_for(members.get_member(s, email))


@pytest.fixture
def committee(system) -> Committee:
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala", quorum=2)
        other = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala-events")
        for email, roles in [("chair@example.org", ("chair",)), ("proposer@example.org", ("committee",)),
                             ("rev@example.org", ("committee",)), ("rev2@example.org", ("committee",))]:
            members.add_member(s, SYSTEM, email, email.split("@")[0], roles=roles)
        members.grant_role(s, SYSTEM, "proposer@example.org", "authorized", ch)
        members.grant_role(s, SYSTEM, "proposer@example.org", "authorized", other)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        ids = ch.id, other.id
    return Committee(*ids, actor(system, "chair@example.org"), actor(system, "proposer@example.org"),
                     actor(system, "rev@example.org"), actor(system, "rev2@example.org"))


def crisis_incident(system, channel_id: int) -> int:
    with system.db.transaction() as s:
        return incidents.open_incident(s, SYSTEM, type="crisis", severity=3, title="Data leak",
                                       channel_id=channel_id).id


def propose(system, c: Committee, channel_id: int | None = None) -> int:
    with system.db.transaction() as s:
        return playbooks.propose(s, c.proposer, *RESPONSE, channel_id or c.channel_id, system.screening).draft_id


def approve(system, reviewer: Actor, draft_id: int) -> str:
    with system.db.transaction() as s:
        return workflow.review(s, reviewer, draft_id, "approve").state


def fast_track(system, who: Actor, incident_id: int) -> int:
    with system.db.transaction() as s:
        return incidents.fast_track(s, who, incident_id, RESPONSE[1], system.screening)


def status(system, draft_id: int) -> str:
    with system.db.reader() as s:
        a = next(a for a in playbooks.proposals(s, RESPONSE[0]) if a.draft_id == draft_id)
        return playbooks.approval_status(s, a)


def authorize_chair(system, c: Committee) -> Actor:
    with system.db.transaction() as s:
        members.grant_role(s, SYSTEM, "chair@example.org", "authorized", s.get(Channel, c.channel_id))
        acknowledge_in(s)  # the members have read the policy in force (1.)
    return actor(system, "chair@example.org")


def pre_approved(system, c: Committee) -> int:
    draft_id = propose(system, c)
    approve(system, c.reviewer, draft_id)
    assert approve(system, c.reviewer2, draft_id) == "approved"
    return draft_id


def test_a_yaml_flag_grants_no_pre_approval(system, committee):
    """The hostile tester's path: a committee member marks a response pre-approved in YAML."""
    c = committee
    source = safe_yaml.dump({"name": "crisis", "incident_type": "crisis", "title": "Crisis", "steps": ["Act"],
                             "responses": [{"name": "holding-statement", "text": "We are on it.",
                                            "pre_approved": True}]})
    with pytest.raises(InvalidInput, match="pre-approval is a committee decision"):
        with system.db.transaction() as s:
            playbooks.save(s, c.proposer, source)
    # A version stored before this rule still says so: it is read, and ignored.
    with system.db.transaction() as s:
        s.add(Playbook(name="crisis", incident_type="crisis", source=source, active=True))
    chair = authorize_chair(system, c)
    iid = crisis_incident(system, c.channel_id)
    with pytest.raises(Conflict, match="not pre-approved"):
        fast_track(system, chair, iid)
    with system.db.reader() as s:
        assert s.scalar(select(Draft.id).where(Draft.incident_id == iid)) is None


def test_pre_approval_takes_the_channels_quorum_without_self_approval(system, committee):
    c = committee
    chair = authorize_chair(system, c)
    iid = crisis_incident(system, c.channel_id)
    draft_id = propose(system, c)
    with system.db.reader() as s:
        proposal = s.get(Draft, draft_id)
        assert proposal.state == "in_review" and proposal.screening["decision"] == "pass"
        assert proposal.author_id == c.proposer.member_id
    with pytest.raises(Forbidden, match="own draft"):
        approve(system, c.proposer, draft_id)
    assert approve(system, c.reviewer, draft_id) == "in_review"
    assert status(system, draft_id) == "in review"
    with pytest.raises(Conflict, match="not pre-approved"):
        fast_track(system, chair, iid)  # one approval of a quorum of two is not the committee's decision
    with pytest.raises(Conflict, match="already in review"):
        propose(system, c)
    with system.db.reader() as s:
        assert playbooks.pre_approved_responses(s, RESPONSE[0], c.channel_id) == []
    assert approve(system, c.reviewer2, draft_id) == "approved"
    assert status(system, draft_id) == "pre-approved"
    with system.db.reader() as s:
        assert [r.name for r in playbooks.pre_approved_responses(s, RESPONSE[0], c.channel_id)] == [RESPONSE[1]]
        assert playbooks.pre_approved_responses(s, RESPONSE[0], c.other_channel_id) == []
    sent = fast_track(system, chair, iid)
    with system.db.reader() as s:
        reply, proposal = s.get(Draft, sent), s.get(Draft, draft_id)
        assert reply.state == "scheduled" and reply.text == proposal.text
        assert reply.channel_id == c.channel_id and reply.incident_id == iid
        approved = s.scalar(select(AuditEvent).where(AuditEvent.action == "draft.approve",
                                                     AuditEvent.object_id == str(sent)))
        assert f"draft {draft_id}, revision 1" in approved.detail["reason"]


def test_the_fast_track_needs_the_chair_authorized_on_the_incidents_channel(system, committee):
    c = committee
    pre_approved(system, c)
    iid = crisis_incident(system, c.channel_id)
    with pytest.raises(Forbidden, match="authorized member of the incident's channel"):
        fast_track(system, c.chair, iid)
    # the workflow's own fast track refuses it too, whoever calls it
    with system.db.transaction() as s:
        d = workflow.create_draft(s, c.chair, c.channel_id, "We are aware of the concerns raised.")
        with pytest.raises(PermissionDenied):
            workflow.fast_track_approve(s, c.chair, d, system.screening, approved_text=d.text, reason="test")
    chair = authorize_chair(system, c)
    assert fast_track(system, chair, iid)


def test_a_pre_approval_counts_only_on_its_channel(system, committee):
    c = committee
    with system.db.transaction() as s:
        members.grant_role(s, SYSTEM, "chair@example.org", "authorized", s.get(Channel, c.other_channel_id))
        acknowledge_in(s)  # the members have read the policy in force (1.)
    chair = actor(system, "chair@example.org")
    elsewhere = propose(system, c, c.other_channel_id)  # quorum 1 there
    assert approve(system, c.reviewer, elsewhere) == "approved"
    assert fast_track(system, chair, crisis_incident(system, c.other_channel_id))
    chair = authorize_chair(system, c)
    with pytest.raises(Conflict, match="not pre-approved on this channel"):
        fast_track(system, chair, crisis_incident(system, c.channel_id))


def test_changing_the_response_withdraws_its_pre_approval(system, committee):
    c = committee
    chair = authorize_chair(system, c)
    draft_id = pre_approved(system, c)
    with system.db.reader() as s:
        spec = playbooks.active(s, name=RESPONSE[0])
    unchanged = safe_yaml.dump(playbooks.as_dict(spec))
    with system.db.transaction() as s:
        playbooks.save(s, c.reviewer, unchanged.replace("title: Crisis", "title: Crisis (v2)"))
    assert status(system, draft_id) == "pre-approved"  # another field changed: the approved text stands
    changed = unchanged.replace("urgently", "now")
    with system.db.transaction() as s:
        playbooks.save(s, c.reviewer, changed)
    with system.db.reader() as s:
        assert playbooks.proposals(s, RESPONSE[0]) == []
        assert s.scalar(select(AuditEvent.seq).where(AuditEvent.action == "playbook.pre_approval_withdrawn"))
    iid = crisis_incident(system, c.channel_id)
    with pytest.raises(Conflict, match="not pre-approved"):
        fast_track(system, chair, iid)
    with system.db.transaction() as s:
        playbooks.save(s, c.reviewer, unchanged)  # the old text again does not bring the approval back
    with pytest.raises(Conflict, match="not pre-approved"):
        fast_track(system, chair, iid)


def test_the_approved_draft_is_frozen_and_never_posted_itself(system, committee):
    c = committee
    chair = authorize_chair(system, c)
    draft_id = pre_approved(system, c)
    with pytest.raises(Conflict, match="not posted itself"):
        with system.db.transaction() as s:
            workflow.schedule(s, c.proposer, draft_id, None)
    with system.db.transaction() as s:
        workflow.edit(s, c.proposer, draft_id, system.screening, text="We are aware. More soon, promise.")
    approve(system, c.reviewer, draft_id)
    assert approve(system, c.reviewer2, draft_id) == "approved"  # approved again, but not the frozen revision
    assert status(system, draft_id) == "lapsed"
    with pytest.raises(Conflict, match="not pre-approved"):
        fast_track(system, chair, crisis_incident(system, c.channel_id))


@pytest.mark.parametrize("change,needle", [
    (lambda d: d.update(name="n" * (playbooks.MAX_NAME + 1)), "name is 101 characters"),
    (lambda d: d.update(name="two\nlines"), "name must be one line"),
    (lambda d: d.update(title="t" * (playbooks.MAX_TITLE + 1)), "title is 301 characters"),
    (lambda d: d.update(steps=["s"] * (playbooks.MAX_STEPS + 1)), "51 steps"),
    (lambda d: d.update(steps=["s" * (playbooks.MAX_STEP_CHARS + 1)]), "step 1 is 1001 characters"),
    (lambda d: d.update(responses=[{"name": f"r{i}", "text": "t"} for i in range(playbooks.MAX_RESPONSES + 1)]),
     "21 responses"),
    (lambda d: d.update(responses=[{"name": "r", "text": "t" * (playbooks.MAX_RESPONSE_CHARS + 1)}]),
     "response 'r''s text is 5001 characters"),
    (lambda d: d.update(responses=[{"name": "r", "text": "a"}, {"name": "r", "text": "b"}]), "two responses"),
    (lambda d: d.update(responses="not a list"), "responses must be a list"),
])
def test_playbook_fields_are_capped(change, needle):
    doc = {"name": "complaint", "incident_type": "complaint", "title": "Complaint", "steps": ["Read it"],
           "responses": [{"name": "ack", "text": "Thank you."}]}
    assert playbooks.parse(safe_yaml.dump(doc))[0].responses[0].text == "Thank you."
    change(doc)
    with pytest.raises(InvalidInput, match=re.escape(needle)):
        playbooks.parse(safe_yaml.dump(doc))


def test_the_packaged_playbooks_start_without_pre_approval(sqlite_system):
    with sqlite_system.db.reader() as s:
        assert len(playbooks.all_active(s)) == 5 and playbooks.proposals(s) == []
    for name, source in playbooks.packaged_sources().items():
        assert "pre_approved" not in source, name


BIN = os.path.join(os.path.dirname(sys.executable), "onevoice")


def test_propose_from_the_command_line(tmp_path):
    env = {**os.environ, "ONEVOICE_HOME": str(tmp_path)}
    env.pop("ONEVOICE_DATABASE_URL", None)

    def run(*args):
        return subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=300)

    assert run("init").returncode == 0
    assert run("channel", "add", "mastodon", "ipala").returncode == 0
    for email, role in [("chair@example.org", "chair"), ("cm@example.org", "committee")]:
        assert run("member", "add", email, "--name", role).returncode == 0
        assert run("member", "grant", email, role).returncode == 0
    assert run("member", "grant", "chair@example.org", "authorized", "--channel", "ipala").returncode == 0
    acknowledge_cli(run, "chair@example.org")  # the chair has read the policy in force (1.)
    r = run("playbook", "propose", *RESPONSE, "--channel", "ipala", "--as", "chair@example.org")
    assert r.returncode == 0 and "proposed for pre-approval as draft 1 (in review)" in r.stdout, r.stderr
    assert run("review", "approve", "1", "--as", "cm@example.org").returncode == 0
    assert "holding-statement on channel 1: pre-approved (draft 1)" in run("playbook", "list").stdout
    r = run("playbook", "propose", "crisis", "no-such-response", "--channel", "ipala", "--as", "chair@example.org")
    assert r.returncode != 0 and r.stderr.strip().splitlines() == [
        "error: playbook 'crisis' has no response 'no-such-response'"]
