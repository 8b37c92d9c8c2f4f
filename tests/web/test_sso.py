"""Single sign-on against a real OpenID provider (oidc-provider, tests/servers/oidc.py), driven with
httpx at the provider and a TestClient at onevoice: the first sign-in links the member with the
verified e-mail and later ones match by subject; every refusal is a page in words and no session.
Where the provider cannot produce the bad case (another audience, an expired or foreign-signed
id_token), the code exchange hands back a token crafted and signed here. Password sign-in turned
off (no provider needed) refuses everyone but the break-glass admin, on the page and the API."""
from __future__ import annotations

import dataclasses
import time
from urllib.parse import urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import func, select

from onevoice.governance import links, members
from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import AuditEvent, Member, WebSession
from onevoice.system import System
from onevoice.web.app import create_app
from tests.servers import oidc

from .signin import csrf, sign_in

PASSWORD = "a long password 1"


def sso_system(base: System, provider) -> System:
    return System(dataclasses.replace(base.settings, base_url=oidc.TESTSERVER, oidc_issuer=provider.issuer,
                                      oidc_client_id=oidc.CLIENT_ID, oidc_client_secret=oidc.CLIENT_SECRET,
                                      oidc_name="Test provider", oidc_allowed_domain="ipala.test"))


@pytest.fixture
def org(sqlite_system, oidc_provider):
    system = sso_system(sqlite_system, oidc_provider)
    with system.db.transaction() as s:
        for email, name in (("ana@ipala.test", "Ana Author"), ("uma@ipala.test", "Uma Unverified"),
                            ("otto@elsewhere.test", "Otto Other")):
            members.add_member(s, SYSTEM, email, name, without_password=True)  # SSO needs none (and hashing is slow)
    yield system
    system.db.dispose()


def client(system) -> TestClient:
    return TestClient(create_app(system, scheduler=False))


def begin(c: TestClient) -> str:
    """Click "Sign in with Test provider": the provider's authorization URL onevoice sends the browser to."""
    page = c.get("/login")
    assert "Sign in with Test provider" in page.text
    start = c.get("/login/sso", params={"next": "/drafts"}, follow_redirects=False)
    assert start.status_code == 303
    return start.headers["location"]


