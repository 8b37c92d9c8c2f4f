"""The outbox's durability: crashes, concurrent workers, requeueing, configuration."""
from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from onevoice import notify
from onevoice.config import Settings
from onevoice.notify import outbox
from onevoice.store.models import utcnow

from .helpers import only, rows


def test_worker_dying_mid_send_loses_nothing(db, hook, config, monkeypatch):
    with db.transaction() as s:
        notify.enqueue(s, "webhook", hook.url, "crisis", "body")

    def killed(n, cfg):
        raise KeyboardInterrupt("worker killed while sending")

    monkeypatch.setitem(outbox.SENDERS, "webhook", killed)
    t = utcnow()
    with pytest.raises(KeyboardInterrupt):
        notify.deliver_due(db, config, now=t)
    n = only(db)
    assert n.status == "pending" and n.attempts == 1  # claimed, never marked: still pending
    monkeypatch.undo()
    assert notify.deliver_due(db, config, now=t + timedelta(seconds=10))["sent"] == 0  # leased
    assert notify.deliver_due(db, config, now=t + timedelta(seconds=config.lease))["sent"] == 1
    assert len(hook.requests) == 1 and only(db).status == "sent"


def test_two_workers_never_send_the_same_notification(db, hook, config):
    hook.delay = 0.05
    with db.transaction() as s:
        for i in range(6):
            notify.enqueue(s, "webhook", hook.url, f"n{i}", "body")
    results: list[dict] = []
    workers = [threading.Thread(target=lambda: results.append(notify.deliver_due(db, config))) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sum(r["sent"] for r in results) == 6
    assert sorted(r["json"]["text"] for r in hook.requests) == sorted(f"*n{i}*\nbody" for i in range(6))
    assert all(n.status == "sent" and n.attempts == 1 for n in rows(db))


def test_retry_failed_requeues(db, hook, config):
    hook.fail(1, status=410)
    with db.transaction() as s:
        notify.enqueue(s, "webhook", hook.url, "s", "b")
    assert notify.deliver_due(db, config)["failed"] == 1
    with db.transaction() as s:
        assert notify.retry_failed(s) == 1
    assert notify.deliver_due(db, config)["sent"] == 1


def test_enqueue_checks_channel_and_target(db):
    with db.transaction() as s:
        with pytest.raises(ValueError):
            notify.enqueue(s, "pigeon", "x", "s", "b")
        with pytest.raises(ValueError):
            notify.enqueue(s, "email", "", "s", "b")


def test_config_from_settings_and_environment(tmp_path):
    env = {"ONEVOICE_SMTP_HOST": "mail.ipala.org", "ONEVOICE_SMTP_PORT": "587", "ONEVOICE_SMTP_STARTTLS": "1",
           "ONEVOICE_SMTP_USER": "bot", "ONEVOICE_SMTP_PASSWORD": "pw", "ONEVOICE_SMTP_FROM": "onevoice@ipala.org",
           "ONEVOICE_CHAT_WEBHOOKS": "https://hooks.slack.test/a, teams:https://teams.test/b",
           "ONEVOICE_WEBHOOK_SECRET": "k", "ONEVOICE_MATRIX_HOMESERVER": "https://matrix.test/",
           "ONEVOICE_MATRIX_TOKEN": "t", "ONEVOICE_MATRIX_ROOM": "#committee:matrix.test",
           "ONEVOICE_NOTIFY_MAX_ATTEMPTS": "5"}
    settings = Settings.from_env({**env, "ONEVOICE_HOME": str(tmp_path), "ONEVOICE_SECRET_KEY": "x"})
    c = notify.NotifyConfig.from_env(settings, env)
    assert (c.smtp_host, c.smtp_port, c.smtp_starttls, c.smtp_user, c.smtp_from) == (
        "mail.ipala.org", 587, True, "bot", "onevoice@ipala.org")
    assert c.matrix_homeserver == "https://matrix.test" and c.max_attempts == 5
    assert "pw" not in repr(c) and "'t'" not in repr(c)  # secrets stay out of logs
    assert [(t.channel, t.target) for t in notify.chat_targets(c)] == [
        ("webhook", "https://hooks.slack.test/a"), ("webhook", "teams:https://teams.test/b"),
        ("matrix", "#committee:matrix.test")]
    assert notify.NotifyConfig.from_env(None, {"ONEVOICE_SMTP_HOST": "h", "ONEVOICE_SMTP_SSL": "1"}).smtp_port == 465
    assert notify.chat_targets(notify.NotifyConfig()) == []


def test_deliver_due_reads_the_application_settings(db, smtp, tmp_path, monkeypatch):
    for key in [k for k in __import__("os").environ if k.startswith("ONEVOICE_")]:
        monkeypatch.delenv(key)
    settings = Settings(home=Path(tmp_path), database_url="sqlite://", secret_key="x",
                        smtp={"host": "127.0.0.1", "port": str(smtp.port), "from": "onevoice@ipala.test"})
    with db.transaction() as s:
        notify.enqueue(s, "email", "chair@ipala.test", "via Settings.smtp", "b")
    assert notify.deliver_due(db, settings)["sent"] == 1
    assert [m["Subject"] for m in smtp.messages()] == ["via Settings.smtp"]
