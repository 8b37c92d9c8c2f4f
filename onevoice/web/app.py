"""The FastAPI application: the JSON API, the server-rendered pages and the health check."""
from __future__ import annotations

import os
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.types import ASGIApp, Receive, Scope, Send

from onevoice import __version__, jobs
from onevoice.jobs import Scheduler
from onevoice.system import System

from . import problems
from .api import router as api_router
from .api.monitoring import links as short_links
from .pages import STATIC, guard, router as pages_router
from .ratelimit import SlidingWindow

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


def create_app(system: System | None = None, scheduler: bool | None = None) -> FastAPI:
    """The app. With `scheduler` (default: on unless ONEVOICE_SCHEDULER=off) the periodic jobs
    run in this process, which is right for the single-process default."""
    system = system or System()
    if scheduler is None:
        scheduler = os.environ.get("ONEVOICE_SCHEDULER", "on") != "off"

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        runner = Scheduler(system) if scheduler else None
        if runner:
            runner.start()
        jobs.prepare_kicks(system)
        yield
        if runner:
            runner.stop()

    app = FastAPI(title="onevoice", version=__version__, lifespan=lifespan,
                  description="The IPALA social media policy as working software: screening (2.), committee "
                              "approval and publishing (1.), crisis management (3.), monitoring (4.).")
    app.state.system = system
    app.state.login_limiter = SlidingWindow(limit=20, seconds=60)
    problems.install(app)
    guard.install(app)
    app.include_router(api_router)
    app.include_router(short_links)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(BodyLimit, limit=MAX_BODY)

    @app.get("/healthz", tags=["health"], summary="Liveness and database check")
    def healthz() -> dict:
        with system.db.reader() as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "policy": f"{system.policy.name}@{system.policy.version}"}

    return app
