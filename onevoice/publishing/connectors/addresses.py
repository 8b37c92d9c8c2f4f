"""Which addresses a channel's connector may reach.

An admin sets a channel's base URL, and the workers then connect there with the channel's token.
A URL pointing into the installation's own network (loopback, private ranges, link-local such as
a cloud's metadata service, ...) would let them probe it, so such addresses are refused unless
ONEVOICE_ALLOW_PRIVATE_URLS is set (the tests, or a platform run on purpose in the same network).

The URL is checked when the channel is added, and every connection is checked again as it is
opened, against the address actually connected to (checked_http.py): the name may resolve to a
private address later (DNS rebinding), and a platform's redirect may lead anywhere.
"""
from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

ALLOW_PRIVATE = "allow_private_urls"  # the session.info entry (set by System from the settings)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrivateAddress(Exception):
    """A connection to an address inside the installation's network was refused. Not an OSError,
    so that the HTTP libraries do not take it for a network failure worth retrying."""


def is_public(ip: IPAddress) -> bool:
    """An address on the public internet: not loopback, private, link-local, multicast, reserved or
    unspecified, including such an IPv4 address inside an IPv6 one (::ffff:127.0.0.1, 6to4)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            return is_public(inner)
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                                 or ip.is_reserved or ip.is_unspecified)


def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """getaddrinfo for a TCP connection (a name of its own, so tests can stand in for DNS)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def public_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, when every one of them is public. One private answer is
    enough to refuse: which of them a client ends up using is not ours to choose.
    Raises PrivateAddress, or socket.gaierror when the name does not resolve."""
    ips = []
    for *_, sockaddr in resolve(host, port):
        ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if not is_public(ip):
            where = f"{host} is" if host.strip("[]") == str(ip) else f"{host} resolves to {ip},"
            raise PrivateAddress(f"{where} an address inside the installation's network "
                                 "(set ONEVOICE_ALLOW_PRIVATE_URLS=1 to allow it)")
        if str(ip) not in ips:
            ips.append(str(ip))
    return ips


def refuse_private_url(url: str) -> None:
    """Raise PrivateAddress when the URL's host resolves to a private address (ValueError when it
    names no host or a bad port). A name that does not resolve now is let through: there is nothing
    to reach, and each connection is checked again."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)  # ValueError for a bad port
    if not parts.hostname:
        raise ValueError("the URL names no host")
    try:
        public_addresses(parts.hostname, port)
    except (socket.gaierror, UnicodeError):
        return
