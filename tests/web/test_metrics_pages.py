"""The metrics dashboard, what its figures mean, and the reports page (4.), through the web app."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from html import unescape
from threading import Event

import pytest
from fastapi.testclient import TestClient

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.monitoring import definitions, report
from onevoice.monitoring.collect import record_post_sample
from onevoice.publishing.connectors import PostCounts
from onevoice.web.app import create_app
from tests.monitoring.helpers import published, setup, utc
from tests.web.signin import sign_in

HTML = {"accept": "text/html"}


@pytest.fixture
def committee(sqlite_system):
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "cm@example.org", "Committee", "a long password", ("committee",))
        members.add_member(s, SYSTEM, "m@example.org", "Member", "a long password")
    c = TestClient(create_app(sqlite_system, scheduler=False))
    sign_in(c, "cm@example.org", "a long password")
    return c


def _text(html: str) -> str:
    """The page's words on one line, as a reader meets them: inline tags vanish, others part words."""
    inline = re.sub(r"</?(?:a|span|strong|em|code)\b[^>]*>", "", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def test_dashboard_and_reports_pages(sqlite_system, committee):
    r = committee.get("/metrics?period=2026-Q3", headers=HTML)
    assert r.status_code == 200 and "Engagement by week of publication" in r.text
    assert "No posts were published in this period." in r.text and "no earlier data" in r.text
    bad = committee.get("/metrics?period=someday", headers=HTML)
    assert bad.status_code == 422 and "is not a period" in bad.text
    assert committee.get("/reports", headers=HTML).status_code == 200
    c2 = TestClient(create_app(sqlite_system, scheduler=False))
    sign_in(c2, "m@example.org", "a long password")
    for path in ("/metrics", "/metrics/definitions", "/reports"):
        assert c2.get(path, headers=HTML).status_code == 403


def _july_and_august(system):
    """July: one post with 8,000 likes. August: two posts, 12,400 likes in all, one a reply."""
    author, (cid,) = setup(system)
    ids = []
    for when, likes, ref in ((utc(2026, 7, 9), 8000, "j1"), (utc(2026, 8, 4), 10000, "a1"), (utc(2026, 8, 20), 2400, "a2")):
        d = published(system, author, cid, when, ref, text=f"Post {ref}: our congress programme is online, with "
                                                           "twelve sessions on airway management for every team.")
        ids.append(d)
        with system.db.transaction() as s:
            record_post_sample(s, d, cid, when + timedelta(days=2), PostCounts(likes=likes, reposts=ref == "a1"))
    return ids


def test_the_dashboard_says_each_kpi_in_words_with_its_change(sqlite_system, committee):
    july, top, other = _july_and_august(sqlite_system)
    page = committee.get("/metrics?period=2026-08", headers=HTML).text
    words = _text(page)
    assert "Metrics: 2026-08" in words and "August 2026, compared with July." in words
    assert "Published 2 posts ▲ up 100% vs July" in words  # no verdict: more posts are not better in themselves
    assert "12,401 likes, reposts, replies and quotes ▲ up 55% vs July (better)" in words
    assert "No comment needed a response no earlier data" in words
    # the arrow is decoration for screen readers, which hear the direction in words
    assert '<span class="arrow" aria-hidden="true">▲</span> <span class="sr-only">up </span>55% vs July' in page
    assert '<a href="/metrics/definitions">What each figure means and how it is computed</a>' in page
    # top posts: their text, shortened, with the draft and the post as published
    assert f'<a href="/drafts/{top}">Draft #{top}</a>' in page and f'<a href="/drafts/{other}">Draft #{other}</a>' in page
    assert f'href="/drafts/{july}"' not in page  # July's post is not in August
    assert f'<a href="https://x/a1" rel="noopener noreferrer">Post #{top} as published</a>' in page
    assert "Post a1: our congress programme is online, with twelve sessions on airway management for…" in words
    assert "10,001 interactions: 10,000 likes · 1 repost · 0 replies · 0 quotes" in words
    assert page.index(f"Draft #{top}") < page.index(f"Draft #{other}")  # the most engaging first
    # charts are HTML: labels and figures as text, bars as small SVGs hidden from screen readers
    assert "Week of 3 Aug 10,001 interactions on 1 post" in words
    assert page.count('<svg class="bar"') == page.count('<svg class="bar" viewBox="0 0 1000 10" '
                                                        'preserveAspectRatio="none" aria-hidden="true"')
    assert "style=" not in page and "<script>" not in page  # the page's policy allows neither inline


def test_a_period_with_nothing_before_it_says_no_earlier_data(sqlite_system, committee):
    _july_and_august(sqlite_system)
    words = _text(committee.get("/metrics?period=2026-07", headers=HTML).text)
    assert "Published 1 post no earlier data" in words and "▲" not in words and "▼" not in words


def test_the_definitions_page_defines_every_kpi_in_words(committee):
    r = committee.get("/metrics/definitions", headers=HTML)
    assert r.status_code == 200
    words = _text(r.text)
    for k in definitions.load().kpis:
        assert f'<dt id="{k.key}">{k.label}</dt>' in r.text
        assert _text(k.definition) in words and _text(k.data) in words
    assert "Better when it goes down." in words and "in percentage points" in words


def _csrf(client) -> str:
    return client.get("/reports", headers=HTML).text.split('name="csrf_token" value="')[1].split('"')[0]


def _until(client, period: str, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while True:
        page = client.get("/reports", headers=HTML).text
        if f'data-period="{period}" data-state="running"' not in page or time.monotonic() > deadline:
            return page
        time.sleep(0.2)


def test_a_report_is_made_in_the_background_from_the_reports_page(committee, monkeypatch):
    token = _csrf(committee)
    assert committee.post("/reports", data={"period": "2026-13", "csrf_token": token}).status_code == 422
    assert committee.post("/reports", data={"period": "2026-Q3"}).status_code == 403  # no CSRF token
    go_on = Event()
    real = report.build
    monkeypatch.setattr(report, "build", lambda *a, **k: (go_on.wait(30), real(*a, **k))[1])
    started = time.monotonic()
    r = committee.post("/reports", data={"period": "2026-Q3", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and time.monotonic() - started < 5  # the page does not wait for the report
    page = committee.get(r.headers["location"], headers=HTML).text
    assert '<p class="flash" role="status">Report 2026-Q3 is being made.</p>' in page
    assert 'data-period="2026-Q3" data-state="running" data-progress="0"' in page
    assert "Being made… 0%" in _text(page) and '<script src="/static/reports.js" defer></script>' in page
    assert 'Refresh this page</a> to see how far it is' in page  # without the script
    again = committee.post("/reports", data={"period": "2026-Q3", "csrf_token": token})
    assert again.status_code == 409 and "already being made" in again.text
    go_on.set()
    page = _until(committee, "2026-Q3")
    assert 'data-period="2026-Q3" data-state="done"' in page and "/static/reports.js" not in page
    assert 'data-announce="Report 2026-Q3 is done."' in page
    assert "/api/v1/reports/files/onevoice-report-2026-Q3.pdf" in page
    assert committee.get("/api/v1/reports/files/onevoice-report-2026-Q3.pdf").content.startswith(b"%PDF")


def test_a_report_that_fails_says_why_on_the_reports_page(committee, monkeypatch):
    monkeypatch.setattr(report, "render_pdf", lambda *a: (_ for _ in ()).throw(RuntimeError("disk full")))
    committee.post("/reports", data={"period": "2026-07", "csrf_token": _csrf(committee)})
    page = _until(committee, "2026-07")
    assert 'data-state="failed"' in page and "Failed: disk full" in _text(page)
    assert 'data-announce="Report 2026-07 failed: disk full"' in page


def test_the_reports_script_is_a_file_the_pages_policy_allows(committee):
    js = committee.get("/static/reports.js")
    assert js.status_code == 200 and "fetch(" in js.text and "innerHTML" not in js.text
