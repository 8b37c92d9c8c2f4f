"""Page speed: every page at the demo organization's size, against the 300 ms target (issue 16, 9.).

The demo organization is `monitoring.demo.generate(system, days=120)` on SQLite in a temporary
folder, plus one member's submitted draft, one imported complaint (so an incident exists) and one
monthly report, as the browser tests' demo organization has. A chair who is also the admin (so
every page is open to them) is signed in with a session made directly (auth.start_session), the
cookie a browser would hold. Each page is requested in process through Starlette's TestClient
after one warm-up request; the time is the wall clock around one request, which is server time
plus the test client's few tens of microseconds. Run alone: `python -m bench.pages [N]`.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 300.0


def _organization(home: Path):
    from sqlalchemy import select

    from onevoice.config import Settings
    from onevoice.crisis import intake
    from onevoice.governance import auth, members
    from onevoice.governance.permissions import SYSTEM
    from onevoice.monitoring import demo, kpis, report
    from onevoice.publishing import workflow
    from onevoice.store.models import Channel, Incident
    from onevoice.system import System

    settings = Settings(home=home, database_url=f"sqlite:///{home / 'onevoice.db'}",
                        secret_key="bench-secret-key-0123456789", allow_private_urls=True)
    system = System(settings)
    system.initialize()
    demo.generate(system, days=120)
    password = "a long password 1"
    with system.db.transaction() as s:
        channel = s.scalar(select(Channel).order_by(Channel.id))
        members.add_member(s, SYSTEM, "ana@bench.example", "Ana Author", password)
        members.add_member(s, SYSTEM, "chair@bench.example", "Carla Chair", password, ("chair", "admin"))
        members.grant_role(s, SYSTEM, "ana@bench.example", "authorized", channel)
        channel_id = channel.id
    with system.db.transaction() as s:
        ana = members.actor_for(members.get_member(s, "ana@bench.example"))
        draft = workflow.create_draft(s, ana, channel_id, "Met a 6-year-old today with a rare airway case. "
                                                          "Call me on 555-0143 for the details.")
        workflow.submit(s, ana, draft.id, system.screening)
        draft_id = draft.id
    intake.ingest(system.db, channel_id, [{"id": "bench-1", "text": "Your post showed a child's X-ray with the "
                                                                    "name visible. This is a serious privacy breach.",
                                           "author_followers": 25000}], "import", system.settings)
    report.generate(system.db, system.settings, kpis.last_complete("month"), trigger="bench")
    with system.db.transaction() as s:
        secret, _ = auth.start_session(s, members.get_member(s, "chair@bench.example"), 12)
    with system.db.reader() as s:
        incident_id = s.scalar(select(Incident.id).order_by(Incident.id.desc()))
    return system, secret, draft_id, incident_id


def pages(draft_id: int, incident_id: int) -> list[str]:
    return ["/", "/drafts", "/drafts/new", f"/drafts/{draft_id}", "/check", "/review", "/calendar", "/inbox",
            "/incidents", f"/incidents/{incident_id}", "/metrics", "/metrics/definitions", "/reports", "/admin/members", "/admin/channels",
            "/admin/policy", "/admin/audit", "/account"]


def run(n: int = 20) -> list[dict]:
    from fastapi.testclient import TestClient

    from onevoice.web.app import create_app
    from onevoice.web.deps import SESSION_COOKIE
    from onevoice.web.security import cookie_name

    with tempfile.TemporaryDirectory(prefix="onevoice-bench-pages-") as tmp:
        system, secret, draft_id, incident_id = _organization(Path(tmp))
        rows = []
        try:
            with TestClient(create_app(system, scheduler=False), base_url="http://127.0.0.1") as client:
                client.cookies.set(cookie_name(system.settings, SESSION_COOKIE), secret)
                for path in pages(draft_id, incident_id):
                    first = client.get(path, headers={"accept": "text/html"})
                    if first.status_code == 404 and path == "/account":
                        continue  # not every version has the account page
                    times = []
                    for _ in range(n):
                        start = time.perf_counter()
                        response = client.get(path, headers={"accept": "text/html"})
                        times.append((time.perf_counter() - start) * 1000)
                    times.sort()
                    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                    rows.append({"page": path, "status": response.status_code, "bytes": len(response.content),
                                 "median_ms": statistics.median(times), "p95_ms": p95})
        finally:
            system.db.dispose()
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"| page | status | kB | median ms | p95 ms | p95 / {TARGET_MS:.0f} ms |", "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = r["p95_ms"] / TARGET_MS
        mark = " (over)" if ratio > 1 else ""
        lines.append(f"| `{r['page']}` | {r['status']} | {r['bytes'] / 1000:.0f} | {r['median_ms']:.1f} | "
                     f"{r['p95_ms']:.1f} | {ratio:.2f}{mark} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run(int(sys.argv[1]) if len(sys.argv) > 1 else 20)))
