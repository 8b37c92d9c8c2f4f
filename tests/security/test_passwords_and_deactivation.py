"""Accounts: a one-time password must be changed before anything else, members change their own
password, an admin resets one, and a deactivated member loses every access at once (the last
admin stays). Services on SQLite and PostgreSQL; the API and its problem answers on SQLite."""
from __future__ import annotations

import json
import threading
import time
from collections import defaultdict

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onevoice.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from onevoice.governance import auth, members
from onevoice.governance.permissions import SYSTEM, Action, PermissionDenied, allowed, require
from onevoice.store.models import AuditEvent
from onevoice.web.app import create_app
from tests.security.test_permission_matrix import PUBLIC, ROUTES, _fill

PASSWORD = "a long password"
NEW = "another long password"
FIRST_ADMIN = "admin@localhost.localdomain"  # made by `initialize` in every test installation


def add(system, email, *roles, password: str | None = PASSWORD) -> tuple[int, str | None]:
    with system.db.transaction() as s:
        m, one_time = members.add_member(s, SYSTEM, email, email.split("@")[0], password, roles)
        return m.id, one_time


def actor(system, email, signed_in=False):
    with system.db.reader() as s:
        return members.actor_for(members.get_member(s, email), signed_in=signed_in)


def sign_ins(system, email) -> tuple[str, str]:
    """A web session and an API token of the member, both through sign-in's own functions."""
    with system.db.transaction() as s:
        m = members.get_member(s, email)
        session_secret, _ = auth.start_session(s, m)
        token_secret, _ = auth.create_token(s, members.actor_for(m), "script")
    return session_secret, token_secret


def still_signed_in(system, session_secret=None, token_secret=None) -> list[bool]:
    out = []
    with system.db.reader() as s:
        for check, secret in ((auth.session_member, session_secret), (auth.token_actor, token_secret)):
            if secret is not None:
                try:
                    check(s, secret)
                    out.append(True)
                except Unauthenticated:
                    out.append(False)
    return out


def can_sign_in(system, email, password) -> bool:
    with system.db.transaction() as s:
        return auth.authenticate(s, email, password, system.login_policy).member is not None


def last_event(system, action):
    with system.db.reader() as s:
        return s.scalar(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq.desc()))


# --- services ------------------------------------------------------------------------------


def test_changing_a_password_needs_the_current_one_and_ends_the_other_sign_ins(system):
    add(system, "pat@example.org")
    web1, tok1 = sign_ins(system, "pat@example.org")
    web2, tok2 = sign_ins(system, "pat@example.org")
    with system.db.reader() as s:
        keep_session = auth.session_member(s, web1)[1].id
    pat = actor(system, "pat@example.org", signed_in=True)
    with pytest.raises(Forbidden, match="current password is wrong"), system.db.transaction() as s:
        members.change_password(s, pat, "not my password", NEW, keep_session=keep_session)
    for bad, why in ((PASSWORD, "differ"), ("short", "at least 10"), ("PAT@example.org", "e-mail"),
                     (" " * 12, "spaces"), ("x" * 1001, "at most")):
        with pytest.raises(InvalidInput, match=why), system.db.transaction() as s:
            members.change_password(s, pat, PASSWORD, bad, keep_session=keep_session)
    assert still_signed_in(system, web2, tok2) == [True, True]  # the refusals changed nothing
    with system.db.transaction() as s:
        members.change_password(s, pat, PASSWORD, NEW, keep_session=keep_session)
    assert still_signed_in(system, web1) == [True]
    assert still_signed_in(system, web2, tok1) == [False, False]
    assert still_signed_in(system, token_secret=tok2) == [False]
    assert can_sign_in(system, "pat@example.org", NEW) and not can_sign_in(system, "pat@example.org", PASSWORD)
    event = last_event(system, "member.password_change")
    assert event.actor == "pat@example.org" and event.detail == {"sessions_ended": 1, "tokens_revoked": 2}
    assert PASSWORD not in json.dumps(event.detail) and NEW not in json.dumps(event.detail)


def test_the_operator_has_no_password_to_change(system):
    with pytest.raises(InvalidInput, match="operator has no password"), system.db.transaction() as s:
        members.change_password(s, SYSTEM, PASSWORD, NEW)


