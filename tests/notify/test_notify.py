"""Notifications delivered to a real SMTP server and a real webhook receiver, durably."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from onevoice import notify
from onevoice.store.models import Notification, utcnow
from tests.servers.smtp import LocalSMTP
from tests.servers.webhook import WebhookReceiver


@pytest.fixture
def smtp(tmp_path):
    server = LocalSMTP(tmp_path / "mail").start()
    yield server
    server.stop()


def settings_for(system, port):
    return replace(system.settings, smtp={"host": "127.0.0.1", "port": str(port), "from": "onevoice@ipala.test"})


def test_email_is_delivered(sqlite_system, smtp):
    with sqlite_system.db.transaction() as s:
        notify.enqueue(s, "email", "chair@ipala.test", "[onevoice] incident #1", "Please look.", related=("incident", 1))
    result = notify.deliver_due(sqlite_system.db, settings_for(sqlite_system, smtp.port))
    assert result == {"sent": 1, "retried": 0, "failed": 0}
    [msg] = smtp.messages()
    assert msg["To"] == "chair@ipala.test" and msg["Subject"] == "[onevoice] incident #1"


def test_smtp_down_keeps_the_message_until_it_is_back(sqlite_system, tmp_path):
    server = LocalSMTP(tmp_path / "mail2")  # not started yet: connection refused
    settings = settings_for(sqlite_system, server.port)
    with sqlite_system.db.transaction() as s:
        notify.enqueue(s, "email", "chair@ipala.test", "escalation", "body")
    assert notify.deliver_due(sqlite_system.db, settings)["retried"] == 1
    with sqlite_system.db.reader() as s:
        n = s.scalar(select(Notification))
        assert n.status == "pending" and n.attempts == 1 and "Connection" in n.last_error
    server.start()
    try:
        assert notify.deliver_due(sqlite_system.db, settings, now=utcnow() + timedelta(hours=1))["sent"] == 1
        assert len(server.messages()) == 1
    finally:
        server.stop()


def test_webhook_json_signature_and_retry(sqlite_system, monkeypatch):
    monkeypatch.setenv("ONEVOICE_WEBHOOK_SECRET", "hook-secret")
    with WebhookReceiver() as hook:
        hook.fail_next = 1
        with sqlite_system.db.transaction() as s:
            notify.enqueue(s, "webhook", hook.url, "Crisis #7", "line one\nline two")
            notify.enqueue(s, "webhook", "teams:" + hook.url, "Crisis #7", "body")
        first = notify.deliver_due(sqlite_system.db)
        assert first["retried"] == 1 and first["sent"] == 1
        notify.deliver_due(sqlite_system.db, now=utcnow() + timedelta(hours=1))
        slack = [r for r in hook.requests if "text" in r["json"] and "@type" not in r["json"]]
        teams = [r for r in hook.requests if r["json"].get("@type") == "MessageCard"]
        assert slack and teams and slack[0]["json"]["text"].startswith("*Crisis #7*")
        expected = "sha256=" + hmac.new(b"hook-secret", slack[0]["raw"], hashlib.sha256).hexdigest()
        assert slack[0]["headers"]["X-Onevoice-Signature"] == expected


def test_failed_after_max_attempts(sqlite_system):
    with sqlite_system.db.transaction() as s:
        notify.enqueue(s, "webhook", "http://127.0.0.1:9/nothing-here", "x", "y")
    now = utcnow()
    for i in range(notify.outbox.MAX_ATTEMPTS):
        notify.deliver_due(sqlite_system.db, now=now + timedelta(days=i))
    with sqlite_system.db.reader() as s:
        n = s.scalar(select(Notification))
        assert n.status == "failed" and n.attempts == notify.outbox.MAX_ATTEMPTS and n.last_error


def test_escalation_message_carries_no_personal_data():
    subject, body = notify.compose_escalation(
        incident_id=4, category="crisis", severity=3, channel="bluesky:ipala.test",
        link="http://127.0.0.1:8000/incidents/4", level="chair", deadline=None,
        excerpt="@angry.parent.bsky.social your post showed my son! call me 07700 900461 or mail jo.b@example.com")
    assert "07700" not in body and "jo.b@example.com" not in body and "angry.parent" not in body
    assert "incident #4" in subject and "/incidents/4" in body
