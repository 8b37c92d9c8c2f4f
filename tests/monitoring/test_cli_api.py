"""`onevoice report|metrics|demo` as a user runs them, and the API of 4."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.web.app import create_app

BIN = os.path.join(os.path.dirname(sys.executable), "onevoice")


@pytest.fixture
def run(tmp_path):
    env = {**os.environ, "ONEVOICE_HOME": str(tmp_path)}
    env.pop("ONEVOICE_DATABASE_URL", None)

    def _run(*args):
        return subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=300)

    return _run


@pytest.mark.parametrize("period", ["2026-Q5", "2026-13", "july", "2026-07-01"])
def test_bad_period_is_one_line_and_non_zero(run, period):
    assert run("init").returncode == 0
    r = run("report", "--period", period)
    assert r.returncode != 0 and r.stdout == ""
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1 and "2026-Q3" in r.stderr


def test_demo_then_report_from_the_command_line(run, tmp_path):
    assert run("init").returncode == 0
    r = run("demo", "--days", "160")  # back to June: the quarter reported below is all there
    assert r.returncode == 0, r.stderr
    assert "demo organization ready" in r.stdout
    again = run("demo")
    assert again.returncode != 0 and again.stderr.startswith("error: ") and "--force" in again.stderr
    out = tmp_path / "reports-q"
    r = run("report", "--period", "2026-Q3", "--out", str(out))
    assert r.returncode == 0, r.stderr
    pdf = out / "onevoice-report-2026-Q3.pdf"
    assert str(pdf) in r.stdout and pdf.read_bytes().startswith(b"%PDF")
    assert "DEMO DATA" in (out / "onevoice-report-2026-Q3.html").read_text()
    r = run("metrics", "collect")
    assert r.returncode == 0 and "0 post samples" in r.stdout  # demo channels have no platform behind them
    assert run("audit", "verify").returncode == 0


@pytest.fixture
def client(sqlite_system):
    with sqlite_system.db.transaction() as s:
        members.add_member(s, SYSTEM, "chair@example.org", "Chair", "chair password 1", ("chair",))
        members.add_member(s, SYSTEM, "mem@example.org", "Mem", "member password 1")
    with TestClient(create_app(sqlite_system, scheduler=False)) as c:
        yield c


def _token(client, email, password):
    r = client.post("/api/v1/tokens", json={"email": email, "password": password})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _until_made(client, url, headers, seconds=120):
    deadline = time.monotonic() + seconds
    while True:
        answer = client.get(url, headers=headers).json()
        if answer["status"] != "running" or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def test_api_reports_are_made_in_the_background_with_clear_errors(client, sqlite_system, monkeypatch):
    from threading import Event

    from onevoice.monitoring import report

    h = _token(client, "chair@example.org", "chair password 1")
    member = _token(client, "mem@example.org", "member password 1")
    assert client.post("/api/v1/reports", json={"period": "2026-07"}, headers=member).status_code == 403
    for bad in ("2026-13", "someday"):
        r = client.post("/api/v1/reports", json={"period": bad}, headers=h)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
        r = client.get(f"/api/v1/reports/{bad}", headers=h)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = client.get("/api/v1/reports/2026-08", headers=h)
    assert r.status_code == 404 and "2026-08" in r.json()["detail"]
    go_on = Event()
    real = report.build
    monkeypatch.setattr(report, "build", lambda *a, **k: (go_on.wait(30), real(*a, **k))[1])
    assert client.post("/api/v1/reports", json={"period": "2026-08"}, headers=h).status_code == 202
    again = client.post("/api/v1/reports", json={"period": "2026-08"}, headers=h)
    assert again.status_code == 409 and "already being made" in again.json()["detail"]
    assert client.get("/api/v1/reports/2026-08", headers=h).json()["status"] == "running"
    assert [x["status"] for x in client.get("/api/v1/reports", headers=h).json()] == ["running"]
    go_on.set()
    assert _until_made(client, "/api/v1/reports/2026-08", h)["status"] == "done"


def test_api_metrics_reports_campaigns_and_redirect(client, sqlite_system):
    h = _token(client, "chair@example.org", "chair password 1")
    member = _token(client, "mem@example.org", "member password 1")
    assert client.get("/api/v1/metrics/summary", params={"period": "2026-07"}, headers=member).status_code == 403
    r = client.get("/api/v1/metrics/summary", params={"period": "2026-07"}, headers=h)
    assert r.status_code == 200 and r.json()["headline"]["posts"] == 0
    assert r.json()["compared_with"] == {"period": "2026-06", "name": "June", "empty": True}
    posts = next(f for f in r.json()["figures"] if f["key"] == "posts")
    assert (posts["sentence"], posts["change"]["text"]) == ("Published 0 posts", "no earlier data")
    assert r.json()["written_summary"][0] == "In July 2026, the association published no posts."
    r = client.get("/api/v1/metrics/summary", params={"period": "2026-Q9"}, headers=h)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    r = client.post("/api/v1/reports", json={"period": "2026-07"}, headers=h)
    assert r.status_code == 202, r.text  # made in the background, as from the reports page
    assert r.json()["status"] == "running" and r.headers["location"] == r.json()["url"] == "/api/v1/reports/2026-07"
    done = _until_made(client, r.json()["url"], h)
    assert (done["status"], done["progress"], done["trigger"]) == ("done", 100, "api")
    pdf_url = next(u for u in done["files"] if u.endswith(".pdf"))
    got = client.get(pdf_url, headers=h)
    assert got.status_code == 200 and got.content.startswith(b"%PDF") and got.headers["content-type"] == "application/pdf"
    assert client.get(pdf_url).status_code == 401
    for bad in ("..%2Fonevoice.db", "onevoice.db", "onevoice-report-2026-07.exe", "onevoice-report-2026-08.pdf"):
        assert client.get(f"/api/v1/reports/files/{bad}", headers=h).status_code == 404
    assert [x["period"] for x in client.get("/api/v1/reports", headers=h).json()] == ["2026-07"]
    r = client.post("/api/v1/campaigns", headers=h, json={"slug": "congress-2026", "name": "Congress",
                    "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z",
                    "goal_metric": "clicks", "goal_target": 100})
    assert r.status_code == 201, r.text
    link = client.post(f"/api/v1/campaigns/{r.json()['id']}/links", headers=h,
                       json={"target_url": "https://ipala.org/congress"}).json()
    assert link["short_url"].endswith(f"/r/{link['code']}") and "/api/" not in link["short_url"]
    browser = {"user-agent": "Mozilla/5.0 Firefox/128.0"}
    go = client.get(f"/r/{link['code']}", follow_redirects=False, headers=browser)
    assert go.status_code == 302 and go.headers["location"].endswith("utm_campaign=congress-2026")
    old_form = client.get(f"/api/v1/r/{link['code']}", follow_redirects=False, headers=browser)
    assert old_form.status_code == 302 and old_form.headers["location"] == go.headers["location"]
    assert client.get("/r/zzzzzz", follow_redirects=False).status_code == 404
    this_year = str(datetime.now(timezone.utc).year)
    summary = client.get(f"/api/v1/metrics/summary?period={this_year}", headers=h).json()
    assert [c["clicks_total"] for c in summary["campaigns"]] == [2]  # both forms of the link count
    (c,) = client.get("/api/v1/campaigns", headers=h).json()
    assert c["links"][0]["code"] == link["code"]
    spec = client.get("/openapi.json").json()
    assert "/api/v1/metrics/summary" in spec["paths"] and "/r/{code}" in spec["paths"]
