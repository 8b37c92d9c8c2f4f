"""Single sign-on in a real Chromium against the real OpenID provider (tests/servers/oidc.py): the
sign-in page's "Sign in with Test provider", the provider's login form, and back at onevoice signed
in, on the page the member first asked for; signing out and in again matches by subject."""
from __future__ import annotations

import dataclasses

import pytest

from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.system import System
from tests.servers import oidc

from .conftest import LiveServer

pytestmark = pytest.mark.slow


def test_sign_in_with_the_provider_in_a_browser(sqlite_system, oidc_provider, new_page):
    port = oidc_provider.browser_port
    system = System(dataclasses.replace(sqlite_system.settings, base_url=f"http://127.0.0.1:{port}",
                                        oidc_issuer=oidc_provider.issuer, oidc_client_id=oidc.CLIENT_ID,
                                        oidc_client_secret=oidc.CLIENT_SECRET, oidc_name="Test provider",
                                        oidc_allowed_domain="ipala.test"))
    with system.db.transaction() as s:
        members.add_member(s, SYSTEM, "ana@ipala.test", "Ana Author", without_password=True)
    with LiveServer(system, port=port) as live:
        page = new_page()
        page.goto(f"{live.url}/drafts")  # not signed in: to the sign-in page, which remembers where to
        page.wait_for_url(f"{live.url}/login**")
        page.get_by_role("link", name="Sign in with Test provider").click()
        page.wait_for_url(f"{oidc_provider.issuer}/interaction/**")
        page.get_by_label("Account").fill("ana")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(f"{live.url}/drafts")
        assert "Ana Author" in page.content()

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{live.url}/login**")
        page.get_by_role("link", name="Sign in with Test provider").click()  # the provider remembers ana
        page.wait_for_url(f"{live.url}/")
        assert "Ana Author" in page.content()
    system.db.dispose()
