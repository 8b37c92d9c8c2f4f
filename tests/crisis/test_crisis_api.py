"""Crisis management over HTTP: the signed webhook, the inbox, incident actions, playbooks."""
from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from onevoice.crisis import webhook
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.web.app import create_app
from tests.policy_helpers import acknowledge_in


@pytest.fixture
def api(sqlite_system):
    with sqlite_system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, sqlite_system.box, "mastodon", "ipala",
                                  credentials={"webhook_secret": "s3cret"})
        members.add_member(s, SYSTEM, "chair@example.org", "Chair", "a long password", ("chair",))
        members.grant_role(s, SYSTEM, "chair@example.org", "authorized", ch)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        members.add_member(s, SYSTEM, "cm@example.org", "Committee", "a long password", ("committee",))
        members.add_member(s, SYSTEM, "m@example.org", "M", "a long password")
        cid = ch.id
    c = TestClient(create_app(sqlite_system, scheduler=False))
    return c, cid, token(c, "chair@example.org"), token(c, "m@example.org")


def token(c, email):
    return {"Authorization": "Bearer " + c.post("/api/v1/tokens", json={"email": email, "password": "a long password"}).json()["token"]}


def signed(body: bytes, secret="s3cret"):
    ts = int(time.time())
    return {"X-Onevoice-Timestamp": str(ts), "X-Onevoice-Signature": webhook.sign(secret, ts, body),
            "Content-Type": "application/json"}


def test_signed_webhook_to_incident(api):
    c, cid, chair, member = api
    body = json.dumps([{"id": "n1", "text": "Your newsletter showed every member's email in CC. Data leak!"}]).encode()
    r = c.post(f"/api/v1/channels/{cid}/inbound", content=body, headers=signed(body))
    assert r.status_code == 200 and r.json()["escalated"] == 1
    assert c.post(f"/api/v1/channels/{cid}/inbound", content=body, headers=signed(body, "wrong")).status_code == 401
    assert c.post(f"/api/v1/channels/{cid}/inbound", content=body, headers=signed(body)).json()["duplicates"] == 1
    inbox = c.get("/api/v1/comments?escalated=true", headers=chair).json()
    assert inbox[0]["category"] == "crisis" and inbox[0]["severity"] == 3
    assert c.get("/api/v1/comments", headers=member).status_code == 403
    iid = inbox[0]["incident_id"]
    assert c.post(f"/api/v1/incidents/{iid}/acknowledge", headers=chair).json()["state"] == "acknowledged"
    r = c.post(f"/api/v1/incidents/{iid}/checklist/1", json={"done": True}, headers=chair)
    assert r.json()["checklist"][0]["done"] is True
    r = c.post(f"/api/v1/incidents/{iid}/checklist/99", json={"done": True}, headers=chair)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"

    def fast_track():
        return c.post(f"/api/v1/incidents/{iid}/fast-track", json={"response": "holding-statement"}, headers=chair)

    assert fast_track().status_code == 409  # not pre-approved yet: the committee decides that
    r = c.post("/api/v1/playbooks/crisis/responses/holding-statement/pre-approvals", json={"channel": cid},
               headers=chair)
    assert r.status_code == 201 and r.json()["status"] == "in review"
    proposal = r.json()["draft_id"]
    assert c.post(f"/api/v1/drafts/{proposal}/reviews", json={"verdict": "approve"}, headers=chair).status_code == 403
    assert c.post(f"/api/v1/drafts/{proposal}/reviews", json={"verdict": "approve"},
                  headers=token(c, "cm@example.org")).json()["state"] == "approved"
    r = fast_track()
    assert r.status_code == 201
    draft = c.get(f"/api/v1/drafts/{r.json()['draft_id']}", headers=chair).json()
    assert draft["state"] == "scheduled" and draft["screening"]["decision"] == "pass"
    assert draft["text"] == c.get(f"/api/v1/drafts/{proposal}", headers=chair).json()["text"]


def test_bad_webhook_bodies(api):
    c, cid, chair, _ = api
    assert c.post(f"/api/v1/channels/{cid}/inbound", content=b"{not json", headers=signed(b"{not json")).status_code == 422
    body = b'{"comments": "nope"}'
    assert c.post(f"/api/v1/channels/{cid}/inbound", content=body, headers=signed(body)).status_code == 422
    assert c.post(f"/api/v1/channels/{cid}/inbound", content=b"[]").status_code == 401


def test_playbooks_are_editable_by_the_committee(api):
    c, _, chair, member = api
    names = {p["name"] for p in c.get("/api/v1/playbooks", headers=chair).json()}
    assert {"complaint", "crisis", "spike", "misinformation", "negative-comment"} <= names
    assert all(p["pre_approvals"] == [] for p in c.get("/api/v1/playbooks", headers=chair).json())
    src = "name: complaint\nincident_type: complaint\ntitle: Complaint v2\nsteps: [Read it, Answer it]\n"
    assert c.put("/api/v1/playbooks", json={"source": src}, headers=chair).json()["title"] == "Complaint v2"
    assert c.put("/api/v1/playbooks", json={"source": "name: x"}, headers=chair).status_code == 422
    assert c.put("/api/v1/playbooks", json={"source": src}, headers=member).status_code == 403
