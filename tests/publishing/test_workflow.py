"""The draft state machine and the committee's rules, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from onevoice.errors import Conflict, Forbidden, InvalidInput
from onevoice.governance.permissions import PermissionDenied
from onevoice.publishing import workflow
from onevoice.publishing.states import STATES, TRANSITIONS, next_state
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import AuditEvent, Channel, OutboxEntry

from .workflow_helpers import cast

CLEAN = "Registration for the spring airway webinar is open: https://ipala.org/webinars"
PHONE = "Questions? Call our membership officer on her private mobile 555-0143."


def new(system, c, text=CLEAN, **kw):
    with system.db.transaction() as s:
        return workflow.create_draft(s, c.author, c.channel_id, text, **kw).id


def do(system, fn, *args, **kw):
    with system.db.transaction() as s:
        return workflow.draft_view(fn(s, *args, **kw))


def test_happy_path_states_and_audit(system):
    c = cast(system)
    d = new(system, c)
    v = do(system, workflow.submit, c.author, d, system.screening)
    assert v["state"] == "in_review" and v["screening"]["decision"] == "pass"
    v = do(system, workflow.review, c.reviewer, d, "approve")
    assert v["state"] == "approved" and v["approvals"] == 1
    v = do(system, workflow.schedule, c.author, d, datetime.now(timezone.utc) + timedelta(hours=1))
    assert v["state"] == "scheduled"
    with system.db.reader() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.object_type == "draft")
                                                .order_by(AuditEvent.seq))]
        assert s.scalar(select(OutboxEntry.idempotency_key).where(OutboxEntry.draft_id == d)) == f"onevoice-publish-d{d}-r1"
    assert actions == ["draft.create", "draft.submit", "draft.screen", "draft.open_review", "draft.review.approve",
                       "draft.approve", "draft.schedule"]


def test_only_authorized_members_submit(system):
    c = cast(system)
    with system.db.transaction() as s:
        d = workflow.create_draft(s, c.outsider, c.channel_id, CLEAN).id
    with pytest.raises(PermissionDenied, match="authorized member"):
        do(system, workflow.submit, c.outsider, d, system.screening)


def test_nobody_approves_their_own_draft_and_members_cannot_review(system):
    c = cast(system)
    with system.db.transaction() as s:
        d = workflow.create_draft(s, c.reviewer, c.channel_id, CLEAN).id
        members.grant_role(s, SYSTEM, "rev@example.org", "authorized", s.get(Channel, c.channel_id))
    rev = cast_actor(system, "rev@example.org")
    do(system, workflow.submit, rev, d, system.screening)
    with pytest.raises(Forbidden, match="own draft"):
        do(system, workflow.review, rev, d, "approve")
    with pytest.raises(PermissionDenied):
        do(system, workflow.review, c.outsider, d, "approve")


def cast_actor(system, email):
    with system.db.reader() as s:
        return members.actor_for(members.get_member(s, email))


def test_quorum_and_edit_resets_approvals(system):
    c = cast(system, quorum=2)
    d = new(system, c)
    do(system, workflow.submit, c.author, d, system.screening)
    assert do(system, workflow.review, c.reviewer, d, "approve")["state"] == "in_review"
    with pytest.raises(Conflict, match="already approved"):
        do(system, workflow.review, c.reviewer, d, "approve")
    v = do(system, workflow.edit, c.author, d, system.screening, text=CLEAN + " See you there!")
    assert v["state"] == "in_review" and v["revision"] == 2 and v["approvals"] == 0
    do(system, workflow.review, c.reviewer, d, "approve")
    assert do(system, workflow.review, c.reviewer2, d, "approve")["state"] == "approved"
    # an edit after approval sends it back for review too, and cancels a scheduled publication
    do(system, workflow.schedule, c.author, d, None)
    v = do(system, workflow.edit, c.author, d, system.screening, text=CLEAN + " Last call!")
    assert v["state"] == "in_review" and v["approvals"] == 0
    with system.db.reader() as s:
        assert s.scalar(select(OutboxEntry.status).where(OutboxEntry.draft_id == d)) == "cancelled"


def test_block_needs_the_chair_with_a_reason(system):
    c = cast(system)
    d = new(system, c, PHONE)
    v = do(system, workflow.submit, c.author, d, system.screening)
    assert v["screening"]["decision"] == "block" and v["state"] == "in_review"
    with pytest.raises(Conflict, match="2.a Respect privacy and confidentiality"):
        do(system, workflow.review, c.reviewer, d, "approve")
    with pytest.raises(PermissionDenied):
        do(system, workflow.override_block, c.reviewer, d, "looks fine to me, honestly")
    with pytest.raises(InvalidInput, match="written reason"):
        do(system, workflow.override_block, c.chair, d, "ok")
    do(system, workflow.override_block, c.chair, d, "The officer asked us to publish this number; consent on file.")
    assert do(system, workflow.review, c.reviewer, d, "approve")["state"] == "approved"


def test_request_changes_then_resubmit_and_reject(system):
    c = cast(system)
    d = new(system, c)
    do(system, workflow.submit, c.author, d, system.screening)
    with pytest.raises(InvalidInput, match="comment"):
        do(system, workflow.review, c.reviewer, d, "request_changes")
    assert do(system, workflow.review, c.reviewer, d, "request_changes", "Add the date")["state"] == "changes_requested"
    do(system, workflow.edit, c.author, d, system.screening, text=CLEAN + " on 3 May")
    assert do(system, workflow.submit, c.author, d, system.screening)["state"] == "in_review"
    assert do(system, workflow.review, c.reviewer, d, "reject", "Off-topic")["state"] == "rejected"
    with pytest.raises(Conflict, match="cannot be edited"):
        do(system, workflow.edit, c.author, d, system.screening, text="x")


def test_platform_limits_before_approval(system):
    c = cast(system, platform="bluesky", handle="ipala.test")
    # too long or empty is refused when saved (nothing stored); the rest waits for approval
    with pytest.raises(InvalidInput, match="301 graphemes: bluesky allows 300, so shorten it by 1"):
        new(system, c, "A" * 301)
    with pytest.raises(InvalidInput, match="the post is empty"):
        new(system, c, " \n ")
    d = new(system, c, "A" * 300)
    with pytest.raises(InvalidInput, match="301 graphemes"):
        do(system, workflow.edit, c.author, d, system.screening, text="A" * 301)
    d2 = new(system, c, "Our new poster", attachments=[{"type": "image", "credit": "IPALA", "alt": ""}])
    do(system, workflow.submit, c.author, d2, system.screening)
    with pytest.raises(Conflict, match="no alt text"):
        do(system, workflow.review, c.reviewer, d2, "approve")


def test_time_zones():
    at = workflow.parse_when("2026-12-01 09:00", "Europe/Lisbon")
    assert at == datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)  # Lisbon is UTC in winter
    assert workflow.parse_when("2026-07-01 09:00", "Europe/Berlin").hour == 7
    with pytest.raises(InvalidInput, match="time zone"):
        workflow.parse_when("2026-07-01 09:00", "Moon/Base")
    with pytest.raises(InvalidInput, match="not a date"):
        workflow.parse_when("next tuesday", "UTC")


def test_state_machine_refuses_undefined_moves():
    assert next_state("draft", "submit") == "submitted"
    with pytest.raises(Conflict, match="cannot approve a draft that is draft"):
        next_state("draft", "approve")
    for (state, _), target in TRANSITIONS.items():
        assert state in STATES and target in STATES
