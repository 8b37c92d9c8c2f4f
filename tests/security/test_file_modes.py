"""ONEVOICE_HOME and the SQLite database hold every member's data and the keys: only their owner
may read them, whatever the umask."""
from __future__ import annotations

import os
import stat

import pytest

from onevoice.config import Settings
from onevoice.governance import members
from onevoice.governance.permissions import SYSTEM
from onevoice.system import System


@pytest.fixture
def permissive_umask():
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_home_and_database_are_private(tmp_path, permissive_umask):
    home = tmp_path / "home"
    # a key given, so that nothing but `initialize` makes the home folder
    system = System(Settings(home=home, database_url=f"sqlite:///{home / 'onevoice.db'}", secret_key="k",
                             audit_key="an audit key"))
    system.initialize()
    with system.db.transaction() as s:  # a write, so the -wal and -shm files exist
        members.add_member(s, SYSTEM, "a@example.org", "A")
        files = {p.name: _mode(p) for p in home.iterdir()}
    system.db.dispose()
    assert _mode(home) == 0o700
    assert {"onevoice.db", "onevoice.db-wal", "onevoice.db-shm"} <= set(files)
    assert all(mode == 0o600 for mode in files.values()), files


def test_a_generated_audit_key_is_private_and_kept(tmp_path, permissive_umask):
    home = tmp_path / "home"
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'onevoice.db'}", secret_key="k")
    first = System(settings)
    key = first.settings.audit_key
    assert key and _mode(home / "audit.key") == 0o600 and _mode(home) == 0o700
    assert System(settings).settings.audit_key == key  # the same key next time, never an empty one
    assert Settings.from_env({"ONEVOICE_HOME": str(home), "ONEVOICE_SECRET_KEY": "k"}).audit_key == key
