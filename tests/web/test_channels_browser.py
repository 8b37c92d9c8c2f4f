"""Connecting the official channels in a real Chromium, against real servers: the admin adds a Mastodon
channel by signing in on a real Mastodon-API server (snac2, tests/servers/snac.py) through its own sign-in
form, or with a pasted token; a Bluesky channel with a handle and an app password on the real local Bluesky
PDS (tests/servers/bluesky.py); "Test connection" names the account, and once the server has revoked the
credentials it says "credentials failing since ...". Wrong credentials are refused and nothing is stored."""
from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select, text

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import AuditEvent, Channel

from .conftest import PASSWORD, LiveServer, sign_in
from .test_browser import shot

pytestmark = pytest.mark.slow
ADMIN = "boss@example.org"


@pytest.fixture
def admin_live(sqlite_system):
    """A live onevoice server with an admin. Its base_url is the live URL (the OAuth redirect_uri is built from
    it) and channel addresses may be on loopback (make_system: allow_private_urls), where the test servers are."""
    system = sqlite_system
    assert system.settings.allow_private_urls
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, ADMIN, "Bea Boss", PASSWORD, ("admin",))
    server = LiveServer(system)
    system.settings = dataclasses.replace(system.settings, base_url=server.url)
    with server:
        yield server


@pytest.fixture
def admin(admin_live, new_page):
    page = new_page()
    sign_in(page, admin_live, ADMIN, PASSWORD)
    page.goto(f"{admin_live.url}/admin/channels")
    return page


def stored(live) -> list[tuple]:
    """The channels' rows as the database holds them: (platform, handle, the raw credentials column)."""
    with live.system.db.reader() as s:
        return [tuple(r) for r in s.execute(text("SELECT platform, handle, credentials FROM channels ORDER BY id"))]


def channel_adds(live) -> int:
    with live.system.db.reader() as s:
        return len(s.scalars(select(AuditEvent).where(AuditEvent.action == "channel.add")).all())


def channel_of(live, handle: str) -> Channel:
    with live.system.db.reader() as s:
        channel = s.scalar(select(Channel).where(Channel.handle == handle))
        s.expunge(channel)
        return channel


def row(page, name: str):
    return page.locator("table.channels-table tbody tr", has=page.get_by_role("link", name=name, exact=True))


def flash(page) -> str:
    return page.locator("p.flash").inner_text()


def error(page) -> str:
    return page.locator("p.error[role=alert]").inner_text()


def test_mastodon_sign_in_on_the_server(snac, admin_live, admin):
    """Add a channel by signing in on snac's own form; the token is stored encrypted; "Test connection";
    the token revoked on the server: failing; signing in again from the channel's page: connected again."""
    page, live = admin, admin_live
    page.get_by_label("Server address").fill(snac.url)
    page.get_by_label("Name shown in onevoice (optional)").first.fill("IPALA on snac")
    page.get_by_role("button", name="Sign in on the server").click()
    page.wait_for_url(f"{live.url}/admin/channels/connect")
    server = snac.url.split("://", 1)[1]
    assert page.get_by_role("heading", level=1).inner_text() == f"Sign in on {server}"
    shot(page, "admin-channels-connect")
    page.get_by_role("link", name=f"Continue to {server}").click()

    # snac's own sign-in form (its authorize page), on the server; a wrong password first
    page.wait_for_url(re.compile(rf"^http://({re.escape(server)}|{re.escape(snac.host)})/oauth/authorize\?"))
    assert "OAuth identify" in page.locator("h1").inner_text()
    page.locator("input[name=login]").fill("alice")
    page.locator("input[name=passwd]").fill("not alice's password")
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()
    assert "LOGIN INCORRECT" in page.content()
    page.locator("input[name=login]").fill("alice")
    page.locator("input[name=passwd]").fill(snac.passwords["alice"])
    page.locator("input[type=submit]").click()

    # back on onevoice, through /admin/channels/oauth/callback
    page.wait_for_url(re.compile(rf"^{re.escape(live.url)}/admin/channels\?flash="))
    assert flash(page) == "Connected as @alice@localhost."
    alice = row(page, "IPALA on snac")
    assert "connected" in alice.locator(".channel-status").inner_text()
    assert "as @alice@localhost" in alice.inner_text()

    [(platform, handle, raw)] = stored(live)
    assert (platform, handle) == ("mastodon", "alice@localhost")
    credentials = live.system.box.open(raw)
    token = credentials["access_token"]
    assert snac.verify(token).json()["username"] == "alice"  # the token onevoice got is a real one
    assert token.encode() not in raw and credentials["client_secret"].encode() not in raw  # stored encrypted

    # "Test connection" reaches the account; then the token is revoked on the server
    alice.get_by_role("button", name="Test connection of IPALA on snac").click()
    page.wait_for_url(re.compile(r"flash="))
    assert flash(page) == "Connected as @alice@localhost."
    snac.revoke(token, credentials)  # revoking needs the app's client id and secret, which onevoice stored
    assert snac.verify(token).status_code != 200
    row(page, "IPALA on snac").get_by_role("button", name="Test connection of IPALA on snac").click()
    page.wait_for_url(re.compile(r"/admin/channels/\d+/test$"))
    assert error(page).startswith("The connection test failed: the access token is invalid or was revoked")
    status = row(page, "IPALA on snac").locator(".channel-status").inner_text()
    assert re.search(r"credentials failing\s+since \w{3} \d+ \w{3}, \d\d:\d\d \(UTC\)", status), status

    # sign in again from the channel's own page: the same account, new credentials, connected again
    channel_id = channel_of(live, "alice@localhost").id
    page.goto(f"{live.url}/admin/channels/{channel_id}")
    page.locator("section[aria-labelledby=creds-h]").get_by_role("button", name="Sign in on the server").click()
    page.wait_for_url(f"{live.url}/admin/channels/connect")
    assert "connect the channel" in page.locator(".channel-connect").inner_text()
    page.get_by_role("link", name=f"Continue to {server}").click()
    page.locator("input[name=login]").fill("alice")
    page.locator("input[name=passwd]").fill(snac.passwords["alice"])
    page.locator("input[type=submit]").click()
    page.wait_for_url(re.compile(rf"^{re.escape(live.url)}/admin/channels\?flash="))
    assert flash(page) == "Connected as @alice@localhost."
    assert "connected" in row(page, "IPALA on snac").locator(".channel-status").inner_text()
    [(_, _, raw_again)] = stored(live)
    assert live.system.box.open(raw_again)["access_token"] != token