def back_at(c: TestClient, url: str):
    """The browser arriving back at onevoice's callback."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == oidc.TESTSERVER and parts.path == oidc.CALLBACK, url
    return c.get(f"{parts.path}?{parts.query}", follow_redirects=False)


def sessions(system) -> int:
    with system.db.reader() as s:
        return s.scalar(select(func.count(WebSession.id)))


def actions(system) -> list[str]:
    with system.db.reader() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def assert_refused(system, c: TestClient, response, words: str) -> None:
    assert response.status_code == 401, response.text
    assert "Sign-in refused" in response.text and words in response.text, response.text
    assert "onevoice_session" not in response.headers.get("set-cookie", "")
    assert sessions(system) == 0
    assert c.get("/", follow_redirects=False).headers["location"] == "/login"


def test_authorization_request_uses_pkce_s256_state_and_nonce(org):
    url = begin(client(org))
    q = oidc.query(url)
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert q["state"] and q["nonce"] and q["client_id"] == oidc.CLIENT_ID
    assert q["redirect_uri"] == oidc.TESTSERVER + oidc.CALLBACK and "email" in q["scope"].split()


def test_first_sign_in_links_the_verified_email_and_later_ones_match_by_subject(org, oidc_provider):
    c = client(org)
    done = back_at(c, oidc.log_in_at_provider(begin(c), "ana"))
    assert done.status_code == 303 and done.headers["location"] == "/drafts"
    assert c.get("/").status_code == 200 and "Ana Author" in c.get("/").text  # a session like a password one
    with org.db.reader() as s:
        ana = s.scalar(select(Member).where(Member.email == "ana@ipala.test"))
        assert (ana.sso_issuer, ana.sso_subject) == (oidc_provider.issuer, "ana")
        members_before = s.scalar(select(func.count(Member.id)))
    assert actions(org)[-3:] == ["member.sso_linked", "member.sso_sign_in", "session.start"]

    # the member's e-mail in onevoice changes: the next sign-in still finds them by (issuer, sub)
    with org.db.transaction() as s:
        s.scalar(select(Member).where(Member.email == "ana@ipala.test")).email = "ana.author@ipala.test"
    again = client(org)
    assert back_at(again, oidc.log_in_at_provider(begin(again), "ana")).status_code == 303
    assert "Ana Author" in again.get("/").text
    assert actions(org)[-2:] == ["member.sso_sign_in", "session.start"]
    with org.db.reader() as s:
        assert s.scalar(select(func.count(Member.id))) == members_before  # nobody was created


def test_unverified_email_is_refused(org):
    c = client(org)
    assert_refused(org, c, back_at(c, oidc.log_in_at_provider(begin(c), "unverified")),
                   "has not verified your e-mail uma@ipala.test")
    assert actions(org)[-1] == "member.sso_refused"
    with org.db.reader() as s:
        assert s.scalar(select(Member.sso_subject).where(Member.email == "uma@ipala.test")) is None


def test_email_of_another_domain_is_refused(org):
    c = client(org)
    assert_refused(org, c, back_at(c, oidc.log_in_at_provider(begin(c), "elsewhere")),
                   "Only e-mails of ipala.test may sign in")


def test_no_member_with_that_email_is_refused_and_none_is_created(org):
    c = client(org)
    assert_refused(org, c, back_at(c, oidc.log_in_at_provider(begin(c), "stranger")),
                   "No member of onevoice has the e-mail zoe@ipala.test")
    with org.db.reader() as s:
        assert s.scalar(select(Member.id).where(Member.email == "zoe@ipala.test")) is None


def test_provider_error_is_refused(org):
    c = client(org)
    back = oidc.log_in_at_provider(begin(c), "nobody-at-all")  # the provider answers error=access_denied
    assert oidc.query(back)["error"] == "access_denied"
    assert_refused(org, c, back_at(c, back), "The sign-in provider did not sign you in")


def test_replayed_callback_is_refused(org):
    """The same state, code and id_token a second time (the browser's sign-in cookie copied too)."""
    c = client(org)
    back = oidc.log_in_at_provider(begin(c), "ana")
    pending = c.cookies.get("onevoice_sso")
    assert back_at(c, back).status_code == 303
    thief = client(org)
    thief.cookies.set("onevoice_sso", pending)
    replay = back_at(thief, back)
    assert replay.status_code == 401 and "This sign-in was already used" in replay.text
    assert "onevoice_session" not in replay.headers.get("set-cookie", "")
    assert sessions(org) == 1  # only the first


def test_callback_from_another_browser_is_refused(org):
    """A callback this browser did not start (login CSRF): the state is not the one in its cookie."""
    c = client(org)
    back = oidc.log_in_at_provider(begin(c), "ana")
    assert_refused(org, client(org), back_at(client(org), back), "expired or was started in another browser")


def test_wrong_nonce_is_refused(org):
    c = client(org)
    url = begin(c)
    q = oidc.query(url)
    forged = url.split("?")[0] + "?" + urlencode({**q, "nonce": "not-the-nonce-of-this-sign-in"})
    assert_refused(org, c, back_at(c, oidc.log_in_at_provider(forged, "ana")), "its nonce differs")


# --- id_tokens the provider would not produce: crafted and signed here -----------------------------

KEY = RSAKey.generate_key(2048, parameters={"kid": "crafted", "use": "sig", "alg": "RS256"})


def crafted(c: TestClient, system, monkeypatch, trust_key: bool = True, **changes):
    """Start a sign-in, then let the code exchange return an id_token made here with `changes`."""
    q = oidc.query(begin(c))
    now = int(time.time())
    claims = {"iss": system.settings.oidc_issuer, "sub": "ana", "aud": oidc.CLIENT_ID, "iat": now, "exp": now + 300,
              "nonce": q["nonce"], "email": "ana@ipala.test", "email_verified": True, **changes}
    token = jwt.encode({"alg": "RS256", "kid": "crafted"}, claims, KEY)
    provider = c.app.state.oidc
    monkeypatch.setattr(provider, "exchange", lambda code, pending: {"id_token": token})
    if trust_key:
        monkeypatch.setattr(provider, "keys", lambda refresh=False: KeySet([KEY]))
    return c.get(oidc.CALLBACK, params={"state": q["state"], "code": "crafted"}, follow_redirects=False)


def test_a_crafted_token_that_is_right_signs_in(org, monkeypatch):
    """The control: the crafting itself is sound, so the refusals below are for the one change each."""
    c = client(org)
    assert crafted(c, org, monkeypatch).status_code == 303


def test_wrong_audience_is_refused(org, monkeypatch):
    c = client(org)
    assert_refused(org, c, crafted(c, org, monkeypatch, aud="another-application"),
                   "meant for another application")


def test_several_audiences_without_our_azp_are_refused(org, monkeypatch):
    c = client(org)
    assert_refused(org, c, crafted(c, org, monkeypatch, aud=[oidc.CLIENT_ID, "another"], azp="another"),
                   "meant for another application")


def test_expired_token_is_refused(org, monkeypatch):
    c = client(org)
    long_ago = int(time.time()) - 3600
    assert_refused(org, c, crafted(c, org, monkeypatch, iat=long_ago, exp=long_ago + 300), "has expired")


def test_token_of_another_issuer_is_refused(org, monkeypatch):
    c = client(org)
    assert_refused(org, c, crafted(c, org, monkeypatch, iss="https://evil.example"), "not valid for onevoice")


def test_token_not_signed_by_the_provider_is_refused(org, monkeypatch):
    """Checked against the provider's real JWKS, which does not hold the key signing it."""
    c = client(org)
    assert_refused(org, c, crafted(c, org, monkeypatch, trust_key=False), "not signed with its key")


# --- password sign-in off (no provider needed) -------------------------------------------------------


@pytest.fixture
def passwords_off(sqlite_system):
    system = System(dataclasses.replace(sqlite_system.settings, password_signin=False,
                                        break_glass_admin="root@ipala.test"))
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, "com@ipala.test", "Cora Committee", PASSWORD, ("committee",))
        members.add_member(s, SYSTEM, "root@ipala.test", "Rita Root", PASSWORD, ("admin",))
    return system


