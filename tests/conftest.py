"""Shared fixtures: a real database per test run (SQLite file, and PostgreSQL when reachable),
a System over it, and helpers to act as members."""
from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest

from onevoice.config import Settings
from onevoice.system import System

SHARED = Path(__file__).resolve().parents[2] / "shared"
PG_HOST, PG_PORT = "127.0.0.1", 5432


def postgres_available() -> bool:
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server's admin conninfo; each test makes (and drops) its own database."""
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not running on 127.0.0.1:5432 (CI must have it)")
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432")
    return f"host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres"


# The tests' platforms run on 127.0.0.1: channels may point there, in this process (make_system)
# and in the CLI and worker processes the tests start (ONEVOICE_ALLOW_PRIVATE_URLS).
os.environ.setdefault("ONEVOICE_ALLOW_PRIVATE_URLS", "1")


def make_system(url: str, home: Path) -> System:
    settings = Settings(home=home, database_url=url, secret_key="test-secret-key-0123456789",
                        login_max_failures=3, login_lockout_seconds=60, allow_private_urls=True)
    system = System(settings)
    system.initialize()
    return system


@pytest.fixture(params=["sqlite", "postgresql"])
def system(request, tmp_path):
    """A migrated installation on each database engine, emptied after the test."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'onevoice.db'}"
        sys_ = make_system(url, tmp_path)
        yield sys_
        sys_.db.dispose()
        return
    admin = request.getfixturevalue("postgres_server")
    import psycopg

    name = f"onevoice_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    sys_ = make_system(f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}", tmp_path)
    yield sys_
    sys_.db.dispose()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_system(tmp_path):
    sys_ = make_system(f"sqlite:///{tmp_path / 'onevoice.db'}", tmp_path)
    yield sys_
    sys_.db.dispose()


@pytest.fixture(scope="session")
def bluesky_pds():
    """A real local Bluesky PDS (with its PLC directory), started once per test session."""
    from tests.servers import bluesky

    network = bluesky.start(full=False)
    yield network
    network.stop()


@pytest.fixture(scope="session")
def bluesky_full():
    """The full local Bluesky network with the AppView (threads, counts, notifications)."""
    if not postgres_available():
        pytest.fail("the Bluesky AppView needs PostgreSQL on 127.0.0.1:5432")
    from tests.servers import bluesky

    network = bluesky.start(full=True)
    yield network
    network.stop()
