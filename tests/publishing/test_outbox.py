"""Exactly-once publishing through the outbox, against the local Mastodon-API server, on both
databases: crashes, lost answers, rate limits, server errors and permanent refusals."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from onevoice.publishing import outbox, workflow
from onevoice.store.models import Channel, Draft, OutboxEntry, utcnow

from .workflow_helpers import approved_and_scheduled, cast


@pytest.fixture
def org(system, mastodon):
    c = cast(system, "mastodon", base_url=mastodon.url, credentials={"access_token": mastodon.org.token})
    return system, mastodon, c


def statuses(mastodon, text):
    return sum(1 for s in mastodon.api.state.statuses.values() if s["text"] == text)


def state(system, d):
    with system.db.reader() as s:
        return s.get(Draft, d)


def test_publishes_a_due_post(org):
    system, mastodon, c = org
    d = approved_and_scheduled(system, c)
    [outcome] = outbox.publish_due(system.db, system.connector_for)
    assert outcome.status == "sent"
    draft = state(system, d)
    assert draft.state == "published" and draft.published_ref["url"].startswith("http://mastodon.test/@ipala/")
    assert outbox.publish_due(system.db, system.connector_for) == []  # nothing due twice


def test_worker_dies_between_the_platform_call_and_the_commit(org, monkeypatch):
    system, mastodon, c = org
    d = approved_and_scheduled(system, c, "Crash-safe post")

    def die(*args, **kwargs):
        raise SystemExit("worker killed after the platform call")

    monkeypatch.setattr(outbox, "_record_success", die)
    with pytest.raises(SystemExit):
        outbox.publish_due(system.db, system.connector_for)
    monkeypatch.undo()
    assert statuses(mastodon, "Crash-safe post") == 1 and state(system, d).state == "publishing"
    assert outbox.publish_due(system.db, system.connector_for) == []  # lease still held
    [outcome] = outbox.publish_due(system.db, system.connector_for, now=utcnow() + outbox.LEASE + timedelta(seconds=1))
    assert outcome.status == "sent" and state(system, d).state == "published"
    assert statuses(mastodon, "Crash-safe post") == 1  # the same key: no second post


def test_a_crash_mid_batch_leaves_the_rest_to_the_next_worker_at_once(org):
    system, mastodon, c = org
    drafts = [approved_and_scheduled(system, c, f"Batch post {i}") for i in range(3)]
    calls = []

    def dies_on_the_second_post(channel):
        calls.append(channel.id)
        if len(calls) == 2:
            raise SystemExit("worker killed while sending the second post")
        return system.connector_for(channel)

    now = utcnow()
    with pytest.raises(SystemExit):
        outbox.publish_due(system.db, dies_on_the_second_post, now=now)
    assert state(system, drafts[0]).state == "published"
    # a second worker, a moment later: the post that was never started goes out now
    [outcome] = outbox.publish_due(system.db, system.connector_for, now=now + timedelta(seconds=1))
    assert (outcome.draft_id, outcome.status) == (drafts[2], "sent")
    # the one in flight when the worker died may have reached the platform: it waits out its lease
    assert state(system, drafts[1]).state == "publishing"
    [outcome] = outbox.publish_due(system.db, system.connector_for, now=now + outbox.LEASE + timedelta(seconds=1))
    assert (outcome.draft_id, outcome.status) == (drafts[1], "sent")
    assert [statuses(mastodon, f"Batch post {i}") for i in range(3)] == [1, 1, 1]


def test_lost_answer_is_retried_without_a_double_post(org):
    system, mastodon, c = org
    d = approved_and_scheduled(system, c, "Lost answer post")
    mastodon.api.state.faults.drop_after_create = 1
    [first] = outbox.publish_due(system.db, system.connector_for)
    assert first.status == "retry" and state(system, d).state == "scheduled"
    [second] = outbox.publish_due(system.db, system.connector_for, now=utcnow() + timedelta(hours=2))
    assert second.status == "sent" and statuses(mastodon, "Lost answer post") == 1


def test_rate_limit_and_server_errors_back_off_then_succeed(org):
    system, mastodon, c = org
    d = approved_and_scheduled(system, c, "Busy server post")
    mastodon.api.state.faults.fail_next = 2
    now = utcnow()
    assert [o.status for o in outbox.publish_due(system.db, system.connector_for, now=now)] == ["retry"]
    with system.db.reader() as s:
        e = s.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == d))
        assert e.attempts == 1 and e.due_at >= now + timedelta(seconds=outbox.BACKOFF_BASE - 1) and "503" in e.last_error
    assert outbox.publish_due(system.db, system.connector_for, now=now + timedelta(seconds=5)) == []
    later = now + timedelta(hours=1)
    assert [o.status for o in outbox.publish_due(system.db, system.connector_for, now=later)] == ["retry"]
    assert [o.status for o in outbox.publish_due(system.db, system.connector_for, now=later + timedelta(hours=2))] == ["sent"]
    assert statuses(mastodon, "Busy server post") == 1


def test_permanent_error_goes_back_to_the_author(org):
    system, mastodon, c = org
    with system.db.transaction() as s:
        ch = s.get(Channel, c.channel_id)
        ch.credentials = system.box.seal({"access_token": "revoked"})
    d = approved_and_scheduled(system, c, "Will fail")
    [o] = outbox.publish_due(system.db, system.connector_for)
    assert o.status == "failed"
    draft = state(system, d)
    assert draft.state == "failed" and draft.error == "The access token is invalid"


def test_crisis_mode_pauses_the_channel(org):
    system, mastodon, c = org
    approved_and_scheduled(system, c, "Paused post")
    with system.db.transaction() as s:
        s.get(Channel, c.channel_id).crisis_mode = True
    assert outbox.publish_due(system.db, system.connector_for) == []
    with system.db.transaction() as s:
        s.get(Channel, c.channel_id).crisis_mode = False
    assert [o.status for o in outbox.publish_due(system.db, system.connector_for)] == ["sent"]


def test_retract_deletes_through_the_outbox(org):
    system, mastodon, c = org
    d = approved_and_scheduled(system, c, "Short-lived post")
    outbox.publish_due(system.db, system.connector_for)
    with system.db.transaction() as s:
        workflow.retract(s, c.reviewer, d, "posted in error")
    [o] = outbox.publish_due(system.db, system.connector_for)
    assert o.action == "delete" and o.status == "sent"
    assert state(system, d).state == "retracted" and statuses(mastodon, "Short-lived post") == 0


def test_timeouts_retry_then_surface_to_the_author(system, mastodon):
    c = cast(system, "mastodon", base_url=mastodon.url,
             credentials={"access_token": mastodon.org.token, "timeout_s": 0.5})
    d = approved_and_scheduled(system, c, "Slow server post")
    mastodon.api.state.faults.delay_s = 2
    now = utcnow()
    outcomes = []
    for i in range(outbox.MAX_ATTEMPTS):
        outcomes += [o.status for o in outbox.publish_due(system.db, system.connector_for, now=now + timedelta(days=i))]
    assert outcomes == ["retry"] * (outbox.MAX_ATTEMPTS - 1) + ["failed"]
    draft = state(system, d)
    assert draft.state == "failed" and draft.error.startswith(f"gave up after {outbox.MAX_ATTEMPTS} attempts")
