"""Every web page's router, gathered for `accord.web.mount`."""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.views import account, admin, auth, home, public, reports, workgroup

router = APIRouter(include_in_schema=False)
for module in (auth, home, reports, account, admin, public, workgroup):
    router.include_router(module.router)

__all__ = ["router"]
