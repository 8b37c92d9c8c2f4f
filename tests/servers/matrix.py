"""A real Matrix homeserver (Synapse, SQLite, client API only, no federation) for the tests.

Adapted from the project's shared server recipe matrix-synapse.sh / matrix_smoke.py (the same
config changes: one plain-HTTP client listener on 127.0.0.1, no federation listener, no key
servers, registration closed, rate limits lifted). Synapse (AGPL-3.0, run as a separate program,
not imported or shipped) is installed once from PyPI into its own venv outside the project,
~/.cache/onevoice-test/synapse ($ONEVOICE_TEST_CACHE overrides ~/.cache/onevoice-test), because its
pinned dependencies may clash with ours; later sessions reuse it. Every test session generates
a fresh config and SQLite database in a temp folder, starts Synapse on a free loopback port and
registers users through the shared-secret admin API. Startup: ~16 s for the one-time install,
then about 2.5 s per session.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import yaml

from tests.servers import free_port

VERSION = "1.163.2"
CACHE = Path(os.environ.get("ONEVOICE_TEST_CACHE", Path.home() / ".cache" / "onevoice-test")) / "synapse"
SERVER_NAME = "localhost"


def ensure_installed() -> Path:
    """The synapse venv's python, creating the venv and installing Synapse only if missing."""
    py = CACHE / "bin" / "python"
    check = [str(py), "-c", f"import synapse, sys; sys.exit(synapse.__version__ != {VERSION!r})"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return py
    if not py.exists():
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["python3", "-m", "venv", str(CACHE)], check=True, timeout=300)
    subprocess.run([str(py), "-m", "pip", "install", "-q", f"matrix-synapse=={VERSION}"], check=True,
                   timeout=900, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return py


@dataclass
class User:
    user_id: str
    token: str


@dataclass
class MatrixServer:
    url: str
    folder: Path
    process: subprocess.Popen
    shared_secret: str
    startup_seconds: float = 0.0
    users: dict[str, User] = field(default_factory=dict)
    room: str | None = None  # set per test by the `matrix` fixture in tests/notify/conftest.py

    def _call(self, method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = httpx.request(method, self.url + path, json=body, headers=headers, timeout=30)
        r.raise_for_status()
        return r.json()

    def register(self, name: str, password: str | None = None) -> User:
        """A new user through the shared-secret admin registration API (as register_new_matrix_user does)."""
        password = password or f"{name}-pass-123"
        nonce = self._call("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.shared_secret.encode(), b"\x00".join(
            [nonce.encode(), name.encode(), password.encode(), b"notadmin"]), hashlib.sha1).hexdigest()
        r = self._call("POST", "/_synapse/admin/v1/register",
                       body={"nonce": nonce, "username": name, "password": password, "admin": False, "mac": mac})
        user = User(r["user_id"], r["access_token"])
        self.users[name] = user
        return user

    def create_room(self, owner: User, *members: User, name: str = "IPALA committee",
                    alias: str | None = None) -> str:
        body = {"name": name, "preset": "private_chat", "invite": [m.user_id for m in members]}
        if alias:
            body["room_alias_name"] = alias
        room = self._call("POST", "/_matrix/client/v3/createRoom", owner.token, body)["room_id"]
        for m in members:
            self._call("POST", f"/_matrix/client/v3/join/{room}", m.token, {})
        return room

    def messages(self, room: str, reader: User, limit: int = 50) -> list[dict]:
        """The m.room.message events of a room, oldest first, as `reader` sees them."""
        chunk = self._call("GET", f"/_matrix/client/v3/rooms/{room}/messages?dir=b&limit={limit}",
                           reader.token)["chunk"]
        return [e for e in reversed(chunk) if e["type"] == "m.room.message"]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def start(timeout: float = 90.0) -> MatrixServer:
    py = ensure_installed()
    t0 = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="onevoice-synapse-"))
    cfg = folder / "homeserver.yaml"
    port = free_port()
    subprocess.run([str(py), "-m", "synapse.app.homeserver", "--server-name", SERVER_NAME, "--config-path", str(cfg),
                    "--data-directory", str(folder), "--generate-config", "--report-stats=no"],
                   check=True, timeout=120, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c = yaml.safe_load(cfg.read_text())
    c["listeners"] = [{"port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
                       "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}]}]
    big = {"per_second": 1000, "burst_count": 1000}  # tests must not hit rate limits
    c.update(trusted_key_servers=[], suppress_key_server_warning=True, federation_domain_whitelist=[],
             enable_registration=False, report_stats=False, rc_message=big, rc_registration=big,
             rc_joins={"local": big}, rc_login={"address": big, "account": big, "failed_attempts": big})
    cfg.write_text(yaml.safe_dump(c))
    with open(folder / "synapse.out", "wb") as log:
        process = subprocess.Popen([str(py), "-m", "synapse.app.homeserver", "-c", str(cfg)], cwd=folder,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = MatrixServer(f"http://127.0.0.1:{port}", folder, process, c["registration_shared_secret"])
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            out = (folder / "synapse.out").read_text(errors="replace")[-3000:]
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"Synapse exited with {process.returncode}:\n{out}")
        try:
            if httpx.get(server.url + "/_matrix/client/versions", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"Synapse did not answer within {timeout} s")
        time.sleep(0.1)
    server.startup_seconds = time.perf_counter() - t0
    return server


@pytest.fixture(scope="session")
def matrix_server():
    """Synapse for the whole test session, with two users: the bot "onevoice" and "chair"."""
    server = start()
    server.register("onevoice")
    server.register("chair")
    yield server
    server.stop()
