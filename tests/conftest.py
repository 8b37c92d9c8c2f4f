"""Shared fixtures: a real database per test run (SQLite file, and PostgreSQL when reachable),
a System over it, and helpers to act as members."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from onevoice.config import Settings
from onevoice.system import System

from tests.servers import PG_HOST, PG_PORT, postgres_available

SHARED = Path(__file__).resolve().parents[2] / "shared"


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


def _settings(url: str, home: Path) -> Settings:
    return Settings(home=home, database_url=url, secret_key="test-secret-key-0123456789",
                    login_max_failures=3, login_lockout_seconds=60, allow_private_urls=True)


# Migrating a new database takes 0.5 s on SQLite and 1 s on PostgreSQL, for hundreds of tests. Each
# test process migrates one template of each once and every test starts from a copy of it (the
# file, or CREATE DATABASE ... TEMPLATE), with the template's audit key: the copy's audit chain
# was written with it. `initialize()` still runs on the copy, as on an installation that restarts.
_TEMPLATES: dict[str, tuple[str, Path]] = {}


def _template(kind: str, make_url) -> tuple[str, Path]:
    if kind not in _TEMPLATES:
        home = Path(tempfile.mkdtemp(prefix=f"onevoice-{kind}-template-"))
        url = make_url(home)
        template = System(_settings(url, home))
        template.initialize()
        template.db.dispose()  # no connection left: SQLite has checkpointed, PostgreSQL may copy it
        _TEMPLATES[kind] = (url, home)
    return _TEMPLATES[kind]


def _copy_audit_key(template_home: Path, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "audit.key").exists():
        shutil.copy2(template_home / "audit.key", home / "audit.key")


def make_system(url: str, home: Path) -> System:
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        template_url, template_home = _template("sqlite", lambda h: f"sqlite:///{h / 'onevoice.db'}")
        _copy_audit_key(template_home, home)
        shutil.copy2(template_url.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
    system = System(_settings(url, home))
    system.initialize()
    return system


def _postgres_database(admin: str, name: str, home: Path) -> str:
    """A new, migrated database `name`, copied from this process's template."""
    import psycopg

    def make_template(h: Path) -> str:
        template = f"onevoice_template_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{template}"')
        atexit.register(_drop_database, admin, template)
        return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{template}"

    template_url, template_home = _template("postgresql", make_template)
    _copy_audit_key(template_home, home)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_url.rsplit("/", 1)[1]}"')
    return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"


def _drop_database(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
    name = f"onevoice_test_{uuid.uuid4().hex[:12]}"
    sys_ = make_system(_postgres_database(admin, name, tmp_path), tmp_path)
    yield sys_
    sys_.db.dispose()
    _drop_database(admin, name)


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
    """The full local Bluesky network with the AppView (threads, counts, notifications). Its index
    is on the PostgreSQL server at 127.0.0.1:5432, or in a throwaway cluster when there is none
    (tests/servers/bluesky.py)."""
    from tests.servers import bluesky

    network = bluesky.start(full=True)
    yield network
    network.stop()


@pytest.fixture(scope="session")
def snac():
    """A real Mastodon-API server (snac2 from Debian's archive, tests/servers/snac.py) with the accounts
    alice and bob, started once per test session on a free loopback port and stopped at the end."""
    from tests.servers import snac as snac_server

    server = snac_server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def oidc_provider():
    """A real OpenID provider (the npm package oidc-provider, tests/servers/oidc.py) with a test client
    and test users, started once per test session on a free loopback port and stopped at the end."""
    from tests.servers import oidc

    provider = oidc.start()
    yield provider
    provider.stop()


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: a test is slow because it starts a real server
def pytest_collection_modifyitems(items):
    # a fixture cannot carry a mark, so every test that uses the snac server or the OpenID provider is
    # marked slow here
    for item in items:
        if {"snac", "oidc_provider"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
