"""Authorizations that end (1.): a per-channel authorization gets an end date, the member and the
committee are reminded once 14 days before it, after it the member cannot submit to the channel
(told why and who renews it) while drafts approved before still publish; the committee lists what
ends within 30 days, and an administrator renews it with a new end date."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from onevoice.config import Settings
from onevoice.errors import AuthorizationExpired, InvalidInput
from onevoice.governance import authorizations, members
from onevoice.governance.permissions import SYSTEM, PermissionDenied
from onevoice.jobs import JOBS, run_job
from onevoice.publishing import outbox, workflow
from onevoice.store.models import AuditEvent, Channel, Draft, Notification, RoleGrant, utcnow
from onevoice.web.app import create_app
from tests.policy_helpers import acknowledge_policy
from tests.web.signin import csrf, signed_in_client

from .workflow_helpers import cast

PASSWORD = "a long password 1"
HTML = {"accept": "text/html"}
TEXT = "Join our airway webinar on 3 May! https://ipala.org/webinars"


def _grant(system, c) -> RoleGrant:
    with system.db.reader() as s:
        return s.scalar(select(RoleGrant).where(RoleGrant.role == "authorized", RoleGrant.channel_id == c.channel_id))


def _end_at(system, c, when: datetime) -> None:
    """Time passes: the author's authorization on the cast's channel ends (or ended) at `when`."""
    with system.db.transaction() as s:
        s.execute(update(RoleGrant).where(RoleGrant.role == "authorized", RoleGrant.channel_id == c.channel_id)
                  .values(expires_at=when))


def _staff(system) -> None:
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, "boss@example.org", "Bea Boss", PASSWORD, ("admin",))
        members.add_member(s, SYSTEM, "cleo@example.org", "Cleo Committee", PASSWORD, ("committee",))


class _Info:
    def __init__(self, months):
        self.info = {authorizations.AUTHORIZATION_MONTHS: months}


def test_a_new_authorization_ends_after_the_configured_months(sqlite_system):
    system = sqlite_system
    before = utcnow()
    c = cast(system)
    ends = _grant(system, c).expires_at
    assert ends.tzinfo is not None and ends.year == before.year + 1 and ends.month == before.month
    assert authorizations.add_months(datetime(2027, 1, 31, tzinfo=timezone.utc), 1) == \
        datetime(2027, 2, 28, tzinfo=timezone.utc)
    assert authorizations.default_end(_Info(0)) is None  # ONEVOICE_AUTHORIZATION_MONTHS=0: no end date
    assert authorizations.default_end(_Info(6), datetime(2027, 3, 1, tzinfo=timezone.utc)).month == 9
    env = {"ONEVOICE_HOME": str(system.settings.home), "ONEVOICE_SECRET_KEY": "k", "ONEVOICE_AUDIT_KEY": "k"}
    assert Settings.from_env(env).authorization_months == 12
    assert Settings.from_env({**env, "ONEVOICE_AUTHORIZATION_MONTHS": "0"}).authorization_months == 0
    with pytest.raises(InvalidInput):
        Settings.from_env({**env, "ONEVOICE_AUTHORIZATION_MONTHS": "a year"})


def test_an_ended_authorization_stops_submission_and_says_who_renews_it(system):
    c = cast(system)
    _staff(system)
    with system.db.transaction() as s:
        d = workflow.create_draft(s, c.author, c.channel_id, TEXT).id
    _end_at(system, c, utcnow() - timedelta(days=1))
    with pytest.raises(AuthorizationExpired) as err:
        with system.db.transaction() as s:
            workflow.submit(s, c.author, d, system.screening)
    words = err.value.detail
    assert "your authorization on @ipala (mastodon) ended on" in words and "cannot submit" in words
    assert "an administrator (Administrator, Bea Boss)" in words and "committee chair (chair)" in words
    with system.db.reader() as s:
        assert s.get(Draft, d).state == "draft"
    _end_at(system, c, utcnow() + timedelta(days=1))  # not ended yet: submitting works
    with system.db.transaction() as s:
        assert workflow.submit(s, c.author, d, system.screening).state == "in_review"


def test_the_api_refuses_with_403_problem_json(sqlite_system):
    system = sqlite_system
    c = cast(system)
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, "ana@example.org", "Ana", PASSWORD)
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", s.get(Channel, c.channel_id))
    acknowledge_policy(system, "ana@example.org")
    with system.db.transaction() as s:
        s.execute(update(RoleGrant).where(RoleGrant.member_id == members.get_member(s, "ana@example.org").id)
                  .values(expires_at=utcnow() - timedelta(hours=1)))
    client = TestClient(create_app(system, scheduler=False))
    ana = {"Authorization": "Bearer " + client.post("/api/v1/tokens", json={"email": "ana@example.org",
                                                                           "password": PASSWORD}).json()["token"]}
    did = client.post("/api/v1/drafts", json={"channel": c.channel_id, "text": TEXT}, headers=ana).json()["id"]
    r = client.post(f"/api/v1/drafts/{did}/submit", headers=ana)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/authorization-expired" and "renews it" in r.json()["detail"]


def test_drafts_approved_before_the_end_are_scheduled_and_published(sqlite_system, mastodon):
    system = sqlite_system
    c = cast(system, "mastodon", base_url=mastodon.url, credentials={"access_token": mastodon.org.token})
    with system.db.transaction() as s:
        first = workflow.create_draft(s, c.author, c.channel_id, TEXT).id
        workflow.submit(s, c.author, first, system.screening)
        workflow.review(s, c.reviewer, first, "approve")
        workflow.schedule(s, c.author, first, None)
        second = workflow.create_draft(s, c.author, c.channel_id, TEXT + " Second call.").id
        workflow.submit(s, c.author, second, system.screening)
        workflow.review(s, c.reviewer, second, "approve")
    _end_at(system, c, utcnow() - timedelta(minutes=5))
    with system.db.transaction() as s:
        workflow.schedule(s, c.author, second, None)  # approved before the end: still scheduled
    outcomes = outbox.publish_due(system.db, system.connector_for)
    assert len(outcomes) == 2
    with system.db.reader() as s:
        assert [s.get(Draft, d).state for d in (first, second)] == ["published", "published"]


def test_the_reminder_goes_once_14_days_before_the_end(system):
    c = cast(system)
    end = datetime(2027, 6, 30, 12, 0, tzinfo=timezone.utc)
    _end_at(system, c, end)
    assert authorizations.send_reminders(system.db, "https://onevoice.example", now=end - timedelta(days=20)) == 0
    at = end - timedelta(days=14) + timedelta(hours=1)
    assert authorizations.send_reminders(system.db, "https://onevoice.example", now=at) == 1
    assert authorizations.send_reminders(system.db, "https://onevoice.example", now=at) == 0  # once per grant
    assert authorizations.send_reminders(system.db, "https://onevoice.example", now=end - timedelta(days=2)) == 0
    with system.db.reader() as s:
        sent = list(s.scalars(select(Notification).order_by(Notification.id)))
        assert sorted(n.target for n in sent) == ["author@example.org", "chair@example.org", "rev2@example.org",
                                                  "rev@example.org"]
        assert all("ends on 2027-06-30" in n.subject and "/committee/authorizations" in n.body for n in sent)
        assert "an administrator (Administrator)" in sent[0].body
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == authorizations.REMINDER_ACTION)) == 1
    # renewed: the new end date gets its own reminder, once
    new_end = end + timedelta(days=365)
    with system.db.transaction() as s:
        authorizations.renew(s, SYSTEM, "author@example.org", s.get(Channel, c.channel_id), new_end, now=at)
    assert authorizations.send_reminders(system.db, now=end) == 0
    assert authorizations.send_reminders(system.db, now=new_end - timedelta(days=13)) == 1
    assert authorizations.send_reminders(system.db, now=new_end - timedelta(days=12)) == 0


def test_the_job_is_scheduled_and_runs(sqlite_system):
    [job] = [j for j in JOBS if j.name == "authorization_reminders"]
    c = cast(sqlite_system)
    _end_at(sqlite_system, c, utcnow() + timedelta(days=3))
    run_job(sqlite_system, job)
    with sqlite_system.db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 4


def test_the_committee_lists_what_ends_within_30_days_and_an_admin_renews(sqlite_system):
    system = sqlite_system
    c = cast(system)
    _staff(system)
    with system.db.reader() as s:
        assert authorizations.expiring(s, SYSTEM) == []  # a year away
    _end_at(system, c, utcnow() + timedelta(days=10))
    with system.db.reader() as s:
        [row] = authorizations.expiring(s, SYSTEM)
        assert row.email == "author@example.org" and not row.expired and row.channel == "@ipala (mastodon)"
        with pytest.raises(PermissionDenied):
            authorizations.expiring(s, c.author)

    cleo = signed_in_client(system, "cleo@example.org")
    page = cleo.get("/committee/authorizations", headers=HTML).text
    assert "author@example.org" in page and "@ipala (mastodon)" in page and 'name="ends"' not in page
    r = cleo.post("/committee/authorizations/renew", data={"csrf_token": csrf(page), "member": "author@example.org",
                                                           "channel": str(c.channel_id), "ends": "2099-01-31"},
                  headers=HTML, follow_redirects=False)
    assert r.status_code == 403  # the committee sees; administrators renew

    boss = signed_in_client(system, "boss@example.org")
    page = boss.get("/committee/authorizations", headers=HTML).text
    assert 'name="ends"' in page
    member_id = _grant(system, c).member_id
    r = boss.post("/committee/authorizations/renew", data={"csrf_token": csrf(page), "member": str(member_id),
                                                           "channel": str(c.channel_id), "ends": "2001-01-01"},
                  headers=HTML, follow_redirects=False)
    assert r.status_code == 422 and "must be in the future" in r.text
    r = boss.post("/committee/authorizations/renew", data={"csrf_token": csrf(page), "member": str(member_id),
                                                           "channel": str(c.channel_id), "ends": "2099-01-31"},
                  headers=HTML, follow_redirects=False)
    assert r.status_code == 303
    grant = _grant(system, c)
    assert grant.expires_at == datetime(2099, 1, 31, tzinfo=timezone.utc) and grant.reminded_at is None
    with system.db.reader() as s:
        [ev] = s.scalars(select(AuditEvent).where(AuditEvent.action == "authorization.renew")).all()
        assert ev.actor == "boss@example.org" and ev.detail == {"channel_id": c.channel_id}
        assert authorizations.expiring(s, SYSTEM) == []
    assert "No authorization ends within 30 days" in cleo.get("/committee/authorizations", headers=HTML).text
