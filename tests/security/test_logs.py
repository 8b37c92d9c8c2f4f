"""Personal data found by screening never appears in the logs."""
from __future__ import annotations

import logging

from fastapi.testclient import TestClient

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.web.app import create_app


def test_screened_personal_data_is_not_logged(sqlite_system, caplog):
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "m@example.org", "M", "a long password")
    client = TestClient(create_app(sqlite_system, scheduler=False))
    token = client.post("/api/v1/tokens", json={"email": "m@example.org", "password": "a long password"}).json()["token"]
    secret_bits = ["07700 900461", "jo.private@example.com", "14 Orchard Lane"]
    with caplog.at_level(logging.DEBUG):
        r = client.post("/api/v1/screen", headers={"Authorization": f"Bearer {token}"},
                        json={"text": "Call 07700 900461, mail jo.private@example.com, or visit 14 Orchard Lane, Leeds LS1 4AB"})
        assert r.status_code == 200 and r.json()["decision"] == "block"
        client.post("/api/v1/screen", headers={"Authorization": f"Bearer {token}"}, content=b"\xff" + secret_bits[0].encode())
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    assert not any(bit in logged for bit in secret_bits)
