"""Composition root: settings -> engine -> database -> application."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord import __version__
from accord.api import app as rest
from accord.api import errors
from accord.api.limits import BodyLimitMiddleware
from accord.db import Database, make_engine
from accord.federation.sync import SyncWorker
from accord.organizations.service import local_node
from accord.settings import Settings
from accord.taxii.api import router as taxii_router
from accord.web import mount as mount_web


class ServerTiming:
    """Adds `Server-Timing: app;dur=<ms>` (the time to the response's start) to answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = (time.perf_counter() - start) * 1000
                MutableHeaders(scope=message).append("Server-Timing", f"app;dur={elapsed:.1f}")
            await send(message)

        await self.app(scope, receive, timed)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The periodic sync with peer nodes runs while the server does (when configured)."""
    interval = app.state.settings.sync_interval
    worker = SyncWorker(app.state.db, interval) if interval > 0 else None
    if worker is not None:
        worker.start()
    try:
        yield
    finally:
        if worker is not None:
            worker.stop()


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    db = db or Database(make_engine(settings.database_url))
    with db.read() as session:
        node = local_node(session)
    app = FastAPI(
        lifespan=_lifespan,
        title="Accord",
        version=__version__,
        description="Federated information exchange over STIX 2.1 / TAXII 2.1.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.local_node_id = node.id
    errors.install(app)
    rest.mount(app)
    app.include_router(taxii_router)
    mount_web(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ServerTiming)
    return app
