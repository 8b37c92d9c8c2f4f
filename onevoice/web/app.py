"""The FastAPI application: the JSON API, the server-rendered pages and the health check, all
behind the security headers and the trusted-proxy check (security.py)."""
from __future__ import annotations

import base64
import hashlib
import re
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.types import ASGIApp, Receive, Scope, Send

from onevoice import __version__
from onevoice.jobs import Scheduler
from onevoice.system import System

from . import problems
from .api import router as api_router
from .api.monitoring import links as short_links
from onevoice.governance.sso import OidcClient

from .pages import STATIC, guard, router as pages_router
from .ratelimit import SlidingWindow
from .security import ForwardedFrom, Network, SecurityHeaders, proxy_networks

MAX_BODY = 1_000_000  # 1 MB: a draft with attachments' metadata is a few kB


class BodyLimit:
    """Refuse oversized bodies before they are read into memory (413 problem+json)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await _too_large(scope, receive, send, self.limit)
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(scope, receive, send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(scope, receive, send, limit) -> None:
    response = problems.problem(413, "Request too large", f"the request body is over {limit} bytes")
    await response(scope, receive, send)


class OnevoiceApp(FastAPI):
    trusted_proxies: tuple[Network, ...] = ()

    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's error middleware: an unhandled error's 500 carries the security
        # headers too, and everything inside sees the client a trusted proxy forwarded for.
        return ForwardedFrom(SecurityHeaders(super().build_middleware_stack()), self.trusted_proxies)


SWAGGER_CDN = "https://cdn.jsdelivr.net"  # where FastAPI's Swagger UI page loads its bundle from
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def api_docs_page(openapi_url: str, title: str) -> tuple[str, str]:
    """FastAPI's Swagger UI page with a policy of its own: the Swagger bundle from the CDN it has
    always come from (onevoice ships no copy), only the inline script FastAPI writes to start it
    (allowed by its hash), and inline styles, which Swagger UI writes as it renders."""
    html = get_swagger_ui_html(openapi_url=openapi_url, title=title).body.decode()
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
                      for script in _INLINE_SCRIPT.findall(html))
    policy = (f"default-src 'none'; script-src {SWAGGER_CDN} {hashes}; style-src {SWAGGER_CDN} 'unsafe-inline'; "
              "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; base-uri 'none'; "
              "form-action 'none'; frame-ancestors 'none'")
    return html, policy


def create_app(system: System | None = None, scheduler: bool | None = None) -> FastAPI:
    """The app. With `scheduler` (default: settings.scheduler, ONEVOICE_SCHEDULER) the periodic
    jobs run in this process, which is right for the single-process default."""
    system = system or System()
    if scheduler is None:
        scheduler = system.settings.scheduler
    if system.settings.broker_url:  # at scale: kicks and reports asked for by hand go to the workers
        from onevoice import scale  # loaded now, not on the first kick (importing Celery takes a second)

        scale.install(system)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runner = Scheduler(system) if scheduler else None
        if runner:
            runner.start()
        yield
        if runner:
            runner.stop()

    app = OnevoiceApp(title="onevoice", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                      description="The IPALA social media policy as working software: screening (2.), committee "
                                  "approval and publishing (1.), crisis management (3.), monitoring (4.).")
    app.state.system = system
    app.trusted_proxies = proxy_networks(system.settings.trusted_proxies)
    app.state.login_limiter = SlidingWindow(limit=20, seconds=60)
    app.state.oidc = OidcClient(system.settings) if system.settings.sso else None
    app.state.screen_limiter = SlidingWindow(limit=system.settings.screen_per_minute, seconds=60)
    problems.install(app)
    guard.install(app)
    app.include_router(api_router)
    app.include_router(short_links)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    from .nesting import NestingLimit

    app.add_middleware(NestingLimit)  # added first, so it runs inside BodyLimit: it reads bounded bodies only
    app.add_middleware(BodyLimit, limit=MAX_BODY)

    docs_html, docs_policy = api_docs_page(app.openapi_url, f"{app.title} - Swagger UI")

    @app.get("/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(docs_html, headers={"Content-Security-Policy": docs_policy})

    @app.get("/healthz", tags=["health"], summary="Liveness and database check")
    def healthz() -> dict:
        with system.db.reader() as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "policy": f"{system.policy.name}@{system.policy.version}"}

    return app
