"""Two-factor sign-in in a real Chromium: a member sets it up from the account page (secret, QR
code, a first code), keeps the recovery codes, signs out, and signs in again with password and code."""
from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from onevoice.governance import members, two_factor
from onevoice.governance.permissions import SYSTEM
from onevoice.store.models import utcnow

from .conftest import PASSWORD, sign_in

pytestmark = pytest.mark.slow


def test_enrol_then_sign_in_with_a_code(live, new_page, monkeypatch):
    now = [utcnow()]
    monkeypatch.setattr(two_factor, "clock", lambda: now[0])  # the server runs in this process
    with live.system.db.transaction() as s:
        members.add_member(s, SYSTEM, "ana@example.org", "Ana Author", PASSWORD)
    page = new_page()
    sign_in(page, live, "ana@example.org", PASSWORD)
    page.goto(f"{live.url}/account")
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    assert page.locator("img.qr").is_visible()
    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("The 6-digit code the app shows").fill(pyotp.TOTP(secret).at(now[0]))
    page.get_by_role("button", name="Turn two-factor sign-in on").click()
    assert page.locator(".recovery-codes li").count() == 10
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live.url}/login")

    page.get_by_label("E-mail").fill("ana@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/login/code")
    now[0] += timedelta(seconds=30)
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(now[0]))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")
    assert page.get_by_role("link", name="Ana Author").is_visible()
