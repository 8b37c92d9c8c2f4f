"""One bad comment must not lose the batch it came in (3.): each item is checked on its own, the
bad ones are reported by position and reason and the rest are stored, inline as queued; a queued
batch that keeps failing becomes a dead letter the admin sees, with its error, and retries or
discards; and the platform's own answers while polling pass the same checks."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from onevoice.crisis import intake, queue
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing.connectors.base import RemoteComment
from onevoice.store.models import AuditEvent, Comment, InboundBatch, InboundCursor
from onevoice.triage import triage as real_triage
from onevoice.web.app import create_app

from tests.crisis.test_crisis_api import signed

GOOD = 99
# Each of these once failed in the database, or in Python before it, with the whole batch.
POISON = [
    '{"id": "big", "text": "hi", "author_followers": 100000000000000000000}',
    '{"id": "inf", "text": "hi", "author_followers": Infinity}',
    '{"id": "nan", "text": "hi", "author_followers": NaN}',
    '{"id": "nul", "text": "a NUL \\u0000 in it"}',
    '{"id": "half", "text": "half a character \\ud800"}',
    '{"id": "late", "text": "hi", "created_at": "9999-12-31T23:00:00-05:00"}',
    '{"id": ["a", "list"], "text": "hi"}',
    '{"id": "' + "x" * 501 + '", "text": "hi"}',
    '"not an object"',
]


def poisoned_body() -> bytes:
    good = [json.dumps({"id": f"good-{n}", "text": "Thanks for the webinar!", "author_followers": 10})
            for n in range(GOOD)]
    return ("[" + ", ".join(good[:50] + POISON + good[50:]) + "]").encode()


@pytest.fixture
def api(system):
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "bluesky", "ipala.test",
                                  credentials={"webhook_secret": "hook-secret"})
        for email, roles in (("cm@example.org", ("committee",)), ("admin@example.org", ("admin",))):
            members.add_member(s, SYSTEM, email, email.split("@")[0], "a long password", roles)
        cid = ch.id
    client = TestClient(create_app(system, scheduler=False), raise_server_exceptions=False)
    tokens = {}
    for email in ("cm@example.org", "admin@example.org"):
        r = client.post("/api/v1/tokens", json={"email": email, "password": "a long password"})
        tokens[email] = {"Authorization": f"Bearer {r.json()['token']}", "Content-Type": "application/json"}
    return client, cid, tokens


def stored(system) -> set[str]:
    with system.db.reader() as s:
        return set(s.scalars(select(Comment.platform_id)))


def check_report(errors: list[str]) -> None:
    """Every bad item is named by its place in the batch (1-based) with the reason."""
    assert len(errors) == len(POISON), errors
    assert [e.split(":")[0] for e in errors] == [f"item {51 + n}" for n in range(len(POISON))]
    for needle in ("author_followers", "author_followers", "author_followers", "NUL", "surrogate",
                   "created_at", "'id' must be", "longer than 500", "must be an object"):
        assert any(needle in e for e in errors), needle


def test_inline_a_bad_item_is_reported_and_the_others_are_stored(system, api):
    client, cid, tokens = api
    r = client.post(f"/api/v1/channels/{cid}/comments", content=poisoned_body(), headers=tokens["cm@example.org"])
    assert r.status_code == 200, r.text
    assert r.json()["new"] == GOOD
    check_report(r.json()["errors"])
    assert stored(system) == {f"good-{n}" for n in range(GOOD)}


def test_queued_a_bad_item_is_reported_at_once_and_the_others_are_stored(system, api):
    client, cid, tokens = api
    system.settings = dataclasses.replace(system.settings, intake="queued")
    body = poisoned_body()
    r = client.post(f"/api/v1/channels/{cid}/inbound", content=body, headers=signed(body, "hook-secret"))
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == GOOD
    check_report(r.json()["errors"])
    assert queue.drain(system.db, system.settings) == 1
    assert len(stored(system)) == GOOD
    assert queue.waiting(system.db) == {"batches_waiting": 0, "batches_failed": 0}


def test_a_batch_that_keeps_failing_becomes_a_dead_letter_and_the_rest_is_stored(system, api):
    client, cid, tokens = api
    items = [{"id": f"ok-{n}", "text": "Thanks for the webinar!"} for n in range(5)]
    items.insert(2, {"id": "poison", "text": "this one breaks triage"})
    queue.accept(system.db, cid, items, "webhook")

    def breaks(text, followers=None):
        if "breaks triage" in text:
            raise RuntimeError("triage failed on this one")
        return real_triage(text, followers)

    queue.drain(system.db, system.settings, triage=breaks)
    with system.db.reader() as s:  # one attempt a run: a passing fault does not spend them all at once
        assert s.scalar(select(InboundBatch.attempts)) == 1
    for _ in range(queue.MAX_ATTEMPTS - 1):
        queue.drain(system.db, system.settings, triage=breaks)
    assert stored(system) == {f"ok-{n}" for n in range(5)}  # the good ones, stored one by one at the last attempt
    assert queue.waiting(system.db) == {"batches_waiting": 0, "batches_failed": 1}
    queue.drain(system.db, system.settings, triage=breaks)  # a dead letter is not tried again on its own
    with system.db.reader() as s:
        batch = s.scalar(select(InboundBatch))
        assert [i["platform_id"] for i in batch.items] == ["poison"] and batch.attempts == queue.MAX_ATTEMPTS

    r = client.get("/api/v1/inbound/failed", headers=tokens["admin@example.org"])
    assert r.status_code == 200
    [dead] = r.json()
    assert dead["id"] == batch.id and dead["items"] == 1 and "triage failed on this one" in dead["error"]
    assert "breaks triage" not in json.dumps(dead)  # the admin sees the error, not the comment
    assert client.get("/api/v1/inbound/failed", headers=tokens["cm@example.org"]).status_code == 403
    page = client.get("/admin/channels", headers={**tokens["admin@example.org"], "accept": "text/html"})
    assert page.status_code == 200 and "triage failed on this one" in page.text

    r = client.post(f"/api/v1/inbound/failed/{batch.id}/retry", headers=tokens["admin@example.org"])
    assert r.status_code == 200 and r.json()["attempts"] == 0
    assert queue.drain(system.db, system.settings) == 1  # the cause is gone: it is stored now
    assert "poison" in stored(system)
    assert client.get("/api/v1/inbound/failed", headers=tokens["admin@example.org"]).json() == []
    with system.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "inbound.retry")) == 1


def test_the_cli_shows_retries_and_discards_dead_letters(system, api, monkeypatch):
    from onevoice.cli import app, base

    client, cid, tokens = api
    monkeypatch.setattr(base, "_system", system)
    queue.accept(system.db, cid, [{"id": "p", "text": "poison"}], "import")

    def breaks(text, followers=None):
        raise RuntimeError("the encoder is missing")

    for _ in range(queue.MAX_ATTEMPTS):
        queue.drain(system.db, system.settings, triage=breaks)
    runner = CliRunner()
    shown = runner.invoke(app, ["comments", "failed"])
    assert shown.exit_code == 0 and "the encoder is missing" in shown.output and "1 comments" in shown.output
    with system.db.reader() as s:
        batch_id = s.scalar(select(InboundBatch.id))
    assert runner.invoke(app, ["comments", "discard", str(batch_id)]).exit_code == 0
    assert "no failed batches" in runner.invoke(app, ["comments", "failed"]).output
    missing = runner.invoke(app, ["comments", "retry", str(batch_id)])
    assert missing.exit_code != 0 and "error: no failed inbound batch" in missing.output
    with system.db.reader() as s:
        event = s.scalar(select(AuditEvent).where(AuditEvent.action == "inbound.discard"))
        assert event is not None and s.scalar(select(func.count(InboundBatch.id))) == 0


class OnePoisonedPlatform:
    """A connector whose platform answers one mention with an impossible follower count."""

    def fetch_mentions(self, since):
        when = datetime(2026, 3, 1, tzinfo=timezone.utc)
        return [RemoteComment(id=str(n), author="@a", text="Great webinar!", created_at=when, kind="mention",
                              author_followers=10**20 if n == 2 else 5) for n in range(1, 5)]

    def fetch_replies(self, ref):
        return []


def test_polling_stores_the_good_mentions_and_moves_on(system, api):
    """Before, the batch failed in the database at every poll: the cursor never moved, and the
    channel's mentions stopped for good."""
    _, cid, _ = api
    with system.db.reader() as s:
        channel = channels.get_channel(s, cid)
    result = intake.poll(system.db, channel, OnePoisonedPlatform(), system.settings)
    assert result.new == 3 and result.errors == ["item 2: 'author_followers' must be between 0 and 2147483647"]
    with system.db.reader() as s:
        assert s.get(InboundCursor, cid).since_id == "4"


