"""Every web page's router, gathered for `accord.web.mount`."""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.views import (
    account,
    admin,
    auth,
    events,
    exercises,
    home,
    liaison,
    public,
    reports,
    workgroup,
)

router = APIRouter(include_in_schema=False)
for module in (auth, home, reports, account, admin, public, workgroup, liaison, events, exercises):
    router.include_router(module.router)

__all__ = ["router"]
