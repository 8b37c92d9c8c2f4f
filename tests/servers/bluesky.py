"""A real local Bluesky network for the tests: did:plc directory + PDS, optionally the AppView.

Provenance: adapted from the project's shared server recipes (/work/shared/recipes/servers/
bluesky-pds.sh, start-pds.js, start-bsky-full.js, bsky_smoke.py, bsky_appview_smoke.py). The servers are
Bluesky's own reference implementation, the npm packages @atproto/dev-env and @atproto/pds (MIT licence,
https://github.com/bluesky-social/atproto), installed once into a cache folder outside the repository
(~/.cache/onevoice-test/bluesky/<versions>/, or $ONEVOICE_TEST_CACHE/bluesky/<versions>/), reused by every
later run; `npm install` only runs when that folder is missing (first run: about 70 s; with no npm cache more).

Two flavours, each a session fixture of tests/conftest.py:
  bluesky_pds   PLC + PDS (SQLite, disk blobs): posting, replies, blobs, records, sessions. About 2 s to start.
  bluesky_full  PLC + PDS + AppView (bsky) + Ozone: threads, counts, notifications, profiles. About 4-5 s.
The full network keeps its index in a fresh database on the PostgreSQL server at 127.0.0.1:5432 (CI runs one:
trust auth, user postgres), created here and dropped at the end; without that server a throwaway cluster is
started from Debian's binaries (tests/servers/postgres_cluster.py). dev-env insists on REDIS_HOST, but the
AppView of this version never connects to it; it is pointed at the machine's Redis (127.0.0.1:6379).
Every listener binds 127.0.0.1 (bluesky_network.js forces it). The node process runs in its own process group,
killed as a whole at the end, and exits by itself when the test process dies (its stdin closes).

The AppView indexes asynchronously (it follows the PDS's firehose): use `eventually` to wait, with a deadline.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.servers import (PG_HOST, PG_PORT, alive, free_port, npm, poll_until, postgres_available, sweep_workdirs,
                           terminate)

PACKAGES = {"@atproto/dev-env": "0.3.215", "@atproto/pds": "0.4.217"}
SCRIPT = Path(__file__).with_name("bluesky_network.js")
PASSWORD = "onevoice-test-pass"
REDIS = os.environ.get("ONEVOICE_TEST_REDIS", "127.0.0.1:6379")
PREFIX = "onevoice_bsky_"  # + the pid of the test process + random: what a killed session left behind is found
START_TIMEOUT = float(os.environ.get("ONEVOICE_BSKY_START_TIMEOUT", "120"))


def ensure_installed() -> Path:
    return npm.installed("bluesky", PACKAGES)


class _Postgres:
    """A fresh database for one network: on the machine's server, else in a throwaway cluster."""

    def __init__(self, workdir: Path) -> None:
        self.cluster = None
        if postgres_available():
            host, port = PG_HOST, PG_PORT
        else:
            from tests.servers import postgres_cluster

            if os.environ.get("CI") or not postgres_cluster.available():
                pytest.fail("the Bluesky AppView needs PostgreSQL on 127.0.0.1:5432 (or Debian's postgresql binaries)")
            workdir.chmod(0o755)  # the cluster runs as the postgres user when we are root
            self.cluster = postgres_cluster.Cluster(workdir / "pg").init()
            self.cluster.start()
            host, port = "127.0.0.1", self.cluster.port
        self.admin = f"host={host} port={port} user=postgres dbname=postgres"
        self._sweep()
        self.name = f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.url = f"postgresql://postgres@{host}:{port}/{self.name}"
        self._sql(f'CREATE DATABASE "{self.name}"')

    def _sql(self, statement: str) -> list:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []

    def _sweep(self) -> None:
        """Drop the databases of test sessions that were killed before they could (their process is gone)."""
        for (name,) in self._sql(f"SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"):
            if not alive(name[len(PREFIX):].split("_")[0]):
                self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop(self) -> None:
        try:
            self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        finally:
            if self.cluster is not None:
                self.cluster.stop()


