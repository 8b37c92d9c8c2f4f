"""An escalation that cannot be delivered (3.: the chair must hear of a crisis) is seen in the app:
a failed notification with its reason, a banner for the chair and the admin on every page, the
incident page saying the chair was not notified, and Retry. Before, only the server log said so,
and an unconfigured SMTP server kept the e-mail "pending" for hours."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from onevoice import notify
from onevoice.crisis import incidents, intake
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.notify import NotifyConfig
from onevoice.store.models import AuditEvent, Notification
from onevoice.web.app import create_app
from tests.servers.smtp import smtp_server  # noqa: F401  (session fixture: a real aiosmtpd server)
from tests.web.signin import sign_in

PASSWORD = "a long password 1"
BREACH = "Your post yesterday showed a child's X-ray with the name visible. This is a serious privacy breach."
HTML = {"accept": "text/html"}


def org(system, chair: bool = True) -> int:
    with system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, system.box, "bluesky", "ipala.test")
        members.add_member(s, SYSTEM, "admin@example.org", "Ada Admin", PASSWORD, ("admin",))
        if chair:
            members.add_member(s, SYSTEM, "chair@example.org", "Carla Chair", PASSWORD, ("chair",))
        members.add_member(s, SYSTEM, "cm@example.org", "Rui Reviewer", PASSWORD, ("committee",))
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        return ch.id


def crisis(system, channel_id: int, pid: str = "c1") -> int:
    [incident_id] = intake.ingest(system.db, channel_id, [{"id": pid, "text": BREACH, "author": "@nurse",
                                                           "author_followers": 25000}], "import").incidents
    return incident_id


def mails(system) -> list[Notification]:
    with system.db.reader() as s:
        return list(s.scalars(select(Notification).where(Notification.channel == "email").order_by(Notification.id)))


def client(system, email: str) -> TestClient:
    c = TestClient(create_app(system, scheduler=False))
    assert sign_in(c, email, PASSWORD, follow_redirects=False).status_code == 303
    return c


def banner(html: str) -> str:
    found = re.search(r'<div class="alerts"[^>]*>(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip() if found else ""


def test_without_smtp_the_escalation_fails_at_once_with_the_setting_to_add(system):
    incident_id = crisis(system, org(system))
    assert notify.deliver_due(system.db, NotifyConfig()) == {"sent": 0, "retried": 0, "failed": 1}
    [mail] = mails(system)
    assert (mail.status, mail.attempts, mail.target) == ("failed", 1, "chair@example.org")
    assert mail.last_error.startswith("no e-mail server is configured") and "ONEVOICE_SMTP_HOST" in mail.last_error
    with system.db.reader() as s:
        summary = notify.undelivered(s)
    assert (summary.failed, summary.escalations, summary.incident_ids) == (1, 1, (incident_id,))


def test_the_banner_shows_for_the_admin_and_the_chair_not_for_a_member(sqlite_system):
    system = sqlite_system
    incident_id = crisis(system, org(system))
    for email in ("admin@example.org", "chair@example.org", "ana@example.org"):
        assert banner(client(system, email).get("/drafts", headers=HTML).text) == ""  # not failed yet
    notify.deliver_due(system.db, NotifyConfig())
    why = "1 escalation could not be delivered: no e-mail server is configured: set ONEVOICE_SMTP_HOST (and ONEVOICE_SMTP_FROM)"
    page = client(system, "chair@example.org").get("/drafts", headers=HTML).text
    assert banner(page) == f"{why} Open incident #{incident_id}" and f'href="/incidents/{incident_id}"' in page
    admin = client(system, "admin@example.org")
    page = admin.get("/drafts", headers=HTML).text  # the admin does not see incidents: the list of failures
    assert banner(page) == f"{why} See what failed and retry" and 'href="/notifications"' in page
    listing = admin.get("/notifications", headers=HTML).text
    assert "chair@example.org" in listing and "ONEVOICE_SMTP_HOST" in listing and "Retry all failed" in listing
    for email in ("ana@example.org", "cm@example.org"):
        assert banner(client(system, email).get("/drafts", headers=HTML).text) == ""
    assert client(system, "ana@example.org").get("/notifications", headers=HTML).status_code == 403

    # the incident page says so to the committee, and the chair retries once SMTP is set
    seen = client(system, "cm@example.org").get(f"/incidents/{incident_id}", headers=HTML).text
    assert "The chair was not notified:" in seen and "no e-mail server is configured" in seen
    assert "Retry sending" not in seen  # a committee member cannot fix the settings
    chair = client(system, "chair@example.org")
    page = chair.get(f"/incidents/{incident_id}", headers=HTML).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = chair.post(f"/incidents/{incident_id}/retry", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and "1%20notification%20queued%20again" in done.headers["location"]
    assert [m.status for m in mails(system)] == ["pending"]
    assert banner(chair.get("/drafts", headers=HTML).text) == ""
    with system.db.reader() as s:
        assert s.scalar(select(AuditEvent.detail).where(AuditEvent.action == "notifications.retry")) == {"requeued": 1}


def test_an_smtp_server_refusing_the_chair_is_shown_with_its_answer(sqlite_system, smtp_server):
    system = sqlite_system
    if not smtp_server.running:
        smtp_server.start()
    smtp_server.reject.add("chair@example.org")
    try:
        incident_id = crisis(system, org(system))
        config = NotifyConfig(smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_from="onevoice@ipala.test",
                              timeout=5.0)
        assert notify.deliver_due(system.db, config)["failed"] == 1
    finally:
        smtp_server.reject.clear()
    [mail] = mails(system)
    assert mail.status == "failed" and "550" in mail.last_error and "recipient refused" in mail.last_error
    chair = client(system, "chair@example.org")
    assert banner(chair.get("/drafts", headers=HTML).text).startswith(
        "1 escalation could not be delivered: recipient refused")
    page = chair.get(f"/incidents/{incident_id}", headers=HTML).text
    assert "The chair was not notified:" in page and "550" in page and "Retry sending" in page


def test_several_incidents_link_to_the_list_of_failures_with_retry(sqlite_system):
    system = sqlite_system
    cid = org(system)
    first = crisis(system, cid)
    with system.db.transaction() as s:  # a second, unrelated one (a crisis comment would join the first)
        second = incidents.open_incident(s, SYSTEM, type="complaint", severity=2, title="Rude reply",
                                         channel_id=cid).id
    notify.deliver_due(system.db, NotifyConfig())
    admin = client(system, "admin@example.org")
    page = admin.get("/drafts", headers=HTML).text
    assert banner(page).startswith("2 escalations could not be delivered: no e-mail server is configured")
    assert 'href="/notifications"' in page
    listing = admin.get("/notifications", headers=HTML).text
    assert f'href="/incidents/{first}"' in listing and f'href="/incidents/{second}"' in listing
    token = re.search(r'name="csrf_token" value="([^"]+)"', listing).group(1)
    assert admin.post("/notifications/retry", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert [m.status for m in mails(system)] == ["pending", "pending"]


def test_a_server_that_keeps_failing_shows_before_it_gives_up(sqlite_system, smtp_server):
    """A server that is down is retried for hours; after a few tries the chair already sees it."""
    system = sqlite_system
    crisis(system, org(system))
    from datetime import timedelta

    from onevoice.store.models import utcnow

    down = NotifyConfig(smtp_host="127.0.0.1", smtp_port=1, timeout=2.0)  # nothing listens on port 1
    now = utcnow()
    for n in range(notify.outbox.STILL_FAILING_AFTER):
        notify.deliver_due(system.db, down, now=now + timedelta(hours=n))
    [mail] = mails(system)
    assert mail.status == "pending" and mail.attempts == notify.outbox.STILL_FAILING_AFTER
    assert banner(client(system, "chair@example.org").get("/drafts", headers=HTML).text).startswith(
        "1 escalation is not getting through (still retrying): ConnectionRefusedError")


def test_nobody_holding_the_chair_role_is_said_on_the_incident(sqlite_system):
    system = sqlite_system
    incident_id = crisis(system, org(system, chair=False))
    with system.db.transaction() as s:
        members.grant_role(s, SYSTEM, "cm@example.org", "vice_chair")
    page = client(system, "cm@example.org").get(f"/incidents/{incident_id}", headers=HTML).text
    assert "The chair was not notified:" in page and "no active member holds the chair role" in page
    assert "Nobody was notified: no active member is chair" in page
