from __future__ import annotations

import pytest

from tests.servers.mastodon_api import LocalMastodon


@pytest.fixture
def mastodon():
    """A local Mastodon-API server with the organization's account and two others."""
    with LocalMastodon() as server:
        server.org = server.api.add_account("ipala", followers=1200)
        server.alice = server.api.add_account("alice", followers=30)
        server.bob = server.api.add_account("bob", followers=5)
        yield server
