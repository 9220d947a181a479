"""The REST shell: /api/v1 routers, error handling, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from accord.identity.api import router as identity_router
from accord.intel.api import reports as reports_router
from accord.intel.api import router as objects_router
from accord.organizations.api import router as organizations_router
from accord.sharing.api import router as sharing_router


def v1_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for sub in (
        objects_router,
        reports_router,
        organizations_router,
        identity_router,
        sharing_router,
    ):
        router.include_router(sub)
    return router


def mount(app: FastAPI) -> None:
    app.include_router(v1_router())
