"""Intake, routing to incidents, escalation deadlines, playbooks and crisis mode (3.), on both
databases. Triage is the real classifier; notifications go to the real notification outbox."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from onevoice.crisis import escalation, incidents, intake, spikes, webhook
from onevoice.errors import Conflict, InvalidInput, Unauthenticated
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM, PermissionDenied
from onevoice.store.models import Channel, Comment, Incident, Notification, utcnow


@pytest.fixture
def crew(system):
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "bluesky", "ipala.test",
                                  credentials={"webhook_secret": "hook-secret"})
        members.add_member(s, SYSTEM, "chair@example.org", "Chair", roles=("chair",))
        members.add_member(s, SYSTEM, "vice@example.org", "Vice", roles=("vice_chair",))
        members.add_member(s, SYSTEM, "cm@example.org", "Committee", roles=("committee",))
        members.add_member(s, SYSTEM, "m@example.org", "Member")
        cid = ch.id
    with system.db.reader() as s:
        actors = {e: members.actor_for(members.get_member(s, e)) for e in
                  ("chair@example.org", "cm@example.org", "m@example.org")}
    return cid, actors


def emails_to(system, target):
    with system.db.reader() as s:
        return s.scalar(select(func.count(Notification.id)).where(Notification.channel == "email",
                                                                  Notification.target == target))


def test_intake_dedupes_triages_and_opens_an_incident(system, crew):
    cid, _ = crew
    items = [
        {"id": "p1", "text": "Your last post published a patient's full name and diagnosis. This is a privacy breach.",
         "author": "@nurse", "author_followers": 300},
        {"id": "p2", "text": "Thanks for the brilliant webinar yesterday!", "author": "@doc"},
    ]
    first = intake.ingest(system.db, cid, items, "import", system.settings)
    again = intake.ingest(system.db, cid, items, "import", system.settings)
    assert (first.new, first.duplicates) == (2, 0) and (again.new, again.duplicates) == (0, 2)
    assert first.escalated == 1 and len(first.incidents) == 1
    with system.db.reader() as s:
        inc = s.get(Incident, first.incidents[0])
        assert inc.type == "crisis" and inc.severity == 3 and inc.state == "open"
        assert inc.playbook == "crisis" and len(inc.checklist) >= 3
        praise = s.scalar(select(Comment).where(Comment.platform_id == "p2"))
        assert praise.escalate is False and praise.incident_id is None
    assert emails_to(system, "chair@example.org") == 1 and emails_to(system, "vice@example.org") == 0


def test_bad_items_are_reported_and_the_rest_stored(system, crew):
    cid, _ = crew
    res = intake.ingest(system.db, cid, [{"id": "", "text": "x"}, {"id": "ok", "text": "Great talk!"},
                                         {"id": "n", "text": "hi", "author_followers": "lots"}], "import")
    assert res.new == 1 and len(res.errors) == 2 and "author_followers" in res.errors[1]
    items, errors = intake.parse_import(b"id,text\n1,Thanks!\n2,\n", "csv")
    assert len(items) == 1 and errors == ["line 3: 'text' must be a non-empty string"]
    with pytest.raises(InvalidInput, match="header row"):
        intake.parse_import(b"foo,bar\n1,2\n", "csv")


def test_escalation_ladder_on_missed_deadline(system, crew):
    cid, actors = crew
    res = intake.ingest(system.db, cid, [{"id": "x", "text": "I will sue IPALA for defamation, my lawyer is drafting it."}],
                        "import")
    iid = res.incidents[0]
    with system.db.reader() as s:
        deadline = s.get(Incident, iid).ack_deadline
    assert escalation.check_deadlines(system.db, now=deadline - timedelta(seconds=1)) == []
    assert escalation.check_deadlines(system.db, now=deadline + timedelta(seconds=1)) == [iid]
    assert emails_to(system, "vice@example.org") == 1 and emails_to(system, "cm@example.org") == 0
    with system.db.reader() as s:
        deadline = s.get(Incident, iid).ack_deadline
    escalation.check_deadlines(system.db, now=deadline + timedelta(seconds=1))
    assert emails_to(system, "cm@example.org") == 1
    with system.db.transaction() as s:
        incidents.acknowledge(s, actors["chair@example.org"], iid)
    assert escalation.check_deadlines(system.db, now=deadline + timedelta(days=1)) == []


def test_incident_lifecycle_checklist_and_crisis_mode(system, crew):
    cid, actors = crew
    chair, cm, m = actors["chair@example.org"], actors["cm@example.org"], actors["m@example.org"]
    with system.db.transaction() as s:
        iid = incidents.open_incident(s, SYSTEM, type="crisis", severity=3, title="Data leak", channel_id=cid).id
    with pytest.raises(PermissionDenied):
        with system.db.transaction() as s:
            incidents.acknowledge(s, m, iid)
    with system.db.transaction() as s:
        incidents.acknowledge(s, cm, iid)
        incidents.check_step(s, cm, iid, 1)
        incidents.set_crisis_mode(s, chair, iid, True)
    with system.db.reader() as s:
        assert s.get(Channel, cid).crisis_mode is True
        inc = s.get(Incident, iid)
        assert inc.owner_id is not None and inc.checklist[0]["done"] and not inc.checklist[1]["done"]
    with pytest.raises(InvalidInput, match="steps 1 to"):
        with system.db.transaction() as s:
            incidents.check_step(s, cm, iid, 99)
    with pytest.raises(InvalidInput, match="resolved"):
        with system.db.transaction() as s:
            incidents.resolve(s, cm, iid, "")
    with system.db.transaction() as s:
        incidents.resolve(s, cm, iid, "Post removed, DPO informed.")
    with system.db.reader() as s:
        assert s.get(Channel, cid).crisis_mode is False  # resolving ends crisis mode
        assert [e.kind for e in s.get(Incident, iid).timeline][:3] == ["open", "escalate", "acknowledge"]
    with pytest.raises(Conflict, match="cannot acknowledge"):
        with system.db.transaction() as s:
            incidents.acknowledge(s, cm, iid)


def test_spike_opens_a_crisis_incident(system, crew):
    cid, _ = crew
    now = utcnow()
    quiet = [{"id": f"q{i}", "text": "meh, the app is slow again"} for i in range(2)]
    intake.ingest(system.db, cid, quiet, "import", now=now - timedelta(days=2))
    burst = [{"id": f"b{i}", "text": f"This is a disgrace, refund me now #{i}"} for i in range(12)]
    res = intake.ingest(system.db, cid, burst, "import", now=now)
    with system.db.reader() as s:
        kinds = {s.get(Incident, i).type for i in res.incidents}
    assert "spike" in kinds
    assert spikes.threshold([0] * 168) == spikes.MIN_COUNT
    assert spikes.threshold([10] * 168) == 30


def test_webhook_signature():
    body = b'[{"id": "1", "text": "hi"}]'
    sig = webhook.sign("s3cret", 1_700_000_000, body)
    webhook.verify("s3cret", "1700000000", sig, body, now=1_700_000_010)
    with pytest.raises(Unauthenticated, match="does not match"):
        webhook.verify("s3cret", "1700000000", sig, body + b" ", now=1_700_000_010)
    with pytest.raises(Unauthenticated, match="too old"):
        webhook.verify("s3cret", "1700000000", sig, body, now=1_700_001_000)
