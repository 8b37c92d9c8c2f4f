"""Exactly-once publishing through the outbox, on both databases, against a real Mastodon-API server
(snac2, tests/servers/snac.py) that ignores Idempotency-Key: crashes, lost answers, 5xx and
timeouts (a proxy between the connector and snac, tests/servers/fault_proxy.py, loses or holds
the answer), permanent refusals. Exactly one status every time, counted on the server. A 429 with
rate-limit headers, which snac never sends, is shown against the stand-in at the end."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import outbox, workflow
from onevoice.store.models import AuditEvent, Channel, Draft, OutboxEntry, utcnow
from tests.servers.fault_proxy import FaultProxy

from .workflow_helpers import Cast, approved_and_scheduled, cast

STATUSES = "/api/v1/statuses"


@dataclass
class Org:
    system: object
    snac: object
    proxy: FaultProxy
    c: Cast
    name: str

    def count(self, text: str) -> int:
        """Statuses with this text, on the server."""
        return self.snac.count(self.name, text)

    def posts_sent(self) -> int:
        """POSTs of a status that went through the proxy (whatever became of their answers)."""
        return sum(1 for method, path, _ in self.proxy.seen if (method, path) == ("POST", STATUSES))


def make_org(system, snac, proxy, **credentials) -> Org:
    name = snac.new_account("org")
    c = cast(system, "mastodon", base_url=proxy.url, handle=name,
             credentials={"access_token": snac.token(name), **credentials})
    return Org(system, snac, proxy, c, name)


@pytest.fixture
def proxy(snac):
    with FaultProxy(snac.url) as p:
        yield p


@pytest.fixture
def org(system, snac, proxy):
    """A fresh snac account (its statuses are its own to count) as the channel, reached through the proxy."""
    return make_org(system, snac, proxy)


def state(system, d):
    with system.db.reader() as s:
        return s.get(Draft, d)


def entry_of(system, d) -> OutboxEntry:
    with system.db.reader() as s:
        return s.scalar(select(OutboxEntry).where(OutboxEntry.draft_id == d, OutboxEntry.action == "publish"))


def found_on_platform(system, d) -> bool:
    with system.db.reader() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "draft.published",
                                                  AuditEvent.object_id == str(d)))
        return bool(event.detail.get("found_on_platform"))


def later(hours: float = 2):
    return utcnow() + timedelta(hours=hours)


def test_publishes_a_due_post(org):
    system = org.system
    d = approved_and_scheduled(system, org.c)
    [outcome] = outbox.publish_due(system.db, system.connector_for)
    assert outcome.status == "sent"
    draft = state(system, d)
    assert draft.state == "published" and draft.published_ref["url"].startswith(f"http://{org.snac.host}/{org.name}/p/")
    assert outbox.publish_due(system.db, system.connector_for) == []  # nothing due twice
    assert org.count(draft.text) == 1 and entry_of(system, d).outcome_unknown_since is None


def test_worker_dies_between_the_platform_call_and_the_commit(org, monkeypatch):
    system = org.system
    d = approved_and_scheduled(system, org.c, "Crash-safe post")

    def die(*args, **kwargs):
        raise SystemExit("worker killed after the platform call")

    monkeypatch.setattr(outbox, "_record_success", die)
    with pytest.raises(SystemExit):
        outbox.publish_due(system.db, system.connector_for)
    monkeypatch.undo()
    assert org.count("Crash-safe post") == 1 and state(system, d).state == "publishing"
    assert entry_of(system, d).outcome_unknown_since is not None  # committed before the call
    assert outbox.publish_due(system.db, system.connector_for) == []  # lease still held
    [outcome] = outbox.publish_due(system.db, system.connector_for, now=utcnow() + outbox.LEASE + timedelta(seconds=1))
    assert outcome.status == "sent" and state(system, d).state == "published"
    [status] = org.snac.statuses(org.name)
    assert status["text"] == "Crash-safe post" and state(system, d).published_ref["id"] == status["id"]
    assert org.posts_sent() == 1 and found_on_platform(system, d)  # looked up, not sent again


def test_a_crash_mid_batch_leaves_the_rest_to_the_next_worker_at_once(org):
    system = org.system
    drafts = [approved_and_scheduled(system, org.c, f"Batch post {i}") for i in range(3)]
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
    assert (outcome.draft_id, outcome.status) == (drafts[1], "sent") and not found_on_platform(system, drafts[1])
    assert [org.count(f"Batch post {i}") for i in range(3)] == [1, 1, 1]


@pytest.mark.parametrize("fault", [
    pytest.param(("drop", {}), id="answer-lost"),
    pytest.param(("error", {"status": 502}), id="5xx-after-the-server-posted"),
    pytest.param(("delay", {"delay_s": 3}), id="timeout"),
])
def test_an_unknown_outcome_is_looked_up_not_sent_again(system, snac, proxy, fault):
    """snac made the status, the answer never arrived whole (lost, replaced by a gateway's 502, or
    too late for the 1 s timeout). The retry finds the status instead of posting it again."""
    org = make_org(system, snac, proxy, timeout_s=1)
    d = approved_and_scheduled(system, org.c, "Lost answer post")
    action, options = fault
    proxy.fail("POST", STATUSES, action, **options)
    [first] = outbox.publish_due(system.db, system.connector_for)
    assert first.status == "retry" and state(system, d).state == "scheduled"
    assert org.count("Lost answer post") == 1 and entry_of(system, d).outcome_unknown_since is not None
    [second] = outbox.publish_due(system.db, system.connector_for, now=later())
    assert second.status == "sent" and org.count("Lost answer post") == 1
    [status] = snac.statuses(org.name)
    assert state(system, d).published_ref["id"] == status["id"] and found_on_platform(system, d)
    assert org.posts_sent() == 1


def test_a_post_made_before_its_author_lost_the_channel_is_recorded_not_failed(org):
    """The answer was lost, then the author lost the channel: the post is out all the same, and
    the draft says so (with its address, to retract it if need be) instead of "failed"."""
    system = org.system
    d = approved_and_scheduled(system, org.c, "Posted just in time")
    org.proxy.fail("POST", STATUSES, "drop")
    assert [o.status for o in outbox.publish_due(system.db, system.connector_for)] == ["retry"]
    with system.db.transaction() as s:
        members.revoke_role(s, SYSTEM, "author@example.org", "authorized", s.get(Channel, org.c.channel_id))
    [o] = outbox.publish_due(system.db, system.connector_for, now=later())
    assert o.status == "sent" and state(system, d).state == "published" and found_on_platform(system, d)
    assert org.count("Posted just in time") == 1 and org.posts_sent() == 1


def test_server_errors_before_the_server_saw_it_back_off_then_post_once(org):
    """503 from in front of snac (nothing forwarded): each retry looks, finds nothing, posts."""
    system = org.system
    d = approved_and_scheduled(system, org.c, "Busy server post")
    org.proxy.fail("POST", STATUSES, "error", times=2, status=503, forward=False)
    now = utcnow()
    assert [o.status for o in outbox.publish_due(system.db, system.connector_for, now=now)] == ["retry"]
    e = entry_of(system, d)
    assert e.attempts == 1 and e.due_at >= now + timedelta(seconds=outbox.BACKOFF_BASE - 1) and "503" in e.last_error
    assert outbox.publish_due(system.db, system.connector_for, now=now + timedelta(seconds=5)) == []
    assert [o.status for o in outbox.publish_due(system.db, system.connector_for, now=now + timedelta(hours=1))] == ["retry"]
    assert [o.status for o in outbox.publish_due(system.db, system.connector_for, now=now + timedelta(hours=3))] == ["sent"]
    assert org.count("Busy server post") == 1 and not found_on_platform(system, d) and org.posts_sent() == 3
    lookups = [p for m, p, _ in org.proxy.seen if m == "GET" and p.endswith("/statuses")]
    assert len(lookups) == 2  # the two retries after a 5xx looked first


def test_timeouts_retry_then_surface_to_the_author(system, snac, proxy):
    """A hung server (the proxy never forwards the post): every retry looks, finds nothing, tries
    again; after MAX_ATTEMPTS the author is told, and nothing was posted."""
    org = make_org(system, snac, proxy, timeout_s=0.5)
    d = approved_and_scheduled(system, org.c, "Slow server post")
    proxy.fail("POST", STATUSES, "stall", times=outbox.MAX_ATTEMPTS, delay_s=1.5)
    now = utcnow()
    outcomes = []
    for i in range(outbox.MAX_ATTEMPTS):
        outcomes += [o.status for o in outbox.publish_due(system.db, system.connector_for, now=now + timedelta(days=i))]
    assert outcomes == ["retry"] * (outbox.MAX_ATTEMPTS - 1) + ["failed"]
    draft = state(system, d)
    assert draft.state == "failed" and draft.error.startswith(f"gave up after {outbox.MAX_ATTEMPTS} attempts")
    assert "did not say whether the last attempt went through" in draft.error
    assert org.count("Slow server post") == 0


def test_permanent_error_goes_back_to_the_author(org):
    system = org.system
    with system.db.reader() as s:
        token = system.box.open(s.get(Channel, org.c.channel_id).credentials)["access_token"]
    org.snac.revoke(token)
    d = approved_and_scheduled(system, org.c, "Will fail")
    [o] = outbox.publish_due(system.db, system.connector_for)
    assert o.status == "failed"
    draft = state(system, d)
    assert draft.state == "failed"
    assert draft.error == "the access token is invalid or was revoked (the server answered 401 Unauthorized)"
    assert entry_of(system, d).outcome_unknown_since is None  # a 401 made nothing


def test_crisis_mode_pauses_the_channel(org):
    system = org.system
    approved_and_scheduled(system, org.c, "Paused post")
    with system.db.transaction() as s:
        s.get(Channel, org.c.channel_id).crisis_mode = True
    assert outbox.publish_due(system.db, system.connector_for) == []
    with system.db.transaction() as s:
        s.get(Channel, org.c.channel_id).crisis_mode = False
    assert [o.status for o in outbox.publish_due(system.db, system.connector_for)] == ["sent"]
    assert org.count("Paused post") == 1


def test_retract_deletes_through_the_outbox(org):
    if org.snac.version == "2.75":
        pytest.skip("snac 2.75 has no DELETE /api/v1/statuses/:id (it came in a later version); 2.96 has it")
    system = org.system
    d = approved_and_scheduled(system, org.c, "Short-lived post")
    outbox.publish_due(system.db, system.connector_for)
    assert org.count("Short-lived post") == 1
    with system.db.transaction() as s:
        workflow.retract(s, org.c.reviewer, d, "posted in error")
    # the deletion's answer is lost: a DELETE may be repeated, so the connector sends it again at once;
    # snac answers 404 (the status is gone), which counts as deleted
    org.proxy.fail("DELETE", STATUSES, "drop")
    [o] = outbox.publish_due(system.db, system.connector_for)
    assert o.action == "delete" and o.status == "sent"
    assert [w for m, _, w in org.proxy.seen if m == "DELETE"] == ["drop", "pass"]
    assert state(system, d).state == "retracted" and org.count("Short-lived post") == 0


# -- the stand-in: a 429 with rate-limit headers, which snac never sends ----------------------------------------

def test_rate_limit_backs_off_as_the_platform_says_and_needs_no_look_up(system, mastodon):
    c = cast(system, "mastodon", base_url=mastodon.url, credentials={"access_token": mastodon.org.token})
    d = approved_and_scheduled(system, c, "Rate-limited post")
    mastodon.api.state.faults.rate_limited_for = time.time() + 600
    now = utcnow()
    [o] = outbox.publish_due(system.db, system.connector_for, now=now)
    assert o.status == "retry"
    e = entry_of(system, d)
    assert e.due_at >= now + timedelta(seconds=590) and e.outcome_unknown_since is None  # a 429 made nothing
    mastodon.api.state.faults.rate_limited_for = 0
    assert [o.status for o in outbox.publish_due(system.db, system.connector_for, now=now + timedelta(hours=1))] == ["sent"]
    assert sum(1 for s in mastodon.api.state.statuses.values() if s["text"] == "Rate-limited post") == 1
