"""Fixtures for the notification tests: real servers on 127.0.0.1 (started once per session,
see tests/servers/) and a fresh SQLite database per test made with Base.metadata.create_all."""
from __future__ import annotations

import pytest

from onevoice.notify import NotifyConfig
from onevoice.store import Database
from onevoice.store.models import Base
from tests.servers.matrix import matrix_server  # noqa: F401 -- session fixture
from tests.servers.smtp import smtp_server  # noqa: F401 -- session fixture
from tests.servers.webhook import webhook_server  # noqa: F401 -- session fixture

SECRET = "hook-secret"


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'notify.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def smtp(smtp_server):
    if not smtp_server.running:
        smtp_server.start()
    smtp_server.clear()
    smtp_server.reject.clear()
    return smtp_server


@pytest.fixture
def hook(webhook_server):
    webhook_server.reset()
    yield webhook_server
    webhook_server.reset()


@pytest.fixture
def config(smtp_server):
    return NotifyConfig(smtp_host="127.0.0.1", smtp_port=smtp_server.port, smtp_from="onevoice@ipala.test",
                        webhook_secret=SECRET, timeout=2.0)


@pytest.fixture
def matrix(matrix_server):
    """The server, with a fresh room that the bot and the chair have joined (per test, so Matrix
    transaction ids never collide between tests)."""
    bot, chair = matrix_server.users["onevoice"], matrix_server.users["chair"]
    matrix_server.room = matrix_server.create_room(bot, chair)
    return matrix_server
