"""A channel's base URL may not lead the workers, with the channel's token, into the installation's
own network: refused when the channel is added, and again at every connection (a name that
resolves elsewhere later, DNS rebinding), unless ONEVOICE_ALLOW_PRIVATE_URLS is set."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import replace

import pytest

from onevoice.config import Settings
from onevoice.errors import InvalidInput
from onevoice.governance import channels
from onevoice.governance.permissions import SYSTEM
from onevoice.jobs import poll_channels
from onevoice.publishing import outbox
from onevoice.publishing.connectors import ConnectorConfig, ConnectorError
from onevoice.publishing.connectors.addresses import is_public
from onevoice.publishing.connectors.bluesky import BlueskyConnector
from onevoice.store.models import Channel
from onevoice.system import System
from tests.publishing.workflow_helpers import approved_and_scheduled, cast

PRIVATE = ["127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "0.0.0.0",
           "100.64.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1",
           "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::",
           "2002:a00:1::"]
PUBLIC = ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "2002:808:808::"]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_addresses(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.fixture
def strict(sqlite_system):
    """The same installation, with the default setting (private addresses refused)."""
    system = System(replace(sqlite_system.settings, allow_private_urls=False))
    yield system
    system.db.dispose()


@pytest.fixture
def listener():
    """A port on 127.0.0.1 that counts the connections made to it (never answers)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def connections(sock: socket.socket) -> int:
    n = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return n
        conn.close()
        n += 1


@pytest.fixture
def rebinding(monkeypatch):
    """DNS for rebind.test: a public address on the first look-up, 127.0.0.1 on every later one."""
    real, answers = socket.getaddrinfo, iter(["93.184.216.34"])

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.test":
            return real(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers, "127.0.0.1"), int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _add(system, base_url, handle="ipala"):
    with system.db.transaction() as s:
        return channels.add_channel(s, SYSTEM, system.box, "mastodon", handle, base_url=base_url,
                                    credentials={"access_token": "the-channel-token", "timeout_s": 1}).id


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "http://localhost:3000", "https://[::1]/",
                                 "http://169.254.169.254/latest/meta-data", "http://10.1.2.3",
                                 "http://0x7f000001/", "http://2130706433/", "http://[::ffff:127.0.0.1]:80/",
                                 "http://0.0.0.0:8080"])
def test_private_base_urls_are_refused(strict, url):
    with pytest.raises(InvalidInput, match="refused"):
        _add(strict, url)


def test_bad_base_urls_are_refused(strict):
    for url in ("http://", "http://host:99999/", "ftp://example.org"):
        with pytest.raises(InvalidInput):
            _add(strict, url)


def test_a_name_that_does_not_resolve_yet_is_accepted(strict, monkeypatch):
    def nowhere(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nowhere)
    assert _add(strict, "https://mastodon.invalid")


def test_the_setting_allows_private_addresses(sqlite_system, tmp_path):
    env = {"ONEVOICE_HOME": str(tmp_path), "ONEVOICE_DATABASE_URL": sqlite_system.settings.database_url,
           "ONEVOICE_SECRET_KEY": sqlite_system.settings.secret_key}
    refusing = System(Settings.from_env(env))
    with pytest.raises(InvalidInput, match="ONEVOICE_ALLOW_PRIVATE_URLS"):
        _add(refusing, "http://127.0.0.1:9")
    allowing = System(Settings.from_env({**env, "ONEVOICE_ALLOW_PRIVATE_URLS": "1"}))
    assert _add(allowing, "http://127.0.0.1:9")
    refusing.db.dispose()
    allowing.db.dispose()


def test_publishing_and_polling_never_connect_to_a_private_address(sqlite_system, strict, listener):
    """A channel row that points at 127.0.0.1 (added before the check, or by hand): the workers of
    an installation that refuses private addresses do not connect there."""
    port = listener.getsockname()[1]
    c = cast(sqlite_system, "mastodon", base_url=f"http://127.0.0.1:{port}",
             credentials={"access_token": "the-channel-token", "timeout_s": 1})
    approved_and_scheduled(sqlite_system, c)
    [outcome] = outbox.publish_due(strict.db, strict.connector_for)
    assert outcome.status == "failed" and "127.0.0.1" in outcome.detail
    [line] = poll_channels(strict)
    assert "failed" in line and "127.0.0.1" in line
    assert connections(listener) == 0


def test_a_name_rebound_to_a_private_address_is_refused_at_connect_time(strict, listener, rebinding):
    port = listener.getsockname()[1]
    cid = _add(strict, f"http://rebind.test:{port}")  # resolved to a public address: accepted
    with strict.db.reader() as s:
        connector = strict.connector_for(s.get(Channel, cid))
    with pytest.raises(ConnectorError) as refused:
        connector.followers()
    assert not refused.value.retryable and "127.0.0.1" in refused.value.message
    with pytest.raises(ConnectorError) as refused:
        BlueskyConnector(ConnectorConfig("bluesky", "ipala.test", f"http://rebind.test:{port}", {"password": "pw"}),
                         timeout=1)
    assert not refused.value.retryable and "127.0.0.1" in refused.value.message
    assert connections(listener) == 0


def test_with_the_setting_the_connectors_do_connect(listener):
    """The same connections go through when private addresses are allowed (as the tests' own
    platforms on 127.0.0.1 need): the listener sees them."""
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    from onevoice.publishing.connectors.mastodon import MastodonConnector

    mastodon = MastodonConnector(ConnectorConfig("mastodon", "ipala", url, {"access_token": "t", "timeout_s": 0.5},
                                                 allow_private_urls=True))
    with pytest.raises(ConnectorError):
        mastodon.followers()  # the listener never answers
    with pytest.raises(ConnectorError):
        BlueskyConnector(ConnectorConfig("bluesky", "ipala.test", url, {"password": "pw"}, allow_private_urls=True),
                         timeout=0.5)
    assert connections(listener) >= 2
