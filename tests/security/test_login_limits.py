"""Sign-in cannot be used to lock people out or to learn who has an account: a growing delay per
account instead of a lock, one answer (and one password hash) for every refusal, a CSRF token on
the sign-in form, and the per-address limiter keyed on the real client behind a trusted proxy."""
from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from onevoice.governance import auth, members
from onevoice.governance.permissions import SYSTEM
from onevoice.system import System
from onevoice.web.app import create_app
from tests.web.signin import form_token, sign_in

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(auth, "utcnow", c)
    return c


def _add(system, email="pat@example.org"):
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, email, "Pat", PASSWORD)


def _try(system, password, email="pat@example.org"):
    with system.db.transaction() as s:
        return auth.authenticate(s, email, password, system.login_policy)


def _state(system, email="pat@example.org"):
    with system.db.reader() as s:
        m = members.get_member(s, email)
        return m.failed_logins, m.locked_until


def test_the_wait_grows_is_capped_and_ends(system, clock):
    _add(system)
    policy = system.login_policy
    assert (policy.max_failures, policy.lockout_seconds) == (3, 60)  # the tests' settings
    for _ in range(policy.max_failures):
        assert _try(system, "wrong guess").member is None
    waits = []
    for _ in range(9):
        _, until = _state(system)
        waits.append((until - clock.now).total_seconds())
        clock.advance(waits[-1])  # exactly when the wait ends, the next guess is counted
        assert _try(system, "wrong guess").member is None
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    _, until = _state(system)
    clock.advance((until - clock.now).total_seconds())
    assert _try(system, PASSWORD).member is not None  # the right password after the wait signs in
    assert _state(system) == (0, None)


def test_guessing_during_the_wait_neither_counts_nor_stretches_it(system, clock):
    _add(system)
    for _ in range(system.login_policy.max_failures):
        _try(system, "wrong guess")
    before = _state(system)
    for _ in range(5):
        clock.advance(0.15)
        outcome = _try(system, "wrong guess")
        assert outcome.member is None and outcome.error.detail == auth.SIGN_IN_REFUSED
    assert _state(system) == before
    assert _try(system, PASSWORD).member is None  # still waiting: the right password is refused too
    clock.advance(1)
    assert _try(system, PASSWORD).member is not None


def _refusals(system):
    """What a stranger sees for an unknown e-mail, a wrong password, a disabled account and an
    account that is waiting (with the right password)."""
    _add(system, "pat@example.org")
    _add(system, "gone@example.org")
    _add(system, "busy@example.org")
    with system.db.transaction() as s:
        members.get_member(s, "gone@example.org").active = False
    for _ in range(system.login_policy.max_failures):
        _try(system, "wrong guess", "busy@example.org")
    return {"unknown": ("nobody@example.org", PASSWORD), "wrong": ("pat@example.org", "wrong guess"),
            "disabled": ("gone@example.org", PASSWORD), "waiting": ("busy@example.org", PASSWORD)}


def test_the_api_answers_the_same_for_unknown_disabled_and_waiting_accounts(sqlite_system, clock):
    client = TestClient(create_app(sqlite_system, scheduler=False))
    answers = {}
    for case, (email, password) in _refusals(sqlite_system).items():
        r = client.post("/api/v1/tokens", json={"email": email, "password": password})
        answers[case] = (r.status_code, r.json())
    assert len(set(map(repr, answers.values()))) == 1, answers
    assert answers["unknown"][0] == 401


def test_the_sign_in_page_answers_the_same_too(sqlite_system, clock):
    client = TestClient(create_app(sqlite_system, scheduler=False))
    answers = {}
    for case, (email, password) in _refusals(sqlite_system).items():
        r = sign_in(client, email, password)
        answers[case] = (r.status_code, re.search(r'<p class="error" role="alert">(.*?)</p>', r.text).group(1))
    assert len(set(answers.values())) == 1, answers
    assert answers["unknown"] == (401, auth.SIGN_IN_REFUSED)


def test_every_refusal_costs_one_password_hash(sqlite_system, clock, monkeypatch):
    """So that response time does not tell the cases apart either."""
    cases = _refusals(sqlite_system)
    calls = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda stored, pw: calls.append(stored) or real(stored, pw))
    for case, (email, password) in cases.items():
        calls.clear()
        assert _try(sqlite_system, password, email).member is None
        assert len(calls) == 1, case