def test_a_one_time_password_allows_nothing_but_changing_it(system):
    _, one_time = add(system, "new@example.org", "committee", password=None)
    signed_in = actor(system, "new@example.org", signed_in=True)
    assert signed_in.must_change_password
    for action in (Action.SCREEN_TEXT, Action.DRAFT_CREATE, Action.DRAFT_REVIEW, Action.TOKEN_MANAGE_OWN):
        assert not allowed(signed_in, action)
    with pytest.raises(PermissionDenied, match="one-time password"):
        require(signed_in, Action.DRAFT_REVIEW)
    # the operator acting for the member is not held to it, and a token's actor is
    assert allowed(actor(system, "new@example.org"), Action.DRAFT_REVIEW)
    _, token = sign_ins(system, "new@example.org")
    with system.db.reader() as s:
        assert auth.token_actor(s, token).actor.must_change_password
    with system.db.transaction() as s:
        members.change_password(s, signed_in, one_time, NEW)
    assert allowed(actor(system, "new@example.org", signed_in=True), Action.DRAFT_REVIEW)


def test_an_admin_reset_gives_a_new_one_time_password_and_ends_every_sign_in(system):
    add(system, "pat@example.org")
    add(system, "boss@example.org", "admin")
    web, token = sign_ins(system, "pat@example.org")
    with pytest.raises(PermissionDenied), system.db.transaction() as s:
        members.reset_password(s, actor(system, "pat@example.org"), "boss@example.org")
    with system.db.transaction() as s:
        _, one_time = members.reset_password(s, actor(system, "boss@example.org"), "pat@example.org")
    assert still_signed_in(system, web, token) == [False, False]
    assert not can_sign_in(system, "pat@example.org", PASSWORD)
    assert can_sign_in(system, "pat@example.org", one_time)
    with system.db.reader() as s:
        assert members.get_member(s, "pat@example.org").must_change_password
    event = last_event(system, "member.password_reset")
    assert event.actor == "boss@example.org" and event.detail == {"sessions_ended": 1, "tokens_revoked": 1}
    assert one_time not in json.dumps(event.detail)
    with pytest.raises(InvalidInput, match="own password"), system.db.transaction() as s:
        members.reset_password(s, actor(system, "boss@example.org"), "boss@example.org")


def test_a_deactivated_member_loses_every_access_at_once(system):
    from onevoice.governance import channels

    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "bluesky", "ipala.test")
        ch_id = ch.id
    add(system, "ana@example.org", "committee")
    with system.db.transaction() as s:
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", s.get(type(ch), ch_id))
    web, token = sign_ins(system, "ana@example.org")
    with system.db.transaction() as s:
        members.deactivate_member(s, SYSTEM, "ana@example.org")
    assert still_signed_in(system, web, token) == [False, False]
    assert not can_sign_in(system, "ana@example.org", PASSWORD)
    ana = actor(system, "ana@example.org")  # e.g. the CLI acting for her, or a check at publishing
    assert not allowed(ana, Action.DRAFT_SUBMIT, ch_id) and not allowed(ana, Action.DRAFT_REVIEW)
    assert not allowed(ana, Action.TOKEN_MANAGE_OWN)
    with system.db.reader() as s:
        assert "ana@example.org" not in [m.email for m in members.holders(s, members.Role.COMMITTEE)]
    with pytest.raises(Conflict, match="already deactivated"), system.db.transaction() as s:
        members.deactivate_member(s, SYSTEM, "ana@example.org")
    assert last_event(system, "member.deactivate").detail == {"sessions_ended": 1, "tokens_revoked": 1}

    with system.db.transaction() as s:
        members.reactivate_member(s, SYSTEM, "ana@example.org")
    assert can_sign_in(system, "ana@example.org", PASSWORD)
    assert allowed(actor(system, "ana@example.org"), Action.DRAFT_SUBMIT, ch_id)
    assert still_signed_in(system, web, token) == [False, False]  # old sign-ins do not come back
    assert last_event(system, "member.reactivate") is not None
    with pytest.raises(Conflict, match="is active"), system.db.transaction() as s:
        members.reactivate_member(s, SYSTEM, "ana@example.org")


