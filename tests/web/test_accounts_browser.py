"""Accounts in a real Chromium: the admin grants roles from the members page and invites a member;
the invitation goes out through the notification outbox to a real SMTP server (aiosmtpd), and the
link in the delivered e-mail is followed; "Forgot password?" the same way, which signs the member
out of their other browser; the account page; and the home page's "what waits for you" for the
committee and for an author on the demo organization. axe-core checks each new page."""
from __future__ import annotations

import dataclasses
import re
import time

import pytest

from onevoice import notify
from onevoice.governance import channels, members
from onevoice.governance.permissions import SYSTEM
from onevoice.system import System
from tests.servers import npm
from tests.servers.smtp import smtp_server  # noqa: F401 -- session fixture: the real SMTP server

from .conftest import PASSWORD, LiveServer, sign_in
from .test_accessibility import AXE, PHONE, axe_violations
from .test_browser import shot

pytestmark = pytest.mark.slow
NEW = "my own passphrase 7"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def contexts(browser):
    """Browser contexts (separate browsers, as far as cookies go) with axe-core injected."""
    axe = npm.installed("axe", AXE) / "node_modules" / "axe-core" / "axe.min.js"
    made = []

    def make(size=DESKTOP):
        ctx = browser.new_context(viewport=size)
        ctx.add_init_script(path=str(axe))
        made.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in made:
        ctx.close()


def check_and_shoot(page, name: str, problems: list[str]) -> None:
    """axe on desktop and phone, no sideways scroll on the phone, and both screenshots."""
    problems += [f"{name}: {v}" for v in axe_violations(page)]
    shot(page, name)
    page.set_viewport_size(PHONE)
    problems += [f"{name} [phone]: {v}" for v in axe_violations(page)]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{name} [phone]: scrolls sideways ({width}px)")
    shot(page, f"phone-{name}")
    page.set_viewport_size(DESKTOP)


def delivered_link(system, smtp, to: str) -> str:
    """What the notification worker does, then the link in the e-mail the SMTP server received."""
    assert notify.deliver_due(system.db, system.settings)["sent"] >= 1
    [msg] = [m for m in smtp.messages() if m["To"] == to]
    smtp.clear()
    return re.search(r"https?://\S+/(?:invite|reset)/[A-Za-z0-9_-]+", msg.get_payload(decode=True).decode()).group(0)


@pytest.fixture
def mail_org(sqlite_system, smtp_server):
    if not smtp_server.running:
        smtp_server.start()
    smtp_server.clear()
    system = System(dataclasses.replace(sqlite_system.settings, smtp={
        "host": "127.0.0.1", "port": str(smtp_server.port), "from": "onevoice@ipala.test"}))
    with system.db.transaction() as s:
        channels.add_channel(s, SYSTEM, system.box, "bluesky", "ipala.test")
        members.add_member(s, SYSTEM, "boss@example.org", "Bea Boss", PASSWORD, ("admin",))
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
        members.add_member(s, SYSTEM, "rui@example.org", "Rui Reviewer", PASSWORD)
    server = LiveServer(system)
    system.settings = dataclasses.replace(system.settings, base_url=server.url)  # the links point here
    with server:
        yield server, smtp_server
    system.db.dispose()


def grant(admin, member: str, role: str, channel: str | None = None) -> None:
    admin.get_by_label("Member", exact=True).select_option(label=member)
    admin.get_by_label("Role", exact=True).select_option(label=role)
    if channel:
        admin.locator("#channel").select_option(label=channel)
    admin.get_by_role("button", name="Grant").click()
    admin.wait_for_url(re.compile(r"flash="))


def row(page, name: str) -> str:
    return page.locator("table.members-table tr", has=page.locator("td", has_text=name)).inner_text()


