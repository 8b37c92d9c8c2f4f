"""Accounts in the web app, through its forms as a browser posts them: roles granted from the
members page and shown in words; invitations and password resets by e-mail with one-time links
(read back from the real notification outbox table); the first admin's one-time password; the
account page (password, time zone); the admin's buttons per member; and the home page's list of
what waits for each member."""
from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onevoice.config import Settings
from onevoice.governance import auth, channels, links, members
from onevoice.governance.permissions import SYSTEM
from onevoice.publishing import workflow
from onevoice.store.models import AuditEvent, Comment, Incident, Member, MemberLink, Notification, utcnow
from onevoice.system import System
from onevoice.web.app import create_app
from tests.policy_helpers import acknowledge_in

from .signin import sign_in

PASSWORD = "a long password 1"
NEW = "a brand new passphrase"
LINK = re.compile(r"http://onevoice\.test(/(?:invite|reset)/[A-Za-z0-9_-]+)")


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def page_csrf(client, path="/account") -> str:
    return csrf(client.get(path).text)


def with_mail(system: System) -> System:
    """The same installation with a mail server configured (nothing is sent in these tests: the
    e-mails wait in the outbox table, where the tests read them)."""
    return System(dataclasses.replace(system.settings, smtp={"host": "127.0.0.1", "port": "1"},
                                      base_url="http://onevoice.test"))


@pytest.fixture
def org(sqlite_system):
    with sqlite_system.db.transaction() as s:
        ch = channels.add_channel(s, SYSTEM, sqlite_system.box, "bluesky", "ipala.test")
        members.add_member(s, SYSTEM, "boss@example.org", "Bea Boss", PASSWORD, ("admin",))
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.add_member(s, SYSTEM, "rui@example.org", "Rui Reviewer", PASSWORD, ("committee",))
        members.grant_role(s, SYSTEM, "ana@example.org", "authorized", ch)
        acknowledge_in(s)  # the members have read the policy in force (1.)
        channel_id = ch.id
    return sqlite_system, channel_id


def client_for(system, email=None, password=PASSWORD) -> TestClient:
    c = TestClient(create_app(system, scheduler=False))
    if email:
        assert sign_in(c, email, password, follow_redirects=False).status_code == 303
    return c


def member_id(system, email) -> int:
    with system.db.reader() as s:
        return s.scalar(select(Member.id).where(Member.email == email))


def mails(system, to: str) -> list[Notification]:
    with system.db.reader() as s:
        return list(s.scalars(select(Notification).where(Notification.target == to).order_by(Notification.id)))


def link_in(notification: Notification) -> str:
    return LINK.search(notification.body).group(1)


def audited(system, action: str) -> list[AuditEvent]:
    with system.db.reader() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def signed_out(client) -> bool:
    r = client.get("/account", follow_redirects=False)
    return r.status_code == 303 and r.headers["location"].startswith("/login")


# --- roles -------------------------------------------------------------------------------------


def test_roles_are_granted_from_the_page_and_shown_in_words(org):
    system, channel_id = org
    admin = client_for(system, "boss@example.org")
    page = admin.get("/admin/members").text
    # the member is picked from a select of names and e-mails, not typed
    assert re.search(r'<select id="member" name="member"[^>]*>.*Rui Reviewer — rui@example.org', page, re.S)
    assert '<option value="committee">Committee member</option>' in page
    rui = member_id(system, "rui@example.org")
    r = admin.post("/admin/members/grant", data={"member": str(rui), "role": "authorized", "channel": str(channel_id),
                                                 "csrf_token": csrf(page)})
    assert r.status_code == 200 and "Rui Reviewer now holds: authorized on @ipala.test (bluesky), committee." in r.text
    ana = member_id(system, "ana@example.org")
    r = admin.post("/admin/members/grant", data={"member": str(ana), "role": "committee", "channel": "",
                                                 "csrf_token": csrf(page)})
    assert "Ana Author now holds: authorized on @ipala.test (bluesky), committee." in r.text
    assert "authorized:" not in r.text and "committee:" not in r.text
    # a refusal reads as the service says it, on the page
    r = admin.post("/admin/members/grant", data={"member": str(ana), "role": "authorized", "channel": "",
                                                 "csrf_token": csrf(page)})
    assert r.status_code == 422 and "needs a channel" in r.text
    r = admin.post("/admin/members/revoke", data={"member": str(ana), "role": "committee", "channel": "",
                                                  "csrf_token": csrf(page)})
    assert "Role revoked; Ana Author now holds: authorized on @ipala.test (bluesky)." in r.text
    assert [e.detail["role"] for e in audited(system, "role.grant")][-2:] == ["authorized", "committee"]


