"""A real local OpenID provider for the single sign-on tests: the npm package oidc-provider (MIT licence,
https://github.com/panva/node-oidc-provider), installed once into a cache folder outside the repository
(~/.cache/onevoice-test/oidc/<version>/, tests/servers/npm.py, with its file lock), and started by
oidc_provider.mjs on a free loopback port: one confidential client with PKCE required, the test users
below, its in-memory adapter, and a login form that asks only for the account (`login` = the user's sub).
The process runs in its own process group and exits by itself when the test process dies (its stdin closes).
One provider per test session (the `oidc_provider` fixture of tests/conftest.py); about 1 s to start.

`TESTSERVER` is the redirect URI of a TestClient's app (base URL http://testserver); `browser_port` is a port
kept for the one live server the browser test starts, whose redirect URI the client also has.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.servers import free_port, npm, terminate

PACKAGES = {"oidc-provider": "9.13.3"}
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID = "onevoice-test"
CLIENT_SECRET = "onevoice-test-secret-0123456789abcdef"
TESTSERVER = "http://testserver"
CALLBACK = "/login/sso/callback"
START_TIMEOUT = float(os.environ.get("ONEVOICE_OIDC_START_TIMEOUT", "60"))

# sub -> claims; the e-mail domain onevoice's tests allow is ipala.test
USERS = {
    "ana": {"email": "ana@ipala.test", "email_verified": True, "name": "Ana Author"},
    "chair": {"email": "chair@ipala.test", "email_verified": True, "name": "Carla Chair"},
    "unverified": {"email": "uma@ipala.test", "email_verified": False, "name": "Uma Unverified"},
    "elsewhere": {"email": "otto@elsewhere.test", "email_verified": True, "name": "Otto Other"},
    "stranger": {"email": "zoe@ipala.test", "email_verified": True, "name": "Zoe Stranger"},
}


@dataclass
class OidcProvider:
    issuer: str
    browser_port: int
    process: subprocess.Popen
    startup_seconds: float
    _log: list[str] = field(default_factory=list)

    def log(self) -> str:
        return "".join(self._log[-200:])

    def stop(self) -> None:
        try:
            terminate(self.process, timeout=10)
        finally:
            if self.process.stdin:
                self.process.stdin.close()


def start(timeout: float = START_TIMEOUT) -> OidcProvider:
    cwd = npm.installed("oidc", PACKAGES)
    port, browser_port = free_port(), free_port()
    env = {**os.environ, "OIDC_PORT": str(port), "OIDC_USERS": json.dumps(USERS), "OIDC_CLIENT_ID": CLIENT_ID,
           "OIDC_CLIENT_SECRET": CLIENT_SECRET,
           "OIDC_REDIRECT_URIS": json.dumps([TESTSERVER + CALLBACK, f"http://127.0.0.1:{browser_port}{CALLBACK}"]),
           "OIDC_PROVIDER_MODULE": str(cwd / "node_modules" / "oidc-provider" / "lib" / "index.js"),
           "NODE_ENV": "test", "NODE_OPTIONS": "--no-deprecation"}
    t0 = time.monotonic()
    proc = subprocess.Popen(["node", str(SCRIPT)], cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    log: list[str] = []
    ready: dict = {}
    got = threading.Event()

    def read() -> None:  # keeps draining the output, so the node process never blocks on a full pipe
        for line in proc.stdout:
            if not ready and line.startswith("{") and '"ready":true' in line:
                ready.update(json.loads(line))
                got.set()
            else:
                log.append(line)
        got.set()

    threading.Thread(target=read, daemon=True, name="oidc-provider-output").start()
    if not got.wait(timeout) or not ready:
        terminate(proc)
        raise RuntimeError(f"the OpenID provider did not start within {timeout:.0f} s:\n{''.join(log)[-3000:]}")
    return OidcProvider(issuer=ready["issuer"], browser_port=browser_port, process=proc,
                        startup_seconds=time.monotonic() - t0, _log=log)


def log_in_at_provider(authorize_url: str, login: str) -> str:
    """What a person does at the provider, with httpx: open the authorization URL, send the login
    form as `login`, follow the provider's redirects; the URL it finally sends the browser back to
    onevoice with (the callback with code and state, or with an error)."""
    import httpx

    issuer = f"{urlsplit(authorize_url).scheme}://{urlsplit(authorize_url).netloc}"
    with httpx.Client(timeout=10) as http:
        url = authorize_url
        for _ in range(12):
            response = http.get(url)
            if response.status_code in (302, 303):
                url = str(httpx.URL(url).join(response.headers["location"]))
                if not url.startswith(issuer):
                    return url
                continue
            form = re.search(r'<form method="post" action="([^"]+)"', response.text)
            assert form, f"the provider showed no login form at {url}: {response.status_code} {response.text[:500]}"
            response = http.post(httpx.URL(url).join(form.group(1)), data={"login": login})
            assert response.status_code in (302, 303), response.text[:500]
            url = str(httpx.URL(url).join(response.headers["location"]))
            if not url.startswith(issuer):
                return url
    raise AssertionError("the provider never sent the browser back")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
