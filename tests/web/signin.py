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
