"""Property-based API testing from the OpenAPI spec: no input makes the server fail (5xx)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.web.app import create_app
from tests.conftest import make_system

_home = Path(tempfile.mkdtemp(prefix="onevoice-schemathesis-"))
_system = make_system(f"sqlite:///{_home / 'db.sqlite'}", _home)
with _system.db.transaction() as _s:
    _ch = channels.add_channel(_s, SYSTEM, _system.box, "mastodon", "ipala", base_url="http://127.0.0.1:9")
    members.add_member(_s, SYSTEM, "chair@example.org", "Chair", "a long password", ("chair", "admin"))
    members.grant_role(_s, SYSTEM, "chair@example.org", "authorized", _ch)
_app = create_app(_system, scheduler=False)
schema = schemathesis.openapi.from_asgi("/openapi.json", _app)
_token: dict = {}


def auth() -> dict:
    if not _token:
        from fastapi.testclient import TestClient

        r = TestClient(_app).post("/api/v1/tokens", json={"email": "chair@example.org", "password": "a long password"})
        _token["Authorization"] = f"Bearer {r.json()['token']}"
    return _token


@pytest.mark.slow
@schema.exclude(path_regex=r"^/api/v1/me/tokens/").parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_server_fail(case):
    response = case.call(headers=auth())
    assert response.status_code < 500, (case.method, case.path, response.status_code, response.text[:300])
