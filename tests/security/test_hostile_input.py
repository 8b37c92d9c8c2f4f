"""Oversized, malformed and hostile input gets a clear 4xx, and every route answers each role
without a server error even with an empty body. What each role may do is checked with valid
requests in test_permission_matrix.py."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.web.app import create_app

ROLES = {"member": (), "authorized": (), "committee": ("committee",), "chair": ("chair",), "admin": ("admin",)}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from tests.conftest import make_system

    home = tmp_path_factory.mktemp("sec")
    system = make_system(f"sqlite:///{home / 'db.sqlite'}", home)
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala", base_url="http://127.0.0.1:9")
        for role, grants in ROLES.items():
            members.add_member(s, SYSTEM, f"{role}@example.org", role, "a long password", grants)
        members.grant_role(s, SYSTEM, "authorized@example.org", "authorized", ch)
    client = TestClient(create_app(system, scheduler=False), raise_server_exceptions=False)
    tokens = {}
    for role in ROLES:
        r = client.post("/api/v1/tokens", json={"email": f"{role}@example.org", "password": "a long password"})
        tokens[role] = {"Authorization": f"Bearer {r.json()['token']}"}
    return client, tokens


def test_hostile_bodies_get_4xx(world):
    client, tokens = world
    h = {**tokens["member"], "content-type": "application/json"}
    cases = [
        b"\xff\xfe\xfa not utf-8",
        b"[" * 5000 + b"]" * 5000,                      # deeply nested
        b'{"text": "' + b"a" * 30_000 + b'"}',          # over the draft limit
        b'{"text": 5}',
        b"",
        b'{"text": "ok", "attachments": [' + b'{"type": "image"},' * 30 + b'{"type": "image"}]}',
    ]
    for body in cases:
        r = client.post("/api/v1/screen", content=body, headers=h)
        assert 400 <= r.status_code < 500, (body[:40], r.status_code, r.text[:200])
        assert r.headers["content-type"] == "application/problem+json"
    r = client.post("/api/v1/screen", content=b"x" * 2_000_000, headers=h)
    assert r.status_code == 413


def test_every_route_answers_every_role_without_a_server_error(world):
    client, tokens = world
    spec = client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        concrete = path
        for name in ("draft_id", "member_id", "incident_id", "token_id", "channel_id", "step", "batch_id", "role"):
            concrete = concrete.replace("{" + name + "}", "1" if name != "role" else "chair")
        for method in ops:
            if path.startswith("/api/v1/me/tokens/"):
                continue  # revoking one's own token is allowed and would sign the role out for the rest
            for role, h in [*tokens.items(), ("anonymous", {})]:
                r = client.request(method.upper(), concrete, headers=h, json={})
                assert r.status_code < 500, (method, path, role, r.status_code, r.text[:200])


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_refused_with_422_on_every_route(world, depth):
    """The parser recurses once a level: 100,000 levels were a RecursionError, a 500 on the signed
    webhook and a bare 400 elsewhere. Refused before any route reads the body, whoever asks."""
    client, tokens = world
    spec = client.get("/openapi.json").json()
    nested = b"[" * depth + b"]" * depth
    for path, ops in spec["paths"].items():
        concrete = path
        for name in ("draft_id", "member_id", "incident_id", "token_id", "channel_id", "step", "batch_id"):
            concrete = concrete.replace("{" + name + "}", "1")
        for method in set(ops) & {"post", "put", "patch", "delete"}:
            for h in (tokens["admin"], {}):
                r = client.request(method.upper(), concrete, content=nested,
                                   headers={**h, "content-type": "application/json"})
                assert r.status_code == 422, (method, path, r.status_code, r.text[:200])
                assert r.headers["content-type"] == "application/problem+json"


def test_nesting_is_counted_outside_strings_only():
    from onevoice.web.nesting import MAX_DEPTH, nested_deeper_than

    deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert nested_deeper_than(deep.encode()) and not nested_deeper_than(deep[1:-1].encode())
    text_of_brackets = json.dumps({"text": deep, "quoted": '\\"[[[' * 40, "escaped": "\\" * 7}).encode()
    assert not nested_deeper_than(text_of_brackets)
    # a string that closes brackets it never opened must not hide the real depth after it
    hiding = json.dumps(["]" * 200, json.loads(deep)]).encode()
    assert nested_deeper_than(hiding)
    assert nested_deeper_than(b"[" * 100_000)  # unclosed: the parser would still recurse into it
