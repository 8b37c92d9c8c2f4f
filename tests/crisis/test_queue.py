"""Queued intake (ONEVOICE_INTAKE=queued) on both databases: a checked batch is stored at once,
a worker triages and routes it exactly as the inline path does, and no comment is lost or stored
twice when a worker dies, fails or races another."""
from __future__ import annotations

import dataclasses
import json
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onevoice.crisis import queue
from onevoice.errors import InvalidInput
from onevoice.store.models import Comment, InboundBatch, Incident
from onevoice.triage import triage as real_triage
from onevoice.web.app import create_app

from .test_incidents import crew  # noqa: F401 — the fixture

BREACH = "Your last post published a patient's full name and diagnosis. This is a privacy breach."


def counts(system):
    with system.db.reader() as s:
        return (s.scalar(select(func.count(Comment.id))), s.scalar(select(func.count(InboundBatch.id))),
                s.scalar(select(func.count(Incident.id))))


def batch(prefix, n, text="Thanks for the webinar, very useful."):
    return [{"id": f"{prefix}-{k}", "text": text, "author_followers": 10} for k in range(n)]


def test_a_batch_waits_then_is_triaged_and_routed_like_the_inline_path(system, crew):
    cid, _ = crew
    items = [{"id": "q1", "text": BREACH, "author": "@nurse", "author_followers": 300,
              "created_at": "2026-11-30T10:00:00Z"},
             {"id": "q2", "text": "Thanks for the brilliant webinar yesterday!"},
             {"id": "", "text": "no id"}]
    accepted = queue.accept(system.db, cid, items, "webhook")
    assert accepted["received"] == 3 and accepted["accepted"] == 2 and accepted["queued"]
    assert accepted["errors"] == ["item 3: 'id' (the platform's id) is required"]
    assert counts(system) == (0, 1, 0)
    assert queue.waiting(system.db) == {"batches_waiting": 1, "batches_failed": 0}
    assert queue.drain(system.db, system.settings) == 1
    assert counts(system) == (2, 0, 1)
    with system.db.reader() as s:
        breach = s.scalar(select(Comment).where(Comment.platform_id == "q1"))
        assert breach.escalate and breach.incident_id is not None and breach.source == "webhook"
        assert breach.posted_at.isoformat().startswith("2026-11-30T10:00:00")


def test_an_unknown_channel_is_refused_and_nothing_is_stored(system, crew):
    with pytest.raises(InvalidInput, match="no channel 999"):
        queue.accept(system.db, 999, batch("x", 2), "import")
    assert counts(system) == (0, 0, 0)


def test_replayed_batches_store_each_comment_once(system, crew):
    cid, _ = crew
    for _ in range(3):
        queue.accept(system.db, cid, batch("r", 5), "webhook")
    assert queue.drain(system.db, system.settings) == 3
    assert counts(system)[:2] == (5, 0)


def test_batches_stored_together_keep_their_source_and_stop_at_the_group_size(system, crew, monkeypatch):
    cid, _ = crew
    monkeypatch.setattr(queue, "GROUP_ITEMS", 7)
    queue.accept(system.db, cid, batch("hook", 3), "webhook")
    queue.accept(system.db, cid, batch("file", 3), "import")
    queue.accept(system.db, cid, batch("late", 3), "webhook")
    with system.db.transaction() as s:  # the third batch would pass GROUP_ITEMS: left for the next claim
        assert [len(b.items) for b in queue._claim(s, queue.GROUP)] == [3, 3]
    assert queue.drain(system.db, system.settings) == 3
    with system.db.reader() as s:
        sources = dict(s.execute(select(Comment.platform_id, Comment.source)).all())
    assert sources["hook-0"] == "webhook" and sources["file-2"] == "import" and sources["late-1"] == "webhook"
    assert counts(system)[:2] == (9, 0)


