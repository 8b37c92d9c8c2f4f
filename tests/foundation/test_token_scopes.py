"""API tokens with scopes and an expiry: each scope lets a token do its part and no more (403
naming the missing scope), a token never exceeds its member's roles, an expired token is refused
with 401, tokens from before the scopes keep what their roles allow, and the CLI says what is wrong."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from onevoice.governance import auth, channels, members
from onevoice.governance.permissions import (PERMISSIONS, SYSTEM, Action, Actor, Role, Scope, effective_roles,
                                             role_allowed_scopes)
from onevoice.publishing import workflow
from onevoice.store.models import ApiToken, utcnow
from onevoice.web.app import create_app
from tests.policy_helpers import acknowledge_in

PASSWORD = "a long password 1"


@pytest.fixture
def org(sqlite_system):
    system = sqlite_system
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "bluesky", "ipala.test")
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.add_member(s, SYSTEM, "rui@example.org", "Rui Reviewer", PASSWORD, ("committee",))
        members.add_member(s, SYSTEM, "boss@example.org", "Bea Boss", PASSWORD, ("admin",))
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", ch)
        acknowledge_in(s, "ana@example.org")
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        draft = workflow.create_draft(s, ana, ch.id, "Our spring meeting is on 12 May in Porto. All welcome.")
        workflow.submit(s, ana, draft.id, system.screening)
        channel_id, draft_id = ch.id, draft.id
    return system, channel_id, draft_id


def token(system, email, scopes=None, days=90) -> str:
    with system.db.transaction() as s:
        actor = members.actor_for(members.get_member(s, email))
        return auth.create_token(s, actor, "test", scopes, days)[0]


def api(system, secret):
    c = TestClient(create_app(system, scheduler=False))
    c.headers["Authorization"] = f"Bearer {secret}"
    return c


def assert_scope_missing(r, scope: str):
    assert r.status_code == 403, r.text
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["missing_scope"] == scope and f"'{scope}'" in body["detail"]


def test_read_scope_reads_and_changes_nothing(org):
    system, channel_id, _ = org
    c = api(system, token(system, "ana@example.org", ["read"]))
    assert c.get("/api/v1/me").json()["token_scopes"] == ["read"]
    assert c.get("/api/v1/channels").status_code == 200
    assert c.post("/api/v1/screen", json={"text": "Hello colleagues"}).status_code == 200
    assert_scope_missing(c.post("/api/v1/drafts", json={"channel": channel_id, "text": "A new post"}), "draft")


def test_draft_scope_writes_drafts(org):
    system, channel_id, _ = org
    c = api(system, token(system, "ana@example.org", ["draft"]))
    assert c.post("/api/v1/drafts", json={"channel": channel_id, "text": "A new post"}).status_code == 201
    assert_scope_missing(c.get("/api/v1/channels"), "read")


def test_review_scope_approves(org):
    system, _, draft_id = org
    without = api(system, token(system, "rui@example.org", ["read", "draft"]))
    assert_scope_missing(without.post(f"/api/v1/drafts/{draft_id}/reviews", json={"verdict": "approve"}), "review")
    with_review = api(system, token(system, "rui@example.org", ["review"]))
    assert with_review.post(f"/api/v1/drafts/{draft_id}/reviews", json={"verdict": "approve"}).status_code == 201


def test_admin_scope_manages_members(org):
    system, _, _ = org
    body = {"email": "new@example.org", "name": "New Member"}
    assert_scope_missing(api(system, token(system, "boss@example.org", ["read", "draft", "review"]))
                         .post("/api/v1/members", json=body), "admin")
    assert api(system, token(system, "boss@example.org", ["admin"])).post("/api/v1/members", json=body).status_code == 201


def test_a_scope_is_no_role(org):
    """The role is still checked: a member's token has no admin scope to lack, it lacks the role."""
    system, _, _ = org
    r = api(system, token(system, "ana@example.org")).post("/api/v1/members", json={"email": "x@example.org",
                                                                                     "name": "X"})
    assert r.status_code == 403 and "missing_scope" not in r.json() and "role" in r.json()["detail"]


def test_a_token_never_exceeds_its_members_roles(org):
    system, _, _ = org
    with system.db.transaction() as s:
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        with pytest.raises(Exception, match="exceed what your roles allow"):
            auth.create_token(s, ana, "too much", ["read", "admin"])
    c = api(system, token(system, "ana@example.org", ["read"]))
    r = c.post("/api/v1/me/tokens", json={"name": "more", "scopes": ["review"]})
    assert r.status_code == 403 and "review" in r.json()["detail"]
    # a token made with a token has at most that token's scopes, even when the roles allow more
    r = c.post("/api/v1/me/tokens", json={"name": "more", "scopes": ["draft"]})
    assert r.status_code == 403 and "at most: read" in r.json()["detail"]
    made = c.post("/api/v1/me/tokens", json={"name": "same"})
    assert made.status_code == 201 and made.json()["scopes"] == ["read"]
    assert c.post("/api/v1/me/tokens", json={"name": "x", "scopes": ["write"]}).status_code == 422
    # by default: all the roles allow
    r = TestClient(create_app(system, scheduler=False)).post("/api/v1/tokens", json={"email": "rui@example.org",
                                                                                      "password": PASSWORD})
    assert r.status_code == 201 and r.json()["scopes"] == ["read", "draft", "review"]


