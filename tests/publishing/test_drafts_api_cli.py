"""Drafts through the HTTP API and the CLI, as users drive them."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.web.app import create_app
from tests.policy_helpers import acknowledge_cli, acknowledge_in

BIN = os.path.join(os.path.dirname(sys.executable), "onevoice")


@pytest.fixture
def api(sqlite_system):
    with sqlite_system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, sqlite_system.box, "mastodon", "ipala", base_url="http://127.0.0.1:9")
        for email, roles in [("author@example.org", ()), ("rev@example.org", ("committee",))]:
            members.add_member(s, SYSTEM, email, email.split("@")[0], "a long password", roles)
        members.grant_role(s, SYSTEM, "author@example.org", "authorized", ch)
        acknowledge_in(s)  # the members have read the policy in force (1.)
    client = TestClient(create_app(sqlite_system, scheduler=False))

    def as_(email):
        r = client.post("/api/v1/tokens", json={"email": email, "password": "a long password"})
        return {"Authorization": f"Bearer {r.json()['token']}"}

    return client, as_("author@example.org"), as_("rev@example.org")


def test_draft_lifecycle_over_http(api):
    c, author, rev = api
    r = c.post("/api/v1/drafts", json={"channel": "ipala", "text": "Webinar tonight at 19:00 CET!"}, headers=author)
    assert r.status_code == 201 and r.json()["state"] == "draft"
    did = r.json()["id"]
    assert c.post(f"/api/v1/drafts/{did}/submit", headers=author).json()["state"] == "in_review"
    r = c.post(f"/api/v1/drafts/{did}/reviews", json={"verdict": "approve"}, headers=author)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert c.post(f"/api/v1/drafts/{did}/reviews", json={"verdict": "approve"}, headers=rev).json()["state"] == "approved"
    r = c.post(f"/api/v1/drafts/{did}/schedule", json={"at": "2099-01-01 09:00", "timezone": "Europe/Berlin"}, headers=author)
    assert r.status_code == 200 and r.json()["scheduled_at"] == "2099-01-01T08:00:00+00:00"
    r = c.post(f"/api/v1/drafts/{did}/reviews", json={"verdict": "approve"}, headers=rev)
    assert r.status_code == 409 and "not in review" in r.json()["detail"]
    assert c.get(f"/api/v1/drafts/{did}", headers=rev).json()["approvals"] == 1


def test_bad_draft_input(api):
    c, author, _ = api
    assert c.post("/api/v1/drafts", json={"channel": "nope", "text": "x"}, headers=author).status_code == 404
    r = c.post("/api/v1/drafts", json={"channel": "ipala", "text": "x" * 20_001}, headers=author)
    assert r.status_code == 413  # over ONEVOICE_MAX_DRAFT_CHARS
    r = c.post("/api/v1/drafts", json={"channel": "ipala", "text": "x", "extra": 1}, headers=author)
    assert r.status_code == 422 and "extra" in r.json()["detail"]
    assert c.get("/api/v1/drafts/12345", headers=author).status_code == 404


def test_cli_draft_review_flow(tmp_path):
    env = {**os.environ, "ONEVOICE_HOME": str(tmp_path)}

    def run(*args, stdin=""):
        return subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)

    assert run("init").returncode == 0
    assert run("channel", "add", "mastodon", "ipala", "--base-url", "http://127.0.0.1:9").returncode == 0
    assert run("member", "add", "a@example.org", "--name", "A").returncode == 0
    assert run("member", "add", "r@example.org", "--name", "R", "--role", "committee").returncode == 0
    assert run("member", "grant", "a@example.org", "authorized", "--channel", "ipala").returncode == 0
    acknowledge_cli(run, "a@example.org")  # she has read the policy in force (1.)
    r = run("draft", "new", "ipala", "-", "--as", "a@example.org", "--json", stdin="Join our webinar on 3 May!")
    assert r.returncode == 0, r.stderr
    did = str(json.loads(r.stdout)["id"])
    assert "in_review" in run("draft", "submit", did, "--as", "a@example.org").stdout
    r = run("review", "approve", did, "--as", "a@example.org")
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "committee" in r.stderr
    assert "approved" in run("review", "approve", did, "--as", "r@example.org").stdout
    r = run("draft", "schedule", did, "--as", "a@example.org", "--at", "yesterday")
    assert r.returncode == 2 and "not a date" in r.stderr
    assert json.loads(run("draft", "show", did, "--as", "r@example.org", "--json").stdout)["state"] == "approved"