def test_the_last_active_admin_stays(system):
    with pytest.raises(Conflict, match="last active administrator"), system.db.transaction() as s:
        members.deactivate_member(s, SYSTEM, FIRST_ADMIN)
    with pytest.raises(Conflict, match="last active administrator"), system.db.transaction() as s:
        members.revoke_role(s, SYSTEM, FIRST_ADMIN, "admin")
    add(system, "second@example.org", "admin")
    with pytest.raises(InvalidInput, match="own account"), system.db.transaction() as s:
        members.deactivate_member(s, actor(system, "second@example.org"), "second@example.org")
    with system.db.transaction() as s:
        members.deactivate_member(s, actor(system, "second@example.org"), FIRST_ADMIN)
    with pytest.raises(Conflict, match="last active administrator"), system.db.transaction() as s:
        members.deactivate_member(s, SYSTEM, "second@example.org")
    with system.db.reader() as s:
        assert [m.email for m in members.holders(s, members.Role.ADMIN)] == ["second@example.org"]


def test_two_admins_deactivating_each_other_at_once_leave_one(system):
    add(system, "a1@example.org", "admin")
    add(system, "a2@example.org", "admin")
    with system.db.transaction() as s:
        members.deactivate_member(s, SYSTEM, FIRST_ADMIN)
    a1, a2 = actor(system, "a1@example.org"), actor(system, "a2@example.org")
    first_done, outcome = threading.Event(), {}

    def second() -> None:
        first_done.wait(10)
        try:
            with system.db.transaction() as s:
                members.deactivate_member(s, a2, "a1@example.org")
            outcome["second"] = "deactivated"
        except Conflict as exc:
            outcome["second"] = exc.detail

    worker = threading.Thread(target=second)
    worker.start()
    with system.db.transaction() as s:
        members.deactivate_member(s, a1, "a2@example.org")
        first_done.set()
        time.sleep(0.5)  # the second one reads the admins while this one is not committed yet
    worker.join(20)
    assert "last active administrator" in outcome["second"]
    with system.db.reader() as s:
        assert [m.email for m in members.holders(s, members.Role.ADMIN)] == ["a1@example.org"]


# --- the API -------------------------------------------------------------------------------


@pytest.fixture
def api(sqlite_system):
    add(sqlite_system, "boss@example.org", "admin")
    add(sqlite_system, "pat@example.org", "committee")
    with TestClient(create_app(sqlite_system, scheduler=False), raise_server_exceptions=False) as client:
        yield sqlite_system, client


def bearer(client, email, password) -> tuple[dict, dict]:
    r = client.post("/api/v1/tokens", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}, r.json()


EXEMPT = {("post", "/api/v1/me/password"), ("delete", "/api/v1/me/tokens/{token_id}")}


def test_with_a_one_time_password_every_route_but_changing_it_and_signing_out_is_refused(api):
    _, client = api
    boss, _ = bearer(client, "boss@example.org", PASSWORD)
    added = client.post("/api/v1/members", json={"email": "new@example.org", "name": "New", "roles": ["admin"]},
                        headers=boss).json()
    h, signed = bearer(client, "new@example.org", added["one_time_password"])
    assert signed["must_change_password"] is True
    ids = defaultdict(lambda: "1", token_id=str(signed["id"]), role="committee", name="x.html", code="x")
    for (method, template), (rule, body, _) in ROUTES.items():
        if rule == PUBLIC or (method, template) in EXEMPT:
            continue
        r = client.request(method.upper(), template.format_map(ids), headers=h, json=_fill(body, "new"))
        assert r.status_code == 403, (method, template, r.status_code, r.text[:200])
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["type"] == "/problems/password-change-required", (method, template, problem)
        assert "one-time password" in problem["detail"] and "/api/v1/me/password" in problem["detail"]
    r = client.post("/api/v1/me/password", headers=h,
                    json={"current_password": added["one_time_password"], "new_password": NEW})
    assert r.status_code == 200 and r.json()["must_change_password"] is False, r.text
    assert client.get("/api/v1/me", headers=h).status_code == 200
    assert client.get("/api/v1/members", headers=h).status_code == 200


