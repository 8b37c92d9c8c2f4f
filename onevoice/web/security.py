"""What every response and every cookie carries, and who the client really is behind a proxy.

The pages run only the scripts and styles served from /static: no inline script, no inline
style, so markup that slipped into a page cannot run. A route that needs another policy (the
API docs, a report file) sets its own Content-Security-Policy; the app adds the rest.
"""
from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onevoice.config import Settings
from onevoice.errors import InvalidInput

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class SecurityHeaders:
    """Adds the headers to every response, including errors and static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                policy = headers.get("content-security-policy")
                if policy is None:
                    headers["Content-Security-Policy"] = PAGE_POLICY
                elif "frame-ancestors" not in policy:  # a route's own policy still refuses framing
                    headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; frame-ancestors 'none'"
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


Network = IPv4Network | IPv6Network


def proxy_networks(proxies: Iterable[str]) -> tuple[Network, ...]:
    try:
        return tuple(ip_network(p, strict=False) for p in proxies)
    except ValueError as exc:
        raise InvalidInput(f"ONEVOICE_TRUSTED_PROXIES: {exc}") from None


class ForwardedFrom:
    """Believes X-Forwarded-For and X-Forwarded-Proto only when the direct peer is one of the
    trusted proxies; anyone else could write any address there and escape the per-address
    sign-in limiter. The client is the last address the proxies did not add themselves."""

    def __init__(self, app: ASGIApp, networks: tuple[Network, ...]) -> None:
        self.app, self.networks = app, networks

    def _trusted(self, host: str) -> bool:
        try:
            address = ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def _client(self, forwarded_for: list[str]) -> str | None:
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
        for hop in reversed(hops):
            try:
                ip_address(hop)
            except ValueError:
                return None  # not written by a proxy of ours: keep the peer's own address
            if not self._trusted(hop):
                return hop
        return hops[0] if hops else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] in ("http", "websocket") and self.networks and peer and self._trusted(peer[0]):
            scope = dict(scope)
            headers = Headers(scope=scope)
            client = self._client(headers.getlist("x-forwarded-for"))
            if client is not None:
                scope["client"] = (client, 0)
            proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
        await self.app(scope, receive, send)


def cookie_name(settings: Settings, name: str) -> str:
    """With secure_cookies the browser keeps a `__Host-` cookie only if it came over TLS for
    this host and path /, so a neighbouring subdomain can neither plant nor overwrite it."""
    return f"__Host-{name}" if settings.secure_cookies else name


def set_cookie(response: Response, request: Request, settings: Settings, name: str, value: str,
               max_age: int) -> None:
    response.set_cookie(cookie_name(settings, name), value, max_age=max_age, path="/", httponly=True,
                        samesite="lax", secure=settings.secure_cookies or request.url.scheme == "https")


def delete_cookie(response: Response, request: Request, settings: Settings, name: str) -> None:
    response.delete_cookie(cookie_name(settings, name), path="/", httponly=True, samesite="lax",
                           secure=settings.secure_cookies or request.url.scheme == "https")