@dataclass
class BlueskyNetwork:
    pds: str                      # the PDS's URL (http://127.0.0.1:port): what a channel's base_url holds
    plc: str
    appview: str | None
    appview_did: str | None       # the AppView's service DID (proxying to it: "<did>#bsky_appview")
    process: subprocess.Popen
    startup_seconds: float
    workdir: Path
    postgres: _Postgres | None = None
    users: int = 1
    _log: list[str] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.appview is not None

    def create_account(self, name: str) -> dict:
        """A new account on the PDS: {handle, password, did, client (a logged-in atproto Client)}. On the full
        network it also waits until the AppView knows the account (its profile answers)."""
        from atproto import Client, models

        handle = f"{name}{uuid.uuid4().hex[:6]}.test"
        client = Client(base_url=self.pds)
        created = client.com.atproto.server.create_account(models.ComAtprotoServerCreateAccount.Data(
            handle=handle, email=f"{handle}@example.test", password=PASSWORD))
        client.login(handle, PASSWORD, fetch_bsky_profile=False)
        if self.full:
            eventually(lambda: client.app.bsky.actor.get_profile({"actor": created.did}), f"the account {handle}")
        return {"handle": handle, "password": PASSWORD, "did": created.did, "client": client}

    def log(self) -> str:
        return "".join(self._log[-200:])

    def stop(self) -> None:
        """Release this user's hold; the last one stops the process group and removes what it made."""
        with _LOCK:
            self.users -= 1
            if self.users > 0:
                return
            _RUNNING.pop(self.full, None)
        _terminate(self.process)
        try:
            if self.postgres is not None:
                self.postgres.drop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


_LOCK = threading.Lock()
_RUNNING: dict[bool, BlueskyNetwork] = {}


def _terminate(proc: subprocess.Popen) -> None:
    try:
        terminate(proc, timeout=15)
    finally:
        if proc.stdin:
            proc.stdin.close()


def _loopback(url: str | None) -> str | None:
    # the services announce http://localhost:port; clients go straight to IPv4 loopback (all listeners are there)
    return url.replace("://localhost:", "://127.0.0.1:") if url else None


def start(full: bool = False, timeout: float = START_TIMEOUT) -> BlueskyNetwork:
    """Start (or share, within this process) a network; call .stop() when done with it."""
    with _LOCK:
        running = _RUNNING.get(full)
        if running is not None and running.process.poll() is None:
            running.users += 1
            return running
    cwd = ensure_installed()
    sweep_workdirs("onevoice-bsky")
    workdir = Path(tempfile.mkdtemp(prefix=f"onevoice-bsky-{os.getpid()}-"))
    postgres = _Postgres(workdir) if full else None
    env = {**os.environ, "TMPDIR": str(workdir), "NODE_PATH": str(cwd / "node_modules"),
           "PLC_PORT": str(free_port()), "PDS_PORT": str(free_port()), "LOG_ENABLED": "false",
           "NODE_ENV": "test", "NODE_OPTIONS": "--no-deprecation"}
    if full:
        env.update(FULL="1", BSKY_PORT=str(free_port()), OZONE_PORT=str(free_port()), DB_POSTGRES_URL=postgres.url,
                   DB_POSTGRES_SCHEMA="onevoice", REDIS_HOST=REDIS)
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

    threading.Thread(target=read, daemon=True, name="bluesky-network-output").start()
    if not got.wait(timeout) or not ready:
        _terminate(proc)
        if postgres is not None:
            postgres.drop()
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(f"the local Bluesky network did not start within {timeout:.0f} s:\n{''.join(log)[-3000:]}")
    network = BlueskyNetwork(pds=_loopback(ready["pds"]), plc=_loopback(ready["plc"]),
                             appview=_loopback(ready.get("appview")), appview_did=ready.get("appviewDid"),
                             process=proc, startup_seconds=time.monotonic() - t0, workdir=workdir, postgres=postgres,
                             _log=log)
    with _LOCK:
        _RUNNING[full] = network
    return network


def eventually(fn: Callable[[], Any], what: str, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """`poll_until` for this server: the AppView indexes what the PDS stores, later."""
    return poll_until(fn, what, "the local Bluesky network", timeout, interval, growth=1.5)