def test_expired_tokens_are_refused_with_401(org):
    system, _, _ = org
    secret = token(system, "ana@example.org", ["read"], days=1)
    c = api(system, secret)
    assert c.get("/api/v1/me").status_code == 200
    with system.db.transaction() as s:
        row = s.query(ApiToken).filter(ApiToken.prefix == secret[:10]).one()
        assert timedelta(hours=23) < row.expires_at - utcnow() <= timedelta(days=1)
        row.expires_at = utcnow() - timedelta(seconds=1)
    r = c.get("/api/v1/me")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert "expired" in r.json()["detail"]
    forever = token(system, "ana@example.org", ["read"], days=0)
    with system.db.reader() as s:
        assert s.query(ApiToken).filter(ApiToken.prefix == forever[:10]).one().expires_at is None
    default = TestClient(create_app(system, scheduler=False)).post(
        "/api/v1/tokens", json={"email": "ana@example.org", "password": PASSWORD}).json()
    assert default["expires_at"] is not None  # ONEVOICE_TOKEN_DAYS (90)


def test_every_action_has_a_scope_and_roles_allow_what_they_use():
    assert all(isinstance(p.scope, Scope) for p in PERMISSIONS.values())
    assert PERMISSIONS[Action.DRAFT_REVIEW].scope is Scope.REVIEW
    assert PERMISSIONS[Action.METRICS_VIEW].scope is Scope.READ
    assert PERMISSIONS[Action.MEMBER_ADD].scope is Scope.ADMIN
    member = Actor(1, "a@example.org", effective_roles(set()))
    assert role_allowed_scopes(member) == {Scope.READ, Scope.DRAFT}
    # migration 0013 froze these for the tokens it gives scopes to: they must agree
    from importlib import import_module

    frozen = import_module("onevoice.store.migrations.versions.0013_two_factor_and_token_scopes").ROLE_SCOPES
    for role in Role:
        actor = Actor(1, "a@example.org", effective_roles({role}), channels=frozenset({1}) if role is Role.AUTHORIZED
                      else frozenset())
        assert {s.value for s in role_allowed_scopes(actor)} == frozen[role.value], role


def test_tokens_from_before_the_scopes_keep_what_their_roles_allow(tmp_path):
    from onevoice.store import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0011")
    engine = create_engine(url)
    with engine.begin() as conn:
        for mid, email in ((1, "ana@example.org"), (2, "rui@example.org")):
            conn.execute(text("INSERT INTO members (id, email, name, active, failed_logins, must_change_password, "
                              "created_at) VALUES (:id, :e, 'X', 1, 0, 0, '2026-01-01 00:00:00')"), {"id": mid, "e": email})
            conn.execute(text("INSERT INTO api_tokens (member_id, name, token_hash, prefix, created_at) "
                              "VALUES (:m, 'old', :h, 'ov_x', '2026-01-01 00:00:00')"), {"m": mid, "h": f"{mid:064d}"})
        conn.execute(text("INSERT INTO role_grants (member_id, role, granted_at) VALUES (2, 'committee', "
                          "'2026-01-01 00:00:00')"))
    migrate.upgrade(url, "0013")
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT member_id, scopes FROM api_tokens")).all())
        assert rows == {1: "read draft", 2: "read draft review"}
        assert conn.execute(text("SELECT count(*) FROM api_tokens WHERE expires_at IS NULL")).scalar() == 2
    engine.dispose()


@pytest.fixture
def cli(tmp_path):
    env = {**os.environ, "ONEVOICE_HOME": str(tmp_path), "PYTHONPATH": os.getcwd()}
    env.pop("ONEVOICE_DATABASE_URL", None)

    def run(*args):
        return subprocess.run([os.path.join(os.path.dirname(sys.executable), "onevoice"), *args], capture_output=True,
                              text=True, env=env, timeout=120)

    assert run("init").returncode == 0
    assert run("member", "add", "ana@example.org", "--name", "Ana").returncode == 0
    return run


def test_the_cli_creates_scoped_tokens_and_says_what_is_wrong(cli):
    ok = cli("token", "create", "ana@example.org", "--name", "ci", "--scope", "read", "--days", "30")
    assert ok.returncode == 0 and "(read; expires " in ok.stdout and "ov_" in ok.stdout
    assert "(read draft; no expiry)" in cli("token", "create", "ana@example.org", "--name", "x", "--days", "0").stdout
    for args, needle in ((("--scope", "admin"), "exceed what your roles allow"),
                         (("--scope", "writing"), "'writing' is not a scope"),
                         (("--days", "99999"), "1 to 3650 days")):
        r = cli("token", "create", "ana@example.org", "--name", "bad", *args)
        assert r.returncode != 0 and r.stderr.startswith("error: ") and needle in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


def test_the_cli_resets_a_lost_two_factor_and_refuses_when_there_is_none(cli):
    r = cli("member", "reset-two-factor", "ana@example.org")
    assert r.returncode != 0 and r.stderr.strip() == "error: ana@example.org has no two-factor sign-in to reset"
    r = cli("member", "reset-two-factor", "nobody@example.org")
    assert r.returncode != 0 and r.stderr.startswith("error: no member")