# --- invitations -------------------------------------------------------------------------------


def test_an_invitation_by_e_mail_sets_a_password_once_and_signs_in(org):
    system, channel_id = org
    system = with_mail(system)
    admin = client_for(system, "boss@example.org")
    page = admin.get("/admin/members").text
    assert "Invite a member" in page and "one-time password" not in page
    r = admin.post("/admin/members/invite", data={"name": "Nia New", "email": "Nia@Example.org", "role": "authorized",
                                                  "channel": str(channel_id), "csrf_token": csrf(page)})
    assert "Invitation e-mailed to Nia New (nia@example.org)" in r.text
    assert "invited" in r.text and "authorized on @ipala.test (bluesky)" in r.text
    [mail] = mails(system, "nia@example.org")
    assert mail.channel == "email" and mail.status == "pending" and "invites you to onevoice" in mail.body
    assert "Bea Boss" in mail.body and "an authorized member of @ipala.test (bluesky)" in mail.body
    path = link_in(mail)
    with system.db.reader() as s:
        nia = s.scalar(select(Member).where(Member.email == "nia@example.org"))
        [link] = s.scalars(select(MemberLink).where(MemberLink.member_id == nia.id))
        assert nia.password_hash is None and link.purpose == "invite"
        assert link.token_hash not in mail.body and path.rsplit("/", 1)[1] not in link.token_hash  # hashed at rest
        assert link.expires_at - link.created_at == timedelta(days=7)
    assert audited(system, "member.invite")[-1].object_id == str(nia.id)
    # nobody can sign in to the invited account before the link is used
    assert sign_in(TestClient(admin.app), "nia@example.org", "", follow_redirects=False).status_code in (401, 422)

    newcomer = TestClient(admin.app)
    form = newcomer.get(path)
    assert form.status_code == 200 and "Nia New" in form.text and "nia@example.org" in form.text
    differ = newcomer.post(path, data={"new": NEW, "repeat": NEW + "!", "csrf_token": csrf(form.text)})
    assert differ.status_code == 422 and "The two passwords differ" in differ.text
    short = newcomer.post(path, data={"new": "short", "repeat": "short", "csrf_token": csrf(form.text)})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    forged = newcomer.post(path, data={"new": NEW, "repeat": NEW, "csrf_token": "not the form's"})
    assert forged.status_code == 403
    done = newcomer.post(path, data={"new": NEW, "repeat": NEW, "csrf_token": csrf(form.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/?flash=Welcome")
    home = newcomer.get("/")
    assert home.status_code == 200 and "Welcome, Nia New" in home.text  # signed in at once
    assert audited(system, "member.invite_accept")[-1].object_id == str(nia.id)
    # single use: the same link again, from anywhere, is refused
    again = TestClient(admin.app).get(path)
    assert again.status_code == 410 and links.UNUSABLE in again.text
    reuse = TestClient(admin.app)
    assert reuse.post(path, data={"new": NEW + "2", "repeat": NEW + "2",
                                  "csrf_token": csrf(reuse.get("/login").text)}).status_code == 410
    assert sign_in(TestClient(admin.app), "nia@example.org", NEW, follow_redirects=False).status_code == 303
    assert "invited" not in admin.get("/admin/members").text.split("Nia New", 1)[1].split("</tr>", 1)[0]


def test_expired_wrong_and_other_purpose_links_are_refused_alike(org):
    system, _ = org
    system = with_mail(system)
    with system.db.transaction() as s:
        nia = links.invite(s, SYSTEM, "nia@example.org", "Nia New", system.settings.base_url)
        ana = members.get_member(s, "ana@example.org")
        reset_secret = links.issue(s, ana, links.RESET)
    path = link_in(mails(system, "nia@example.org")[0])
    c = TestClient(create_app(system, scheduler=False))
    wrong = c.get("/invite/" + "x" * 43)
    assert wrong.status_code == 410 and links.UNUSABLE in wrong.text
    assert c.get(f"/invite/{reset_secret}").status_code == 410  # a reset link is no invitation
    assert c.get(f"/reset/{reset_secret}").status_code == 200
    with system.db.transaction() as s:
        for link in s.scalars(select(MemberLink).where(MemberLink.member_id == nia.id)):
            link.expires_at = utcnow() - timedelta(seconds=1)
    expired = c.get(path)
    assert expired.status_code == 410 and links.UNUSABLE in expired.text
    assert c.post(path, data={"new": NEW, "repeat": NEW, "csrf_token": csrf(c.get("/login").text)}).status_code == 410
    with system.db.reader() as s:
        assert s.get(Member, nia.id).password_hash is None


def test_resending_an_invitation_withdraws_the_first_link(org):
    system, _ = org
    system = with_mail(system)
    with system.db.transaction() as s:
        nia = links.invite(s, SYSTEM, "nia@example.org", "Nia New", system.settings.base_url)
    first = link_in(mails(system, "nia@example.org")[0])
    admin = client_for(system, "boss@example.org")
    page = admin.get("/admin/members").text
    assert f'action="/admin/members/{nia.id}/resend"' in page
    r = admin.post(f"/admin/members/{nia.id}/resend", data={"csrf_token": csrf(page)})
    assert "A new invitation is on its way to nia@example.org" in r.text
    second = link_in(mails(system, "nia@example.org")[1])
    c = TestClient(admin.app)
    assert c.get(first).status_code == 410 and c.get(second).status_code == 200
    assert audited(system, "member.invite_resend")
    # an accepted invitation is not sent again
    ana = member_id(system, "ana@example.org")
    r = admin.post(f"/admin/members/{ana}/resend", data={"csrf_token": csrf(page)})
    assert r.status_code == 422 and "already chosen a password" in r.text


def test_without_mail_the_admin_adds_members_with_a_one_time_password(org):
    system, _ = org
    admin = client_for(system, "boss@example.org")
    page = admin.get("/admin/members").text
    assert "no mail server is configured" in page and "Invite a member" not in page
    r = admin.post("/admin/members/invite", data={"name": "Nia", "email": "nia@example.org", "csrf_token": csrf(page)})
    assert r.status_code == 422 and "add the member with a one-time password" in r.text
    r = admin.post("/admin/members/add", data={"name": "Nia New", "email": "nia@example.org", "csrf_token": csrf(page)})
    one_time = re.search(r"one-time password \(shown once, give it to them in person\): ([^\s<]+)", r.text).group(1)
    assert mails(system, "nia@example.org") == []
    newcomer = TestClient(admin.app)
    assert sign_in(newcomer, "nia@example.org", one_time, follow_redirects=False).status_code == 303
    assert newcomer.get("/", follow_redirects=False).headers["location"] == "/password"


def test_the_first_admins_one_time_password_must_be_changed_at_first_sign_in(tmp_path):
    system = System(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'first.db'}",
                             secret_key="test-secret-key-0123456789"))
    one_time = system.initialize(admin_email="first@example.org")
    assert one_time
    c = client_for(system, "first@example.org", one_time)
    for path in ("/", "/admin/members", "/account"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/password", path
    form = c.get("/password").text
    assert "one-time password" in form
    r = c.post("/password", data={"current": one_time, "new": NEW, "repeat": NEW, "csrf_token": csrf(form)},
               follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/admin/members").status_code == 200
    system.db.dispose()


# --- forgot password ---------------------------------------------------------------------------


def forgot(client, email):
    return client.post("/forgot", data={"email": email, "csrf_token": csrf(client.get("/forgot").text)})


def test_forgot_password_answers_alike_and_mails_a_one_hour_single_use_link(org):
    system, _ = org
    system = with_mail(system)
    app = create_app(system, scheduler=False)
    assert 'href="/forgot"' in TestClient(app).get("/login").text
    # Ana is signed in elsewhere, in a browser and with an API token
    elsewhere = client_for(system, "ana@example.org")
    with system.db.transaction() as s:
        token, _ = auth.create_token(s, members.actor_for(members.get_member(s, "ana@example.org")), "script")

    anon = TestClient(app)
    known, unknown = forgot(anon, "ana@example.org"), forgot(anon, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    strip = lambda r: r.text.replace("ana@example.org", "X").replace("nobody@example.org", "X")  # noqa: E731
    assert strip(known) == strip(unknown)
    assert "a link to choose a new password is on its way" in known.text
    assert mails(system, "nobody@example.org") == []
    [mail] = mails(system, "ana@example.org")
    path = link_in(mail)
    assert path.startswith("/reset/") and "60 minutes" in mail.body
    with system.db.reader() as s:
        [link] = s.scalars(select(MemberLink).where(MemberLink.purpose == "reset"))
        assert link.expires_at - link.created_at == timedelta(hours=1)
    assert audited(system, "member.password_reset_requested")

    c = TestClient(app)
    form = c.get(path)
    assert form.status_code == 200 and "Ana Author" in form.text
    done = c.post(path, data={"new": NEW, "repeat": NEW, "csrf_token": csrf(form.text)}, follow_redirects=False)
    assert done.status_code == 303
    assert c.get("/account").status_code == 200  # this browser is signed in with the new password
    assert signed_out(elsewhere)  # every other sign-in ended
    assert TestClient(app).get("/api/v1/me", headers={"authorization": f"Bearer {token}"}).status_code == 401
    assert sign_in(TestClient(app), "ana@example.org", PASSWORD, follow_redirects=False).status_code == 401
    assert sign_in(TestClient(app), "ana@example.org", NEW, follow_redirects=False).status_code == 303
    assert TestClient(app).get(path).status_code == 410  # used once
    assert audited(system, "member.password_reset_by_link")[-1].detail["sessions_ended"] >= 1


def test_forgot_password_is_rate_limited_per_address_and_per_member(org):
    system, _ = org
    system = with_mail(system)
    anon = TestClient(create_app(system, scheduler=False))
    for _ in range(links.RESETS_PER_HOUR + 2):
        assert forgot(anon, "ana@example.org").status_code == 200
    # at most RESETS_PER_HOUR e-mails to one member an hour; the page says the same anyway
    assert len(mails(system, "ana@example.org")) == links.RESETS_PER_HOUR
    assert audited(system, "member.password_reset_throttled")
    # the sign-in limiter (20 a minute per address) covers the form too
    codes = [forgot(anon, f"someone{i}@example.org").status_code for i in range(20)]
    assert codes[-1] == 429 and "Too many attempts" in forgot(anon, "x@example.org").text


def test_forgot_password_without_mail_says_to_ask_an_admin(org):
    system, _ = org
    anon = TestClient(create_app(system, scheduler=False))
    assert "Ask an administrator" in anon.get("/forgot").text
    r = anon.post("/forgot", data={"email": "ana@example.org", "csrf_token": csrf(anon.get("/login").text)})
    assert r.status_code == 503 and mails(system, "ana@example.org") == []


# --- your account ------------------------------------------------------------------------------


def test_changing_the_password_on_the_account_page_ends_other_sessions(org):
    system, _ = org
    here, there = client_for(system, "ana@example.org"), client_for(system, "ana@example.org")
    page = here.get("/account").text
    assert "authorized on @ipala.test (bluesky)" in page
    wrong = here.post("/account/password", data={"current": "not it at all", "new": NEW, "repeat": NEW,
                                                 "csrf_token": csrf(page)})
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    r = here.post("/account/password", data={"current": PASSWORD, "new": NEW, "repeat": NEW, "csrf_token": csrf(page)})
    assert r.status_code == 200 and "every other sign-in was ended" in r.text
    assert signed_out(there) and not signed_out(here)


def test_the_time_zone_is_saved_audited_and_used_for_dates(org):
    system, _ = org
    ana = client_for(system, "ana@example.org")
    page = ana.get("/account").text
    assert '<option value="Europe/Lisbon">Europe/Lisbon</option>' in page and "(UTC)" in page
    bad = ana.post("/account/timezone", data={"timezone": "Mars/Olympus", "csrf_token": csrf(page)})
    assert bad.status_code == 422 and "is not a time zone" in bad.text
    r = ana.post("/account/timezone", data={"timezone": "America/Sao_Paulo", "csrf_token": csrf(page)})
    assert "Dates are now shown in America/Sao_Paulo time." in r.text
    assert '<option value="America/Sao_Paulo" selected>America/Sao Paulo</option>' in r.text
    assert "(America/Sao_Paulo)" in r.text  # |when uses the member's zone
    with system.db.reader() as s:
        assert members.get_member(s, "ana@example.org").timezone == "America/Sao_Paulo"
    [event] = audited(system, "member.timezone")
    assert event.actor == "ana@example.org"
    ana.post("/account/timezone", data={"timezone": "", "csrf_token": csrf(page)})
    with system.db.reader() as s:
        assert members.get_member(s, "ana@example.org").timezone is None


# --- the admin's buttons per member ------------------------------------------------------------


def test_deactivate_and_reactivate_take_a_confirmation_step(org):
    system, _ = org
    admin = client_for(system, "boss@example.org")
    ana_client = client_for(system, "ana@example.org")
    ana = member_id(system, "ana@example.org")
    page = admin.get("/admin/members").text
    assert f'href="/admin/members/{ana}/confirm?action=deactivate"' in page
    confirm = admin.get(f"/admin/members/{ana}/confirm?action=deactivate")
    assert confirm.status_code == 200 and "Deactivate Ana Author?" in confirm.text
    assert f'action="/admin/members/{ana}/deactivate"' in confirm.text
    with system.db.reader() as s:
        assert s.get(Member, ana).active  # showing the confirmation changed nothing
    r = admin.post(f"/admin/members/{ana}/deactivate", data={"csrf_token": csrf(confirm.text)})
    assert "Ana Author is deactivated" in r.text and "deactivated</span>" in r.text
    assert signed_out(ana_client)
    assert f"/admin/members/{ana}/confirm?action=reactivate" in r.text
    r = admin.post(f"/admin/members/{ana}/reactivate", data={"csrf_token": csrf(confirm.text)})
    assert "Ana Author is active again." in r.text
    me = member_id(system, "boss@example.org")
    r = admin.post(f"/admin/members/{me}/deactivate", data={"csrf_token": csrf(confirm.text)})
    assert r.status_code == 422 and "cannot deactivate their own account" in r.text
    assert admin.get(f"/admin/members/{ana}/confirm?action=explode").status_code == 404
    # the committee may see members but not deactivate them
    rui = client_for(system, "rui@example.org")
    r = rui.post(f"/admin/members/{ana}/deactivate", data={"csrf_token": page_csrf(rui)})
    assert r.status_code == 422 and "Only an administrator may do this" in r.text and "member.deactivate" not in r.text


def test_reset_password_mails_a_link_or_shows_a_one_time_password(org):
    system, _ = org
    ana = member_id(system, "ana@example.org")
    # without mail: a one-time password, shown once; Ana's sessions end now
    admin = client_for(system, "boss@example.org")
    ana_client = client_for(system, "ana@example.org")
    confirm = admin.get(f"/admin/members/{ana}/confirm?action=reset").text
    assert "one-time password" in confirm
    r = admin.post(f"/admin/members/{ana}/reset", data={"csrf_token": csrf(confirm)})
    one_time = re.search(r"New one-time password of Ana Author \(shown once, give it to them in person\): (\S+)\.",
                         r.text).group(1)
    assert signed_out(ana_client)
    assert sign_in(TestClient(admin.app), "ana@example.org", one_time, follow_redirects=False).status_code == 303
    # with mail: a reset link by e-mail; the password stays until it is used
    mailing = with_mail(system)
    admin = client_for(mailing, "boss@example.org")
    confirm = admin.get(f"/admin/members/{ana}/confirm?action=reset").text
    assert "We e-mail Ana Author a link" in confirm
    r = admin.post(f"/admin/members/{ana}/reset", data={"csrf_token": csrf(confirm)})
    assert "A link to choose a new password is on its way to ana@example.org" in r.text
    [mail] = mails(mailing, "ana@example.org")
    assert "An administrator asked" in mail.body and link_in(mail).startswith("/reset/")
    assert audited(mailing, "member.password_reset_link")


# --- home: what waits for me -------------------------------------------------------------------


def test_home_says_what_waits_for_each_member(org):
    system, channel_id = org
    now = utcnow()
    with system.db.transaction() as s:
        ana = members.actor_for(members.get_member(s, "ana@example.org"))
        rui = members.actor_for(members.get_member(s, "rui@example.org"))
        texts = ["Our annual meeting opens on 3 March in Lisbon.", "Registration for the spring course is open.",
                 "Thank you to every member who volunteered this year."]
        drafts = [workflow.create_draft(s, ana, channel_id, t) for t in texts]
        for d in drafts:
            workflow.submit(s, ana, d.id, system.screening)
        workflow.review(s, rui, drafts[0].id, "request_changes", "Say which venue.")
        soon = Incident(title="Complaint about a post", type="complaint", severity=2, state="open",
                        channel_id=channel_id, ack_deadline=now + timedelta(minutes=14, seconds=30), checklist=[])
        late = Incident(title="Abusive replies", type="abuse", severity=2, state="open", channel_id=channel_id,
                        ack_deadline=now - timedelta(minutes=5, seconds=30), checklist=[])
        s.add_all([soon, late])
        s.add(Comment(channel_id=channel_id, platform_id="c1", text="When is the meeting?", source="import",
                      assigned_to=rui.member_id))
        s.flush()
        ids = drafts[0].id, soon.id, late.id
        links.invite(s, SYSTEM, "nia@example.org", "Nia New", "http://onevoice.test")
    first, soon_id, late_id = ids

    author = client_for(system, "ana@example.org").get("/").text
    assert f'<a href="/drafts/{first}">Your draft #{first} needs changes</a>' in author
    assert "2 of your drafts are with the committee" in author
    assert "wait for your review" not in author and "Incident" not in author

    reviewer = client_for(system, "rui@example.org").get("/").text
    assert '<a href="/review">2 drafts wait for your review</a>' in reviewer
    assert '<a href="/inbox?state=mine">1 comment is assigned to you</a>' in reviewer
    overdue = reviewer.index(f"Incident #{late_id} is overdue by 5 min")
    due = reviewer.index(f"Incident #{soon_id} is due for acknowledgement in 14 min")
    assert overdue < due < reviewer.index("drafts wait for your review")  # nearest deadline first
    assert "has not accepted" not in reviewer

    admin = client_for(system, "boss@example.org").get("/").text
    assert '<a href="/admin/members">1 member has not accepted their invitation yet</a>' in admin
    assert "Incident" not in admin

    with system.db.transaction() as s:
        workflow.review(s, rui, ids[0] + 1, "approve")
    assert "1 draft waits for your review" in client_for(system, "rui@example.org").get("/").text
    nobody = client_for(system, "boss@example.org")
    with system.db.transaction() as s:
        for m in s.scalars(select(Member).where(Member.password_hash.is_(None))):
            members.deactivate_member(s, SYSTEM, m.id)
    assert "Nothing waits for you right now." in nobody.get("/").text
