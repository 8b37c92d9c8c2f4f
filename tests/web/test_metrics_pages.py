"""The metrics dashboard and the reports page, over the demo organization."""
from __future__ import annotations

from fastapi.testclient import TestClient

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.web.app import create_app
from tests.web.signin import sign_in


def test_dashboard_and_reports_pages(sqlite_system):
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "cm@example.org", "Committee", "a long password", ("committee",))
        members.add_member(s, SYSTEM, "m@example.org", "Member", "a long password")
    c = TestClient(create_app(sqlite_system, scheduler=False))
    sign_in(c, "cm@example.org", "a long password")
    r = c.get("/metrics?period=2026-Q3", headers={"accept": "text/html"})
    assert r.status_code == 200 and "<svg" in r.text and "engagement" in r.text
    bad = c.get("/metrics?period=someday", headers={"accept": "text/html"})
    assert bad.status_code == 422
    assert c.get("/reports", headers={"accept": "text/html"}).status_code == 200
    c2 = TestClient(create_app(sqlite_system, scheduler=False))
    sign_in(c2, "m@example.org", "a long password")
    assert c2.get("/metrics", headers={"accept": "text/html"}).status_code == 403


def test_a_report_is_made_from_the_reports_page(sqlite_system):
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "cm@example.org", "Committee", "a long password", ("committee",))
    c = TestClient(create_app(sqlite_system, scheduler=False))
    sign_in(c, "cm@example.org", "a long password")
    form = c.get("/reports", headers={"accept": "text/html"}).text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    assert c.post("/reports", data={"period": "2026-13", "csrf_token": token}).status_code == 422
    assert c.post("/reports", data={"period": "2026-Q3"}).status_code == 403  # no CSRF token
    r = c.post("/reports", data={"period": "2026-Q3", "csrf_token": token}, follow_redirects=True)
    assert r.status_code == 200 and "Report 2026-Q3 made" in r.text
    assert "/api/v1/reports/files/onevoice-report-2026-Q3.pdf" in r.text
