"""Two-factor sign-in through the web app's forms, as a browser posts them: setting it up from the
account page, signing in with a code, wrong and reused codes, a recovery code once, the code step's
wait after wrong codes, the admin requiring it of the committee, and turning it off."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onevoice.governance import auth, members, two_factor
from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import AuditEvent, Member, RecoveryCode, utcnow
from onevoice.web.app import create_app

from .signin import csrf, sign_in

PASSWORD = "a long password 1"


class Clock:
    """The two-factor clock, moved by whole 30-second steps: each sign-in needs a fresh code."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def step(self, n: int = 1) -> None:
        self.now += timedelta(seconds=30 * n)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(two_factor, "clock", c)
    return c


@pytest.fixture
def org(sqlite_system):
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "boss@example.org", "Bea Boss", PASSWORD, ("admin",))
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.add_member(s, SYSTEM, "rui@example.org", "Rui Reviewer", PASSWORD, ("committee",))
    return sqlite_system


def client(system) -> TestClient:
    return TestClient(create_app(system, scheduler=False))


def signed_in(system, email) -> TestClient:
    c = client(system)
    assert sign_in(c, email, PASSWORD, follow_redirects=False).status_code == 303
    return c


def code(secret: str, clock: Clock) -> str:
    return pyotp.TOTP(secret).at(clock.now)


def audited(system, action: str) -> list[AuditEvent]:
    with system.db.reader() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def enrol(system, c: TestClient, clock: Clock) -> tuple[str, list[str]]:
    """Set up two-factor sign-in from the account page; the secret and the recovery codes."""
    page = c.get("/account/two-factor")
    assert page.status_code == 200 and "Set up two-factor sign-in" in page.text
    started = c.post("/account/two-factor/start", data={"csrf_token": csrf(page.text)})
    assert started.status_code == 200  # followed to the page with the secret
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', started.text).group(1)
    assert "otpauth://totp/onevoice:" in started.text and 'src="data:image/svg+xml' in started.text
    done = c.post("/account/two-factor/confirm", data={"csrf_token": csrf(started.text), "code": code(secret, clock)})
    assert done.status_code == 200 and "Two-factor sign-in is on" in done.text
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.text)
    return secret, codes


def code_step(c: TestClient, value: str, **kwargs):
    form = c.get("/login/code", headers={"accept": "text/html"})
    assert form.status_code == 200, form.text
    return c.post("/login/code", data={"code": value, "csrf_token": csrf(form.text)}, **kwargs)


def password_step(c: TestClient, email="ana@example.org"):
    r = sign_in(c, email, PASSWORD, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login/code"
    return r


def is_signed_in(c: TestClient) -> bool:
    return c.get("/account", follow_redirects=False).status_code == 200


def test_enrolment_is_confirmed_with_a_first_code_and_gives_ten_recovery_codes(org, clock):
    c = signed_in(org, "ana@example.org")
    page = c.get("/account/two-factor")
    started = c.post("/account/two-factor/start", data={"csrf_token": csrf(page.text)})
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', started.text).group(1)
    wrong = c.post("/account/two-factor/confirm", data={"csrf_token": csrf(started.text), "code": "000000"})
    assert wrong.status_code == 422 and "not right" in wrong.text
    with org.db.reader() as s:
        m = members.get_member(s, "ana@example.org")
        assert m.totp_enabled_at is None and secret.encode() not in m.totp_secret  # sealed, not plain
    done = c.post("/account/two-factor/confirm", data={"csrf_token": csrf(started.text), "code": code(secret, clock)})
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.text)
    assert len(set(codes)) == 10
    with org.db.reader() as s:
        m = members.get_member(s, "ana@example.org")
        hashes = [r.code_hash for r in s.scalars(select(RecoveryCode).where(RecoveryCode.member_id == m.id))]
    assert m.totp_enabled_at is not None and all(h.startswith("$argon2id$") for h in hashes) and len(hashes) == 10
    assert not any(c.replace("-", "") in h for c in codes for h in hashes)
    assert audited(org, "member.two_factor_enable")
    # shown once: the page afterwards says how many are left, not which
    again = c.get("/account/two-factor").text
    assert "10 unused recovery codes" in again and codes[0] not in again
    # new ones replace the old
    fresh = c.post("/account/two-factor/recovery-codes", data={"csrf_token": csrf(again)}).text
    new_codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", fresh)
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)


