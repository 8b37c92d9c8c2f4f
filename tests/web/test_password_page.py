"""A member who signed in with a one-time password is sent to choose their own, and only then
reaches the pages; the new password works and the old one does not."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.web.app import create_app


def _sign_in(c: TestClient, email: str, password: str):
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    return c.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"},
                  follow_redirects=False)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_one_time_password_leads_to_the_password_page_first(sqlite_system):
    with sqlite_system.db.transaction() as s:
        _, one_time = members.add_member(s, SYSTEM, "new@example.org", "New Member")
    c = TestClient(create_app(sqlite_system, scheduler=False))
    assert _sign_in(c, "new@example.org", one_time).status_code == 303
    home = c.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/password"
    assert c.get("/check", follow_redirects=False).headers["location"] == "/password"
    form = c.get("/password")
    assert form.status_code == 200 and "one-time password" in form.text

    differ = c.post("/password", data={"current": one_time, "new": "a brand new passphrase",
                                       "repeat": "another passphrase", "csrf_token": _csrf(form.text)})
    assert differ.status_code == 422 and "differ" in differ.text
    wrong = c.post("/password", data={"current": "not it at all", "new": "a brand new passphrase",
                                      "repeat": "a brand new passphrase", "csrf_token": _csrf(form.text)})
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    done = c.post("/password", data={"current": one_time, "new": "a brand new passphrase",
                                     "repeat": "a brand new passphrase", "csrf_token": _csrf(form.text)},
                  follow_redirects=False)
    assert done.status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 200  # the session that changed it stays

    other = TestClient(create_app(sqlite_system, scheduler=False))
    assert _sign_in(other, "new@example.org", one_time).status_code == 401
    assert _sign_in(other, "new@example.org", "a brand new passphrase").status_code == 303
    assert other.get("/", follow_redirects=False).status_code == 200


def test_the_password_form_needs_the_session_csrf_token(sqlite_system):
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "m@example.org", "M", "a long password")
    c = TestClient(create_app(sqlite_system, scheduler=False))
    assert _sign_in(c, "m@example.org", "a long password").status_code == 303
    r = c.post("/password", data={"current": "a long password", "new": "a brand new passphrase",
                                  "repeat": "a brand new passphrase"}, follow_redirects=False)
    assert r.status_code == 403
