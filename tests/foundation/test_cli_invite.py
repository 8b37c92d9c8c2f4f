"""`onevoice member invite` as an operator runs it: a real process over a real SQLite file. The
invitation e-mail waits in the notification outbox with its one-time link; without a mail server
the command refuses and points to `member add`."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy import select

from onevoice.store import Database
from onevoice.store.models import MemberLink, Notification

BIN = os.path.join(os.path.dirname(sys.executable), "onevoice")


def run(tmp_path, *args, **extra_env):
    env = {**os.environ, "ONEVOICE_HOME": str(tmp_path), **extra_env}
    env.pop("ONEVOICE_DATABASE_URL", None)
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=120)


def test_member_invite_queues_a_one_time_link_and_needs_mail(tmp_path):
    assert run(tmp_path, "init").returncode == 0
    refused = run(tmp_path, "member", "invite", "nia@example.org", "--name", "Nia New")
    assert refused.returncode != 0 and "member add" in refused.stderr + refused.stdout
    mail = {"ONEVOICE_SMTP_HOST": "127.0.0.1", "ONEVOICE_BASE_URL": "https://onevoice.example"}
    r = run(tmp_path, "member", "invite", "nia@example.org", "--name", "Nia New", "--role", "committee", **mail)
    assert r.returncode == 0 and "invited member" in r.stdout, r.stderr
    table = run(tmp_path, "member", "list")
    assert "committee" in table.stdout and "invited" in table.stdout
    db = Database(f"sqlite:///{tmp_path / 'onevoice.db'}")
    with db.reader() as s:
        [n] = s.scalars(select(Notification).where(Notification.target == "nia@example.org"))
        [link] = s.scalars(select(MemberLink))
        assert "https://onevoice.example/invite/" in n.body and link.purpose == "invite"
    assert run(tmp_path, "member", "resend-invitation", "nia@example.org", **mail).returncode == 0
    with db.reader() as s:
        assert len(list(s.scalars(select(Notification)))) == 2
        assert sum(1 for x in s.scalars(select(MemberLink)) if x.used_at is None) == 1
    db.dispose()
    listed = json.loads(run(tmp_path, "member", "list", "--format", "json").stdout)
    assert next(m for m in listed if m["email"] == "nia@example.org")["password_set"] is False