def test_mastodon_pasted_token(snac, admin_live, admin):
    """A wrong token is refused and nothing is stored; a real one connects; after it is revoked, the
    channel's page says "credentials failing since ..."."""
    page, live = admin, admin_live
    page.get_by_label("Server address").fill(snac.url)
    page.get_by_label("Name shown in onevoice (optional)").first.fill("Bob's channel")
    page.get_by_text("Or paste an access token instead").click()
    page.get_by_label("Access token").fill("0123456789abcdef-not-a-token")
    page.get_by_role("button", name="Add with this token").click()
    page.wait_for_load_state()
    assert error(page) == (f"{snac.url} refused these credentials: the access token is invalid or was revoked "
                           "(the server answered 422 Unprocessable Content). Nothing was stored.")
    assert stored(live) == [] and channel_adds(live) == 0
    assert page.get_by_label("Server address").input_value() == snac.url  # kept, the token is not
    assert page.get_by_label("Access token").input_value() == ""

    token = snac.token("bob")
    page.get_by_text("Or paste an access token instead").click()
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Add with this token").click()
    page.wait_for_url(re.compile(r"flash="))
    assert flash(page) == "Connected as @bob@localhost."
    [(platform, handle, raw)] = stored(live)
    assert (platform, handle) == ("mastodon", "bob@localhost") and token.encode() not in raw
    assert live.system.box.open(raw) == {"access_token": token}

    page.get_by_role("link", name="Edit Bob's channel").click()
    page.get_by_role("button", name="Test connection").click()
    page.wait_for_url(re.compile(r"/admin/channels/\d+\?flash="))
    assert flash(page) == "Connected as @bob@localhost."
    assert "as @bob@localhost" in page.locator(".channel-state").inner_text()
    snac.revoke(token)
    page.get_by_role("button", name="Test connection").click()
    page.wait_for_url(re.compile(r"/admin/channels/\d+/test\?from=channel$"))
    assert error(page).startswith("The connection test failed: the access token is invalid or was revoked")
    assert page.locator("p.flash").count() == 0  # a failure is an alert, not the green note of a success
    state = page.locator(".channel-state .channel-status").inner_text()
    assert re.search(r"credentials failing\s+since .+\(UTC\): the access token is invalid or was revoked", state), state
    shot(page, "admin-channel-edit")


def test_bluesky_app_password(bluesky_pds, admin_live, admin):
    """A wrong app password is refused and nothing is stored; an app password made on the PDS connects;
    "Test connection" names the account, and once the app password is revoked there, it fails."""
    page, live = admin, admin_live
    account = bluesky_pds.create_account("org")
    client, handle = account["client"], account["handle"]
    app_password = client.com.atproto.server.create_app_password({"name": "onevoice"}).password

    form = page.locator("form[aria-labelledby=add-bluesky-h]")
    form.get_by_label("Handle").fill(handle)
    form.get_by_label("App password").fill("wrong-pass-word-here")
    form.get_by_label("Server (PDS) address").fill(bluesky_pds.pds)
    form.get_by_label("Name shown in onevoice (optional)").fill("IPALA on Bluesky")
    form.get_by_role("button", name="Connect").click()
    page.wait_for_load_state()
    assert error(page).startswith(f"{bluesky_pds.pds} refused these credentials: ")
    assert error(page).endswith("Nothing was stored.") and "Invalid identifier or password" in error(page)
    assert stored(live) == [] and channel_adds(live) == 0
    assert form.get_by_label("Handle").input_value() == handle and form.get_by_label("App password").input_value() == ""

    form.get_by_label("App password").fill(app_password)
    form.get_by_role("button", name="Connect").click()
    page.wait_for_url(re.compile(r"flash="))
    assert flash(page) == f"Connected as @{handle}."
    [(platform, stored_handle, raw)] = stored(live)
    assert (platform, stored_handle) == ("bluesky", handle) and app_password.encode() not in raw

    bluesky = row(page, "IPALA on Bluesky")
    bluesky.get_by_role("button", name="Test connection of IPALA on Bluesky").click()
    page.wait_for_url(re.compile(r"flash="))
    assert flash(page) == f"Connected as @{handle}."
    client.com.atproto.server.revoke_app_password({"name": "onevoice"})
    row(page, "IPALA on Bluesky").get_by_role("button", name="Test connection of IPALA on Bluesky").click()
    page.wait_for_url(re.compile(r"/admin/channels/\d+/test$"))
    assert error(page).startswith("The connection test failed: ") and "Invalid identifier or password" in error(page)
    status = row(page, "IPALA on Bluesky").locator(".channel-status").inner_text()
    assert re.search(r"credentials failing\s+since .+\(UTC\)", status), status
