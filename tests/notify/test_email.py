"""E-mail through a real SMTP server (aiosmtpd), read back from its Maildir."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from onevoice import notify
from onevoice.store.models import utcnow
from tests.servers import free_port
from tests.servers.smtp import LocalSMTP

from .helpers import only, rows


def test_email_arrives_with_subject_and_body(db, smtp, config):
    with db.transaction() as s:
        notify.enqueue(s, "email", "chair@ipala.test", "[onevoice] serious complaint: incident #3",
                       "Incident #3 needs the committee.\nOpen it: http://127.0.0.1:8000/incidents/3",
                       related=("incident", 3))
    assert notify.deliver_due(db, config) == {"sent": 1, "retried": 0, "failed": 0}
    [msg] = smtp.messages()
    assert msg["To"] == "chair@ipala.test" and msg["From"] == "onevoice@ipala.test"
    assert msg["Subject"] == "[onevoice] serious complaint: incident #3"
    assert msg.get_payload(decode=True).decode().startswith("Incident #3 needs the committee.\nOpen it: http")
    n = only(db)
    assert msg["Message-ID"] == f"<onevoice-notification-{n.id}@ipala.test>"
    assert (n.status, n.attempts, n.last_error, n.related_type, n.related_id) == ("sent", 1, None, "incident", "3")
    assert n.sent_at is not None
    assert notify.deliver_due(db, config) == {"sent": 0, "retried": 0, "failed": 0}  # sent once only
    assert len(smtp.messages()) == 1


def test_enqueue_commits_with_the_callers_transaction(db, config, smtp):
    with pytest.raises(RuntimeError):
        with db.transaction() as s:
            notify.enqueue(s, "email", "chair@ipala.test", "escalation", "body")
            raise RuntimeError("the escalation failed half-way")
    assert rows(db) == []
    assert notify.deliver_due(db, config)["sent"] == 0 and smtp.messages() == []


def test_smtp_down_stays_pending_then_delivered_when_back(db, smtp_server, config):
    smtp_server.stop()  # the real server, taken down (connection refused on its port)
    try:
        with db.transaction() as s:
            notify.enqueue(s, "email", "chair@ipala.test", "escalation while SMTP is down", "body")
        t0 = utcnow()
        assert notify.deliver_due(db, config, now=t0) == {"sent": 0, "retried": 1, "failed": 0}
        n = only(db)
        assert n.status == "pending" and n.attempts == 1 and "ConnectionRefused" in n.last_error
        assert n.due_at == t0 + timedelta(seconds=config.backoff_base)
        assert notify.deliver_due(db, config, now=t0 + timedelta(seconds=10))["retried"] == 0  # not due yet
        assert only(db).attempts == 1
    finally:
        smtp_server.start()
    smtp_server.clear()
    assert notify.deliver_due(db, config, now=t0 + timedelta(minutes=1))["sent"] == 1
    [msg] = smtp_server.messages()
    assert msg["Subject"] == "escalation while SMTP is down"
    n = only(db)
    assert (n.status, n.attempts, n.last_error) == ("sent", 2, None)


def test_wrong_port_is_retried_with_backoff_then_failed(db, config):
    config = replace(config, smtp_port=free_port(), max_attempts=3)
    with db.transaction() as s:
        notify.enqueue(s, "email", "chair@ipala.test", "s", "b")
    t = utcnow()
    waits = []
    for _ in range(3):
        notify.deliver_due(db, config, now=t)
        n = only(db)
        waits.append((n.due_at - t).total_seconds())
        t = n.due_at
    n = only(db)
    assert n.status == "failed" and n.attempts == 3 and "ConnectionRefused" in n.last_error
    assert waits[:2] == [30.0, 60.0]  # exponential backoff between the tries


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login(db, tmp_path, config):
    with LocalSMTP(tmp_path / "authmail", login=("onevoice", "s3cret")) as server:
        good = replace(config, smtp_port=server.port, smtp_user="onevoice", smtp_password="s3cret")
        bad = replace(good, smtp_password="wrong")
        with db.transaction() as s:
            notify.enqueue(s, "email", "chair@ipala.test", "with login", "b")
        assert notify.deliver_due(db, bad)["retried"] == 1
        assert "SMTPAuthenticationError" in only(db).last_error
        assert notify.deliver_due(db, good, now=utcnow() + timedelta(hours=1))["sent"] == 1
        assert [m["Subject"] for m in server.messages()] == ["with login"]


def test_refused_recipient_fails_at_once(db, smtp, config):
    smtp.reject.add("nobody@ipala.test")
    with db.transaction() as s:
        notify.enqueue(s, "email", "nobody@ipala.test", "s", "b")
        notify.enqueue(s, "email", "chair@ipala.test", "s", "b")
    assert notify.deliver_due(db, config) == {"sent": 1, "retried": 0, "failed": 1}
    bad, good = rows(db)
    assert bad.status == "failed" and bad.attempts == 1 and "550" in bad.last_error
    assert good.status == "sent"


def test_unconfigured_smtp_fails_at_once_with_the_setting_to_add(db):
    with db.transaction() as s:
        notify.enqueue(s, "email", "chair@ipala.test", "s", "b")
    assert notify.deliver_due(db, notify.NotifyConfig())["failed"] == 1
    assert only(db).status == "failed" and "ONEVOICE_SMTP_HOST" in only(db).last_error
