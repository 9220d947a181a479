"""REST: /api/v1/sharing-groups (a group exists only for its members)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from accord.api.auth import require_principal
from accord.organizations.service import find_organization
from accord.sharing import service
from accord.sharing.principal import Principal
from accord.sharing.schemas import GroupIn, GroupOut, MemberIn

router = APIRouter(prefix="/sharing-groups", tags=["sharing groups"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]


@router.get("", response_model=list[GroupOut])
def list_groups(request: Request, principal: PrincipalDep) -> list[GroupOut]:
    with request.app.state.db.read() as session:
        return [GroupOut.of(g) for g in service.groups_visible_to(session, principal)]


@router.post("", response_model=GroupOut, status_code=201)
def add_group(request: Request, principal: PrincipalDep, body: GroupIn) -> GroupOut:
    with request.app.state.db.write() as session:
        members = [find_organization(session, m) for m in body.members]
        group = service.add_group(session, principal, body.name, members, body.description)
        return GroupOut.of(group)


@router.get("/{group_id}", response_model=GroupOut)
def get_group(request: Request, principal: PrincipalDep, group_id: str) -> GroupOut:
    with request.app.state.db.read() as session:
        return GroupOut.of(service.get_group(session, principal, group_id))


@router.post("/{group_id}/members", response_model=GroupOut)
def add_member(
    request: Request, principal: PrincipalDep, group_id: str, body: MemberIn
) -> GroupOut:
    with request.app.state.db.write() as session:
        org = find_organization(session, body.org)
        return GroupOut.of(service.add_member(session, principal, group_id, org))


@router.delete("/{group_id}/members/{org_id}", response_model=GroupOut)
def remove_member(
    request: Request, principal: PrincipalDep, group_id: str, org_id: str
) -> GroupOut:
    with request.app.state.db.write() as session:
        org = find_organization(session, org_id)
        return GroupOut.of(service.remove_member(session, principal, group_id, org))
