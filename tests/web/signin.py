"""Signing in through the sign-in form from a TestClient, as a browser does: fetch the form (and
its CSRF cookie), then post it with the form's token."""
from __future__ import annotations

import re


def form_token(client) -> str:
    page = client.get("/login", headers={"accept": "text/html"}).text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, email: str, password: str, **kwargs):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": form_token(client)},
                       **kwargs)


def csrf(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in_client(system, email: str, password: str = "a long password 1"):
    """A TestClient over the web app, signed in through the form as `email`."""
    from fastapi.testclient import TestClient

    from onevoice.web.app import create_app

    c = TestClient(create_app(system, scheduler=False))
    assert sign_in(c, email, password, follow_redirects=False).status_code == 303
    return c