def test_password_sign_in_off_refuses_a_committee_member_but_admits_the_break_glass_admin(passwords_off):
    c = client(passwords_off)
    refused = sign_in(c, "com@ipala.test", PASSWORD, follow_redirects=False)
    assert refused.status_code == 401 and "password sign-in is off" in refused.text
    assert "onevoice_session" not in refused.headers.get("set-cookie", "")
    # the break-glass admin's wrong password reads the same: the answer does not tell who that admin is
    wrong = sign_in(c, "root@ipala.test", "not the password", follow_redirects=False)
    assert wrong.status_code == 401 and "password sign-in is off" in wrong.text
    assert sessions(passwords_off) == 0
    assert "The form below is for the break-glass administrator only" in c.get("/login").text

    admitted = sign_in(c, "root@ipala.test", PASSWORD, follow_redirects=False)
    assert admitted.status_code == 303 and "Rita Root" in c.get("/").text
    assert actions(passwords_off)[-2:] == ["member.break_glass_sign_in", "session.start"]

    api = client(passwords_off)
    assert api.post("/api/v1/tokens", json={"email": "com@ipala.test", "password": PASSWORD}).status_code == 401
    assert api.post("/api/v1/tokens", json={"email": "root@ipala.test", "password": PASSWORD}).status_code == 201


def test_break_glass_needs_the_admin_role(passwords_off):
    with passwords_off.db.transaction() as s:
        members.revoke_role(s, SYSTEM, "root@ipala.test", "admin")
    refused = sign_in(client(passwords_off), "root@ipala.test", PASSWORD, follow_redirects=False)
    assert refused.status_code == 401 and sessions(passwords_off) == 0


def test_a_reset_link_does_not_sign_in_when_password_sign_in_is_off(passwords_off):
    with passwords_off.db.transaction() as s:
        secret = links.issue(s, members.get_member(s, "com@ipala.test"), links.RESET)
    c = client(passwords_off)
    form = c.get(f"/reset/{secret}")
    done = c.post(f"/reset/{secret}", data={"new": "another long passphrase", "repeat": "another long passphrase",
                                            "csrf_token": csrf(form.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/login?flash=")
    assert "onevoice_session" not in done.headers.get("set-cookie", "") and sessions(passwords_off) == 0