def test_the_channels_page_retries_and_gives_up_dead_letters(system, api):
    """No dead end to the command line: the admin retries or gives up a dead letter on the page."""
    client, cid, tokens = api
    # as a page's form: the tokens' JSON content type would hide the form fields
    admin = {"Authorization": tokens["admin@example.org"]["Authorization"], "accept": "text/html"}

    def dead_letter(text: str) -> int:
        queue.accept(system.db, cid, [{"id": text, "text": text}], "import")

        def breaks(text, followers=None):
            raise RuntimeError("the encoder is missing")

        for _ in range(queue.MAX_ATTEMPTS):
            queue.drain(system.db, system.settings, triage=breaks)
        with system.db.reader() as s:
            return s.scalar(select(InboundBatch.id).order_by(InboundBatch.id.desc()))

    first = dead_letter("first")
    page = client.get("/admin/channels", headers=admin).text
    assert f"Try batch {first} again" in page and f"Give batch {first} up" in page and "onevoice comments" not in page
    r = client.post(f"/admin/channels/failed/{first}/retry", headers=admin, follow_redirects=False)
    assert r.status_code == 303 and "queued again" in client.get(r.headers["location"], headers=admin).text
    assert queue.drain(system.db, system.settings) == 1 and "first" in stored(system)

    second = dead_letter("second")
    refused = client.post(f"/admin/channels/failed/{second}/discard", headers=admin)
    assert refused.status_code == 422 and "tick the box" in refused.text
    with system.db.reader() as s:
        assert s.get(InboundBatch, second) is not None  # nothing given up without the box
    r = client.post(f"/admin/channels/failed/{second}/discard", data={"confirm": "yes"}, headers=admin)
    assert r.status_code == 200 and f"Batch {second} was given up" in r.text
    with system.db.reader() as s:
        assert s.get(InboundBatch, second) is None
    assert client.post(f"/admin/channels/failed/{second}/retry", headers=admin).status_code == 422
    committee = {"Authorization": tokens["cm@example.org"]["Authorization"], "accept": "text/html"}
    assert client.post(f"/admin/channels/failed/{first}/retry", headers=committee).status_code in (403, 422)