def test_roles_invitation_forgotten_password_and_account_in_chromium(mail_org, contexts):
    live, smtp = mail_org
    system, problems = live.system, []

    # 1. roles, granted from the members page (a member picked by name and e-mail), shown in words
    admin = contexts()
    sign_in(admin, live, "boss@example.org", PASSWORD)
    admin.goto(f"{live.url}/admin/members")
    grant(admin, "Rui Reviewer — rui@example.org", "Authorized member of a channel", "@ipala.test (bluesky)")
    assert "authorized on @ipala.test (bluesky)" in row(admin, "Rui Reviewer")
    grant(admin, "Ana Author — ana@example.org", "Committee member")
    assert "committee" in row(admin, "Ana Author")
    assert "authorized:" not in admin.inner_text("main")

    # 2. an invitation by e-mail, delivered by the real SMTP server, the link followed in Chromium
    admin.get_by_label("Name", exact=True).fill("Nia New")
    admin.get_by_label("E-mail", exact=True).fill("nia@example.org")
    admin.get_by_label("Role (optional)").select_option(label="Committee member")
    admin.get_by_role("button", name="Send invitation").click()
    admin.wait_for_url(re.compile(r"flash="))
    assert "Invitation e-mailed to Nia New" in admin.get_by_role("status").inner_text()
    assert "invited" in row(admin, "Nia New")
    check_and_shoot(admin, "admin-members-invite", problems)
    admin.get_by_role("link", name="Deactivate Rui Reviewer").click()
    assert "Deactivate Rui Reviewer?" in admin.locator("h1").inner_text()
    check_and_shoot(admin, "admin-member-confirm", problems)
    admin.get_by_role("link", name="Cancel").click()

    link = delivered_link(system, smtp, "nia@example.org")
    nia = contexts()
    nia.goto(link)
    assert "Nia New" in nia.inner_text("main")
    check_and_shoot(nia, "invite-acceptance", problems)
    nia.get_by_label("New password (at least 10 characters)").fill(NEW)
    nia.get_by_label("New password again").fill(NEW)
    nia.get_by_role("button", name="Set my password and sign in").click()
    nia.wait_for_url(re.compile(r"/\?flash="))
    assert "Welcome, Nia New" in nia.locator("h1").inner_text()
    nia.goto(link)
    assert "expired or was already used" in nia.get_by_role("alert").inner_text()

    # 3. "Forgot password?": Ana is signed in on another browser, which is signed out by the reset
    other = contexts()
    sign_in(other, live, "ana@example.org", PASSWORD)
    ana = contexts()
    ana.goto(f"{live.url}/login")
    ana.get_by_role("link", name="Forgot password?").click()
    ana.get_by_label("E-mail").fill("ana@example.org")
    check_and_shoot(ana, "forgot-password", problems)
    ana.get_by_role("button", name="Send me a link").click()
    assert "is on its way" in ana.get_by_role("status").inner_text()
    ana.goto(delivered_link(system, smtp, "ana@example.org"))
    check_and_shoot(ana, "reset-password", problems)
    ana.get_by_label("New password (at least 10 characters)").fill(NEW)
    ana.get_by_label("New password again").fill(NEW)
    ana.get_by_role("button", name="Set my new password").click()
    ana.wait_for_url(re.compile(r"/\?flash="))
    other.goto(f"{live.url}/drafts")
    assert other.url.startswith(f"{live.url}/login"), "the other browser is still signed in"

    # 4. the account page: time zone and password
    ana.goto(f"{live.url}/account")
    ana.get_by_label("Your time zone").select_option("Europe/Lisbon")
    ana.get_by_role("button", name="Save time zone").click()
    ana.wait_for_url(re.compile(r"flash="))
    assert "Europe/Lisbon" in ana.get_by_role("status").inner_text()
    assert "(Europe/Lisbon)" in ana.inner_text("main")
    assert "committee" in ana.locator(".account-who").inner_text()
    check_and_shoot(ana, "account", problems)
    assert problems == [], "\n".join(problems)


def test_home_says_what_waits_for_the_committee_and_for_an_author(demo_org, contexts):
    live, _, incident_id = demo_org
    problems = []
    chair = contexts()
    sign_in(chair, live, "chair@example.org", PASSWORD)
    waiting = chair.locator(".waiting-list").inner_text()
    assert re.search(r"Incident #\d+ (is due for acknowledgement|is overdue by)", waiting), waiting
    assert re.search(r"\d+ drafts? waits? for your review", waiting), waiting
    chair.get_by_role("link", name=re.compile(r"drafts? waits? for your review")).click()
    chair.wait_for_url(f"{live.url}/review")
    chair.goto(f"{live.url}/")
    check_and_shoot(chair, "home-committee", problems)
    best = min(_timed(chair, f"{live.url}/") for _ in range(5))
    assert best < 0.3, f"the home page took {best * 1000:.0f} ms on the demo organization"

    author = contexts()
    sign_in(author, live, "ana@example.org", PASSWORD)
    waiting = author.locator(".waiting-list").inner_text()
    assert re.search(r"\d+ of your drafts? (is|are) with the committee", waiting), waiting
    assert "Incident" not in waiting and "for your review" not in waiting
    check_and_shoot(author, "home-author", problems)
    assert problems == [], "\n".join(problems)


def _timed(page, url: str) -> float:
    start = time.perf_counter()
    assert page.request.get(url).status == 200
    return time.perf_counter() - start