def test_a_worker_that_dies_mid_batch_loses_nothing(system, crew):
    cid, _ = crew
    queue.accept(system.db, cid, batch("d", 10), "import")
    seen = []

    def dies_on_the_sixth(text, followers=None):
        seen.append(text)
        if len(seen) == 6:
            raise KeyboardInterrupt  # like SIGINT or a killed thread: not an Exception, nothing catches it
        return real_triage(text, followers)

    with pytest.raises(KeyboardInterrupt):
        queue.drain(system.db, system.settings, triage=dies_on_the_sixth)
    assert counts(system)[:2] == (0, 1)  # the half-done batch rolled back and still waits
    assert queue.drain(system.db, system.settings) == 1
    assert counts(system)[:2] == (10, 0)


def test_a_failing_batch_is_set_aside_after_its_attempts_and_the_rest_go_on(system, crew):
    cid, _ = crew
    queue.accept(system.db, cid, batch("bad", 2, text="poison"), "import")
    queue.accept(system.db, cid, batch("good", 3), "import")

    def choke(text, followers=None):
        if text == "poison":
            raise RuntimeError("triage failed on this one")
        return real_triage(text, followers)

    for _ in range(queue.MAX_ATTEMPTS):
        queue.drain(system.db, system.settings, triage=choke)
    assert counts(system)[:2] == (3, 1)
    assert queue.waiting(system.db) == {"batches_waiting": 0, "batches_failed": 1}
    with system.db.reader() as s:
        stuck = s.scalar(select(InboundBatch))
        assert stuck.attempts == queue.MAX_ATTEMPTS and "triage failed on this one" in stuck.last_error


@pytest.mark.parametrize("system", ["postgresql"], indirect=True)
def test_workers_draining_at_once_store_every_comment_once(system, crew):
    """Four threads, each with its own connections, on one queue with overlapping ids (SKIP LOCKED)."""
    cid, _ = crew
    complaint = "Why was my registration refused again? Third time."
    for n in range(40):
        queue.accept(system.db, cid, batch(f"w{n % 30}", 20, complaint), "webhook")  # 10 batches repeat earlier ids
    errors = []

    def work():
        try:
            queue.drain(system.db, system.settings)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert counts(system)[:2] == (30 * 20, 0)
    assert queue.waiting(system.db)["batches_failed"] == 0
    with system.db.reader() as s:  # the workers raced to open it, and one incident holds them all
        assert s.scalar(select(func.count(func.distinct(Comment.incident_id)))) == 1
        assert s.scalar(select(func.count(Comment.id)).where(Comment.incident_id.is_(None))) == 0


def test_the_api_answers_202_and_the_scheduler_job_triages(system, crew):
    from onevoice.jobs import JOBS, run_job
    from tests.crisis.test_crisis_api import signed

    cid, _ = crew
    system.settings = dataclasses.replace(system.settings, intake="queued")
    client = TestClient(create_app(system, scheduler=False))
    body = json.dumps([{"id": "a1", "text": BREACH, "author_followers": 5000}]).encode()
    headers = signed(body, "hook-secret")
    r = client.post(f"/api/v1/channels/{cid}/inbound", content=body, headers=headers)
    assert r.status_code == 202, r.text
    assert r.json()["accepted"] == 1 and r.json()["batch"] is not None
    assert counts(system)[:2] == (0, 1)
    [job] = [j for j in JOBS if j.name == "ingest_queued"]
    run_job(system, job)
    assert counts(system) == (1, 0, 1)


def test_an_unknown_intake_mode_is_refused():
    from onevoice.config import Settings

    with pytest.raises(InvalidInput, match="ONEVOICE_INTAKE must be one of inline, queued"):
        Settings.from_env({"ONEVOICE_HOME": "/tmp/x", "ONEVOICE_SECRET_KEY": "k", "ONEVOICE_INTAKE": "later"})
    assert Settings.from_env({"ONEVOICE_HOME": "/tmp/x", "ONEVOICE_SECRET_KEY": "k"}).intake == "inline"
