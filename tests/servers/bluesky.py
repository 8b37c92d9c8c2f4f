"""A real local Bluesky network (PLC directory + PDS, optionally the AppView) for the tests.

The npm packages `@atproto/dev-env` and `@atproto/pds` are installed once into a cache folder
outside the project (~/.cache/onevoice-test/bluesky), then every test session starts the
network on free loopback ports and stops it at the end. The full network's AppView stores its
index in a throwaway schema of the PostgreSQL server on 127.0.0.1:5432 and uses the Redis on
127.0.0.1:6379, both already running on the machines.
"""
from __future__ import annotations

import json
import random
import string
import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port

PACKAGES = ("@atproto/dev-env@0.3.215", "@atproto/pds@0.4.217")
CACHE = Path(os.environ.get("ONEVOICE_TEST_CACHE", Path.home() / ".cache" / "onevoice-test")) / "bluesky"
SCRIPT = Path(__file__).with_name("bluesky_network.js")
PASSWORD = "onevoice-test-pass"


def ensure_installed() -> Path:
    if (CACHE / "node_modules" / "@atproto" / "dev-env").exists():
        return CACHE
    if not shutil.which("npm"):
        raise RuntimeError("npm is needed for the Bluesky test network")
    CACHE.mkdir(parents=True, exist_ok=True)
    if not (CACHE / "package.json").exists():
        (CACHE / "package.json").write_text('{"name": "onevoice-test-bluesky", "private": true}')
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", *PACKAGES], cwd=CACHE, check=True,
                   stdout=subprocess.DEVNULL, timeout=900)
    return CACHE


@dataclass
class BlueskyNetwork:
    pds: str
    plc: str
    appview: str | None
    appview_did: str | None
    process: subprocess.Popen
    schema: str | None = None

    def create_account(self, name: str) -> dict:
        from atproto import Client, models

        handle = f"{name}{uuid.uuid4().hex[:6]}.test"
        client = Client(base_url=self.pds)
        created = client.com.atproto.server.create_account(models.ComAtprotoServerCreateAccount.Data(
            handle=handle, email=f"{handle}@example.test", password=PASSWORD))
        client.login(handle, PASSWORD, fetch_bsky_profile=False)
        return {"handle": handle, "password": PASSWORD, "did": created.did, "client": client}

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.schema:
            import psycopg

            # dev-env prefixes the schema per service (appview_…, ozone_…)
            with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
                names = [r[0] for r in conn.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"%{self.schema}%",))]
                for name in names:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def start(full: bool = False, timeout: float = 180) -> BlueskyNetwork:
    cwd = ensure_installed()
    env = {**os.environ, "PDS_PORT": str(free_port()), "PLC_PORT": str(free_port()),
           "NODE_PATH": str(cwd / "node_modules"), "LOG_ENABLED": "false"}
    schema = None
    if full:
        schema = "onevoice_bsky_" + "".join(random.choice(string.ascii_lowercase) for _ in range(8))
        env.update(FULL="1", BSKY_PORT=str(free_port()), OZONE_PORT=str(free_port()), DB_POSTGRES_SCHEMA=schema,
                   DB_POSTGRES_URL="postgresql://postgres@127.0.0.1:5432/postgres", REDIS_HOST="127.0.0.1:6379")
    proc = subprocess.Popen(["node", str(SCRIPT)], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("{") and '"ready":true' in line:
            info = json.loads(line)
            return BlueskyNetwork(info["pds"], info["plc"], info.get("appview"), info.get("appviewDid"), proc, schema)
        if proc.poll() is not None:
            raise RuntimeError(f"the Bluesky network did not start: {proc.stderr.read()[-2000:]}")
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("the Bluesky network did not start in time")