def test_the_sign_in_form_needs_its_csrf_token(sqlite_system):
    _add(sqlite_system)
    app = create_app(sqlite_system, scheduler=False)
    client = TestClient(app)
    form = {"email": "pat@example.org", "password": PASSWORD}
    r = client.post("/login", data=form, follow_redirects=False)  # no token, no form cookie
    assert r.status_code == 403 and "onevoice_session" not in r.cookies
    token = form_token(client)
    other = TestClient(app)  # another browser: the attacker's page posting in the victim's name
    r = other.post("/login", data={**form, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 403 and "onevoice_session" not in r.cookies
    other.cookies.set("onevoice_login", f"{token}.forged")  # a cookie onevoice did not sign
    r = other.post("/login", data={**form, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 403 and "onevoice_session" not in r.cookies
    for wrong in ("another token", "ünïcode"):
        r = client.post("/login", data={**form, "csrf_token": wrong}, follow_redirects=False)
        assert r.status_code == 403
    odd = TestClient(app, headers={"cookie": f"onevoice_login={token}.\u00fcn\u00efcode".encode("latin-1")})
    assert odd.post("/login", data={**form, "csrf_token": token}, follow_redirects=False).status_code == 403
    r = client.post("/login", data={**form, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and "onevoice_session" in r.cookies


def test_a_session_csrf_token_that_is_not_ascii_is_refused_not_a_crash(sqlite_system):
    _add(sqlite_system)
    client = TestClient(create_app(sqlite_system, scheduler=False), raise_server_exceptions=False)
    assert sign_in(client, "pat@example.org", PASSWORD, follow_redirects=False).status_code == 303
    r = client.post("/api/v1/me/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "t\u00f6ken".encode("latin-1")})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]


def _app_behind(system, proxies: tuple[str, ...]):
    return create_app(System(dataclasses.replace(system.settings, trusted_proxies=proxies)), scheduler=False)


def _guess(client, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/api/v1/tokens", json={"email": "nobody@example.org", "password": "guess"},
                       headers=headers).status_code


LIMIT = 20  # the app's per-address budget of sign-in attempts a minute


@pytest.fixture
def quick_hash(monkeypatch):
    """What is counted here is attempts per address; the slow hash of each adds nothing to that."""
    monkeypatch.setattr(auth, "verify_password", lambda stored, password: False)


def test_behind_a_trusted_proxy_the_limiter_counts_each_real_client(sqlite_system, quick_hash):
    client = TestClient(_app_behind(sqlite_system, ("10.0.0.1",)), client=("10.0.0.1", 40000))
    assert [_guess(client, "203.0.113.5") for _ in range(LIMIT)] == [401] * LIMIT
    assert _guess(client, "203.0.113.5") == 429
    assert _guess(client, "203.0.113.6") == 401  # another person behind the same proxy
    # A client's own X-Forwarded-For is kept in front of what the proxy adds: the proxy's entry counts.
    assert _guess(client, "198.51.100.1, 203.0.113.5") == 429


def test_anyone_else_cannot_pick_their_address(sqlite_system, quick_hash):
    client = TestClient(_app_behind(sqlite_system, ("10.0.0.1",)), client=("198.51.100.7", 40000))
    assert [_guess(client, f"203.0.113.{n}") for n in range(LIMIT)] == [401] * LIMIT
    assert _guess(client, "203.0.113.99") == 429  # X-Forwarded-For from an untrusted peer is ignored
    without = TestClient(_app_behind(sqlite_system, ()), client=("10.0.0.1", 40000))
    assert [_guess(without, f"203.0.113.{n}") for n in range(LIMIT)] == [401] * LIMIT
    assert _guess(without, "203.0.113.99") == 429  # no trusted proxies: nobody's header is believed


def test_a_trusted_proxy_says_when_the_browser_used_tls(sqlite_system):
    for peer, secure in (("10.0.0.1", True), ("198.51.100.7", False)):
        client = TestClient(_app_behind(sqlite_system, ("10.0.0.0/24",)), client=(peer, 40000))
        r = client.get("/login", headers={"X-Forwarded-Proto": "https"})
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("onevoice_login=") and ("; secure" in cookie.lower()) is secure, peer
