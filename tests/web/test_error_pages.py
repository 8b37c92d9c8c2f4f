"""Error pages for people (8. of the web journeys): a bad id, an expired form and a forbidden page
each give an HTML page in words, with the member's own navigation and no permission code; API
callers get the same refusals as problem+json."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.web.app import create_app

from .signin import sign_in

PASSWORD = "a long password 1"
HTML = {"accept": "text/html"}


@pytest.fixture
def ana(sqlite_system):
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
    c = TestClient(create_app(sqlite_system, scheduler=False))
    assert sign_in(c, "ana@example.org", PASSWORD, follow_redirects=False).status_code == 303
    return c


def signed_in_navigation(html: str) -> bool:
    return 'href="/account"' in html and "Ana Author" in html and 'action="/logout"' in html


@pytest.mark.parametrize("path", ["/drafts/999999", "/drafts/abc", "/incidents/nope", "/no/such/page"])
def test_a_bad_address_is_a_page_in_words_with_the_navigation(ana, path):
    r = ana.get(path, headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert signed_in_navigation(r.text)
    assert "<h1>Not found</h1>" in r.text


def test_a_forbidden_page_says_who_may_and_why_without_a_permission_code(ana):
    r = ana.get("/admin/channels", headers=HTML)
    assert r.status_code == 403
    assert signed_in_navigation(r.text)
    assert "Only an administrator may do this" in r.text
    assert "channel.manage" not in r.text
    r = ana.get("/metrics", headers=HTML)
    assert "Only a committee member or administrator may do this (4.: the committee monitors and evaluates)" in r.text
    assert "metrics.view" not in r.text


def test_an_expired_form_says_so_and_nothing_changes(ana):
    r = ana.post("/drafts/new", data={"csrf_token": "from-an-old-session", "text": "Hello", "channel": "1"},
                 headers=HTML)
    assert r.status_code == 403
    assert "This form has expired" in r.text and "nothing was changed" in r.text
    assert "CSRF" not in r.text
    assert signed_in_navigation(r.text)


def test_signed_out_people_get_the_page_without_a_navigation(sqlite_system):
    c = TestClient(create_app(sqlite_system, scheduler=False))
    r = c.get("/no/such/page", headers=HTML)
    assert r.status_code == 404 and 'action="/logout"' not in r.text


def test_the_api_keeps_problem_json_with_the_action_named(ana):
    r = ana.get("/api/v1/drafts/abc")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = ana.post("/api/v1/reports", json={"period": "2026-Q3"}, headers={"x-csrf-token": "wrong"})
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/expired-form"


@pytest.mark.slow
def test_in_chromium_the_error_page_keeps_the_navigation_and_goes_back(live, new_page):
    from .conftest import sign_in as browser_sign_in

    with live.system.db.transaction() as s:
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
    page = new_page(390, 844)  # a phone: the navigation folds behind "Menu"
    browser_sign_in(page, live, "ana@example.org", PASSWORD)
    page.goto(f"{live.url}/drafts")
    assert page.goto(f"{live.url}/drafts/999999").status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    page.get_by_role("button", name="Menu").click()
    assert page.get_by_role("link", name="New draft", exact=True).is_visible()
    page.get_by_role("link", name="Go back").click()
    page.wait_for_url(f"{live.url}/drafts")
    assert page.goto(f"{live.url}/admin/channels").status == 403
    assert "Only an administrator may do this" in page.get_by_role("alert").inner_text()
