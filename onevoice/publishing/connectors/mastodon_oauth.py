"""Signing in to a Mastodon server as the organization's account: the OAuth 2 authorization-code
flow Mastodon documents (docs.joinmastodon.org/spec/oauth, /methods/apps, /methods/oauth).

1. `register_app`: POST /api/v1/apps with onevoice's redirect URI and the scopes it needs
   ("read write": post, delete, read replies, mentions and counts). The server answers with a
   client id and secret for this app.
2. `authorize_url`: where the admin's browser goes to sign in and press "Authorize". It carries
   the `state` the caller made (bound to the admin's session) and a PKCE challenge (S256): a
   server from Mastodon 4.3 on checks it, an older one ignores it, so it is always sent.
3. `exchange_code`: POST /oauth/token with the code the server sent back, the client secret and
   the PKCE verifier; the answer is the access token, which the caller stores encrypted.

The connections go to public addresses only unless `allow_private_urls` (checked_http.py), as
every connector's do. A refusal carries the server's own words (`error_description`).
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from . import checked_http
from .addresses import PrivateAddress
from .base import ConnectorError

SCOPES = "read write"
CLIENT_NAME = "onevoice"
TIMEOUT = 20


@dataclass(frozen=True)
class App:
    """An app registered on one server (its secret is stored with the token, encrypted)."""

    base_url: str
    client_id: str
    client_secret: str


def challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 4.2): what the authorize link carries, while the
    verifier itself waits, sealed, for the code exchange."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), RFC 7636."""
    verifier = secrets.token_urlsafe(48)
    return verifier, challenge(verifier)


def _session(allow_private_urls: bool) -> requests.Session:
    return requests.Session() if allow_private_urls else checked_http.requests_session()


def _post(url: str, data: dict[str, Any], allow_private_urls: bool) -> dict[str, Any]:
    try:
        with _session(allow_private_urls) as http:
            response = http.post(url, data=data, timeout=TIMEOUT, allow_redirects=False)
    except PrivateAddress as exc:
        raise ConnectorError(str(exc), retryable=False) from None
    except requests.RequestException as exc:
        if isinstance(exc.__context__, PrivateAddress):
            raise ConnectorError(str(exc.__context__), retryable=False) from None
        raise ConnectorError(f"the Mastodon server did not answer: {type(exc).__name__}", retryable=True) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400 or not isinstance(body, dict):
        words = (body or {}).get("error_description") or (body or {}).get("error") if isinstance(body, dict) else None
        raise ConnectorError(f"the Mastodon server refused ({response.status_code}): "
                             f"{words or response.text[:200] or 'no reason given'}",
                             retryable=response.status_code >= 500, status=response.status_code)
    return body


def register_app(base_url: str, redirect_uri: str, website: str | None = None, *,
                 allow_private_urls: bool = False) -> App:
    base = base_url.rstrip("/")
    body = _post(f"{base}/api/v1/apps", {"client_name": CLIENT_NAME, "redirect_uris": redirect_uri,
                                         "scopes": SCOPES, **({"website": website} if website else {})},
                 allow_private_urls)
    if not body.get("client_id") or not body.get("client_secret"):
        raise ConnectorError("the Mastodon server registered the app but sent no client id or secret", retryable=False)
    return App(base, str(body["client_id"]), str(body["client_secret"]))


def authorize_url(app: App, redirect_uri: str, state: str, code_challenge: str) -> str:
    return f"{app.base_url}/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": app.client_id, "redirect_uri": redirect_uri, "scope": SCOPES,
        "state": state, "code_challenge": code_challenge, "code_challenge_method": "S256"})


def exchange_code(app: App, code: str, redirect_uri: str, code_verifier: str, *,
                  allow_private_urls: bool = False) -> str:
    """The access token for the code; ConnectorError with the server's words when refused."""
    body = _post(f"{app.base_url}/oauth/token", {
        "grant_type": "authorization_code", "code": code, "client_id": app.client_id,
        "client_secret": app.client_secret, "redirect_uri": redirect_uri, "code_verifier": code_verifier,
        "scope": SCOPES}, allow_private_urls)
    token = body.get("access_token")
    if not token:
        raise ConnectorError("the Mastodon server sent no access token", retryable=False)
    return str(token)
