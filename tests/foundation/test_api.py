"""The HTTP API over a real SQLite database: problem+json errors, tokens, sessions, CSRF."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.web.app import create_app


@pytest.fixture
def client(sqlite_system):
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "admin2@example.org", "Admin Two", "admin password 1", ("admin",))
        members.add_member(s, SYSTEM, "mem@example.org", "Mem", "member password 1")
    with TestClient(create_app(sqlite_system, scheduler=False)) as c:
        yield c


def token(client, email, password):
    r = client.post("/api/v1/tokens", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_health_and_openapi(client):
    assert client.get("/healthz").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/api/v1/screen" in spec["paths"] and "/api/v1/members" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_errors_are_problem_json(client):
    r = client.get("/api/v1/members")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"]
    r = client.post("/api/v1/tokens", json={"email": "mem@example.org", "password": "nope"})
    assert r.status_code == 401 and r.json()["title"] == "Not signed in"
    h = token(client, "mem@example.org", "member password 1")
    r = client.post("/api/v1/members", json={"email": "z@example.org", "name": "Z"}, headers=h)
    assert r.status_code == 403 and "administrator" in r.json()["detail"]
    r = client.post("/api/v1/screen", content=b"{not json", headers={**h, "content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = client.post("/api/v1/screen", json={"text": "x", "kind": "tweet"}, headers=h)
    assert r.status_code == 422 and "kind" in r.json()["detail"]
    r = client.post("/api/v1/screen", content=b"x" * 1_100_000, headers={**h, "content-type": "application/json"})
    assert r.status_code == 413


def test_admin_manages_members_and_channels(client):
    h = token(client, "admin2@example.org", "admin password 1")
    r = client.post("/api/v1/channels", json={"platform": "bluesky", "handle": "ipala.test", "credentials": {"password": "x"}}, headers=h)
    assert r.status_code == 201 and r.json()["credentials_set"] and "password" not in r.text.replace("password_set", "")
    cid = r.json()["id"]
    r = client.post("/api/v1/members", json={"email": "new@example.org", "name": "New"}, headers=h)
    assert r.status_code == 201 and r.json()["one_time_password"]
    mid = r.json()["id"]
    r = client.post(f"/api/v1/members/{mid}/roles", json={"role": "authorized", "channel": cid}, headers=h)
    assert r.status_code == 201 and f"authorized:{cid}" in r.json()["roles"]
    r = client.post(f"/api/v1/members/{mid}/roles", json={"role": "authorized", "channel": cid}, headers=h)
    assert r.status_code == 409
    r = client.get("/api/v1/audit/verify", headers=h)
    assert r.json()["ok"] is True


def test_screen_endpoint(client):
    h = token(client, "mem@example.org", "member password 1")
    r = client.post("/api/v1/screen", json={"text": "Thanks to everyone who joined the webinar!"}, headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["decision"] in ("pass", "review", "block") and "findings" in body and "redacted" in body


def test_session_login_and_csrf(client):
    from tests.web.signin import sign_in  # the sign-in form has its own CSRF token

    r = sign_in(client, "mem@example.org", "member password 1", follow_redirects=False)
    assert r.status_code == 303 and "onevoice_session" in r.cookies
    assert client.get("/api/v1/me").json()["email"] == "mem@example.org"
    r = client.post("/api/v1/me/tokens", json={"name": "x"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = sign_in(client, "mem@example.org", "bad")
    assert r.status_code == 401 and "wrong e-mail or password" in r.text