def test_sign_in_asks_for_the_code_after_the_password(org, clock):
    secret, _ = enrol(org, signed_in(org, "ana@example.org"), clock)
    c = client(org)
    password_step(c)
    assert not is_signed_in(c)  # the password alone is not a session
    clock.step()
    r = code_step(c, code(secret, clock), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert is_signed_in(c)


def test_a_wrong_code_signs_nobody_in_and_a_used_code_never_again(org, clock):
    secret, _ = enrol(org, signed_in(org, "ana@example.org"), clock)
    c = client(org)
    password_step(c)
    wrong = code_step(c, "123456" if code(secret, clock) != "123456" else "654321")
    assert wrong.status_code == 401 and "not right" in wrong.text and not is_signed_in(c)
    clock.step()
    used = code(secret, clock)
    assert code_step(c, used, follow_redirects=False).status_code == 303
    other = client(org)  # someone who saw that code over a shoulder, with the password
    password_step(other)
    assert code_step(other, used).status_code == 401 and not is_signed_in(other)
    # the code of the step before the used one is refused too; the next step's works
    assert code_step(other, pyotp.TOTP(secret).at(clock.now - timedelta(seconds=30))).status_code == 401
    clock.step()
    assert code_step(other, code(secret, clock), follow_redirects=False).status_code == 303


def test_a_recovery_code_works_once(org, clock):
    _, codes = enrol(org, signed_in(org, "ana@example.org"), clock)
    c = client(org)
    password_step(c)
    assert code_step(c, codes[3].upper(), follow_redirects=False).status_code == 303  # case and dash do not matter
    again = client(org)
    password_step(again)
    assert code_step(again, codes[3]).status_code == 401
    assert code_step(again, codes[4].replace("-", ""), follow_redirects=False).status_code == 303
    assert len(audited(org, "member.recovery_code_use")) == 2
    assert "8 unused recovery codes" in again.get("/account/two-factor").text


def test_wrong_codes_make_the_code_step_wait_like_wrong_passwords(org, clock):
    secret, _ = enrol(org, signed_in(org, "ana@example.org"), clock)
    c = client(org)
    password_step(c)
    for _ in range(org.settings.login_max_failures):
        assert code_step(c, "000000" if code(secret, clock) != "000000" else "111111").status_code == 401
    delayed = audited(org, "member.sign_in_delayed")
    assert delayed and delayed[-1].detail["step"] == "code"
    with org.db.transaction() as s:  # the wait, made long enough not to pass while the test runs
        members.get_member(s, "ana@example.org").locked_until = utcnow() + timedelta(seconds=60)
    clock.step()
    refused = code_step(c, code(secret, clock))
    assert refused.status_code == 401 and not is_signed_in(c)
    # a right password does not clear the count of wrong codes: it still waits
    again = client(org)
    assert sign_in(again, "ana@example.org", PASSWORD).status_code == 401
    with org.db.transaction() as s:
        members.get_member(s, "ana@example.org").locked_until = utcnow() - timedelta(seconds=1)
    clock.step()
    ok = client(org)
    password_step(ok)
    assert code_step(ok, code(secret, clock), follow_redirects=False).status_code == 303
    with org.db.reader() as s:
        assert members.get_member(s, "ana@example.org").failed_logins == 0


def test_the_code_step_needs_the_password_step_first(org, clock):
    enrol(org, signed_in(org, "ana@example.org"), clock)
    c = client(org)
    r = c.get("/login/code", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    form = c.get("/login", headers={"accept": "text/html"}).text
    forged = c.post("/login/code", data={"code": "123456", "csrf_token": csrf(form)})
    assert forged.status_code == 401 and "enter your password again" in forged.text


def test_the_admin_requires_two_factor_for_the_committee_who_must_enrol_first(org, clock):
    boss = signed_in(org, "boss@example.org")
    form = boss.get("/admin/security")
    assert form.status_code == 200 and "not required" in form.text
    saved = boss.post("/admin/security", data={"csrf_token": csrf(form.text), "required": "1"}, follow_redirects=False)
    assert saved.status_code == 303 and "now%20required" in saved.headers["location"]
    # the admin is one of the roles: they too must set it up before anything else
    assert boss.get("/admin/security", follow_redirects=False).headers["location"] == "/account/two-factor"
    assert audited(org, "settings.two_factor_required")[-1].actor == "boss@example.org"
    # the committee member signs in with the password and is sent to set it up, for every page
    with org.db.transaction() as s:
        rui = members.actor_for(members.get_member(s, "rui@example.org"))
        token, _ = auth.create_token(s, rui, "script", ["read"])
    rc = client(org)
    assert sign_in(rc, "rui@example.org", PASSWORD, follow_redirects=False).status_code == 303
    for path in ("/", "/review", "/account", "/incidents"):
        r = rc.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/account/two-factor", path
    page = rc.get("/account/two-factor")
    assert "Your role requires two-factor sign-in" in page.text
    assert rc.get("/api/v1/me").json()["type"] == "/problems/two-factor-required"
    # API tokens keep working (separate credentials), but no new token from a password alone
    assert client(org).get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    r = client(org).post("/api/v1/tokens", json={"email": "rui@example.org", "password": PASSWORD})
    assert r.status_code == 403 and r.json()["type"] == "/problems/two-factor-required"
    # a plain member is not asked
    assert signed_in(org, "ana@example.org").get("/", follow_redirects=False).status_code == 200
    secret, _ = enrol(org, rc, clock)
    assert rc.get("/review", follow_redirects=False).status_code == 200
    # required: it cannot be turned off
    clock.step()
    off = rc.post("/account/two-factor/disable", data={"csrf_token": csrf(rc.get("/account/two-factor").text),
                                                       "code": code(secret, clock)})
    assert off.status_code == 422 and "requires" in off.text
    # and the API sign-in wants the code now
    clock.step()
    r = client(org).post("/api/v1/tokens", json={"email": "rui@example.org", "password": PASSWORD})
    assert r.status_code == 401 and "code" in r.json()["detail"]
    r = client(org).post("/api/v1/tokens", json={"email": "rui@example.org", "password": PASSWORD,
                                                  "code": code(secret, clock)})
    assert r.status_code == 201


def test_only_the_admin_changes_the_requirement(org):
    rc = signed_in(org, "rui@example.org")
    assert rc.get("/admin/security", headers={"accept": "text/html"}).status_code == 403


def test_turning_it_off_takes_a_current_code(org, clock):
    c = signed_in(org, "ana@example.org")
    secret, _ = enrol(org, c, clock)
    page = c.get("/account/two-factor").text
    assert c.post("/account/two-factor/disable", data={"csrf_token": csrf(page), "code": "12"}).status_code == 422
    clock.step()
    off = c.post("/account/two-factor/disable", data={"csrf_token": csrf(page), "code": code(secret, clock)})
    assert off.status_code == 200 and "is off" in off.text
    with org.db.reader() as s:
        m = s.scalar(select(Member).where(Member.email == "ana@example.org"))
        assert m.totp_secret is None and m.totp_enabled_at is None
        assert not s.scalars(select(RecoveryCode).where(RecoveryCode.member_id == m.id)).all()
    assert audited(org, "member.two_factor_disable")
    assert sign_in(client(org), "ana@example.org", PASSWORD, follow_redirects=False).headers["location"] == "/"


def test_the_operator_resets_a_lost_second_factor(org, clock):
    enrol(org, signed_in(org, "ana@example.org"), clock)
    with org.db.transaction() as s:
        two_factor.reset(s, SYSTEM, "ana@example.org")
    assert sign_in(client(org), "ana@example.org", PASSWORD, follow_redirects=False).headers["location"] == "/"
    assert audited(org, "member.two_factor_reset")
