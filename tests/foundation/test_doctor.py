"""`onevoice doctor` lists what escalation (3.) and the rest need and lack, one line each with
what to set, and exits 1 while something escalation needs is missing."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import pytest

from onevoice import notify
from onevoice.cli.doctor import diagnose
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.notify import NotifyConfig
from onevoice.store.models import Channel, utcnow

BIN = os.path.join(os.path.dirname(sys.executable), "onevoice")


@pytest.fixture
def run(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONEVOICE_")}
    env["ONEVOICE_HOME"] = str(tmp_path)

    def _run(*args, **extra):
        return subprocess.run([BIN, *args], capture_output=True, text=True, env={**env, **extra}, timeout=120)

    return _run


def test_a_fresh_installation_is_told_what_to_set_then_passes(run):
    assert run("init").returncode == 0
    r = run("doctor")
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("missing: e-mail: no SMTP server is configured") and "ONEVOICE_SMTP_HOST" in lines[0]
    assert any(line.startswith("missing: committee: no active member is the chair") for line in lines)
    assert any(line.startswith("missing: committee: no committee members") for line in lines)
    assert any(line.startswith("warning: chat: no chat target") and "ONEVOICE_CHAT_WEBHOOKS" in line for line in lines)
    assert any(line.startswith("warning: channels: no channel is connected") for line in lines)
    assert any(line.startswith("warning: links: ONEVOICE_BASE_URL is still http://127.0.0.1:8000") for line in lines)
    assert "escalation cannot work" in r.stderr

    for email, role in [("chair@example.org", "chair"), ("vice@example.org", "vice_chair"),
                        ("cm@example.org", "committee")]:
        assert run("member", "add", email, "--name", role).returncode == 0
        assert run("member", "grant", email, role).returncode == 0
    configured = dict(ONEVOICE_SMTP_HOST="mail.ipala.org", ONEVOICE_SMTP_FROM="onevoice@ipala.org",
                      ONEVOICE_CHAT_WEBHOOKS="https://hooks.slack.test/a", ONEVOICE_BASE_URL="https://onevoice.ipala.org")
    r = run("doctor", **configured)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        "warning: channels: no channel is connected, so no comment comes in to escalate: add one in Admin > "
        "Channels (or `onevoice channel add`)",
        "escalation can work; the warnings above are worth fixing"]
    # a chat room alone reaches the chair too: no SMTP is then a warning, not a failure
    chat_only = {k: v for k, v in configured.items() if not k.startswith("ONEVOICE_SMTP")}
    r = run("doctor", **chat_only)
    assert r.returncode == 0 and r.stdout.startswith("warning: e-mail: no SMTP server is configured")


def test_what_the_database_shows_is_not_working(sqlite_system):
    system = sqlite_system
    settings = replace(system.settings, base_url="https://onevoice.ipala.org", scheduler=False,
                       smtp={"host": "mail.ipala.org"})
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "bluesky", "ipala.test", credentials={"password": "x"})
        members.add_member(s, SYSTEM, "chair@example.org", "Carla", roles=("chair",))
        members.add_member(s, SYSTEM, "vice@example.org", "Vic", roles=("vice_chair",))
        ch.credentials_failing_since, ch.credentials_error = utcnow() - timedelta(days=1), "Invalid identifier or password"
        notify.enqueue(s, "email", "chair@example.org", "Incident 1", "body", related=("incident", 1),
                       now=utcnow() - timedelta(hours=1))
        notify.enqueue(s, "email", "vice@example.org", "Incident 1", "body", related=("incident", 1))
    with system.db.reader() as s:
        lines = [f.line() for f in diagnose(settings, s)]
    assert any(line.startswith("missing: channels: bluesky:ipala.test: credentials failing since ")
               and "Invalid identifier or password" in line for line in lines), lines
    assert any(line.startswith("missing: worker: 1 notification has waited more than 10 minutes") for line in lines)
    assert any(line.startswith("warning: worker: ONEVOICE_SCHEDULER=off and no ONEVOICE_BROKER_URL") for line in lines)

    notify.deliver_due(system.db, NotifyConfig())  # no SMTP where the worker runs: both fail, with the reason
    with system.db.reader() as s:
        found = diagnose(settings, s)
    failed = [f.line() for f in found if f.area == "notifications"]
    assert failed == ["missing: notifications: 2 failed (no e-mail server is configured: set ONEVOICE_SMTP_HOST (and "
                      "ONEVOICE_SMTP_FROM)); fix it, then Retry on the app's Undelivered notifications page "
                      "(/notifications)"]
    assert not any(f.area == "worker" and f.needed for f in found)  # delivered (and failed): nothing waits
    with system.db.transaction() as s:
        s.get(Channel, ch.id).credentials_failing_since = None
        notify.retry_failed(s)
    with system.db.reader() as s:
        assert [f for f in diagnose(settings, s) if f.needed] == []
