"""Every response carries the security headers, the pages run no inline script or style (so the
Content-Security-Policy can forbid them), and cookies can be forced to `Secure` and `__Host-`."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from onevoice.crisis import intake
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import workflow
from onevoice.store.models import Incident
from onevoice.system import System
from onevoice.web.app import SWAGGER_CDN, create_app
from onevoice.web.security import SecurityHeaders
from tests.web.signin import sign_in
from tests.policy_helpers import acknowledge_in

PASSWORD = "a long password 1"


def policy(header: str) -> dict[str, list[str]]:
    directives = (d.split() for d in header.split(";") if d.strip())
    return {d[0]: d[1:] for d in directives}


def assert_secure_headers(response) -> None:
    h = response.headers
    csp = policy(h["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"] and h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] in ("strict-origin-when-cross-origin", "same-origin")
    if response.request.url.path != "/docs":
        assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
        assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]


@pytest.fixture
def app(sqlite_system):
    app = create_app(sqlite_system, scheduler=False)

    @app.get("/boom")
    def boom():  # an error nobody handles: Starlette's own 500, outside the app's handlers
        raise RuntimeError("unhandled")

    return app


def test_every_kind_of_response_carries_them(app):
    client = TestClient(app, raise_server_exceptions=False)
    html = {"accept": "text/html"}
    responses = [
        client.get("/login", headers=html),                          # a page
        client.get("/", follow_redirects=False),                     # a redirect
        client.get("/healthz"),                                      # JSON
        client.get("/api/v1/me"),                                    # a 401 problem
        client.post("/api/v1/tokens", json={"email": 1}),            # a 422 problem
        client.get("/static/onevoice.css"),                          # a static file
        client.get("/static/screen.js"),
        client.get("/no/such/page", headers=html),                   # the error page
        client.get("/no/such/thing"),
        client.post("/api/v1/tokens", content=b"x" * 1_000_001,      # refused before it is read
                    headers={"content-type": "application/json"}),
        client.get("/boom"),                                         # an unhandled error
        client.get("/docs"),                                         # the API docs, with their own policy
    ]
    assert [r.status_code for r in responses] == [200, 303, 200, 401, 422, 200, 200, 404, 404, 413, 500, 200]
    for r in responses:
        assert_secure_headers(r)


def test_a_route_with_its_own_policy_still_refuses_framing():
    async def report(request):
        return PlainTextResponse("report", headers={"Content-Security-Policy": "default-src 'none'; img-src data:"})

    client = TestClient(SecurityHeaders(Starlette(routes=[Route("/r", report)])))
    r = client.get("/r")
    assert policy(r.headers["content-security-policy"]) == {"default-src": ["'none'"], "img-src": ["data:"],
                                                            "frame-ancestors": ["'none'"]}
    assert r.headers["x-frame-options"] == "DENY"


def test_the_api_docs_allow_exactly_their_own_scripts(app):
    r = TestClient(app).get("/docs")
    csp = policy(r.headers["content-security-policy"])
    inline = re.findall(r"<script>(.*?)</script>", r.text, re.S)
    assert inline, "the page starts Swagger UI with an inline script"
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    for src in re.findall(r'<script src="([^"]+)"', r.text) + re.findall(r'<link[^>]+href="(https[^"]+\.css)"', r.text):
        assert src.startswith(SWAGGER_CDN + "/") and SWAGGER_CDN in csp["script-src"] + csp["style-src"]
    assert csp["connect-src"] == ["'self'"] and csp["default-src"] == ["'none'"]


class InlineCode(HTMLParser):
    """Everything a policy without 'unsafe-inline' would refuse to run or apply."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not (attrs.get("src") or "").startswith("/static/"):
                self.found.append(f"<script> without a /static/ src: {attrs}")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:60]}")


@pytest.fixture
def signed_in_admin(sqlite_system):
    """An admin who is also chair and committee, a channel, a draft with findings and an incident."""
    system = sqlite_system
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "mastodon", "ipala", base_url="https://mastodon.example")
        members.add_member(s, SYSTEM, "boss@example.org", "Boss", PASSWORD, ("admin", "chair", "committee"))
        members.grant_role(s, SYSTEM, "boss@example.org", "authorized", ch)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        boss = members.actor_for(members.get_member(s, "boss@example.org"))
        d = workflow.create_draft(s, boss, ch.id, "Call me on 555-0143 about the patient in bed 4, what an idiot.")
        workflow.submit(s, boss, d.id, system.screening)
        channel_id, draft_id = ch.id, d.id
    intake.ingest(system.db, channel_id, [{"id": "x1", "text": "Your post showed a child's X-ray with the name "
                                                               "visible. This is a serious privacy breach.",
                                           "author_followers": 25000}], "import", system.settings)
    with system.db.reader() as s:
        incident_id = s.scalar(select(Incident.id))
    assert incident_id is not None
    client = TestClient(create_app(system, scheduler=False))
    assert sign_in(client, "boss@example.org", PASSWORD, follow_redirects=False).status_code == 303
    return client, draft_id, incident_id


def test_no_page_has_inline_script_or_style(signed_in_admin):
    client, draft_id, incident_id = signed_in_admin
    this_month = f"/metrics?period={datetime.now(timezone.utc):%Y-%m}"  # the draft's findings are charted
    paths = ["/", "/drafts", "/drafts/new", f"/drafts/{draft_id}", "/check", "/review", "/calendar", "/inbox",
             "/incidents", "/metrics", this_month, "/metrics/definitions", "/reports", "/admin/policy",
             "/admin/audit", "/admin/members", "/admin/channels", f"/incidents/{incident_id}", "/drafts/999999",
             "/no/such/page"]
    pages = {p: client.get(p, headers={"accept": "text/html"}) for p in paths}
    pages["/check (screened)"] = client.post("/check", data={"text": "Call me on 555-0143", "csrf_token": _csrf(client)})
    pages["/login"] = TestClient(client.app).get("/login")
    assert '<svg class="bar"' in pages[this_month].text  # the charts' bars are inline SVG, coloured by the stylesheet
    for path, r in pages.items():
        assert r.headers["content-type"].startswith("text/html"), path
        parser = InlineCode()
        parser.feed(r.text)
        assert parser.found == [], (path, parser.found[:5])
        assert_secure_headers(r)


def _csrf(client) -> str:
    page = client.get("/check", headers={"accept": "text/html"}).text
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_secure_cookies_are_host_prefixed_and_tls_only(sqlite_system):
    system = System(dataclasses.replace(sqlite_system.settings, secure_cookies=True))
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, "pat@example.org", "Pat", PASSWORD)
    client = TestClient(create_app(system, scheduler=False), base_url="https://onevoice.example")
    r = sign_in(client, "pat@example.org", PASSWORD, follow_redirects=False)
    assert r.status_code == 303
    cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie"]
    session = next(c for c in cookies if c.startswith("__Host-onevoice_session="))
    attributes = [a.strip().lower() for a in session.split(";")[1:]]
    assert {"secure", "httponly", "path=/", "samesite=lax"} <= set(attributes)
    assert not any(a.startswith("domain") for a in attributes)  # __Host- cookies name no domain
    assert client.get("/api/v1/me").json()["email"] == "pat@example.org"
    # A cookie without the prefix (one a neighbouring subdomain could have planted) is not read.
    secret = session.split(";")[0].split("=", 1)[1]
    stranger = TestClient(client.app, base_url="https://onevoice.example", cookies={"onevoice_session": secret})
    assert stranger.get("/api/v1/me").status_code == 401
    system.db.dispose()
