"""REST: /api/v1/organizations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from accord.api.auth import require_principal
from accord.organizations import service
from accord.organizations.schemas import OrganizationIn, OrganizationOut
from accord.sharing.principal import Principal

router = APIRouter(prefix="/organizations", tags=["organizations"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]


@router.get("", response_model=list[OrganizationOut])
def list_organizations(request: Request, _principal: PrincipalDep) -> list[OrganizationOut]:
    with request.app.state.db.read() as session:
        return [OrganizationOut.of(o) for o in service.list_organizations(session)]


@router.post("", response_model=OrganizationOut, status_code=201)
def add_organization(
    request: Request, principal: PrincipalDep, body: OrganizationIn
) -> OrganizationOut:
    with request.app.state.db.write() as session:
        org = service.add_organization(session, principal, body.name, body.country, body.kind)
        return OrganizationOut.of(org)


@router.get("/{org_id}", response_model=OrganizationOut)
def get_organization(request: Request, _principal: PrincipalDep, org_id: str) -> OrganizationOut:
    with request.app.state.db.read() as session:
        return OrganizationOut.of(service.get_organization(session, org_id))
