"""HTTP clients for the connectors that connect only to public addresses (see addresses.py).

The check is made where the TCP connection is opened, on the addresses that connection then
uses, so a name resolving differently from one look-up to the next (DNS rebinding) or a redirect
cannot lead the channel's token into the installation's network. Mastodon.py speaks `requests`
(urllib3 underneath) and atproto speaks `httpx` (httpcore underneath): one hook for each.
Through a proxy (HTTPS_PROXY), the proxy connects to the platform and this check does not apply.
"""
from __future__ import annotations

import socket
from typing import Any

import httpcore
import httpx
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from . import addresses


class _PublicOnly(HTTPConnection):
    """urllib3 connections that connect to the checked addresses of their host, one after the
    other, and to nothing else. urllib3 resolves `_dns_host` as it connects; it is pointed at each
    checked address in turn, while `host` (TLS name, Host header) stays the name."""

    def _new_conn(self) -> socket.socket:
        name = self._dns_host
        try:
            ips = addresses.public_addresses(name, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        failure: Exception | None = None
        for ip in ips:
            self._dns_host = ip
            try:
                return super()._new_conn()
            except (NewConnectionError, ConnectTimeoutError) as exc:
                failure = exc
            finally:
                self._dns_host = name
        raise failure or NewConnectionError(self, f"{name} has no address")


class _PublicHTTPConnection(_PublicOnly):
    pass


class _PublicHTTPSConnection(_PublicOnly, HTTPSConnection):
    pass


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class PublicAdapter(HTTPAdapter):
    """A requests adapter whose connections go to public addresses only. A connector that needs
    more of its adapter (retries, connection handling) subclasses this one as well as its own."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}


def requests_session(adapter: HTTPAdapter | None = None) -> requests.Session:
    """A requests session whose connections go to public addresses only (`adapter`: a
    PublicAdapter with more behaviour; by default a plain one)."""
    adapter = adapter or PublicAdapter()
    if not isinstance(adapter, PublicAdapter):
        raise TypeError("the adapter of a checked session must be a PublicAdapter")
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _PublicBackend(httpcore.NetworkBackend):
    """httpcore's network backend, connecting to the checked addresses of the host only (TLS is
    started afterwards with the host's name, so certificates are checked as usual)."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        try:
            ips = addresses.public_addresses(host, port)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"{host}: {exc}") from exc
        failure: Exception | None = None
        for ip in ips:
            try:
                return self._inner.connect_tcp(ip, port, timeout=timeout, local_address=local_address,
                                               socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore.NetworkStream:
        return self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def httpx_transport() -> httpx.HTTPTransport:
    """An httpx transport whose connections go to public addresses only."""
    transport = httpx.HTTPTransport()
    # httpx has no public hook on the TCP connect; the httpcore pool under it takes a network backend
    transport._pool._network_backend = _PublicBackend(transport._pool._network_backend)
    return transport
