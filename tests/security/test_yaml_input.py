"""Policy packs and playbooks are YAML from people: aliases, depth and size are refused before use."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from onevoice import safe_yaml
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.policy import PolicyPackError, parse_pack
from onevoice.web.app import create_app

# 432 bytes that PyYAML's safe loader expands to millions of strings.
LAUGHS = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(6))


def test_aliases_are_refused():
    with pytest.raises(safe_yaml.UnsafeYaml, match="aliases"):
        safe_yaml.load(LAUGHS)
    with pytest.raises(safe_yaml.UnsafeYaml, match="aliases"):
        safe_yaml.load_all("x: 1\n---\n" + LAUGHS)


def test_depth_nodes_and_size_are_bounded():
    with pytest.raises(safe_yaml.UnsafeYaml, match="nested deeper"):
        safe_yaml.load("[" * 1000 + "]" * 1000)
    with pytest.raises(safe_yaml.UnsafeYaml, match="nodes"):
        safe_yaml.load("[" + ", ".join(["1"] * (safe_yaml.MAX_NODES + 1)) + "]")
    with pytest.raises(safe_yaml.UnsafeYaml, match="bytes"):
        safe_yaml.load("a: '" + "x" * safe_yaml.MAX_BYTES + "'")
    assert safe_yaml.load("a: [1, {b: c}]") == {"a": [1, {"b": "c"}]}


@pytest.mark.parametrize("text", ["\x1f", "name: a\x07b", "\ufffe"])
def test_control_characters_are_a_yaml_refusal_not_a_crash(text):
    # found by schemathesis: PyYAML's reader refuses them while the loader is made, before parsing
    for load in (safe_yaml.load, safe_yaml.load_all):
        with pytest.raises(safe_yaml.UnsafeYaml, match="special characters"):
            load(text)


def test_a_pack_with_aliases_is_a_pack_error():
    with pytest.raises(PolicyPackError, match="aliases"):
        parse_pack("pack: x\nversion: 1\n" + LAUGHS)


def test_a_playbook_bomb_is_a_422_and_nothing_is_stored(sqlite_system):
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "chair@example.org", "Chair", "a long password", ("chair",))
    c = TestClient(create_app(sqlite_system, scheduler=False))
    token = c.post("/api/v1/tokens", json={"email": "chair@example.org", "password": "a long password"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    before = c.get("/api/v1/playbooks", headers=headers).json()
    source = ("name: bomb\nincident_type: complaint\ntitle: t\nsteps: [s]\n" + LAUGHS)
    r = c.put("/api/v1/playbooks", json={"source": source}, headers=headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "aliases" in r.json()["detail"]
    assert c.get("/api/v1/playbooks", headers=headers).json() == before
