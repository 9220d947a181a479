"""Composition root: settings -> engine -> database -> application."""

from __future__ import annotations

from fastapi import FastAPI

from accord import __version__
from accord.api import app as rest
from accord.api import errors
from accord.api.limits import BodyLimitMiddleware
from accord.db import Database, make_engine
from accord.organizations.service import local_node
from accord.settings import Settings
from accord.taxii.api import router as taxii_router
from accord.web import mount as mount_web


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    db = db or Database(make_engine(settings.database_url))
    with db.read() as session:
        node = local_node(session)
    app = FastAPI(
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
    return app
