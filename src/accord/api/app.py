"""The REST shell: /api/v1 routers, error handling, OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request

from accord.api.errors import ApiError
from accord.cooperation.api import router as workgroup_router
from accord.cooperation.coverage_api import objects as release_router
from accord.cooperation.coverage_api import public as public_router
from accord.cooperation.events_api import router as events_router
from accord.cooperation.exercises_api import router as exercises_router
from accord.cooperation.liaison_api import router as liaison_router
from accord.federation.api import router as federation_router
from accord.identity.api import router as identity_router
from accord.intel.api import reports as reports_router
from accord.intel.api import router as objects_router
from accord.organizations.api import router as organizations_router
from accord.sharing.api import router as sharing_router


def refuse_nul(request: Request) -> None:
    """PostgreSQL text cannot hold NUL: refuse it in the path and query before any query runs."""
    if "\x00" in request.scope["path"] or any(
        "\x00" in key or "\x00" in value for key, value in request.query_params.multi_items()
    ):
        raise ApiError(422, "the URL must not contain NUL characters", "invalid_request")


def v1_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(refuse_nul)])
    for sub in (
        objects_router,
        reports_router,
        organizations_router,
        identity_router,
        sharing_router,
        federation_router,
        workgroup_router,
        liaison_router,
        exercises_router,
        events_router,
        release_router,
        public_router,
    ):
        router.include_router(sub)
    return router


def mount(app: FastAPI) -> None:
    app.include_router(v1_router())
