"""The `onevoice` command as a user runs it: a real process over a real SQLite file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

BIN = os.path.join(os.path.dirname(sys.executable), "onevoice")


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "ONEVOICE_HOME": str(tmp_path)}
    env.pop("ONEVOICE_DATABASE_URL", None)

    def _run(*args, stdin=""):
        return subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)

    return _run


def test_init_members_channels_audit(run, tmp_path):
    r = run("init")
    assert r.returncode == 0 and "one-time password" in r.stdout
    assert run("init").stdout.count("one-time password") == 0  # idempotent
    assert run("channel", "add", "bluesky", "ipala.test", "--credentials-file", "-",
               stdin='{"password": "app-pw"}').returncode == 0
    r = run("member", "add", "ana@example.org", "--name", "Ana")
    assert r.returncode == 0 and "one-time password" in r.stdout
    assert run("member", "grant", "ana@example.org", "authorized", "--channel", "ipala.test").returncode == 0
    listed = json.loads(run("member", "list", "--format", "json").stdout)
    assert any(m["email"] == "ana@example.org" and m["roles"] == ["authorized:1"] for m in listed)
    assert run("member", "revoke", "ana@example.org", "authorized", "--channel", "ipala.test").returncode == 0
    assert json.loads(run("channel", "list", "--format", "json").stdout)[0]["credentials_set"] is True
    r = run("audit", "verify")
    assert r.returncode == 0 and "intact" in r.stdout
    out = tmp_path / "audit.jsonl"
    assert run("audit", "export", "-o", str(out)).returncode == 0
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [e["action"] for e in lines][-2:] == ["role.grant", "role.revoke"]
    assert "app-pw" not in out.read_text()


@pytest.mark.parametrize("args,needle", [
    (("member", "add", "not-an-email", "--name", "X"), "not an e-mail"),
    (("member", "grant", "nobody@example.org", "chair"), "no member"),
    (("member", "reset-password", "nobody@example.org"), "no member"),
    (("member", "deactivate", "admin@localhost.localdomain"), "last active administrator"),
    (("member", "reactivate", "admin@localhost.localdomain"), "is active"),
    (("channel", "add", "myspace", "x"), "platform must be one of"),
    (("channel", "add", "bluesky", "x.test", "--timezone", "Mars/Base"), "unknown time zone"),
])
def test_bad_input_is_one_line_and_nonzero(run, args, needle):
    assert run("init").returncode == 0
    r = run(*args)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.stderr


def test_reset_password_deactivate_reactivate(run):
    assert run("init").returncode == 0
    assert run("member", "add", "ana@example.org", "--name", "Ana", "--password-stdin",
               stdin="ana's long password\n").returncode == 0
    r = run("member", "reset-password", "ana@example.org")
    assert r.returncode == 0 and "one-time password: " in r.stdout, r.stderr
    one_time = r.stdout.split("one-time password: ")[1].split()[0]
    assert len(one_time) >= 16
    ana = next(m for m in json.loads(run("member", "list", "--format", "json").stdout) if m["email"] == "ana@example.org")
    assert ana["must_change_password"] is True and ana["active"] is True
    r = run("member", "deactivate", "ana@example.org")
    assert r.returncode == 0 and "deactivated ana@example.org" in r.stdout, r.stderr
    r = run("token", "create", "ana@example.org", "--name", "ci")  # nobody acts for a deactivated member
    assert r.returncode != 0 and r.stderr.startswith("error: ")
    ana = next(m for m in json.loads(run("member", "list", "--format", "json").stdout) if m["email"] == "ana@example.org")
    assert ana["active"] is False
    assert run("member", "reactivate", "ana@example.org").returncode == 0
    events = [json.loads(x)["action"] for x in run("audit", "export").stdout.splitlines()]
    assert events[-3:] == ["member.password_reset", "member.deactivate", "member.reactivate"]
    assert one_time not in run("audit", "export").stdout


def test_audit_verify_fails_on_tampering(run, tmp_path):
    import sqlite3

    assert run("init").returncode == 0
    run("member", "add", "b@example.org", "--name", "B")
    with sqlite3.connect(tmp_path / "onevoice.db") as conn:
        conn.execute("UPDATE audit_events SET actor='mallory' WHERE seq=2")
    r = run("audit", "verify")
    assert r.returncode == 1 and "event 2" in r.stderr
