"""Policy acknowledgement (1.): nobody submits a draft or a reply before acknowledging the active
policy version, shown in full; a new version asks again; the committee sees who has and who has
not. Through the service, the pages, the API and the CLI."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onevoice.crisis import inbox, intake
from onevoice.errors import Conflict, InvalidInput, PolicyNotAcknowledged
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM, PermissionDenied
from onevoice.policy import acknowledgements, versions
from onevoice.publishing import workflow
from onevoice.store.models import AuditEvent, Comment, Draft
from onevoice.web.app import create_app
from tests.policy_helpers import acknowledge_policy
from tests.web.signin import csrf, signed_in_client

PASSWORD = "a long password 1"
HTML = {"accept": "text/html"}
TEXT = "Our spring webinar on airway care is on 3 May: sign up at https://ipala.org/webinar"
BIN = os.path.join(os.path.dirname(sys.executable), "onevoice")


def _org(system):
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala", base_url="http://127.0.0.1:9")
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.add_member(s, SYSTEM, "rui@example.org", "Rui Reviewer", PASSWORD, ("committee",))
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", ch)
        return ch.id


def _actor(system, email):
    with system.db.reader() as s:
        return members.actor_for(members.get_member(s, email))


def _draft(system, channel_id, email="ana@example.org") -> int:
    with system.db.transaction() as s:
        return workflow.create_draft(s, _actor(system, email), channel_id, TEXT).id


def _state(system, draft_id) -> str:
    with system.db.reader() as s:
        return s.get(Draft, draft_id).state


def _active_id(system) -> int:
    with system.db.reader() as s:
        return versions.active_version(s).id


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_submit_is_refused_until_the_member_acknowledges_the_active_version(system):
    cid = _org(system)
    ana = _actor(system, "ana@example.org")
    d = _draft(system, cid)
    with pytest.raises(PolicyNotAcknowledged) as err:
        with system.db.transaction() as s:
            workflow.submit(s, ana, d, system.screening)
    assert "not yet acknowledged the active policy" in err.value.detail and "/policy/acknowledge" in err.value.detail
    assert err.value.status == 403 and err.value.extra["version_id"] == _active_id(system)
    assert _state(system, d) == "draft"  # the refusal rolled the submission back

    with pytest.raises(InvalidInput, match="confirm"):  # the confirmation is not optional
        with system.db.transaction() as s:
            acknowledgements.acknowledge(s, ana, _active_id(system), False)
    with system.db.transaction() as s:
        acknowledgements.acknowledge(s, ana, _active_id(system), True)
    with pytest.raises(Conflict, match="already acknowledged"):
        with system.db.transaction() as s:
            acknowledgements.acknowledge(s, ana, _active_id(system), True)
    with system.db.transaction() as s:
        assert workflow.submit(s, ana, d, system.screening).state == "in_review"
    with system.db.reader() as s:
        [ev] = s.scalars(select(AuditEvent).where(AuditEvent.action == "policy.acknowledge")).all()
        assert ev.actor == "ana@example.org" and ev.object_id == str(_active_id(system))
        assert ev.detail["confirmation"] == acknowledgements.CONFIRMATION


def test_the_role_is_checked_first_and_the_installation_needs_no_acknowledgement(sqlite_system):
    system = sqlite_system
    cid = _org(system)
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, "out@example.org", "Out Sider", PASSWORD)
    d = _draft(system, cid, "out@example.org")
    with pytest.raises(PermissionDenied):  # not authorized on the channel: that is what they are told
        with system.db.transaction() as s:
            workflow.submit(s, _actor(system, "out@example.org"), d, system.screening)
    with system.db.reader() as s:
        assert acknowledgements.needs_acknowledgement(s, SYSTEM) is None


def test_a_new_policy_version_asks_again(sqlite_system):
    system = sqlite_system
    cid = _org(system)
    acknowledge_policy(system, "ana@example.org")
    ana = _actor(system, "ana@example.org")
    first, d0 = _active_id(system), _draft(system, cid)
    with system.db.transaction() as s:
        workflow.submit(s, ana, d0, system.screening)
        source = versions.active_version(s).source
        versions.save_version(s, SYSTEM, source.replace("version:", "version: '2027.1' #", 1))
    second = _active_id(system)
    assert second != first
    d = _draft(system, cid)
    with pytest.raises(PolicyNotAcknowledged, match=f"version {second}"):
        with system.db.transaction() as s:
            workflow.submit(s, ana, d, system.screening)
    with pytest.raises(Conflict, match="the policy changed"):  # acknowledging the old one does not count
        with system.db.transaction() as s:
            acknowledgements.acknowledge(s, ana, first, True)
    acknowledge_policy(system, "ana@example.org")
    with system.db.transaction() as s:
        assert workflow.submit(s, ana, d, system.screening).state == "in_review"
        versions.activate(s, SYSTEM, first)  # going back to the first version: acknowledged before, still so
    with system.db.transaction() as s:
        assert acknowledgements.needs_acknowledgement(s, ana) is None


def test_a_reply_from_the_inbox_needs_the_acknowledgement_too(sqlite_system):
    system = sqlite_system
    cid = _org(system)
    intake.ingest(system.db, cid, [{"id": "c1", "text": "When is the next webinar?"}], "import", system.settings)
    with system.db.reader() as s:
        comment_id = s.scalar(select(Comment.id))
    ana = _actor(system, "ana@example.org")
    with pytest.raises(PolicyNotAcknowledged):
        with system.db.transaction() as s:
            inbox.draft_reply(s, ana, comment_id, "On 3 May: see ipala.org/events.", system.screening)
    with system.db.reader() as s:
        assert s.scalar(select(Draft.id)) is None
    acknowledge_policy(system, "ana@example.org")
    with system.db.transaction() as s:
        inbox.draft_reply(s, ana, comment_id, "On 3 May: see ipala.org/events.", system.screening)


def test_the_api_answers_403_problem_json_with_the_link_and_the_version(sqlite_system):
    system = sqlite_system
    cid = _org(system)
    c = TestClient(create_app(system, scheduler=False))
    ana = {"Authorization": "Bearer " + c.post("/api/v1/tokens", json={"email": "ana@example.org",
                                                                      "password": PASSWORD}).json()["token"]}
    did = c.post("/api/v1/drafts", json={"channel": cid, "text": TEXT}, headers=ana).json()["id"]
    r = c.post(f"/api/v1/drafts/{did}/submit", headers=ana)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "/problems/policy-acknowledgement-required" and body["link"] == "/policy/acknowledge"
    assert "not yet acknowledged the active policy" in body["detail"]
    r = c.post("/api/v1/policy/acknowledgements", json={"version_id": body["version_id"], "confirm": False},
               headers=ana)
    assert r.status_code == 422
    r = c.post("/api/v1/policy/acknowledgements", json={"version_id": body["version_id"], "confirm": True},
               headers=ana)
    assert r.status_code == 201 and r.json()["version_id"] == body["version_id"]
    assert c.post(f"/api/v1/drafts/{did}/submit", headers=ana).json()["state"] == "in_review"
    assert c.get("/api/v1/policy/acknowledgements", headers=ana).status_code == 403  # the committee's list
    rui = {"Authorization": "Bearer " + c.post("/api/v1/tokens", json={"email": "rui@example.org",
                                                                      "password": PASSWORD}).json()["token"]}
    listed = {m["email"]: m["acknowledged_at"] for m in c.get("/api/v1/policy/acknowledgements", headers=rui).json()["members"]}
    assert listed["ana@example.org"] and listed["rui@example.org"] is None


def test_the_composer_shows_the_banner_and_the_page_shows_the_policy_in_full(sqlite_system):
    system = sqlite_system
    cid = _org(system)
    ana = signed_in_client(system, "ana@example.org")
    composer = ana.get("/drafts/new", headers=HTML).text
    assert 'id="acknowledge-banner"' in composer and 'href="/policy/acknowledge"' in composer
    token = csrf(composer)
    r = ana.post("/drafts/new", data={"csrf_token": token, "channel": str(cid), "text": TEXT, "action": "submit"},
                 headers=HTML, follow_redirects=False)
    assert r.status_code == 422 and "not yet acknowledged the active policy" in text_of(r.text)

    page = ana.get("/policy/acknowledge", headers=HTML).text
    words = text_of(page)
    assert "Only authorized IPALA members may use official social media channels and respond to social media" in words
    assert "2.g" in words and "3 Crisis management" in words  # every clause, in full
    assert acknowledgements.CONFIRMATION in words
    r = ana.post("/policy/acknowledge", data={"csrf_token": csrf(page), "version": str(_active_id(system))},
                 headers=HTML, follow_redirects=False)
    assert r.status_code == 422 and "tick the box" in text_of(r.text)  # the box was not ticked
    r = ana.post("/policy/acknowledge", data={"csrf_token": csrf(page), "version": str(_active_id(system)),
                                              "confirm": "yes"}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/drafts/new")
    assert "You acknowledged this version on" in text_of(ana.get("/policy/acknowledge", headers=HTML).text)
    composer = ana.get("/drafts/new", headers=HTML).text
    assert 'id="acknowledge-banner"' not in composer
    r = ana.post("/drafts/new", data={"csrf_token": csrf(composer), "channel": str(cid), "text": TEXT,
                                      "action": "submit"}, headers=HTML, follow_redirects=False)
    assert r.status_code == 303


def test_the_committee_sees_who_acknowledged_and_who_has_not(sqlite_system):
    system = sqlite_system
    _org(system)
    acknowledge_policy(system, "ana@example.org")
    rui = signed_in_client(system, "rui@example.org")
    words = text_of(rui.get("/committee/acknowledgements", headers=HTML).text)
    assert re.search(r"Rui Reviewer rui@example\.org not yet", words)
    assert re.search(r"Ana Author ana@example\.org \w{3} \d+ \w{3}, \d\d:\d\d", words)
    assert "not acknowledged it yet" in words
    ana = signed_in_client(system, "ana@example.org")
    assert ana.get("/committee/acknowledgements", headers=HTML).status_code == 403


def test_the_cli_shows_the_policy_and_wants_the_confirmation(tmp_path):
    env = {**os.environ, "ONEVOICE_HOME": str(tmp_path)}

    def run(*args):
        return subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=120)

    assert run("init").returncode == 0
    assert run("member", "add", "a@example.org", "--name", "A").returncode == 0
    r = run("member", "acknowledge", "a@example.org")
    assert r.returncode != 0 and r.stderr.startswith("error: ") and "--yes" in r.stderr
    assert "Only authorized IPALA members" in r.stdout
    r = run("member", "acknowledge", "a@example.org", "--yes")
    assert r.returncode == 0 and "acknowledged" in r.stdout