def test_signing_out_works_before_the_change(api):
    system, client = api
    with system.db.transaction() as s:
        _, one_time = members.reset_password(s, SYSTEM, "pat@example.org")
    h, signed = bearer(client, "pat@example.org", one_time)
    assert client.delete(f"/api/v1/me/tokens/{signed['id']}", headers=h).status_code == 204
    assert client.get("/api/v1/me", headers=h).status_code == 401


def test_a_session_with_a_one_time_password_is_held_too_and_keeps_itself_on_change(api):
    system, client = api
    with system.db.transaction() as s:
        _, one_time = members.reset_password(s, SYSTEM, "pat@example.org")
    web, _ = sign_ins(system, "pat@example.org")
    other_web, token = sign_ins(system, "pat@example.org")
    with system.db.reader() as s:
        csrf = auth.session_member(s, web)[1].csrf_token
    client.cookies.set("onevoice_session", web)
    r = client.get("/api/v1/drafts")
    assert r.status_code == 403 and r.json()["type"] == "/problems/password-change-required"
    body = {"current_password": one_time, "new_password": NEW}
    assert client.post("/api/v1/me/password", json=body).status_code == 403  # no CSRF token
    r = client.post("/api/v1/me/password", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/drafts").status_code == 200
    assert still_signed_in(system, web) == [True]
    assert still_signed_in(system, other_web, token) == [False, False]


def test_password_change_problems(api):
    _, client = api
    h, _ = bearer(client, "pat@example.org", PASSWORD)
    second, _ = bearer(client, "pat@example.org", PASSWORD)
    r = client.post("/api/v1/me/password", headers=h, json={"current_password": "wrong one!", "new_password": NEW})
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "about:blank" and "current password is wrong" in r.json()["detail"]
    r = client.post("/api/v1/me/password", headers=h, json={"current_password": PASSWORD, "new_password": "short"})
    assert r.status_code == 422 and "at least 10" in r.json()["detail"]
    r = client.post("/api/v1/me/password", headers=h, json={"current_password": PASSWORD, "new_password": NEW,
                                                            "extra": 1})
    assert r.status_code == 422
    assert client.get("/api/v1/me", headers=second).status_code == 200  # nothing changed so far
    r = client.post("/api/v1/me/password", headers=h, json={"current_password": PASSWORD, "new_password": NEW})
    assert r.status_code == 200, r.text
    assert client.get("/api/v1/me", headers=h).status_code == 200
    assert client.get("/api/v1/me", headers=second).status_code == 401


def test_an_admin_resets_deactivates_and_reactivates_through_the_api(api):
    system, client = api
    boss, _ = bearer(client, "boss@example.org", PASSWORD)
    pat, _ = bearer(client, "pat@example.org", PASSWORD)
    with system.db.reader() as s:
        pat_id = members.get_member(s, "pat@example.org").id
        boss_id = members.get_member(s, "boss@example.org").id
    assert client.post(f"/api/v1/members/{boss_id}/password-reset", headers=pat).status_code == 403
    r = client.post(f"/api/v1/members/{pat_id}/password-reset", headers=boss)
    assert r.status_code == 200 and r.json()["must_change_password"] is True, r.text
    one_time = r.json()["one_time_password"]
    assert client.get("/api/v1/me", headers=pat).status_code == 401
    assert client.post("/api/v1/tokens", json={"email": "pat@example.org", "password": PASSWORD}).status_code == 401
    pat, signed = bearer(client, "pat@example.org", one_time)
    assert signed["must_change_password"] is True

    r = client.post(f"/api/v1/members/{pat_id}/deactivate", headers=boss)
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    assert client.delete(f"/api/v1/me/tokens/{signed['id']}", headers=pat).status_code == 401
    assert client.post("/api/v1/tokens", json={"email": "pat@example.org", "password": one_time}).status_code == 401
    assert client.post(f"/api/v1/members/{pat_id}/deactivate", headers=boss).status_code == 409
    r = client.post(f"/api/v1/members/{boss_id}/deactivate", headers=boss)
    assert r.status_code == 422 and "own account" in r.json()["detail"]
    r = client.post(f"/api/v1/members/{pat_id}/reactivate", headers=boss)
    assert r.status_code == 200 and r.json()["active"] is True
    bearer(client, "pat@example.org", one_time)
    assert client.post("/api/v1/members/99999/deactivate", headers=boss).status_code == 404
